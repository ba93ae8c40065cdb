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
	texts textArena
	limit int
}

// textArena makes the texts of IPv4 addresses in chunks of memory rather
// than one allocation each: a scan brings millions of new addresses. A
// text keeps its whole chunk alive, which is little beside the cache that
// holds the texts anyway.
type textArena struct {
	buf []byte
}

// textChunk is the size of the chunks of a textArena.
const textChunk = 32 << 10

// add returns the text of a, as a.String writes it.
func (t *textArena) add(a netip.Addr) string {
	if cap(t.buf)-len(t.buf) < len("255.255.255.255") {
		t.buf = make([]byte, 0, textChunk)
	}
	start := len(t.buf)
	t.buf = a.AppendTo(t.buf) // never grows t.buf: there is room
	return unsafe.String(&t.buf[start], len(t.buf)-start)
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
		e := &t.slots[i]
		if e.text == "" {
			break
		}
		if e.addr == a {
			return e.text
		}
		i = (i + 1) & t.mask
	}
	if n.makeRoom() || 2*(t.used+1) > len(t.slots) {
		t.grow()
		return n.name4(a)
	}
	s := n.texts.add(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}))
	t.slots[i] = v4Slot{addr: a, text: s}
	t.used++
	return s
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
// from IPv4 addresses to their text; an empty text marks a free slot.
type v4Names struct {
	slots []v4Slot
	mask  uint32
	shift uint32 // 32 - log2(len(slots))
	used  int
}

type v4Slot struct {
	addr uint32
	text string
}

func newV4Names(size int) v4Names {
	bits := uint32(0)
	for 1<<bits < size {
		bits++
	}
	return v4Names{slots: make([]v4Slot, 1<<bits), mask: 1<<bits - 1, shift: 32 - bits}
}

// grow doubles the table unless it is less than half full (it was just
// emptied).
func (t *v4Names) grow() {
	if 2*(t.used+1) <= len(t.slots) {
		return
	}
	old := t.slots
	*t = newV4Names(2 * len(old))
	for _, e := range old {
		if e.text == "" {
			continue
		}
		i := (e.addr * 0x9e3779b1) >> t.shift
		for t.slots[i].text != "" {
			i = (i + 1) & t.mask
		}
		t.slots[i] = e
		t.used++
	}
}
