package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
)

// BenchmarkAssembler adds decoded packets to an Assembler: the packets of
// real captures (three TCP flows; a GTP tunnel with many fragmented
// datagrams), replayed with time moving on so that flows end and start
// again, and a table of 65,536 live UDP flows.
func BenchmarkAssembler(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"irc-dcc-send", "irc-dcc-send.pcapng"},
		{"gtp-fragments", "tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap"},
	} {
		b.Run(c.name, func(b *testing.B) {
			pkts := readCapture(b, c.file)
			span := pkts[len(pkts)-1].p.Ts - pkts[0].p.Ts + int64(time.Hour)
			a := New(DefaultConfig(), 1, func(*schema.Flow) {})
			var p schema.Packet
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				x := &pkts[n%len(pkts)]
				p = x.p
				p.Ts += int64(n/len(pkts)) * span
				a.Add(&p, &x.m)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
		})
	}
	b.Run("65536-flows", func(b *testing.B) {
		const nflows = 1 << 16
		rows := make([]schema.Packet, nflows)
		metas := make([]decode.Meta, nflows)
		for i := range rows {
			src := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
			dst := netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 7)})
			rows[i] = schema.Packet{IPVersion: 4, Src: src.String(), Dst: dst.String(), IPLen: 100, Proto: protoUDP, Sport: uint16(1024 + i%5000), Dport: 53, PayloadLen: 72}
			metas[i] = decode.Meta{Status: decode.OK, Src: src, Dst: dst}
		}
		a := New(DefaultConfig(), 1, func(*schema.Flow) {})
		var p schema.Packet
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			i := n % nflows
			p = rows[i]
			p.Ts = int64(n) * int64(time.Microsecond)
			a.Add(&p, &metas[i])
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
	})
}

// BenchmarkScan adds SYNs from ever new sources, each a flow of its own,
// to an Assembler whose memory budget holds 65,536 flows: past those, every
// packet ends the flow idle the longest to make room.
func BenchmarkScan(b *testing.B) {
	const n = 1 << 17 // twice the flows the budget holds
	rows := make([]schema.Packet, n)
	metas := make([]decode.Meta, n)
	dst := netip.MustParseAddr("198.51.100.7")
	for i := range rows {
		src := netip.AddrFrom4([4]byte{byte(11 + i>>16), byte(i >> 8), byte(i), 1})
		rows[i] = schema.Packet{IPVersion: 4, Src: src.String(), Dst: dst.String(), IPLen: 40, Proto: protoTCP, Sport: uint16(1024 + i%5000), Dport: 23, TCPFlags: flagSYN}
		metas[i] = decode.Meta{Status: decode.OK, Src: src, Dst: dst}
	}
	cfg := DefaultConfig()
	cfg.Memory = 1 << 16 * EntryBytes
	a := New(cfg, 1, func(*schema.Flow) {})
	var p schema.Packet
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		i := k % n
		p = rows[i]
		p.Ts = int64(k) * int64(time.Microsecond)
		a.Add(&p, &metas[i])
		k++
	}
	b.ReportMetric(float64(k)/b.Elapsed().Seconds(), "packets/s")
}

// TestAddNoAllocs checks that packets of existing flows, and new flows and
// fragmented datagrams once the tables have held as many, cost no
// allocation.
func TestAddNoAllocs(t *testing.T) {
	for _, name := range []string{"irc-dcc-send.pcapng", "tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap"} {
		pkts := readCapture(t, name)
		span := pkts[len(pkts)-1].p.Ts - pkts[0].p.Ts + int64(time.Hour)
		a := New(DefaultConfig(), 1, func(*schema.Flow) {})
		round := int64(0)
		replay := func() {
			for i := range pkts {
				p := pkts[i].p
				p.Ts += round * span
				a.Add(&p, &pkts[i].m)
			}
			round++
		}
		replay()
		if allocs := testing.AllocsPerRun(5, replay); allocs != 0 {
			t.Errorf("%s: %v allocations per replay of %d packets, want 0", name, allocs, len(pkts))
		}
	}
}
