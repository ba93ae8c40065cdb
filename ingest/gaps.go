package ingest

import "github.com/netlens/netlens/schema"

// maxGapAddrs bounds the addresses a gapTracker remembers per side; past it,
// it starts over, and the next packet of each address has no gap.
const maxGapAddrs = 1 << 21

// gapTracker measures, for packets given in time order, the time since the
// previous IP packet from the same source (inter-departure) and to the same
// destination (inter-arrival): packets.src_gap_ns and dst_gap_ns. Doing it
// here, in the one pass ingest makes in time order anyway, spares every
// later query a sort of the whole table.
type gapTracker struct {
	lastSrc, lastDst map[string]int64
	store            []int64 // the values the rows of the current batch point to
}

func newGapTracker() *gapTracker {
	return &gapTracker{lastSrc: map[string]int64{}, lastDst: map[string]int64{}}
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
		p.SrcGap = gap(g.lastSrc, p.Src, p.Ts, &g.store[2*i])
		p.DstGap = gap(g.lastDst, p.Dst, p.Ts, &g.store[2*i+1])
	}
}

// gap records ts as the last time of addr and returns a pointer to the time
// since the previous one, stored in slot, or nil when there is none.
func gap(last map[string]int64, addr string, ts int64, slot *int64) *int64 {
	prev, ok := last[addr]
	if !ok && len(last) >= maxGapAddrs {
		clear(last)
	}
	last[addr] = ts
	if !ok {
		return nil
	}
	*slot = ts - prev
	return slot
}
