package decode

import "net/netip"

// addrNames caches the text of addresses so that a packet of known hosts
// costs no allocation. It is bounded: when full it starts over, and texts
// handed out before stay valid.
type addrNames struct {
	m     map[netip.Addr]string
	limit int
}

func newAddrNames(limit int) addrNames {
	return addrNames{m: make(map[netip.Addr]string, 1024), limit: limit}
}

// name returns the text of a, from the cache when possible.
func (n *addrNames) name(a netip.Addr) string {
	if s, ok := n.m[a]; ok {
		return s
	}
	if len(n.m) >= n.limit {
		clear(n.m)
	}
	s := a.String()
	n.m[a] = s
	return s
}
