package flow

import (
	"container/heap"
	"net/netip"
	"time"

	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// MaxPending bounds the records a Pairer holds while they wait for their
// reverse (about 100 MB of them); beyond it, the one that ended first
// leaves unpaired.
const MaxPending = 1 << 18

// Pairer merges each unidirectional flow record (NetFlow, IPFIX: one
// record per direction) with its reverse, the record of the same protocol
// from b's address and port to a's, when their times overlap or lie
// within the window of each other. The record that started first gives
// the initiator a (of two that started at once, the one sent to a
// well-known port rather than from one; else the one added first); the
// merged flow spans both. A record whose reverse does not come within the
// window goes on as it is, unidirectional.
//
// Records are expected roughly in time order (as nfdump prints them):
// a record waits for its reverse until a record starting more than the
// window after its end is added, or until Flush. Output is deterministic.
type Pairer struct {
	window  int64
	emit    func(f *schema.Flow, a, b netip.Addr, g Given)
	pending map[pairKey]*pendingRec
	byEnd   endHeap
	clock   int64 // latest start added
	seq     uint64
}

type pairKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
	proto            uint8
}

type pendingRec struct {
	f     schema.Flow
	a, b  netip.Addr
	g     Given
	key   pairKey
	seq   uint64 // order of arrival, to break ties
	index int    // in byEnd, -1 once gone
}

// NewPairer returns a Pairer with the given window that hands every flow,
// merged or not, to emit, with what its records gave (of a merged flow:
// what both gave); the flow is valid only during the call.
func NewPairer(window time.Duration, emit func(f *schema.Flow, a, b netip.Addr, g Given)) *Pairer {
	return &Pairer{window: int64(window), emit: emit, pending: map[pairKey]*pendingRec{}}
}

// Add adds a unidirectional record, which gave g: f's counts from b to a
// are taken as unknown and replaced by its reverse's, if one comes. a and
// b are f.A and f.B parsed; records without both are passed on as they
// are.
func (p *Pairer) Add(f *schema.Flow, a, b netip.Addr, g Given) {
	if !a.IsValid() || !b.IsValid() {
		p.emit(f, a, b, g)
		return
	}
	if f.Start > p.clock {
		p.clock = f.Start
		p.expire()
	}
	k := pairKey{src: a, dst: b, srcPort: f.APort, dstPort: f.BPort, proto: f.Proto}
	rk := pairKey{src: b, dst: a, srcPort: f.BPort, dstPort: f.APort, proto: f.Proto}
	if r, ok := p.pending[rk]; ok && r.f.Start <= f.End+p.window && f.Start <= r.f.End+p.window {
		p.remove(r)
		first, second := &r.f, f
		fa, fb := r.a, r.b
		if f.Start < r.f.Start || f.Start == r.f.Start && likelyServer(r.f.Proto, r.f.APort) && !likelyServer(f.Proto, f.APort) {
			first, second = f, &r.f
			fa, fb = a, b
		}
		m := *first
		m.PktsBToA, m.BytesBToA, m.PayloadBToA, m.TCPFlagsB = second.PktsAToB, second.BytesAToB, second.PayloadAToB, second.TCPFlagsA
		m.Start, m.End = min(first.Start, second.Start), max(first.End, second.End)
		m.Duration = float64(m.End-m.Start) / float64(time.Second)
		p.emit(&m, fa, fb, Given{
			State: r.g.State && g.State, ALocal: r.g.ALocal && g.ALocal, BLocal: r.g.BLocal && g.BLocal,
			Service: r.g.Service && g.Service, Users: r.g.Users && g.Users, TCPFlags: r.g.TCPFlags && g.TCPFlags,
		})
		return
	}
	if old, ok := p.pending[k]; ok { // the same direction again: the earlier one is done
		p.remove(old)
		p.emit(&old.f, old.a, old.b, old.g)
	}
	r := &pendingRec{f: *f, a: a, b: b, g: g, key: k, seq: p.seq}
	p.seq++
	p.pending[k] = r
	heap.Push(&p.byEnd, r)
	if len(p.pending) > MaxPending {
		old := heap.Pop(&p.byEnd).(*pendingRec)
		delete(p.pending, old.key)
		p.emit(&old.f, old.a, old.b, old.g)
	}
}

// expire passes on, unpaired, the records that ended more than the window
// before the clock.
func (p *Pairer) expire() {
	for len(p.byEnd) > 0 && p.byEnd[0].f.End+p.window < p.clock {
		old := heap.Pop(&p.byEnd).(*pendingRec)
		delete(p.pending, old.key)
		p.emit(&old.f, old.a, old.b, old.g)
	}
}

func (p *Pairer) remove(r *pendingRec) {
	heap.Remove(&p.byEnd, r.index)
	delete(p.pending, r.key)
}

// Flush passes on every record still waiting, in the order they ended.
func (p *Pairer) Flush() {
	for len(p.byEnd) > 0 {
		old := heap.Pop(&p.byEnd).(*pendingRec)
		delete(p.pending, old.key)
		p.emit(&old.f, old.a, old.b, old.g)
	}
}

// endHeap orders waiting records by end, then arrival.
type endHeap []*pendingRec

func (h endHeap) Len() int { return len(h) }
func (h endHeap) Less(i, j int) bool {
	if h[i].f.End != h[j].f.End {
		return h[i].f.End < h[j].f.End
	}
	return h[i].seq < h[j].seq
}
func (h endHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *endHeap) Push(x any) {
	r := x.(*pendingRec)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *endHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	r.index = -1
	return r
}

// likelyServer reports whether port of protocol proto is a server's: a
// well-known service's, or below 1024.
func likelyServer(proto uint8, port uint16) bool {
	return port < 1024 || (proto == protoTCP || proto == protoUDP) && services.Lookup(proto, port) != ""
}
