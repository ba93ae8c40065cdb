package ingest

import (
	"net/netip"
	"unsafe"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/internal/hugepages"
	"github.com/netlens/netlens/internal/ipv4"
	"github.com/netlens/netlens/internal/prefetch"
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
	read     inputRead
	texts    decode.AddrTexts // of the IPv4 addresses the decoder left without
}

// inputRead tells how much of the input the rows given so far stand for,
// for a table that grows to size itself for the rest (see lastSeen.growTo).
type inputRead struct {
	total int64 // bytes of the input; 0 when unknown
	rows  int64 // bytes of the rows given so far, record headers counted
}

// recordHeader is what a capture spends on a frame besides its bytes: a
// pcap record header (pcapng's blocks spend more, which only makes the
// share read seem larger).
const recordHeader = 16

// newGapTracker returns a gapTracker for an input of total bytes, 0 when
// unknown.
func newGapTracker(total int64) *gapTracker {
	g := &gapTracker{src: newLastSeen(), dst: newLastSeen()}
	g.read.total = total
	g.src.read, g.dst.read = &g.read, &g.read
	return g
}

// gapAhead is how many rows ahead of the one it measures fill loads the
// slots of the addresses, so that the cache misses of that many rows
// overlap rather than follow each other.
const gapAhead = 16

// fill sets SrcGap and DstGap of every row of batch, and the texts of
// IPv4 addresses the decoder left empty (see decode.Decoder.NoV4Texts).
// keys holds, for each row, the v4Last keys of its source and destination
// (see v4Key): the address with v4Used set for an IPv4 packet, 0
// otherwise, whose gaps are then found by their texts. The values stay
// valid until the next call.
//
// On a scan nearly every address is new, and the slot of each is a cache
// miss in a table of millions. While fill measures a row, it prefetches
// the slots of the row gapAhead further, and those of their texts: the
// misses of those rows overlap rather than follow each other. (Plain
// loads of the slots overlapped only the misses of the next row or two:
// the processor retires a load once its data has come, and a row's work
// fills its reorder buffer.)
func (g *gapTracker) fill(batch []schema.Packet, keys []uint64) {
	n := 2 * len(batch)
	if cap(g.store) < n {
		g.store = make([]int64, n)
	}
	g.store = g.store[:n]
	keys = keys[:n]
	for i := range batch {
		if j := 2 * (i + gapAhead); j < n {
			g.src.v4.prefetch(keys[j])
			g.dst.v4.prefetch(keys[j+1])
			if k := keys[j]; k != 0 && batch[i+gapAhead].Src == "" {
				g.texts.Prefetch4(uint32(k))
				g.texts.Prefetch4(uint32(keys[j+1]))
			}
		}
		p := &batch[i]
		p.SrcGap, p.DstGap = nil, nil
		g.read.rows += int64(p.CapLen) + recordHeader
		if p.IPVersion == 0 {
			continue
		}
		if p.Src == "" && keys[2*i] != 0 {
			p.Src, p.Dst = g.texts.Text4(uint32(keys[2*i])), g.texts.Text4(uint32(keys[2*i+1]))
		}
		p.SrcGap = g.src.gapKey(keys[2*i], p.Src, p.Ts, &g.store[2*i])
		p.DstGap = g.dst.gapKey(keys[2*i+1], p.Dst, p.Ts, &g.store[2*i+1])
	}
}

// v4Key is the v4Last key of a, an IPv4 address decoded from a packet
// (the same number as its text read back, see ipv4.Parse); 0 for other
// addresses.
func v4Key(a netip.Addr) uint64 {
	if !a.Is4() {
		return 0
	}
	return uint64(ipv4.Number(a)) | v4Used
}

// lastSeen is the time of the last packet of each address. An IPv4
// address, nearly every one, is found by its number in v4, an
// open-addressing table: a scan's millions of sources cost a probe each
// and no map growth. Other texts (IPv6) are found through a map of their
// slot in last, and a small table indexed by where the text lies in
// memory (the decoder hands out one text per address) finds the slot of
// a recent one without hashing it.
type lastSeen struct {
	v4     v4Last
	slot   map[string]int
	last   []int64
	recent [recentAddrs]recentAddr
	read   *inputRead // nil: the v4 table only doubles
}

func newLastSeen() *lastSeen {
	return &lastSeen{v4: newV4Last(1024), slot: map[string]int{}}
}

// recentAddrs is the size of lastSeen.recent, a power of two.
const recentAddrs = 1 << 10

// recentAddr remembers the slot of an address; slot1 is the slot plus 1, 0
// in an unused entry.
type recentAddr struct {
	addr  string
	slot1 int
}

// gapKey records ts as the last time of addr, whose v4Last key (see fill)
// is k, and returns a pointer to the time since the previous one, stored
// in out, or nil when there is none.
func (l *lastSeen) gapKey(k uint64, addr string, ts int64, out *int64) *int64 {
	if k != 0 {
		return l.gap4(uint32(k), ts, out)
	}
	return l.gapText(addr, ts, out)
}

// gapText is gapKey for a text that is not an IPv4 address.
func (l *lastSeen) gapText(addr string, ts int64, out *int64) *int64 {
	// The place of addr's bytes only picks the entry; equal texts match
	// wherever they lie.
	r := &l.recent[uintptr(unsafe.Pointer(unsafe.StringData(addr)))>>4&(recentAddrs-1)]
	if r.slot1 == 0 || r.addr != addr {
		i, ok := l.slot[addr]
		if !ok {
			l.makeRoom()
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

// gap4 is gapKey for the IPv4 address a.
func (l *lastSeen) gap4(a uint32, ts int64, out *int64) *int64 {
	t := &l.v4
	k := uint64(a) | v4Used
	i := t.home(a)
	for {
		s := &t.slots[i]
		if s.key == k {
			*out = ts - s.last
			s.last = ts
			return out
		}
		if s.key == 0 {
			break
		}
		i = (i + 1) & t.mask
	}
	if l.makeRoom() || 2*(t.used+1) > len(t.slots) {
		t.grow(l.growTo())
		return l.gap4(a, ts, out)
	}
	t.slots[i] = v4LastSlot{key: k, last: ts}
	t.used++
	return nil
}

// makeRoom forgets every address when maxGapAddrs are known, and reports
// whether it did.
func (l *lastSeen) makeRoom() bool {
	if l.v4.used+len(l.last) < maxGapAddrs {
		return false
	}
	clear(l.v4.slots)
	l.v4.used = 0
	clear(l.slot)
	l.last = l.last[:0]
	l.recent = [recentAddrs]recentAddr{}
	return true
}

// extrapolateFrom is the size of the v4 table from which it grows to the
// size the addresses known so far call for by the end of the input, at
// most maxGrowth times its size at once.
const (
	extrapolateFrom = 1 << 16
	maxGrowth       = 16
)

// growTo returns the size the v4 table grows to when full: twice its size,
// or, once it has extrapolateFrom slots and the size of the input is known,
// room for the addresses there will be at its end if they keep coming as
// they came so far (at most maxGapAddrs, and maxGrowth times its size:
// addresses that stop coming, as a scan's few destinations, do not get a
// table sized for the whole input). On a scan, whose every packet has a
// new source, the table then grows twice rather than a dozen times, each
// time placing every address again; an input whose addresses come back
// grows as before.
func (l *lastSeen) growTo() int {
	n := 2 * len(l.v4.slots)
	r := l.read
	if r == nil || r.total <= 0 || r.rows <= 0 || n < extrapolateFrom {
		return n
	}
	want := float64(l.v4.used) * float64(r.total) / float64(r.rows)
	for float64(n) < 2*min(want, maxGapAddrs) && n < maxGrowth*len(l.v4.slots) {
		n *= 2
	}
	return n
}

// v4Used marks a used slot of a v4Last: the key is the address with this
// bit set, so that 0.0.0.0 is a key too and 0 a free slot.
const v4Used = 1 << 32

// v4Last is an open-addressing table (linear probing, at most half full)
// from IPv4 addresses to the time of their last packet.
type v4Last struct {
	slots []v4LastSlot
	mask  uint32
	shift uint32 // 32 - log2(len(slots))
	used  int
}

type v4LastSlot struct {
	key  uint64 // v4Used | address; 0 in a free slot
	last int64
}

// prefetch asks for the home slot of the key k to be brought into the
// cache, unless k is 0.
func (t *v4Last) prefetch(k uint64) {
	if k == 0 {
		return
	}
	prefetch.Load(uintptr(unsafe.Pointer(&t.slots[t.home(uint32(k))])))
}

// home is the first slot probed for the IPv4 address a, by Fibonacci
// hashing: the high bits of the product.
func (t *v4Last) home(a uint32) uint32 { return a * 0x9e3779b1 >> t.shift }

func newV4Last(size int) v4Last {
	bits := uint32(0)
	for 1<<bits < size {
		bits++
	}
	return v4Last{slots: hugepages.Make[v4LastSlot](1 << bits), mask: 1<<bits - 1, shift: 32 - bits}
}

// grow makes the table size slots, at least twice as many as it has,
// unless it is less than half full (it was just emptied).
func (t *v4Last) grow(size int) {
	if 2*(t.used+1) <= len(t.slots) {
		return
	}
	old := t.slots
	*t = newV4Last(max(size, 2*len(old)))
	for _, s := range old {
		if s.key == 0 {
			continue
		}
		i := t.home(uint32(s.key))
		for t.slots[i].key != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
		t.used++
	}
}
