package flow

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// fragP is a fragment of datagram id: the first one (off 0, with ports)
// or a later one (no transport header).
func fragP(at time.Duration, src, dst string, proto uint8, id uint32, off uint16, mf bool, payload uint32) pkt {
	return pkt{at: at, src: src, dst: dst, proto: proto, payload: payload, id: id, off: off, mf: mf}
}

// counted sets the counters of f and what follows from them.
func counted(f schema.Flow, pktsA, pktsB, bytesA, bytesB, payA, payB uint64, state string) schema.Flow {
	f.PktsAToB, f.PktsBToA = pktsA, pktsB
	f.BytesAToB, f.BytesBToA = bytesA, bytesB
	f.PayloadAToB, f.PayloadBToA = payA, payB
	f.State = state
	f.Answered = pktsB > 0
	if f.Proto == protoTCP || f.Proto == protoUDP {
		f.Service = services.Lookup(f.Proto, f.BPort)
	}
	return f
}

func TestFragments(t *testing.T) {
	const (
		c   = "10.0.0.1:5000"
		s   = "198.51.100.7:4000"
		c0  = "10.0.0.1:0"
		s0  = "198.51.100.7:0"
		c6  = "[2001:db8::1]:5000"
		s6  = "[2001:db8::2]:53"
		dst = 60 // IPv6 destination options
	)
	runFlowCases(t, []flowCase{
		{"in order: later fragments join the first one's flow", nil,
			[]pkt{fragP(0, c, s, protoUDP, 7, 0, true, 1472), fragP(ms, c, s, protoUDP, 7, 1480, true, 1480), fragP(2*ms, c, s, protoUDP, 7, 2960, false, 100)},
			[]schema.Flow{counted(fl(1, 0, 2*ms, protoUDP, c, s), 3, 0, 1500+1500+120, 0, 1472+1480+100, 0, "S0")},
			[]int64{1, 1, 1}},
		{"a fragment before its first one keeps a flow with ports 0", nil,
			[]pkt{fragP(0, c, s, protoUDP, 7, 2960, false, 100), fragP(ms, c, s, protoUDP, 7, 0, true, 1472), fragP(2*ms, c, s, protoUDP, 7, 1480, true, 1480)},
			[]schema.Flow{
				counted(fl(1, 0, 0, protoUDP, c0, s0), 1, 0, 120, 0, 100, 0, "S0"),
				counted(fl(2, ms, 2*ms, protoUDP, c, s), 2, 0, 3000, 0, 2952, 0, "S0"),
			},
			[]int64{1, 2, 2}},
		{"a fragmented answer counts from b to a", nil,
			[]pkt{udpP(0, c, s, 50), fragP(ms, s, c, protoUDP, 3, 0, true, 1472), fragP(2*ms, s, c, protoUDP, 3, 1480, false, 500)},
			[]schema.Flow{counted(fl(1, 0, 2*ms, protoUDP, c, s), 1, 2, 78, 1500+520, 50, 1472+500, "SF")},
			[]int64{1, 1, 1}},
		{"another ip id is another datagram", nil,
			[]pkt{fragP(0, c, s, protoUDP, 1, 0, true, 1472), fragP(ms, c, s, protoUDP, 2, 1480, false, 80)},
			[]schema.Flow{
				counted(fl(1, 0, 0, protoUDP, c, s), 1, 0, 1500, 0, 1472, 0, "S0"),
				counted(fl(2, ms, ms, protoUDP, c0, s0), 1, 0, 100, 0, 80, 0, "S0"),
			},
			[]int64{1, 2}},
		{"another IPv4 protocol is another datagram", nil,
			[]pkt{fragP(0, c, s, protoUDP, 5, 0, true, 1472), fragP(ms, c, s, protoTCP, 5, 1480, false, 80)},
			[]schema.Flow{
				counted(fl(1, 0, 0, protoUDP, c, s), 1, 0, 1500, 0, 1472, 0, "S0"),
				counted(fl(2, ms, ms, protoTCP, c0, s0), 1, 0, 100, 0, 80, 0, "OTH"),
			},
			[]int64{1, 2}},
		{"30 s after the first fragment the datagram is given up; its id may come again", nil,
			[]pkt{
				fragP(0, c, s, protoUDP, 9, 0, true, 1472),
				fragP(30*sec, c, s, protoUDP, 9, 1480, true, 1480),
				fragP(30*sec+1, c, s, protoUDP, 9, 2960, false, 1480),
				fragP(40*sec, c, s, protoUDP, 9, 0, true, 1472),
				fragP(41*sec, c, s, protoUDP, 9, 1480, false, 1480),
			},
			[]schema.Flow{
				counted(fl(1, 0, 41*sec, protoUDP, c, s), 4, 0, 6000, 0, 2*1472+2*1480, 0, "S0"),
				counted(fl(2, 30*sec+1, 30*sec+1, protoUDP, c0, s0), 1, 0, 1500, 0, 1480, 0, "S0"),
			},
			[]int64{1, 1, 2, 1, 1}},
		{"a fragment whose flow has ended keeps a flow with ports 0", func(c *Config) { c.IdleUDP = sec },
			[]pkt{fragP(0, c, s, protoUDP, 4, 0, true, 1472), fragP(2*sec, c, s, protoUDP, 4, 1480, false, 80)},
			[]schema.Flow{
				counted(fl(1, 0, 0, protoUDP, c, s), 1, 0, 1500, 0, 1472, 0, "S0"),
				counted(fl(2, 2*sec, 2*sec, protoUDP, c0, s0), 1, 0, 100, 0, 80, 0, "S0"),
			},
			[]int64{1, 2}},
		{"IPv6: a later fragment naming another next header joins", nil,
			[]pkt{fragP(0, c6, s6, protoUDP, 0x12345678, 0, true, 1232), fragP(ms, c6, s6, dst, 0x12345678, 1240, false, 500)},
			[]schema.Flow{func() schema.Flow {
				f := counted(fl(1, 0, ms, protoUDP, c6, s6), 2, 0, 1280+540, 0, 1732, 0, "S0")
				f.ALocal, f.BLocal = false, false
				return f
			}()},
			[]int64{1, 1}},
		{"TCP: fragments change neither state nor flags", nil,
			[]pkt{
				tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, synAck, 0), tcpP(2*ms, cli, srv, ack, 0),
				{at: 3 * ms, src: cli, dst: srv, proto: protoTCP, flags: psh, payload: 1460, id: 11, mf: true},
				fragP(4*ms, cli, srv, protoTCP, 11, 1480, false, 500),
			},
			[]schema.Flow{func() schema.Flow {
				f := counted(fl(1, 0, 4*ms, protoTCP, cli, srv), 4, 1, 40+40+1500+520, 40, 1960, 0, "S1")
				f.TCPFlagsA, f.TCPFlagsB = syn|psh, synAck
				return f
			}()},
			[]int64{1, 1, 1, 1, 1}},
	})
}

// TestFragmentTableBounded fills the datagram table beyond its bound: the
// oldest datagram is forgotten, the others still join their flow, and
// Flush forgets them all.
func TestFragmentTableBounded(t *testing.T) {
	const c, s = "[2001:db8::1]:5000", "[2001:db8::2]:53"
	a := New(DefaultConfig(), 1, func(*schema.Flow) {})
	add := func(p pkt) int64 {
		row, m := p.packet()
		a.Add(&row, &m)
		return row.FlowID
	}
	for i := range maxFrags + 1 {
		add(fragP(time.Duration(i)*time.Microsecond, c, s, protoUDP, uint32(i), 0, true, 1232))
	}
	if n := a.frags.len(); n != maxFrags {
		t.Fatalf("%d datagrams remembered, want %d", n, maxFrags)
	}
	at := time.Second
	for _, tt := range []struct {
		id   uint32
		want int64
	}{{0, 2}, {1, 1}, {maxFrags / 2, 1}, {maxFrags, 1}} {
		if got := add(fragP(at, c, s, protoUDP, tt.id, 1240, false, 100)); got != tt.want {
			t.Errorf("later fragment of datagram %d: flow %d, want %d", tt.id, got, tt.want)
		}
	}
	a.Flush()
	if n := a.frags.len(); n != 0 {
		t.Errorf("%d datagrams remembered after Flush", n)
	}
	if got := add(fragP(at, c, s, protoUDP, 1, 1240, false, 100)); got != 3 {
		t.Errorf("later fragment after Flush: flow %d, want 3", got)
	}
}

// fragFlow is what TestFragmentCaptures checks of a flow.
type fragFlow struct {
	ID           int64
	Proto        uint8
	A            string
	APort        uint16
	B            string
	BPort        uint16
	PktsA, PktsB uint64
	BytesA       uint64
	BytesB       uint64
	PayA, PayB   uint64
	State        string
}

// fragCaptures are captures of fragmented datagrams and their flows.
var fragCaptures = []struct {
	file  string
	flows []fragFlow
	ids   []int64
}{
	// Two first fragments with the same id (a retransmission) around the
	// last fragment.
	{"ipv4_fragmented-1.pcap", []fragFlow{
		{1, 17, "164.1.123.163", 123, "164.1.123.61", 137, 3, 0, 38 + 136 + 324, 0, 10 + 116 + 296, 0, "S0"},
	}, []int64{1, 1, 1}},
	{"ipv4_fragmented-3.pcap", []fragFlow{
		{1, 6, "210.54.213.247", 1265, "131.243.1.10", 21, 5, 0, 5 * 1500, 0, 1460 + 4*1480, 0, "OTH"},
	}, []int64{1, 1, 1, 1, 1}},
	// Fragments out of order (offsets 0, 48, 72, 24), then an unfragmented
	// packet with the same id.
	{"ipv4_fragmented-4.pcap", []fragFlow{
		{1, 6, "10.0.0.1", 80, "127.0.0.1", 7790, 1, 0, 40, 0, 0, 0, "S0"},
		{2, 6, "128.32.46.142", 7790, "10.0.0.1", 80, 5, 0, 44 + 44 + 37 + 68 + 40, 0, 4 + 24 + 17 + 48, 0, "SH"},
	}, []int64{1, 2, 2, 2, 2, 2}},
	// Frame 4 is the last fragment of a datagram whose first fragment was
	// not captured; frames 6 to 8 are a DNS answer in three fragments.
	{"ipv6-fragmented-dns.pcap", []fragFlow{
		{1, 17, "2001:470:1f11:81f:d138:5f55:6d4:1fe2", 51850, "2607:f740:b::f93", 53, 1, 1, 121, 371, 73, 323, "SF"},
		{2, 17, "2001:470:1f11:81f:d138:5f55:6d4:1fe2", 51851, "2607:f740:b::f93", 53, 2, 3, 244, 1480 + 1480 + 422, 148, 1424 + 1432 + 374, "SF"},
		{3, 17, "2607:f740:b::f93", 0, "2001:470:1f11:81f:d138:5f55:6d4:1fe2", 0, 1, 0, 390, 0, 342, 0, "S0"},
	}, []int64{1, 1, 2, 3, 2, 2, 2, 2}},
	// GTP-U between two gateways, many tunnelled packets fragmented in two.
	{"tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap", []fragFlow{
		{1, 17, "239.114.155.111", 2152, "63.94.149.181", 2152, 28, 80, 4196, 60770, 3420, 58810, "SF"},
	}, nil},
}

func TestFragmentCaptures(t *testing.T) {
	for _, tc := range fragCaptures {
		t.Run(tc.file, func(t *testing.T) {
			pkts := readCapture(t, tc.file)
			flows, ids := assemble(DefaultConfig(), pkts)
			var got []fragFlow
			for _, f := range flows {
				got = append(got, fragFlow{f.FlowID, f.Proto, f.A, f.APort, f.B, f.BPort, f.PktsAToB, f.PktsBToA, f.BytesAToB, f.BytesBToA, f.PayloadAToB, f.PayloadBToA, f.State})
			}
			if diff := cmp.Diff(tc.flows, got); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
			want := tc.ids
			if want == nil { // one flow
				want = make([]int64, len(pkts))
				for i := range want {
					want[i] = 1
				}
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("packet flow ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFragmentCapturesTshark compares, for the IPv4 captures, the packets
// each way between two addresses with tshark's IP conversation table
// (without reassembly, every fragment is a frame; without GTP, tunnelled
// packets are not conversations of their own): with fragments in their
// datagram's flow, no packet is lost or counted twice. It skips when
// tshark is missing, except in CI.
func TestFragmentCapturesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is required in CI")
		}
		t.Skip("tshark not installed")
	}
	// A <-> B  framesBtoA bytes unit  framesAtoB bytes unit  ...
	line := regexp.MustCompile(`^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\d+\s+\S+\s+(\d+)\s`)
	for _, tc := range fragCaptures {
		if strings.HasPrefix(tc.file, "ipv6") {
			continue // tshark's IPv6 table leaves out fragments when it does not reassemble
		}
		out, err := exec.Command("tshark", "-r", filepath.Join("testdata", tc.file), "-n", "-q",
			"-o", "ip.defragment:FALSE", "--disable-protocol", "gtp", "-z", "conv,ip").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		want := map[string]uint64{}
		for _, l := range strings.Split(string(out), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			bToA, _ := strconv.ParseUint(m[3], 10, 64)
			aToB, _ := strconv.ParseUint(m[4], 10, 64)
			want[m[1]+" > "+m[2]] += aToB
			want[m[2]+" > "+m[1]] += bToA
		}
		got := map[string]uint64{}
		flows, _ := assemble(DefaultConfig(), readCapture(t, tc.file))
		for _, f := range flows {
			got[f.A+" > "+f.B] += f.PktsAToB
			got[f.B+" > "+f.A] += f.PktsBToA
		}
		for k, v := range want {
			if v == 0 {
				delete(want, k)
			}
		}
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s: no conversation in tshark's output:\n%s", tc.file, out)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: packets per direction (-tshark +netlens):\n%s", tc.file, diff)
		}
	}
}
