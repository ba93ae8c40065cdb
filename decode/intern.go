package decode

import (
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/netlens/netlens/internal/ipv4"
	"github.com/netlens/netlens/internal/prefetch"
)

// Sizes of the direct-mapped caches of an AddrTexts, powers of two.
const (
	v4TextBits = 14
	v4Texts    = 1 << v4TextBits
	v6Texts    = 1 << 10
)

// AddrTexts caches the text of addresses, as netip.Addr.String writes
// them, so that the packets and flows of known hosts cost no allocation.
// It is direct-mapped: an address has one slot, and a new address takes
// it over. A scan's sources, each seen once, thus cost their text and no
// more (no table that grows with them, no probe that misses the cache),
// while the busy hosts of real traffic stay in place.
//
// The texts are made in small chunks of memory rather than one allocation
// each. A text keeps its chunk alive while a slot or a row holds it, so
// chunks are small: even with every slot's text in a chunk of its own,
// they would take a few tens of MB; whoever keeps a text long after its
// row is written (a map of addresses) should keep a copy. The zero
// AddrTexts is ready to use; it is not safe for concurrent use.
type AddrTexts struct {
	v4    []v4Text
	v6    []v6Text
	chunk []byte // where new texts go
}

type v4Text struct {
	addr uint32
	text string // "" in a free slot
}

type v6Text struct {
	addr [16]byte
	text string
}

// textChunk is the size of the chunks texts are made in.
const textChunk = 2 << 10

// newChunk starts the chunk new texts go to.
func (t *AddrTexts) newChunk() { t.chunk = make([]byte, 0, textChunk) }

// Text returns the text of a.
func (t *AddrTexts) Text(a netip.Addr) string {
	if a.Is4() {
		return t.Text4(ipv4.Number(a))
	}
	if a.Zone() != "" { // not an address decoded from a packet: not cached
		return a.String()
	}
	if t.v6 == nil {
		t.v6 = make([]v6Text, v6Texts)
	}
	k := a.As16()
	var x uint64
	for _, b := range k {
		x = (x ^ uint64(b)) * 0x100000001b3 // FNV-1a
	}
	e := &t.v6[x&(v6Texts-1)]
	if e.text == "" || e.addr != k {
		e.addr, e.text = k, t.make(a)
	}
	return e.text
}

// Text4 returns the text of the IPv4 address a (big-endian: 10.0.0.1 is
// 0x0a000001).
func (t *AddrTexts) Text4(a uint32) string {
	if t.v4 == nil {
		t.v4 = make([]v4Text, v4Texts)
	}
	e := &t.v4[v4Slot(a)]
	if e.text == "" || e.addr != a {
		e.addr, e.text = a, t.make4(a)
	}
	return e.text
}

// v4Slot is the slot of the IPv4 address a in AddrTexts.v4, by Fibonacci
// hashing: the high bits of the product.
func v4Slot(a uint32) uint32 { return a * 0x9e3779b1 >> (32 - v4TextBits) }

// Prefetch4 asks for the slot of the IPv4 address a (as Text4 takes it)
// to be brought into the processor's cache, for a Text4 of it soon: a
// scan's new addresses find their slots out of the cache, and a loop over
// rows that prefetches those of a few rows ahead does not wait for each.
func (t *AddrTexts) Prefetch4(a uint32) {
	if t.v4 != nil {
		prefetch.Load(uintptr(unsafe.Pointer(&t.v4[v4Slot(a)])))
	}
}

// Prefetch is Prefetch4 for an address of a packet, which does nothing
// but for an IPv4 address.
func (t *AddrTexts) Prefetch(a netip.Addr) {
	if a.Is4() {
		t.Prefetch4(ipv4.Number(a))
	}
}

// decimals holds the text of each byte value, its length in the last byte.
var decimals = func() (d [256][4]byte) {
	for i := range d {
		n := copy(d[i][:3], strconv.Itoa(i))
		d[i][3] = byte(n)
	}
	return d
}()

// make4 returns the text of the IPv4 address a, in the current chunk: the
// same as make, with each byte's digits copied from decimals. Each byte's
// entry is stored whole, four bytes at once, and the next byte's digits or
// the dot go over what follows its digits: there is room for that past any
// text, and nothing lies there yet.
func (t *AddrTexts) make4(a uint32) string {
	const room = len("255.255.255.255.") // a dot after each byte, the last one dropped
	if cap(t.chunk)-len(t.chunk) < room {
		t.newChunk()
	}
	start := len(t.chunk)
	b := t.chunk[start : start+room]
	n := 0
	for shift := 24; shift >= 0; shift -= 8 {
		d := decimals[byte(a>>shift)]
		*(*[4]byte)(b[n : n+4]) = d
		n += int(d[3])
		b[n] = '.'
		n++
	}
	t.chunk = t.chunk[:start+n-1] // without the last dot
	return unsafe.String(&t.chunk[start], n-1)
}

// make returns the text of a, in the current chunk.
func (t *AddrTexts) make(a netip.Addr) string {
	if cap(t.chunk)-len(t.chunk) < len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") {
		t.newChunk()
	}
	start := len(t.chunk)
	t.chunk = a.AppendTo(t.chunk) // never grows the chunk: there is room for any address without a zone
	return unsafe.String(&t.chunk[start], len(t.chunk)-start)
}
