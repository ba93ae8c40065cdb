package flow

import "net/netip"

// prefixSet finds the longest prefix holding an address: one map lookup per
// distinct prefix length, no allocation.
type prefixSet struct {
	bits4, bits6 []int // distinct prefix lengths, longest first
	index        map[netip.Prefix]int
}

func newPrefixSet(prefixes []netip.Prefix) prefixSet {
	s := prefixSet{index: make(map[netip.Prefix]int, len(prefixes))}
	for i, p := range prefixes {
		p = unmapPrefix(p).Masked()
		if _, dup := s.index[p]; dup {
			continue // the first one wins
		}
		s.index[p] = i
		if p.Addr().Is4() {
			s.bits4 = insertBits(s.bits4, p.Bits())
		} else {
			s.bits6 = insertBits(s.bits6, p.Bits())
		}
	}
	return s
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix into its IPv4 prefix.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// insertBits adds n to a descending list of distinct lengths.
func insertBits(bits []int, n int) []int {
	for i, b := range bits {
		if b == n {
			return bits
		}
		if b < n {
			bits = append(bits, 0)
			copy(bits[i+1:], bits[i:])
			bits[i] = n
			return bits
		}
	}
	return append(bits, n)
}

// lookup returns the index of the longest prefix holding a.
func (s *prefixSet) lookup(a netip.Addr) (int, bool) {
	a = a.Unmap()
	bits := s.bits6
	if a.Is4() {
		bits = s.bits4
	}
	for _, b := range bits {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if i, ok := s.index[p]; ok {
			return i, true
		}
	}
	return 0, false
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

// notGlobal reports whether a is not globally routable: private, loopback,
// link-local, unique-local, shared (CGNAT), multicast, broadcast or
// unspecified.
func notGlobal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsUnspecified() || a == broadcast || cgnat.Contains(a) || thisNet.Contains(a)
}
