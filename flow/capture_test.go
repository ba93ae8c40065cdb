package flow

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
)

// decoded is a packet of a test capture, decoded.
type decoded struct {
	p schema.Packet
	m decode.Meta
}

// readCapture decodes every frame of testdata/name (pcap or pcapng).
func readCapture(tb testing.TB, name string) []decoded {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	d := decode.New()
	var out []decoded
	add := func(linkType uint16, data []byte, ts int64, wire int) {
		data = bytes.Clone(data)
		x := decoded{p: schema.Packet{Ts: ts, Frame: uint32(len(out) + 1), LinkType: linkType, WireLen: uint32(wire), CapLen: uint32(len(data))}}
		d.Decode(linkType, data, &x.p, &x.m)
		out = append(out, x)
	}
	if bytes.HasPrefix(raw, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			tb.Fatal(err)
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				tb.Fatal(err)
			}
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				tb.Fatal(err)
			}
			add(uint16(intf.LinkType), data, ci.Timestamp.UnixNano(), ci.Length)
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		add(uint16(r.LinkType()), data, ci.Timestamp.UnixNano(), ci.Length)
	}
}

// assemble runs the packets through an Assembler with cfg and flushes it.
func assemble(cfg Config, pkts []decoded) ([]schema.Flow, []int64) {
	var flows []schema.Flow
	a := New(cfg, 1, func(f *schema.Flow) { flows = append(flows, *f) })
	ids := make([]int64, len(pkts))
	for i := range pkts {
		p, m := pkts[i].p, pkts[i].m
		a.Add(&p, &m)
		ids[i] = p.FlowID
	}
	a.Flush()
	return flows, ids
}

func TestHTTPGetCapture(t *testing.T) {
	flows, ids := assemble(DefaultConfig(), readCapture(t, "http_get.pcap"))
	// Zeek's conn.log for this trace: 7 and 7 packets, 512 and 5379 IP
	// bytes, 136 and 5007 payload bytes, SF.
	want := []schema.Flow{{
		FlowID: 1, Start: 1362692526869344000, End: 1362692527080972000, Duration: 0.211628,
		Proto: 6, IPVersion: 4, A: "141.142.228.5", APort: 59856, B: "192.150.187.43", BPort: 80,
		PktsAToB: 7, PktsBToA: 7, BytesAToB: 512, BytesBToA: 5379, PayloadAToB: 136, PayloadBToA: 5007,
		TCPFlagsA: 0x1b, TCPFlagsB: 0x1b, State: "SF", Answered: true, Service: "http/tcp",
	}}
	if diff := cmp.Diff(want, flows, cmp.Comparer(func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 })); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	for i, id := range ids {
		if id != 1 {
			t.Errorf("packet %d: flow id %d, want 1", i+1, id)
		}
	}
}

// ircFlows are the TCP conversations of irc-dcc-send.pcapng: an IRC session
// and two DCC transfers, each opened and closed cleanly.
var ircFlows = []struct {
	a, b         string
	aPort, bPort uint16
	pktsA, pktsB uint64
}{
	{"10.0.0.7", "10.0.0.22", 59069, 6667, 43, 37},
	{"10.0.0.22", "10.0.0.7", 43614, 59130, 127, 962},
	{"10.0.0.22", "10.0.0.7", 38016, 59214, 7, 8},
}

func TestIRCCapture(t *testing.T) {
	flows, _ := assemble(DefaultConfig(), readCapture(t, "irc-dcc-send.pcapng"))
	type row struct {
		ID           int64
		A, B         string
		APort, BPort uint16
		PktsA, PktsB uint64
		State        string
	}
	var got, want []row
	for _, f := range flows {
		got = append(got, row{f.FlowID, f.A, f.B, f.APort, f.BPort, f.PktsAToB, f.PktsBToA, f.State})
	}
	// The two transfers end 5 s after their FIN exchange, before the IRC
	// session, which ends at Flush.
	for _, i := range []int{1, 2, 0} {
		c := ircFlows[i]
		want = append(want, row{int64(i + 1), c.a, c.b, c.aPort, c.bPort, c.pktsA, c.pktsB, "SF"})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
}

// TestIRCCaptureTshark compares the flows with tshark's TCP conversation
// table: ends, packets each way, start and duration. It skips when tshark
// is missing, except in CI.
func TestIRCCaptureTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is required in CI")
		}
		t.Skip("tshark not installed")
	}
	pkts := readCapture(t, "irc-dcc-send.pcapng")
	flows, _ := assemble(DefaultConfig(), pkts)
	out, err := exec.Command("tshark", "-r", filepath.Join("testdata", "irc-dcc-send.pcapng"), "-n", "-q", "-z", "conv,tcp").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	// A:port <-> B:port  framesBtoA bytes unit  framesAtoB bytes unit  total...  relStart duration
	line := regexp.MustCompile(`^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+\d+\s+\S+\s+(\d+)\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$`)
	type conv struct {
		A, B         string
		PktsA, PktsB uint64
		Start, Dur   string
	}
	var want, got []conv
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		bToA, _ := strconv.ParseUint(m[5], 10, 64)
		aToB, _ := strconv.ParseUint(m[6], 10, 64)
		want = append(want, conv{m[1] + ":" + m[2], m[3] + ":" + m[4], aToB, bToA, m[7], m[8]})
	}
	if len(want) != 3 {
		t.Fatalf("tshark listed %d conversations, want 3:\n%s", len(want), out)
	}
	first := pkts[0].p.Ts
	for _, f := range flows {
		got = append(got, conv{
			f.A + ":" + strconv.Itoa(int(f.APort)), f.B + ":" + strconv.Itoa(int(f.BPort)), f.PktsAToB, f.PktsBToA,
			strconv.FormatFloat(time.Duration(f.Start-first).Seconds(), 'f', 9, 64), strconv.FormatFloat(f.Duration, 'f', 4, 64),
		})
	}
	byA := func(x, y conv) int { return strings.Compare(x.A, y.A) }
	slices.SortFunc(want, byA)
	slices.SortFunc(got, byA)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows vs tshark conv,tcp (-tshark +netlens):\n%s", diff)
	}
}

// TestDeterminism assembles the same input twice, and with two different
// flow-table histories, and expects identical output.
func TestDeterminism(t *testing.T) {
	pkts := readCapture(t, "irc-dcc-send.pcapng")
	pkts = append(pkts, readCapture(t, "http_get.pcap")...)
	cfg := DefaultConfig()
	cfg.IdleTCP = 2 * time.Second // many expiries, several at once
	cfg.Active = 20 * time.Second
	f1, ids1 := assemble(cfg, pkts)
	f2, ids2 := assemble(cfg, pkts)
	if len(f1) < 10 {
		t.Fatalf("only %d flows: the test needs many expiries", len(f1))
	}
	if diff := cmp.Diff(f1, f2); diff != "" {
		t.Errorf("second run differs (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(ids1, ids2); diff != "" {
		t.Errorf("second run packet flow ids differ (-first +second):\n%s", diff)
	}
}
