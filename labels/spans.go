package labels

import (
	"cmp"
	"encoding/hex"
	"math"
	"net/netip"
	"slices"

	"github.com/netlens/netlens/schema"
)

const (
	// day is the narrowest time bucket of a block, in nanoseconds.
	day = int64(86400e9)
	// maxBuckets bounds the time buckets of a block: the bucket width
	// doubles until the block's time line fits.
	maxBuckets = 1024
	// Unbounded ends of a span.
	never = math.MinInt64
	ever  = math.MaxInt64
)

// block is an address block in the 128-bit form (IPv4 as ::ffff:a.b.c.d).
type block struct {
	addr [16]byte
	bits int
}

// blockOf returns the 128-bit block of a prefix.
func blockOf(p netip.Prefix) block {
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	return block{p.Addr().As16(), bits}
}

// contains reports whether q lies inside b.
func (b block) contains(q block) bool {
	return q.bits >= b.bits && mask(q.addr, b.bits) == b.addr
}

// mask keeps the first bits bits of a.
func mask(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			a[i] = 0
		default:
			a[i] &= byte(0xff << (8*(i+1) - bits))
		}
	}
	return a
}

// halves splits b in two blocks one bit longer.
func (b block) halves() (block, block) {
	lo, hi := block{b.addr, b.bits + 1}, block{b.addr, b.bits + 1}
	hi.addr[b.bits/8] |= 0x80 >> (b.bits % 8)
	return lo, hi
}

func compareBlocks(x, y block) int {
	if c := slices.Compare(x.addr[:], y.addr[:]); c != 0 {
		return c
	}
	return cmp.Compare(x.bits, y.bits)
}

// subtract returns the blocks that cover b without the blocks inside, all
// of which lie strictly inside b.
func subtract(b block, inside []block) []block {
	if len(inside) == 0 {
		return []block{b}
	}
	if slices.Contains(inside, b) {
		return nil
	}
	lo, hi := b.halves()
	var inLo, inHi []block
	for _, q := range inside {
		if lo.contains(q) {
			inLo = append(inLo, q)
		} else {
			inHi = append(inHi, q)
		}
	}
	return append(subtract(lo, inLo), subtract(hi, inHi)...)
}

// window is one label of a prefix, in load order.
type window struct {
	from, to int64
	label    string
}

// span is a stretch of time with one label ("" for none).
type span struct {
	from, to int64
	label    string
}

// timeline returns the labels of an address at all times, given the
// windows of the prefixes that contain it, the most specific first: at
// each time, the label of the most specific prefix with a window then,
// of its windows the last loaded one. Adjacent spans have different
// labels; together they cover all time.
func timeline(chain [][]window) []span {
	var bounds []int64
	for _, ws := range chain {
		for _, w := range ws {
			if w.from != never {
				bounds = append(bounds, w.from)
			}
			if w.to != ever {
				bounds = append(bounds, w.to)
			}
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	at := func(t int64) string {
		for _, ws := range chain {
			for i := len(ws) - 1; i >= 0; i-- {
				if ws[i].from <= t && t < ws[i].to {
					return ws[i].label
				}
			}
		}
		return ""
	}
	starts := append([]int64{never}, bounds...)
	var out []span
	for i, s := range starts {
		end := int64(ever)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		l := at(s)
		if n := len(out); n > 0 && out[n-1].label == l {
			out[n-1].to = end
			continue
		}
		out = append(out, span{s, end, l})
	}
	return out
}

// Spans resolves labels of one kind, in load order, into the rows of the
// label_spans table, stamped with loaded: disjoint address blocks, each
// with the spans of its time line in time buckets (see schema.LabelSpan).
// Labels of domains are left out: they are matched by name (see Domains).
func Spans(labels []schema.Label, loaded int64) []schema.LabelSpan {
	byBlock := map[block][]window{}
	var kind string
	for _, l := range labels {
		p, ok := parseAddress(l.Address)
		if !ok {
			continue
		}
		kind = l.Kind
		w := window{from: never, to: ever, label: l.Label}
		if l.ValidFrom != nil {
			w.from = *l.ValidFrom
		}
		if l.ValidTo != nil {
			w.to = *l.ValidTo
		}
		b := blockOf(p)
		byBlock[b] = append(byBlock[b], w)
	}
	blocks := make([]block, 0, len(byBlock))
	for b := range byBlock {
		blocks = append(blocks, b)
	}
	// In address order, a block's ancestors come before it, its
	// descendants right after it.
	slices.SortFunc(blocks, compareBlocks)
	parent := make([]int, len(blocks))
	inside := make([][]block, len(blocks)) // the blocks right inside each
	var stack []int
	for i, b := range blocks {
		for len(stack) > 0 && !blocks[stack[len(stack)-1]].contains(b) {
			stack = stack[:len(stack)-1]
		}
		parent[i] = -1
		if n := len(stack); n > 0 {
			parent[i] = stack[n-1]
			inside[stack[n-1]] = append(inside[stack[n-1]], b)
		}
		stack = append(stack, i)
	}
	var out []schema.LabelSpan
	for i, b := range blocks {
		var chain [][]window
		for j := i; j >= 0; j = parent[j] {
			chain = append(chain, byBlock[blocks[j]])
		}
		line := timeline(chain)
		width, first, last := buckets(line)
		for _, atom := range subtract(b, inside[i]) {
			for _, key := range keys(atom) {
				for _, s := range line {
					lo, hi := first, last
					if s.from != never {
						lo = min(max(floorTo(s.from, width), first), last)
					}
					if s.to != ever {
						hi = min(max(floorTo(s.to-1, width), first), last)
					}
					for bk := lo; bk <= hi; bk += width {
						out = append(out, schema.LabelSpan{
							Loaded: loaded, Kind: kind, Block: key, BlockLen: uint8(len(key)),
							BucketWidth: width, BucketFirst: first, BucketLast: last, Bucket: bk,
							SpanFrom: s.from, SpanTo: s.to, Label: s.label,
						})
						if bk > math.MaxInt64-width {
							break
						}
					}
				}
			}
		}
	}
	return out
}

// buckets returns the bucket width and the first and last bucket of a time
// line: one bucket when it never changes, else days (or wider, so that
// there are at most maxBuckets) from its first change to its last.
func buckets(line []span) (width, first, last int64) {
	if len(line) < 2 {
		return day, 0, 0
	}
	b0, bn := line[1].from, line[len(line)-1].from
	width = day
	for (floorTo(bn, width)-floorTo(b0, width))/width >= maxBuckets {
		width *= 2
	}
	return width, floorTo(b0, width), floorTo(bn, width)
}

// floorTo rounds t down to a multiple of w.
func floorTo(t, w int64) int64 {
	r := t % w
	if r < 0 {
		r += w
	}
	return t - r
}

// keys returns the hex keys of a block: a block whose length is no
// multiple of 4 bits becomes the 2, 4 or 8 blocks of the next multiple.
func keys(b block) []string {
	n := (b.bits + 3) / 4 * 4
	extra := n - b.bits
	out := make([]string, 0, 1<<extra)
	for i := range 1 << extra {
		a := b.addr
		for j := range extra { // bit j of i is address bit n-1-j
			if i&(1<<j) != 0 {
				bit := n - 1 - j
				a[bit/8] |= 0x80 >> (bit % 8)
			}
		}
		out = append(out, hex.EncodeToString(a[:])[:n/4])
	}
	return out
}
