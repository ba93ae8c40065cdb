package textrec

import (
	"bytes"
	"hash/maphash"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/netlens/netlens/internal/ipv4"
)

// Uint parses a decimal unsigned integer of at most 20 digits that fits in
// 64 bits.
func Uint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Uint16 parses a decimal integer from 0 to 65535.
func Uint16(b []byte) (uint16, bool) {
	n, ok := Uint(b)
	if !ok || n > math.MaxUint16 {
		return 0, false
	}
	return uint16(n), true
}

// Count parses a non-negative count: a decimal integer, or a number in
// decimal or exponent notation without a fraction (1.0, 2e3), as tools that
// write counts as floating point do.
func Count(b []byte) (uint64, bool) {
	if n, ok := Uint(b); ok {
		return n, true
	}
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f >= 1<<64 {
		return 0, false
	}
	return uint64(f), true
}

// Seconds parses a decimal number of seconds, optionally signed, with up
// to 9 digits of fraction read exactly (more are cut), into nanoseconds:
// "1258531221.486539" -> 1258531221486539000. Exponent notation is
// accepted too (rounded to the nanosecond).
func Seconds(b []byte) (int64, bool) {
	neg := false
	s := b
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac := s, []byte(nil)
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if len(intPart) == 0 && len(frac) == 0 {
		return 0, false
	}
	var sec uint64
	if len(intPart) > 0 {
		var ok bool
		if sec, ok = Uint(intPart); !ok || sec >= math.MaxInt64/1_000_000_000 {
			return secondsFloat(b)
		}
	}
	var ns uint64
	for i, c := range frac {
		if c < '0' || c > '9' {
			return secondsFloat(b)
		}
		if i < 9 {
			ns = ns*10 + uint64(c-'0')
		}
	}
	for i := len(frac); i < 9; i++ {
		ns *= 10
	}
	v := int64(sec)*1e9 + int64(ns)
	if neg {
		v = -v
	}
	return v, true
}

// secondsFloat parses seconds in any notation ParseFloat takes.
func secondsFloat(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) >= math.MaxInt64/1e9 {
		return 0, false
	}
	return int64(math.Round(f * 1e9)), true
}

// Bool parses T, F, true, false, 1, 0, yes, no (any case).
func Bool(b []byte) (v, ok bool) {
	switch len(b) {
	case 1:
		switch b[0] {
		case 'T', 't', '1', 'Y', 'y':
			return true, true
		case 'F', 'f', '0', 'N', 'n':
			return false, true
		}
	case 2:
		if bytes.EqualFold(b, []byte("no")) {
			return false, true
		}
	case 3:
		if bytes.EqualFold(b, []byte("yes")) {
			return true, true
		}
	case 4:
		if bytes.EqualFold(b, []byte("true")) {
			return true, true
		}
	case 5:
		if bytes.EqualFold(b, []byte("false")) {
			return false, true
		}
	}
	return false, false
}

// addrSlots is the number of addresses Addrs remembers.
const addrSlots = 1 << 16

// Addrs parses addresses and remembers the text of those it saw last, so
// that an address repeated from record to record is one string, allocated
// once, and parsed once. It is a direct-mapped cache: no map to grow or
// clear however many distinct addresses a file holds. IPv4 addresses,
// the most, are looked up by their value, read without netip, in slots
// small enough for a table that stays in the processor's caches.
type Addrs struct {
	seed maphash.Seed
	v4   []addr4
	v6   []addr6
}

type addr4 struct {
	v    uint32
	text string // "" for an empty slot
}

type addr6 struct {
	raw  string // the text as read
	text string // canonical
	ip   netip.Addr
}

// Parse parses the address in b and returns its canonical text
// (netip.Addr.String: lower case, IPv6 compressed) and value. Zones are
// refused.
func (a *Addrs) Parse(b []byte) (string, netip.Addr, bool) {
	if v, ok := ipv4.Parse(b); ok {
		if a.v4 == nil {
			a.v4 = make([]addr4, addrSlots)
		}
		e := &a.v4[(v*0x9e3779b1)>>(32-16)]
		if e.v != v || e.text == "" {
			*e = addr4{v: v, text: string(b)}
		}
		return e.text, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
	}
	if len(b) == 0 || len(b) > 64 {
		return "", netip.Addr{}, false
	}
	if a.v6 == nil {
		a.seed, a.v6 = maphash.MakeSeed(), make([]addr6, addrSlots/4)
	}
	e := &a.v6[maphash.Bytes(a.seed, b)&(addrSlots/4-1)]
	if e.ip.IsValid() && e.raw == string(b) {
		return e.text, e.ip, true
	}
	raw := string(b)
	ip, err := netip.ParseAddr(raw)
	if err != nil || ip.Zone() != "" || ip.Is4() {
		return "", netip.Addr{}, false // IPv4 that ipv4.Parse refused is not canonical either
	}
	text := raw
	if c := ip.String(); c != raw {
		text = c
	}
	*e = addr6{raw: raw, text: text, ip: ip}
	return text, ip, true
}

// maxStrings bounds the table of Strings; it starts over when full.
const maxStrings = 1 << 16

// Strings keeps the text of strings it has seen, like Addrs, for columns
// with few distinct values (states, services, user ids).
type Strings struct {
	seen map[string]string
}

// Intern returns b as a string, the same string each time.
func (s *Strings) Intern(b []byte) string {
	if v, ok := s.seen[string(b)]; ok {
		return v
	}
	if s.seen == nil || len(s.seen) >= maxStrings {
		s.seen = make(map[string]string, 64)
	}
	v := string(b)
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	s.seen[string(b)] = v
	return v
}
