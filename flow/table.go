package flow

import (
	"encoding/binary"

	"github.com/netlens/netlens/internal/hugepages"
)

// flowTable finds the entry of a live flow by its key. It is an
// open-addressing table (linear probing, at most half full) of refs, each
// beside the hash of its key, while the keys stay in the entries: a slot
// is 8 bytes and holds no pointer, and a scan's millions of new flows cost
// a probe each rather than a map's hashing of 40 bytes and its growth.
type flowTable struct {
	slots []flowSlot
	mask  uint32
	shift uint32 // 32 - log2(len(slots))
	used  int
	most  int // slots the live flows of the memory budget need; 0: no bound
}

// quadrupleFrom is the size from which a flowTable grows fourfold rather
// than twofold, up to its most: a scan's million live flows, all new, are
// placed again three times on the way instead of six, each time a cache
// miss per flow on the goroutine that decodes.
const quadrupleFrom = 1 << 16

// flowSlot is one slot of a flowTable; r 0 is a free slot.
type flowSlot struct {
	hash uint32
	r    ref
}

func newFlowTable(size int) flowTable {
	bits := uint32(0)
	for 1<<bits < size {
		bits++
	}
	return flowTable{slots: hugepages.Make[flowSlot](1 << bits), mask: 1<<bits - 1, shift: 32 - bits}
}

// hash returns the hash of k; its high bits pick a slot.
func (k *key) hash() uint32 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(k.loPort)<<32 | uint64(k.hiPort)<<16 | uint64(k.proto)
	if k.v6 {
		h |= 1 << 48
	}
	h = (h ^ binary.LittleEndian.Uint64(k.lo[:8])) * m
	h = (h ^ binary.LittleEndian.Uint64(k.lo[8:])) * m
	h = (h ^ binary.LittleEndian.Uint64(k.hi[:8])) * m
	h = (h ^ binary.LittleEndian.Uint64(k.hi[8:])) * m
	h ^= h >> 29
	h *= m
	return uint32(h >> 32)
}

// get returns the entry of k, or 0.
func (a *Assembler) get(k *key) ref {
	t := &a.flows
	h := k.hash()
	for i := h >> t.shift; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s.r == 0 {
			return 0
		}
		if s.hash == h && a.at(s.r).key == *k {
			return s.r
		}
	}
}

// put adds the entry r of key k, which the table does not hold.
func (t *flowTable) put(k *key, r ref) {
	if 2*(t.used+1) > len(t.slots) {
		old, most := t.slots, t.most
		size := 2 * len(old)
		if len(old) >= quadrupleFrom {
			size = 4 * len(old)
			if most > 0 {
				size = max(min(size, most), 2*len(old))
			}
		}
		*t = newFlowTable(size)
		t.most = most
		for _, s := range old {
			if s.r != 0 {
				t.place(s)
			}
		}
	}
	t.place(flowSlot{hash: k.hash(), r: r})
}

// place puts s in the first free slot from its home.
func (t *flowTable) place(s flowSlot) {
	i := s.hash >> t.shift
	for t.slots[i].r != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = s
	t.used++
}

// delete removes the entry r of key k, moving back the slots after it
// that their search would otherwise no longer reach.
func (t *flowTable) delete(k *key, r ref) {
	i := k.hash() >> t.shift
	for t.slots[i].r != r {
		if t.slots[i].r == 0 {
			return
		}
		i = (i + 1) & t.mask
	}
	for j := (i + 1) & t.mask; t.slots[j].r != 0; j = (j + 1) & t.mask {
		// The slot at j may fill the hole at i when its home does not lie
		// cyclically in (i, j].
		if h := t.slots[j].hash >> t.shift; (j-h)&t.mask >= (j-i)&t.mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = flowSlot{}
	t.used--
}

// clear empties the table, keeping its size.
func (t *flowTable) clear() {
	clear(t.slots)
	t.used = 0
}
