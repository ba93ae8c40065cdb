package bitcoin

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/internal/testenv"
)

// sentKey is one direction of a connection, by its endpoints, and a command.
type sentKey struct {
	Sender, Receiver string // address and port
	Command          string
}

// bySender counts messages per sender, receiver and command.
type bySender struct {
	got   map[sentKey]count
	ports map[uint16]bool // server ports of the connections with messages
}

func (c *bySender) Message(s *tcpstream.Stream, m *Message) {
	k := sentKey{s.Src().String(), s.Dst().String(), m.Command}
	v := c.got[k]
	v.Messages++
	v.Payload += uint64(m.Length)
	c.got[k] = v
	c.ports[s.Conn.Server.Port()] = true
}

func (c *bySender) StreamEnd(*tcpstream.Stream, *StreamStats, tcpstream.EndReason) {}

// tsharkFiles are the captures compared with tshark, each with the
// differences expected and their reason (none today).
var tsharkFiles = []struct {
	path   string // under the corpus
	differ map[sentKey]string
}{
	{path: "bitcoin/pcap/btcd-regtest-a.pcap"},
}

// TestTshark compares the messages decoded from each capture with tshark's
// Bitcoin dissector: per connection, direction and command, the number of
// messages and their payload bytes must be equal.
func TestTshark(t *testing.T) {
	tshark := testenv.Tool(t, "tshark")
	corpus := testenv.Corpus(t)
	for _, f := range tsharkFiles {
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			path := filepath.Join(corpus, f.path)
			ours := &bySender{got: map[sentKey]count{}, ports: map[uint16]bool{}}
			decodeFile(t, path, ours)
			theirs := tsharkCounts(t, tshark, path, ours.ports)
			for k, why := range f.differ {
				t.Logf("expected difference at %v: %s", k, why)
				delete(ours.got, k)
				delete(theirs, k)
			}
			if d := cmp.Diff(theirs, ours.got); d != "" {
				t.Errorf("messages per sender, receiver and command (-tshark +netlens):\n%s", d)
			}
			var n, bytes uint64
			for _, c := range ours.got {
				n += c.Messages
				bytes += c.Payload
			}
			t.Logf("%d keys, %d messages, %d payload bytes", len(ours.got), n, bytes)
		})
	}
}

// tsharkCounts runs tshark's Bitcoin dissector on path, decoding the given
// TCP ports as Bitcoin beside its heuristics.
func tsharkCounts(t *testing.T, tshark, path string, ports map[uint16]bool) map[sentKey]count {
	t.Helper()
	args := []string{"-n", "-r", path, "-Y", "bitcoin", "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
		"-e", "bitcoin.command", "-e", "bitcoin.length"}
	ps := make([]int, 0, len(ports))
	for p := range ports {
		ps = append(ps, int(p))
	}
	slices.Sort(ps)
	for _, p := range ps {
		args = append(args, "-d", fmt.Sprintf("tcp.port==%d,bitcoin", p))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	got := map[sentKey]count{}
	for line := range strings.Lines(string(out)) {
		fs := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(fs) != 8 {
			t.Fatalf("tshark line %q: %d fields", line, len(fs))
		}
		src := endpoint(t, fs[0]+fs[1], fs[2])
		dst := endpoint(t, fs[3]+fs[4], fs[5])
		cmds, lens := strings.Split(fs[6], ","), strings.Split(fs[7], ",")
		if len(cmds) != len(lens) {
			t.Fatalf("tshark line %q: %d commands, %d lengths", line, len(cmds), len(lens))
		}
		for i, c := range cmds {
			n, err := strconv.ParseUint(lens[i], 10, 32)
			if err != nil {
				t.Fatalf("tshark line %q: %v", line, err)
			}
			k := sentKey{src, dst, c}
			v := got[k]
			v.Messages++
			v.Payload += n
			got[k] = v
		}
	}
	return got
}

func endpoint(t *testing.T, addr, port string) string {
	t.Helper()
	a, err := netip.ParseAddr(addr)
	if err != nil {
		t.Fatalf("tshark address %q: %v", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatalf("tshark port %q: %v", port, err)
	}
	return netip.AddrPortFrom(a, uint16(p)).String()
}
