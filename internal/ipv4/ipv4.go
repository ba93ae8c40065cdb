// Package ipv4 reads IPv4 addresses, written as text or as netip.Addr,
// into numbers.
package ipv4

import (
	"encoding/binary"
	"net/netip"
)

// Number returns the number of the IPv4 address a, which must be one
// (a.Is4()).
func Number(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// Parse returns the number of the IPv4 address s written as netip.Addr's
// String writes it and netip.ParseAddr reads it: four decimal numbers up to
// 255, without leading zeros. Any other text is not read, so that each
// address has one text and each such text one address.
func Parse[S string | []byte](s S) (uint32, bool) {
	if len(s) < 7 || len(s) > 15 {
		return 0, false
	}
	var v, n uint32
	fields, digits := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n > 255 || fields == 4 {
				return 0, false
			}
			v = v<<8 | n
			fields++
			n, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || digits > 0 && n == 0 || digits == 3 {
			return 0, false
		}
		n = n*10 + uint32(c-'0')
		digits++
	}
	return v, fields == 4
}
