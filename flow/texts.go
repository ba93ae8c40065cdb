package flow

import (
	"net/netip"
	"unsafe"
)

// Sizes of the direct-mapped caches of an addrTexts, powers of two.
const (
	v4Texts = 1 << 14
	v6Texts = 1 << 10
)

// addrTexts caches the text of the addresses of the flows written, so that
// the flows of known hosts cost no allocation. It is direct-mapped: an
// address has one slot, and a new address takes it over. A scan's sources,
// each seen once, thus cost their text and nothing more, while the busy
// hosts of real traffic stay in place.
//
// The texts are made in small chunks of memory rather than one allocation
// each. A text keeps its chunk alive while a slot or a row holds it, so
// chunks are small: even with every slot's text in a chunk of its own,
// they would take a few tens of MB.
type addrTexts struct {
	v4    []v4Text
	v6    []v6Text
	chunk []byte // where new texts go
}

// textChunk is the size of the chunks texts are made in.
const textChunk = 2 << 10

// make returns the text of addr, in the current chunk.
func (t *addrTexts) make(addr netip.Addr) string {
	if cap(t.chunk)-len(t.chunk) < len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%") {
		t.chunk = make([]byte, 0, textChunk)
	}
	start := len(t.chunk)
	t.chunk = addr.AppendTo(t.chunk)
	if cap(t.chunk) != textChunk { // a zone made it longer than any address: it moved
		t.chunk = nil
		return addr.String()
	}
	return unsafe.String(&t.chunk[start], len(t.chunk)-start)
}

type v4Text struct {
	addr [4]byte
	text string // "" in a free slot
}

type v6Text struct {
	addr [16]byte
	text string
}

// text returns the text of addr, as netip.Addr.String writes it.
func (t *addrTexts) text(addr netip.Addr) string {
	if addr.Is4() {
		if t.v4 == nil {
			t.v4 = make([]v4Text, v4Texts)
		}
		k := addr.As4()
		h := (uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])) * 0x9e3779b1 >> (32 - 14)
		e := &t.v4[h]
		if e.text == "" || e.addr != k {
			e.addr, e.text = k, t.make(addr)
		}
		return e.text
	}
	if t.v6 == nil {
		t.v6 = make([]v6Text, v6Texts)
	}
	k := addr.As16()
	var x uint64
	for _, b := range k {
		x = (x ^ uint64(b)) * 0x100000001b3 // FNV-1a
	}
	e := &t.v6[x&(v6Texts-1)]
	if e.text == "" || e.addr != k {
		e.addr, e.text = k, t.make(addr)
	}
	return e.text
}
