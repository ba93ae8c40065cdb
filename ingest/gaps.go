package ingest

import (
	"unsafe"

	"github.com/netlens/netlens/schema"
)

// maxGapAddrs bounds the addresses a gapTracker remembers per side; past it,
// it starts over, and the next packet of each address has no gap.
const maxGapAddrs = 1 << 21

// gapTracker measures, for packets given in time order, the time since the
// previous IP packet from the same source (inter-departure) and to the same
// destination (inter-arrival): packets.src_gap_ns and dst_gap_ns. Doing it
// here, in the one pass ingest makes in time order anyway, spares every
// later query a sort of the whole table.
type gapTracker struct {
	src, dst *lastSeen
	store    []int64 // the values the rows of the current batch point to
}

func newGapTracker() *gapTracker {
	return &gapTracker{src: &lastSeen{slot: map[string]int{}}, dst: &lastSeen{slot: map[string]int{}}}
}

// fill sets SrcGap and DstGap of every row of batch. The values stay valid
// until the next call.
func (g *gapTracker) fill(batch []schema.Packet) {
	if cap(g.store) < 2*len(batch) {
		g.store = make([]int64, 2*len(batch))
	}
	g.store = g.store[:2*len(batch)]
	for i := range batch {
		p := &batch[i]
		p.SrcGap, p.DstGap = nil, nil
		if p.IPVersion == 0 {
			continue
		}
		p.SrcGap = g.src.gap(p.Src, p.Ts, &g.store[2*i])
		p.DstGap = g.dst.gap(p.Dst, p.Ts, &g.store[2*i+1])
	}
}

// lastSeen is the time of the last packet of each address: a map lookup
// finds the address' slot in last. The decoder hands out one text per
// address, so a small table indexed by where that text lies in memory finds
// the slot of a recent address without hashing it.
type lastSeen struct {
	slot   map[string]int
	last   []int64
	recent [recentAddrs]recentAddr
}

// recentAddrs is the size of lastSeen.recent, a power of two.
const recentAddrs = 1 << 10

// recentAddr remembers the slot of an address; slot1 is the slot plus 1, 0
// in an unused entry.
type recentAddr struct {
	addr  string
	slot1 int
}

// gap records ts as the last time of addr and returns a pointer to the time
// since the previous one, stored in out, or nil when there is none.
func (l *lastSeen) gap(addr string, ts int64, out *int64) *int64 {
	// The place of addr's bytes only picks the entry; equal texts match
	// wherever they lie.
	r := &l.recent[uintptr(unsafe.Pointer(unsafe.StringData(addr)))>>4&(recentAddrs-1)]
	if r.slot1 == 0 || r.addr != addr {
		i, ok := l.slot[addr]
		if !ok {
			if len(l.last) >= maxGapAddrs {
				clear(l.slot)
				l.last = l.last[:0]
				l.recent = [recentAddrs]recentAddr{}
			}
			i = len(l.last)
			l.slot[addr] = i
			l.last = append(l.last, ts)
			*r = recentAddr{addr: addr, slot1: i + 1}
			return nil
		}
		*r = recentAddr{addr: addr, slot1: i + 1}
	}
	i := r.slot1 - 1
	*out = ts - l.last[i]
	l.last[i] = ts
	return out
}
