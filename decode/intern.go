package decode

import (
	"net/netip"
	"unsafe"
)

// addrNames caches the text of addresses so that a packet of known hosts
// costs no allocation. It is bounded: when it holds limit addresses it
// starts over, and texts handed out before stay valid.
//
// IPv4 addresses, nearly every lookup, sit in an open-addressing table
// keyed by the address as a number, which costs a multiplication and one
// probe where a map of netip.Addr hashes 24 bytes; the others sit in a map.
type addrNames struct {
	v4    v4Names
	v6    map[netip.Addr]string
	limit int
}

func newAddrNames(limit int) addrNames {
	return addrNames{v4: newV4Names(1024), v6: make(map[netip.Addr]string, 64), limit: limit}
}

// name returns the text of a, from the cache when possible.
func (n *addrNames) name(a netip.Addr) string {
	if a.Is4() {
		b := a.As4()
		return n.name4(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	}
	if s, ok := n.v6[a]; ok {
		return s
	}
	n.makeRoom()
	s := a.String()
	n.v6[a] = s
	return s
}

// name4 returns the text of the IPv4 address a (big-endian: 10.0.0.1 is
// 0x0a000001).
func (n *addrNames) name4(a uint32) string {
	t := &n.v4
	i := (a * 0x9e3779b1) >> t.shift // Fibonacci hashing: the high bits of the product
	for {
		e := t.slots[i]
		if e.at == 0 {
			break
		}
		if e.addr == a {
			return t.texts.text(e.at)
		}
		i = (i + 1) & t.mask
	}
	if n.makeRoom() || 2*(t.used+1) > len(t.slots) {
		t.grow()
		return n.name4(a)
	}
	at := t.texts.add(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}))
	t.slots[i] = v4Slot{addr: a, at: at}
	t.used++
	return t.texts.text(at)
}

// len returns the number of addresses held.
func (n *addrNames) len() int { return n.v4.used + len(n.v6) }

// makeRoom starts over when the cache is full and reports whether it did.
func (n *addrNames) makeRoom() bool {
	if n.len() < n.limit {
		return false
	}
	n.v4 = newV4Names(1024)
	clear(n.v6)
	return true
}

// v4Names is an open-addressing table (linear probing, at most half full)
// from IPv4 addresses to their text. The texts lie in an arena and the
// slots say where, so that the table holds no pointer: the garbage
// collector never scans it, and a scan's million addresses take 8 bytes
// of table each.
type v4Names struct {
	slots []v4Slot
	mask  uint32
	shift uint32 // 32 - log2(len(slots))
	used  int
	texts textArena
}

// v4Slot is a slot of a v4Names; at 0 marks a free one.
type v4Slot struct {
	addr uint32
	at   textAt
}

func newV4Names(size int) v4Names {
	bits := uint32(0)
	for 1<<bits < size {
		bits++
	}
	return v4Names{slots: make([]v4Slot, 1<<bits), mask: 1<<bits - 1, shift: 32 - bits}
}

// grow doubles the table unless it is less than half full (it was just
// emptied). The texts stay where they are.
func (t *v4Names) grow() {
	if 2*(t.used+1) <= len(t.slots) {
		return
	}
	old := t.slots
	texts := t.texts
	*t = newV4Names(2 * len(old))
	t.texts = texts
	for _, e := range old {
		if e.at == 0 {
			continue
		}
		i := (e.addr * 0x9e3779b1) >> t.shift
		for t.slots[i].at != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = e
		t.used++
	}
}

// textArena holds the texts of IPv4 addresses in chunks of memory rather
// than one allocation each: a scan brings a new address with nearly every
// packet. A text handed out keeps its chunk alive.
type textArena struct {
	chunks [][]byte
}

// textAt is where a text lies in a textArena: its length (4 bits), its
// chunk (13 bits) and its offset in the chunk (15 bits). It is never 0, as
// a text is at least 7 bytes long. Knowing the length, a text is handed
// out without reading its bytes, which may have left the cache.
type textAt uint32

const (
	textChunkBits = 15 // log2 of the size of the chunks
	textAtChunks  = 13 // bits of the chunk number
)

// A full cache's texts (at most 15 bytes each) fit in the chunks that a
// textAt can number.
var _ [1<<textAtChunks - maxNames*16>>textChunkBits]struct{}

// add copies the text of a, as a.String writes it, into the arena.
func (t *textArena) add(a netip.Addr) textAt {
	n := len(t.chunks)
	if n == 0 || cap(t.chunks[n-1])-len(t.chunks[n-1]) < len("255.255.255.255") {
		t.chunks = append(t.chunks, make([]byte, 0, 1<<textChunkBits))
		n++
	}
	c := t.chunks[n-1]
	start := len(c)
	c = a.AppendTo(c) // never grows c: there is room
	t.chunks[n-1] = c
	return textAt((len(c)-start)<<(textAtChunks+textChunkBits) | (n-1)<<textChunkBits | start)
}

// text returns the text at at, which add returned.
func (t *textArena) text(at textAt) string {
	c := t.chunks[at>>textChunkBits&(1<<textAtChunks-1)]
	return unsafe.String(&c[at&(1<<textChunkBits-1)], int(at>>(textAtChunks+textChunkBits)))
}
