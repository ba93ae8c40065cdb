//go:build unix

package dataset

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/netlens/netlens/schema"
)

// packetGen makes realistic packets rows: a few hosts talking to many, a
// handful of services, increasing time stamps.
type packetGen struct {
	rng   *rand.Rand
	ts    int64
	hosts []string
	apps  []string
	frame uint32
}

func newPacketGen(seed uint64, start int64) *packetGen {
	g := &packetGen{rng: rand.New(rand.NewPCG(seed, 1)), ts: start, apps: []string{"", "dns", "tls", "http", "quic", "ntp"}}
	for i := range 256 {
		g.hosts = append(g.hosts, fmt.Sprintf("192.0.2.%d", i))
	}
	for i := range 64 {
		g.hosts = append(g.hosts, fmt.Sprintf("2001:db8::%x", i+1))
	}
	return g
}

func (g *packetGen) fill(rows []schema.Packet, capture string) {
	for i := range rows {
		g.ts += int64(g.rng.ExpFloat64() * 20e3)
		g.frame++
		// Zipf-like: a few hosts take most packets.
		src := g.hosts[int(g.rng.ExpFloat64()*8)%len(g.hosts)]
		dst := g.hosts[g.rng.IntN(len(g.hosts))]
		proto, sport, dport := uint8(6), uint16(443), uint16(32768+g.rng.IntN(512))
		if g.rng.IntN(4) == 0 {
			proto, sport, dport = 17, uint16(32768+g.rng.IntN(512)), 53
		}
		plen := uint32(0)
		if g.rng.IntN(2) == 0 {
			plen = uint32(g.rng.IntN(1400))
		}
		rows[i] = schema.Packet{
			Ts: g.ts, Capture: capture, Frame: g.frame, LinkType: 1,
			WireLen: 54 + plen, CapLen: 54 + plen, EthType: 0x0800, IPVersion: 4,
			Src: src, Dst: dst, IPLen: 40 + plen, IPID: uint32(g.rng.IntN(65536)), IPFlags: 2,
			TTL: 64, Proto: proto, IPChksum: uint16(g.rng.IntN(65536)), Sport: sport, Dport: dport,
			TCPSeq: g.rng.Uint32(), TCPAck: g.rng.Uint32(), TCPFlags: 0x18, TCPWindow: 502,
			PayloadLen: plen, App: g.apps[g.rng.IntN(len(g.apps))], FlowID: int64(g.rng.IntN(5000) + 1),
		}
		if proto == 17 {
			rows[i].TCPSeq, rows[i].TCPAck, rows[i].TCPFlags, rows[i].TCPWindow = 0, 0, 0, 0
			rows[i].UDPLen = uint16(8 + plen)
		}
	}
}

// BenchmarkWritePackets measures the Parquet writing of packets rows on one
// goroutine, in batches of 16 Ki rows, committed at the end: all rows in one
// day, or each batch in turn in one of 8 days (8 files open at once). It
// reports rows per second of wall time and of process CPU time, the file
// bytes per row and the peak resident memory of the process. Run one
// sub-benchmark per process to read its peak memory, e.g.
//
//	go test ./dataset -run - -bench 'WritePackets/days=8' -benchtime 610x
//
// writes 10 M rows.
func BenchmarkWritePackets(b *testing.B) {
	for _, days := range []int{1, 8} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) { benchWritePackets(b, days) })
	}
}

func benchWritePackets(b *testing.B, days int) {
	const batch = 16 << 10
	rows := make([]schema.Packet, batch)
	g := newPacketGen(1, 1_700_000_000e9)
	b.ReportAllocs()
	d, err := OpenWrite(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	tx, err := d.Begin("bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewTableWriter(tx, schema.Packets, func(p *schema.Packet) int64 { return p.Ts })
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		g.fill(rows, "0123456789abcdef")
		for k := range rows {
			rows[k].Ts += int64(i%days) * nsPerDay
		}
		b.StartTimer()
		c := cpuTime()
		if err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c
		n += batch
	}
	c := cpuTime()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	cpu += cpuTime() - c
	b.StopTimer()
	var size int64
	for _, f := range d.Files("packets") {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(size)/float64(n), "bytes/row")
	b.ReportMetric(0, "ns/op")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
	}
}

// cpuTime returns the CPU time used by the process, all threads included,
// so that throughput can be measured on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
