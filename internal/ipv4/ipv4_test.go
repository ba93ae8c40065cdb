package ipv4

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestParse checks that Parse reads exactly the texts that netip.Addr's
// String writes for IPv4 addresses, to the same address, from a string and
// from bytes.
func TestParse(t *testing.T) {
	tests := []struct {
		text string
		want uint32
		ok   bool
	}{
		{"0.0.0.0", 0, true},
		{"10.0.0.1", 0x0a000001, true},
		{"255.255.255.255", 0xffffffff, true},
		{"192.168.100.27", 0xc0a8641b, true},
		{"192.168.100.7", 0xc0a86407, true},
		{"256.0.0.1", 0, false},
		{"1000.0.0.1", 0, false},
		{"1.2.3", 0, false},
		{"10.0.0", 0, false},
		{"1.2.3.4.5", 0, false},
		{"01.2.3.4", 0, false},
		{"010.0.0.1", 0, false},
		{"1.2.3.04", 0, false},
		{"10.0.0.00", 0, false},
		{"1..3.4", 0, false},
		{"1.2.3.", 0, false},
		{"10.0.0.1.", 0, false},
		{".1.2.3", 0, false},
		{"1.2.3.4 ", 0, false},
		{"10.0.0.1a", 0, false},
		{"::ffff:1.2.3.4", 0, false},
		{"2001:db8::1", 0, false},
		{"::1", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %#x, %v; want %#x, %v", tt.text, got, ok, tt.want, tt.ok)
		}
		if got, ok := Parse([]byte(tt.text)); got != tt.want || ok != tt.ok {
			t.Errorf("Parse([]byte(%q)) = %#x, %v; want %#x, %v", tt.text, got, ok, tt.want, tt.ok)
		}
		_, err := netip.ParseAddr(tt.text)
		if ip4 := err == nil && netip.MustParseAddr(tt.text).Is4(); ip4 != tt.ok {
			t.Errorf("netip reads %q as IPv4: %v, Parse: %v", tt.text, ip4, tt.ok)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		a := r.Uint32()
		text := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}).String()
		if got, ok := Parse(text); !ok || got != a {
			t.Fatalf("Parse(%q) = %#x, %v; want %#x, true", text, got, ok, a)
		}
	}
}
