package flow

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// t0 is the time of the first packet of every synthetic sequence.
const t0 = int64(1_700_000_000) * int64(time.Second)

// pkt is a synthetic packet: ep "addr:port" ends, flags as in tcp_flags.
type pkt struct {
	at       time.Duration // after t0
	src, dst string        // "addr:port"; port is the ICMP type/code for ICMP
	proto    uint8
	flags    uint16
	payload  uint32
	status   decode.Status

	// IP fragments: a packet with mf or a non-zero off is a fragment of
	// datagram id. A later fragment (off > 0) has no transport header and
	// no ports.
	id  uint32
	off uint16
	mf  bool
}

const (
	syn    = flagSYN
	synAck = flagSYN | flagACK
	ack    = flagACK
	psh    = 0x08 | flagACK
	finAck = flagFIN | flagACK
	rstAck = flagRST | flagACK
	rst    = flagRST
	fin    = flagFIN
)

func tcpP(at time.Duration, src, dst string, flags uint16, payload uint32) pkt {
	return pkt{at: at, src: src, dst: dst, proto: protoTCP, flags: flags, payload: payload}
}

func udpP(at time.Duration, src, dst string, payload uint32) pkt {
	return pkt{at: at, src: src, dst: dst, proto: protoUDP, payload: payload}
}

// packet turns p into a decoded row and its meta.
func (p pkt) packet() (schema.Packet, decode.Meta) {
	s, d := netip.MustParseAddrPort(p.src), netip.MustParseAddrPort(p.dst)
	hdr := uint32(20)
	if s.Addr().Is6() {
		hdr = 40
	}
	later := p.off != 0
	switch {
	case later:
		s, d = netip.AddrPortFrom(s.Addr(), 0), netip.AddrPortFrom(d.Addr(), 0)
	case p.proto == protoTCP:
		hdr += 20
	case p.proto == protoUDP, p.proto == protoICMP, p.proto == protoICMPv6:
		hdr += 8
	}
	row := schema.Packet{
		Ts:         t0 + int64(p.at),
		IPVersion:  4,
		Src:        s.Addr().String(),
		Dst:        d.Addr().String(),
		IPLen:      hdr + p.payload,
		Proto:      p.proto,
		Sport:      s.Port(),
		Dport:      d.Port(),
		TCPFlags:   p.flags,
		PayloadLen: p.payload,
	}
	if s.Addr().Is6() {
		row.IPVersion = 6
	}
	m := decode.Meta{Status: p.status, Src: s.Addr(), Dst: d.Addr()}
	if p.mf || later {
		row.Frag, row.IPID, m.FragOffset = true, p.id, p.off
	}
	return row, m
}

// run feeds pkts to an Assembler, flushes it, and returns the flows and the
// flow id of every packet.
func run(cfg Config, pkts []pkt) ([]schema.Flow, []int64) {
	var flows []schema.Flow
	a := New(cfg, 1, func(f *schema.Flow) { flows = append(flows, *f) })
	ids := make([]int64, len(pkts))
	for i, p := range pkts {
		row, m := p.packet()
		a.Add(&row, &m)
		ids[i] = row.FlowID
	}
	a.Flush()
	return flows, ids
}

// fl builds an expected flow; the remaining fields are set by the caller.
func fl(id int64, start, end time.Duration, proto uint8, a string, b string) schema.Flow {
	ap, bp := netip.MustParseAddrPort(a), netip.MustParseAddrPort(b)
	v := uint8(4)
	if ap.Addr().Is6() {
		v = 6
	}
	return schema.Flow{
		FlowID: id, Start: t0 + int64(start), End: t0 + int64(end), Duration: (end - start).Seconds(),
		Proto: proto, IPVersion: v,
		A: ap.Addr().String(), APort: ap.Port(), B: bp.Addr().String(), BPort: bp.Port(),
		ALocal: notGlobal(ap.Addr()), BLocal: notGlobal(bp.Addr()),
	}
}

// tcpFlow sets the counters of a TCP flow with 40-byte headers.
func tcpFlow(f schema.Flow, pktsA, pktsB, payA, payB uint64, flagsA, flagsB uint16, state string) schema.Flow {
	f.PktsAToB, f.PktsBToA = pktsA, pktsB
	f.BytesAToB, f.BytesBToA = 40*pktsA+payA, 40*pktsB+payB
	f.PayloadAToB, f.PayloadBToA = payA, payB
	f.TCPFlagsA, f.TCPFlagsB = flagsA, flagsB
	f.State = state
	f.Answered = pktsB > 0
	f.Service = services.Lookup(protoTCP, f.BPort)
	return f
}

func udpFlow(f schema.Flow, pktsA, pktsB, payA, payB uint64, state string) schema.Flow {
	f.PktsAToB, f.PktsBToA = pktsA, pktsB
	f.BytesAToB, f.BytesBToA = 28*pktsA+payA, 28*pktsB+payB
	f.PayloadAToB, f.PayloadBToA = payA, payB
	f.State = state
	f.Answered = pktsB > 0
	f.Service = services.Lookup(protoUDP, f.BPort)
	return f
}

const (
	cli = "10.0.0.1:40000"
	srv = "192.0.2.80:80"
	ms  = time.Millisecond
	sec = time.Second
)

func TestConnStates(t *testing.T) {
	cfg := DefaultConfig()
	hs := []pkt{tcpP(0, cli, srv, syn, 0), tcpP(10*ms, srv, cli, synAck, 0), tcpP(20*ms, cli, srv, ack, 0)}
	seq := func(extra ...pkt) []pkt { return append(append([]pkt{}, hs...), extra...) }
	tests := []struct {
		name string
		pkts []pkt
		want schema.Flow
	}{
		{"SF", seq(
			tcpP(30*ms, cli, srv, psh, 100), tcpP(40*ms, srv, cli, psh, 1000),
			tcpP(50*ms, cli, srv, finAck, 0), tcpP(60*ms, srv, cli, finAck, 0), tcpP(70*ms, cli, srv, ack, 0)),
			tcpFlow(fl(1, 0, 70*ms, protoTCP, cli, srv), 5, 3, 100, 1000, syn|psh|fin, synAck|psh|fin, "SF")},
		{"S0", []pkt{tcpP(0, cli, srv, syn, 0), tcpP(time.Second, cli, srv, syn, 0)},
			tcpFlow(fl(1, 0, sec, protoTCP, cli, srv), 2, 0, 0, 0, syn, 0, "S0")},
		{"S1", hs, tcpFlow(fl(1, 0, 20*ms, protoTCP, cli, srv), 2, 1, 0, 0, syn|ack, synAck, "S1")},
		{"REJ", []pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, rstAck, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 1, 1, 0, 0, syn, rstAck, "REJ")},
		{"S2", seq(tcpP(30*ms, cli, srv, finAck, 0)),
			tcpFlow(fl(1, 0, 30*ms, protoTCP, cli, srv), 3, 1, 0, 0, syn|finAck, synAck, "S2")},
		{"S3", seq(tcpP(30*ms, srv, cli, finAck, 0)),
			tcpFlow(fl(1, 0, 30*ms, protoTCP, cli, srv), 2, 2, 0, 0, syn|ack, synAck|fin, "S3")},
		{"RSTO", seq(tcpP(30*ms, cli, srv, psh, 5), tcpP(40*ms, cli, srv, rstAck, 0)),
			tcpFlow(fl(1, 0, 40*ms, protoTCP, cli, srv), 4, 1, 5, 0, syn|psh|rst, synAck, "RSTO")},
		{"RSTR", seq(tcpP(30*ms, srv, cli, rst, 0)),
			tcpFlow(fl(1, 0, 30*ms, protoTCP, cli, srv), 2, 2, 0, 0, syn|ack, synAck|rst, "RSTR")},
		{"RSTOS0", []pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, cli, srv, rst, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 2, 0, 0, 0, syn|rst, 0, "RSTOS0")},
		{"RST after pure ACK is not RSTOS0", []pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, cli, srv, ack, 0), tcpP(2*ms, cli, srv, rst, 0)},
			tcpFlow(fl(1, 0, 2*ms, protoTCP, cli, srv), 3, 0, 0, 0, syn|ack|rst, 0, "OTH")},
		{"RSTRH", []pkt{tcpP(0, srv, cli, synAck, 0), tcpP(ms, srv, cli, rst, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 0, 2, 0, 0, 0, synAck|rst, "RSTRH")},
		{"SH", []pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, cli, srv, fin, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 2, 0, 0, 0, syn|fin, 0, "SH")},
		{"SHR", []pkt{tcpP(0, srv, cli, synAck, 0), tcpP(ms, srv, cli, finAck, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 0, 2, 0, 0, 0, synAck|fin, "SHR")},
		{"OTH midstream", []pkt{tcpP(0, cli, srv, psh, 10), tcpP(ms, srv, cli, psh, 20)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 1, 1, 10, 20, psh, psh, "OTH")},
		{"SYN-ACK first: its receiver is a, then established", []pkt{tcpP(0, srv, cli, synAck, 0), tcpP(ms, cli, srv, ack, 0), tcpP(2*ms, cli, srv, psh, 7)},
			tcpFlow(fl(1, 0, 2*ms, protoTCP, cli, srv), 2, 1, 7, 0, ack|psh, synAck, "S1")},
		{"first pure SYN makes its sender a", []pkt{tcpP(0, srv, cli, psh, 50), tcpP(ms, cli, srv, syn, 0)},
			tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 1, 1, 0, 50, syn, psh, "OTH")},
		{"UDP one way", []pkt{udpP(0, "10.0.0.1:5000", "8.8.8.8:53", 30), udpP(sec, "10.0.0.1:5000", "8.8.8.8:53", 30)},
			udpFlow(fl(1, 0, sec, protoUDP, "10.0.0.1:5000", "8.8.8.8:53"), 2, 0, 60, 0, "S0")},
		{"UDP answered", []pkt{udpP(0, "10.0.0.1:5000", "8.8.8.8:53", 30), udpP(ms, "8.8.8.8:53", "10.0.0.1:5000", 90)},
			udpFlow(fl(1, 0, ms, protoUDP, "10.0.0.1:5000", "8.8.8.8:53"), 1, 1, 30, 90, "SF")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flows, _ := run(cfg, tt.pkts)
			if diff := cmp.Diff([]schema.Flow{tt.want}, flows); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestICMP(t *testing.T) {
	icmp := func(at time.Duration, src, dst string, typ, code uint16, proto uint8) pkt {
		s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		return pkt{at: at, src: netip.AddrPortFrom(s, typ).String(), dst: netip.AddrPortFrom(d, code).String(), proto: proto, payload: 56}
	}
	const h1, h2, h3, v6a, v6b, v6r = "10.0.0.1", "198.51.100.7", "192.0.2.50", "2001:db8::1", "2001:db8::2", "fe80::1"
	pkts := []pkt{
		icmp(0, h1, h2, 8, 0, protoICMP),              // echo request: ports 8 -> 0
		icmp(ms, h2, h1, 0, 0, protoICMP),             // its reply joins it
		icmp(sec, h1, h2, 8, 0, protoICMP),            // another request
		icmp(2*sec, h2, h1, 3, 3, protoICMP),          // unreachable: no answer type, a flow of its own, ports 3 -> code 3
		icmp(2*sec+ms, h1, h2, 3, 1, protoICMP),       // the other way: one more flow
		icmp(2*sec+2*ms, h2, h1, 3, 3, protoICMP),     // the first unreachable flow again
		icmp(3*sec, v6a, v6b, 128, 0, protoICMPv6),    // echo request: 128 -> 129
		icmp(4*sec, v6b, v6r, 133, 0, protoICMPv6),    // router solicitation: 133 -> 134
		icmp(4*sec+ms, v6r, v6b, 134, 0, protoICMPv6), // the advertisement answers it
		icmp(5*sec, h3, h1, 0, 0, protoICMP),          // a reply first: its sender is a, ports 0 -> 8
		icmp(70*sec, h1, h2, 8, 0, protoICMP),         // after the idle timeout: a new echo flow
		icmp(70*sec+ms, h2, h1, 0, 0, protoICMP),      // answered
	}
	flows, ids := run(DefaultConfig(), pkts)
	icmpFlow := func(id int64, from, to time.Duration, proto uint8, a, b string, pa, pb uint64, bytes uint64) schema.Flow {
		f := fl(id, from, to, proto, a, b)
		f.PktsAToB, f.PktsBToA = pa, pb
		f.BytesAToB, f.BytesBToA = pa*bytes, pb*bytes
		f.PayloadAToB, f.PayloadBToA = pa*56, pb*56
		f.State, f.Answered = "OTH", pb > 0
		if proto == protoICMPv6 {
			f.ALocal, f.BLocal = netip.MustParseAddr(f.A).IsLinkLocalUnicast(), netip.MustParseAddr(f.B).IsLinkLocalUnicast()
		}
		return f
	}
	// Every flow is idle (60 s) when the packet at 70 s comes: they end in
	// the order of their last packets, then the last one is flushed.
	want := []schema.Flow{
		icmpFlow(1, 0, sec, protoICMP, h1+":8", h2+":0", 2, 1, 84),
		icmpFlow(3, 2*sec+ms, 2*sec+ms, protoICMP, h1+":3", h2+":1", 1, 0, 84),
		icmpFlow(2, 2*sec, 2*sec+2*ms, protoICMP, h2+":3", h1+":3", 2, 0, 84),
		icmpFlow(4, 3*sec, 3*sec, protoICMPv6, "["+v6a+"]:128", "["+v6b+"]:129", 1, 0, 104),
		icmpFlow(5, 4*sec, 4*sec+ms, protoICMPv6, "["+v6b+"]:133", "["+v6r+"]:134", 1, 1, 104),
		icmpFlow(6, 5*sec, 5*sec, protoICMP, h3+":0", h1+":8", 1, 0, 84),
		icmpFlow(7, 70*sec, 70*sec+ms, protoICMP, h1+":8", h2+":0", 1, 1, 84),
	}
	if diff := cmp.Diff(want, flows); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{1, 1, 1, 2, 3, 2, 4, 5, 5, 6, 7, 7}, ids); diff != "" {
		t.Errorf("packet flow ids (-want +got):\n%s", diff)
	}
}

func TestTimeouts(t *testing.T) {
	a1, b1 := "10.0.0.1:5000", "192.0.2.9:9999"
	a2, b2 := "10.0.0.2:5001", "192.0.2.9:9999"
	runFlowCases(t, []flowCase{
		{"UDP idle: a packet after 61 s starts a new flow", nil,
			[]pkt{udpP(0, a1, b1, 10), udpP(60*sec, b1, a1, 10), udpP(121*sec, b1, a1, 10)},
			[]schema.Flow{
				udpFlow(fl(1, 0, 60*sec, protoUDP, a1, b1), 1, 1, 10, 10, "SF"),
				udpFlow(fl(2, 121*sec, 121*sec, protoUDP, b1, a1), 1, 0, 10, 0, "S0"),
			}, []int64{1, 1, 2}},
		{"expiry follows deadlines, not flow ids", nil,
			[]pkt{udpP(0, a1, b1, 1), udpP(sec, a2, b2, 1), udpP(10*sec, a1, b1, 1), udpP(2*time.Minute, "10.0.0.3:1", "10.0.0.4:2", 1)},
			[]schema.Flow{
				udpFlow(fl(2, sec, sec, protoUDP, a2, b2), 1, 0, 1, 0, "S0"),
				udpFlow(fl(1, 0, 10*sec, protoUDP, a1, b1), 2, 0, 2, 0, "S0"),
				udpFlow(fl(3, 2*time.Minute, 2*time.Minute, protoUDP, "10.0.0.3:1", "10.0.0.4:2"), 1, 0, 1, 0, "S0"),
			}, []int64{1, 2, 1, 3}},
		{"TCP idle is 5 minutes", nil,
			[]pkt{tcpP(0, cli, srv, psh, 1), tcpP(4*time.Minute, cli, srv, psh, 1), tcpP(9*time.Minute+sec, cli, srv, psh, 1)},
			[]schema.Flow{
				tcpFlow(fl(1, 0, 4*time.Minute, protoTCP, cli, srv), 2, 0, 2, 0, psh, 0, "OTH"),
				tcpFlow(fl(2, 9*time.Minute+sec, 9*time.Minute+sec, protoTCP, cli, srv), 1, 0, 1, 0, psh, 0, "OTH"),
			}, []int64{1, 1, 2}},
		{"zero timeouts never end a flow", func(c *Config) { c.IdleUDP, c.Active = 0, 0 },
			[]pkt{udpP(0, a1, b1, 1), udpP(time.Hour, b1, a1, 1)},
			[]schema.Flow{udpFlow(fl(1, 0, time.Hour, protoUDP, a1, b1), 1, 1, 1, 1, "SF")}, []int64{1, 1}},
		{"active timeout splits with the same roles", func(c *Config) { c.Active = 10 * sec },
			[]pkt{udpP(0, a1, b1, 1), udpP(4*sec, b1, a1, 2), udpP(8*sec, a1, b1, 3), udpP(12*sec, b1, a1, 4), udpP(16*sec, a1, b1, 5)},
			[]schema.Flow{
				udpFlow(fl(1, 0, 8*sec, protoUDP, a1, b1), 2, 1, 4, 2, "SF"),
				udpFlow(fl(2, 12*sec, 16*sec, protoUDP, a1, b1), 1, 1, 5, 4, "SF"),
			}, []int64{1, 1, 1, 2, 2}},
		{"close delay: late packets join, later ones start a new flow", nil,
			[]pkt{
				tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, synAck, 0), tcpP(2*ms, cli, srv, ack, 0),
				tcpP(sec, cli, srv, finAck, 0), tcpP(sec+ms, srv, cli, finAck, 0),
				tcpP(4*sec, cli, srv, ack, 0), tcpP(7*sec, srv, cli, ack, 0),
			},
			[]schema.Flow{
				tcpFlow(fl(1, 0, 4*sec, protoTCP, cli, srv), 4, 2, 0, 0, syn|finAck, synAck|fin, "SF"),
				tcpFlow(fl(2, 7*sec, 7*sec, protoTCP, srv, cli), 1, 0, 0, 0, ack, 0, "OTH"),
			}, []int64{1, 1, 1, 1, 1, 1, 2}},
		{"RST starts the close delay", nil,
			[]pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, rstAck, 0), tcpP(6*sec, cli, srv, syn, 0)},
			[]schema.Flow{
				tcpFlow(fl(1, 0, ms, protoTCP, cli, srv), 1, 1, 0, 0, syn, rstAck, "REJ"),
				tcpFlow(fl(2, 6*sec, 6*sec, protoTCP, cli, srv), 1, 0, 0, 0, syn, 0, "S0"),
			}, []int64{1, 1, 2}},
		{"port reuse: a SYN on a closed flow starts a new one", nil,
			[]pkt{
				tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, synAck, 0), tcpP(2*ms, cli, srv, ack, 0),
				tcpP(3*ms, cli, srv, finAck, 0), tcpP(4*ms, srv, cli, finAck, 0), tcpP(5*ms, cli, srv, ack, 0),
				tcpP(sec, cli, srv, syn, 0), tcpP(sec+ms, srv, cli, synAck, 0),
			},
			[]schema.Flow{
				tcpFlow(fl(1, 0, 5*ms, protoTCP, cli, srv), 4, 2, 0, 0, syn|finAck, synAck|fin, "SF"),
				tcpFlow(fl(2, sec, sec+ms, protoTCP, cli, srv), 1, 1, 0, 0, syn, synAck, "S1"),
			}, []int64{1, 1, 1, 1, 1, 1, 2, 2}},
		{"zero close delay keeps a closed flow until idle", func(c *Config) { c.CloseDelay = 0 },
			[]pkt{tcpP(0, cli, srv, syn, 0), tcpP(ms, srv, cli, rstAck, 0), tcpP(time.Minute, srv, cli, rstAck, 0)},
			[]schema.Flow{tcpFlow(fl(1, 0, time.Minute, protoTCP, cli, srv), 1, 2, 0, 0, syn, rstAck, "REJ")}, []int64{1, 1, 1}},
		{"non-IP and malformed packets have no flow", nil,
			[]pkt{udpP(0, a1, b1, 1), {at: ms, src: a1, dst: b1, proto: protoUDP, status: decode.Malformed}, {at: 2 * ms, src: a1, dst: b1, status: decode.NonIP}},
			[]schema.Flow{udpFlow(fl(1, 0, 0, protoUDP, a1, b1), 1, 0, 1, 0, "S0")}, []int64{1, 0, 0}},
	})
}

// flowCase is packets given to an Assembler with a configuration, and the
// flows and packet flow ids it must give.
type flowCase struct {
	name string
	cfg  func(c *Config) // changes to DefaultConfig, or nil
	pkts []pkt
	want []schema.Flow
	ids  []int64
}

func runFlowCases(t *testing.T, cases []flowCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			flows, ids := run(cfg, tt.pkts)
			if diff := cmp.Diff(tt.want, flows); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("packet flow ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsersAndLocality(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LocalNets = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("2001:db8::/32")}
	cfg.Users = []User{
		{Prefix: netip.MustParsePrefix("10.0.1.0/24"), ID: "alice"},
		{Prefix: netip.MustParsePrefix("10.0.1.7/32"), ID: ""}, // longer prefix wins, id is the address
		{Prefix: netip.MustParsePrefix("2001:db8:1::/48"), ID: "bob"},
	}
	pkts := []pkt{
		udpP(0, "10.0.1.5:1000", "10.0.9.9:53", 1),                   // alice to a local server
		udpP(ms, "10.0.1.5:1001", "10.0.1.7:2000", 1),                // alice to 10.0.1.7
		udpP(2*ms, "10.0.5.5:1002", "203.0.113.1:1900", 1),           // no user
		udpP(3*ms, "[2001:db8:1::5]:1003", "[2001:db8:2::1]:443", 1), // bob to a local server
		udpP(4*ms, "203.0.113.1:1004", "10.0.1.9:1005", 1),           // external to alice
	}
	flows, _ := run(cfg, pkts)
	type row struct {
		A, B           string
		ALocal, BLocal bool
		Kind           string
		UserA, UserB   string
		Service        string
	}
	var got []row
	for _, f := range flows {
		got = append(got, row{f.A, f.B, f.ALocal, f.BLocal, f.Kind, f.UserA, f.UserB, f.Service})
	}
	want := []row{
		{"10.0.1.5", "10.0.9.9", true, true, KindTypical, "alice", "", "dns/udp"},
		{"10.0.1.5", "10.0.1.7", true, true, KindP2P, "alice", "10.0.1.7", ""},
		{"10.0.5.5", "203.0.113.1", true, false, KindNoUser, "", "", "ssdp/udp"},
		{"2001:db8:1::5", "2001:db8:2::1", true, true, KindTypical, "bob", "", "quic/udp"},
		{"203.0.113.1", "10.0.1.9", false, true, KindTypical, "", "alice", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
}

func TestNotGlobal(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true}, {"127.0.0.1", true},
		{"169.254.1.1", true}, {"100.64.0.1", true}, {"100.127.255.255", true}, {"224.0.0.251", true},
		{"239.255.255.250", true}, {"255.255.255.255", true}, {"0.0.0.0", true},
		{"::1", true}, {"::", true}, {"fe80::1", true}, {"fd00::1", true}, {"ff02::fb", true}, {"::ffff:10.0.0.1", true},
		{"8.8.8.8", false}, {"100.128.0.1", false}, {"192.0.2.1", false}, {"2001:4860::8888", false}, {"::ffff:8.8.8.8", false},
	} {
		if got := notGlobal(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("notGlobal(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestService(t *testing.T) {
	for _, tt := range []struct {
		proto uint8
		port  uint16
		want  string
	}{
		{protoTCP, 443, "https/tcp"}, {protoUDP, 443, "quic/udp"}, {protoUDP, 53, "dns/udp"}, {protoTCP, 22, "ssh/tcp"},
		{protoTCP, 8333, "bitcoin/tcp"}, {protoUDP, 1900, "ssdp/udp"}, {protoTCP, 1900, ""}, {protoICMP, 0, ""}, {protoTCP, 40000, ""},
	} {
		if got := services.Lookup(tt.proto, tt.port); got != tt.want {
			t.Errorf("services.Lookup(%d, %d) = %q, want %q", tt.proto, tt.port, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	c := DefaultConfig()
	c.IdleUDP = -time.Second
	c.CloseDelay = -1
	c.LocalNets = []netip.Prefix{{}}
	c.Users = []User{
		{Prefix: netip.MustParsePrefix("10.0.0.1/24"), ID: "a"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/24"), ID: "b"},
		{ID: "c"},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	want := []string{
		"idle UDP timeout -1s is negative",
		"close delay -1ns is negative",
		"local network 1 is not a valid prefix",
		"user prefix 10.0.0.0/24 is listed twice",
		`user 3 ("c") has no valid prefix`,
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestLiveNextIDFlushOrder(t *testing.T) {
	var ids []int64
	a := New(DefaultConfig(), 100, func(f *schema.Flow) { ids = append(ids, f.FlowID) })
	for i, p := range []pkt{
		tcpP(0, cli, srv, syn, 0),
		udpP(ms, "10.0.0.1:1", "10.0.0.2:2", 1),
		pkt{at: 2 * ms, src: "10.0.0.1:8", dst: "10.0.0.2:0", proto: protoICMP},
		udpP(3*ms, "10.0.0.2:2", "10.0.0.1:1", 1),
	} {
		row, m := p.packet()
		a.Add(&row, &m)
		if want := []int64{100, 101, 102, 101}[i]; row.FlowID != want {
			t.Errorf("packet %d: flow id %d, want %d", i, row.FlowID, want)
		}
	}
	if a.Live() != 3 || a.NextID() != 103 {
		t.Errorf("Live() = %d, NextID() = %d; want 3, 103", a.Live(), a.NextID())
	}
	a.Flush()
	if diff := cmp.Diff([]int64{100, 101, 102}, ids); diff != "" {
		t.Errorf("flush order (-want +got):\n%s", diff)
	}
	if a.Live() != 0 || a.NextID() != 103 {
		t.Errorf("after flush: Live() = %d, NextID() = %d; want 0, 103", a.Live(), a.NextID())
	}
}

// TestFlushOrderSpread checks that Flush emits the live flows in id order
// both when their ids are nearly all those since the oldest (a scan) and
// when they are spread thinly (most flows of their time already ended).
func TestFlushOrderSpread(t *testing.T) {
	const flows = 1000
	tests := []struct {
		name string
		keep int // every keep-th flow stays live past the idle timeout of the others
	}{
		{"all live", 1},
		{"one in two live", 2},
		{"one in ten live", 10},
		{"one in 200 live", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			var ids []int64
			a := New(cfg, 1, func(f *schema.Flow) { ids = append(ids, f.FlowID) })
			add := func(p pkt) {
				row, m := p.packet()
				a.Add(&row, &m)
			}
			client := func(i int) string { return fmt.Sprintf("10.1.%d.%d:1000", i>>8, i&255) }
			for i := range flows {
				add(udpP(time.Duration(i)*time.Microsecond, client(i), "10.0.0.1:53", 1))
			}
			later := cfg.IdleUDP + time.Millisecond
			if tt.keep > 1 {
				for i := 0; i < flows; i += tt.keep {
					add(udpP(later-time.Microsecond, client(i), "10.0.0.1:53", 1))
				}
				add(udpP(later, "10.2.0.1:1000", "10.0.0.1:53", 1)) // ends the others
			}
			ended := len(ids)
			a.Flush()
			got := ids[ended:]
			want := flows/tt.keep + min(tt.keep-1, 1)
			if len(got) != want {
				t.Fatalf("Flush emitted %d flows, want %d", len(got), want)
			}
			if !slices.IsSorted(got) {
				t.Errorf("Flush emitted ids out of order: %v", got)
			}
		})
	}
}

// TestAddAfterFlush flushes an Assembler and gives it the same packets
// again: the flows come out as the first time, with the ids that follow.
func TestAddAfterFlush(t *testing.T) {
	pkts := []pkt{
		tcpP(0, cli, srv, syn, 0), tcpP(10*ms, srv, cli, synAck, 0), tcpP(20*ms, cli, srv, ack, 0),
		udpP(5*ms, "10.0.0.2:5353", "192.0.2.53:53", 40), tcpP(30*ms, "10.0.0.3:1000", srv, syn, 0),
	}
	var flows []schema.Flow
	a := New(DefaultConfig(), 1, func(f *schema.Flow) { flows = append(flows, *f) })
	for round := range 3 {
		for _, p := range pkts {
			row, m := p.packet()
			a.Add(&row, &m)
		}
		a.Flush()
		if a.Live() != 0 {
			t.Fatalf("round %d: %d live flows after Flush", round, a.Live())
		}
	}
	if len(flows) != 9 {
		t.Fatalf("%d flows, want 9", len(flows))
	}
	for i := 3; i < len(flows); i++ {
		want := flows[i-3]
		want.FlowID += 3
		if diff := cmp.Diff(want, flows[i]); diff != "" {
			t.Errorf("flow %d (-first round +later):\n%s", i, diff)
		}
	}
}
