package bitcoin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

// corpusPcap returns the path of the btcd capture of the corpus.
func corpusPcap(t *testing.T) string {
	return filepath.Join(testenv.Corpus(t), "bitcoin", "pcap", "btcd-regtest-a.pcap")
}

// count is messages and payload bytes.
type count struct{ Messages, Payload uint64 }

// dirKey is one direction of a connection and a command.
type dirKey struct {
	Client, Server string // addresses and ports; the client sent the SYN
	Dir            string // c>s or s>c
	Command        string
}

// tally counts the messages of each connection, direction and command.
type tally struct {
	got   map[dirKey]count
	stats StreamStats
}

func (c *tally) Message(s *tcpstream.Stream, m *Message) {
	k := dirKey{s.Conn.Client.String(), s.Conn.Server.String(), "c>s", m.Command}
	if s.Dir == tcpstream.ServerToClient {
		k.Dir = "s>c"
	}
	v := c.got[k]
	v.Messages++
	v.Payload += uint64(m.Length)
	c.got[k] = v
}

func (c *tally) StreamEnd(s *tcpstream.Stream, st *StreamStats, r tcpstream.EndReason) {
	c.stats.Messages += st.Messages
	c.stats.Undecoded += st.Undecoded
	c.stats.GapBytes += st.GapBytes
	c.stats.BadChecksum += st.BadChecksum
	c.stats.Lost += st.Lost
	c.stats.Cut += st.Cut
}

// decodePcap decodes the Bitcoin messages of the capture at path.
func decodePcap(t *testing.T, path string) (*tally, tcpstream.Stats) {
	t.Helper()
	c := &tally{got: map[dirKey]count{}}
	return c, decodeFile(t, path, c)
}

// decodeFile gives the Bitcoin messages of the capture at path to sink.
func decodeFile(t *testing.T, path string, sink Sink) tcpstream.Stats {
	t.Helper()
	r, err := input.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(DefaultConfig(), sink))
	if err != nil {
		t.Fatal(err)
	}
	dec := decode.New()
	var (
		f   input.Frame
		p   schema.Packet
		m   decode.Meta
		seg tcpstream.Segment
	)
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		p = schema.Packet{Ts: f.Ts, WireLen: f.WireLen, CapLen: f.CapLen}
		dec.Decode(f.LinkType, f.Data, &p, &m)
		if seg.FromPacket(&p, &m) {
			a.Add(&seg)
		}
	}
	a.Flush()
	return a.Stats()
}

// summaryCounts reads the per connection, direction and command table of
// the corpus's tshark summary.
func summaryCounts(t *testing.T, path string) map[dirKey]count {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conns := map[string][2]string{}
	want := map[dirKey]count{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = line
			continue
		}
		fs := strings.Split(line, "\t")
		switch {
		case strings.HasPrefix(section, "## connections") && len(fs) > 3 && fs[0] != "stream":
			conns[fs[0]] = [2]string{fs[1], fs[2]}
		case strings.HasPrefix(section, "## per connection") && len(fs) == 7 && fs[0] != "stream":
			var c count
			if _, err := fmt.Sscan(fs[5], &c.Messages); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if _, err := fmt.Sscan(fs[6], &c.Payload); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			cs := conns[fs[0]]
			want[dirKey{cs[0], cs[1], fs[1], fs[4]}] = c
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s: no counts", path)
	}
	return want
}

// TestCorpusSummary decodes the btcd capture and compares every count with
// the tshark ground truth written beside it.
func TestCorpusSummary(t *testing.T) {
	path := corpusPcap(t)
	got, st := decodePcap(t, path)
	want := summaryCounts(t, strings.TrimSuffix(path, ".pcap")+".summary.txt")
	if d := cmp.Diff(want, got.got); d != "" {
		t.Errorf("messages per connection, direction and command (-tshark +netlens):\n%s", d)
	}
	if got.stats.Messages != 12746 {
		t.Errorf("%d messages, want 12746", got.stats.Messages)
	}
	if got.stats.BadChecksum+got.stats.Lost+got.stats.Cut+got.stats.GapBytes != 0 {
		t.Errorf("undecoded: %+v", got.stats)
	}
	if st.Duplicate == 0 {
		t.Errorf("no retransmitted bytes dropped; the capture has 154 retransmissions: %+v", st)
	}
	t.Logf("decoder %+v; reassembly %+v", got.stats, st)
}

// TestCorpusNotBitcoin decodes the other captures of the corpus: none holds
// Bitcoin traffic, so no message may be found.
func TestCorpusNotBitcoin(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Corpus(t), "pcaps", "zeek", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	for _, f := range files {
		c := &tally{got: map[dirKey]count{}}
		r, err := input.Open(f)
		if err != nil {
			continue // not a capture netlens reads; the input tests cover it
		}
		r.Close()
		decodeFile(t, f, c)
		if len(c.got) != 0 {
			t.Errorf("%s: messages found: %v", filepath.Base(f), c.got)
		}
	}
}
