package flow

import "net/netip"

// maxTexts bounds each map of an addrTexts; a full map starts over.
const maxTexts = 1 << 16

// addrTexts caches the text of the addresses of the flows written, so that
// the flows of known hosts cost no allocation. Texts handed out stay valid
// after the cache starts over.
type addrTexts struct {
	v4 map[[4]byte]string
	v6 map[[16]byte]string
}

// text returns the text of addr, as netip.Addr.String writes it.
func (t *addrTexts) text(addr netip.Addr) string {
	if addr.Is4() {
		k := addr.As4()
		if s, ok := t.v4[k]; ok {
			return s
		}
		if t.v4 == nil || len(t.v4) >= maxTexts {
			t.v4 = make(map[[4]byte]string, 1024)
		}
		s := addr.String()
		t.v4[k] = s
		return s
	}
	k := addr.As16()
	if s, ok := t.v6[k]; ok {
		return s
	}
	if t.v6 == nil || len(t.v6) >= maxTexts {
		t.v6 = make(map[[16]byte]string, 256)
	}
	s := addr.String()
	t.v6[k] = s
	return s
}
