package flow

import "net/netip"

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
type addrTexts struct {
	v4 []v4Text
	v6 []v6Text
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
			e.addr, e.text = k, addr.String()
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
		e.addr, e.text = k, addr.String()
	}
	return e.text
}
