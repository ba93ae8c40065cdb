package darknet

import (
	"fmt"
	"testing"
)

// TestAddrs numbers addresses densely, once each, with their canonical
// text and IP version, past the growth of the table.
func TestAddrs(t *testing.T) {
	a := NewAddrs()
	tests := []struct {
		in   string
		id   int32
		text string
		ver  uint8
	}{
		{"192.0.2.1", 0, "192.0.2.1", 4},
		{"2001:DB8:0:0::1", 1, "2001:db8::1", 6},
		{"src_ipaddr0", 2, "src_ipaddr0", 0},
		{"192.0.2.01", 3, "192.0.2.01", 0}, // leading zeros: no address for netip, text as it is
		{"::ffff:192.0.2.1", 4, "::ffff:192.0.2.1", 4},
		{"192.0.2.1", 0, "192.0.2.1", 4},
		{"2001:db8::1", 5, "2001:db8::1", 6}, // another text of address 1: its own id
		{"src_ipaddr0", 2, "src_ipaddr0", 0},
		{"a-name-longer-than-fifteen-bytes", 6, "a-name-longer-than-fifteen-bytes", 0},
		{"bad\xffutf8", 7, "bad\uFFFDutf8", 0},
	}
	for _, tt := range tests {
		id, text, ver := a.get([]byte(tt.in))
		if id != tt.id || text != tt.text || ver != tt.ver {
			t.Errorf("get(%q) = %d, %q, %d; want %d, %q, %d", tt.in, id, text, ver, tt.id, tt.text, tt.ver)
		}
	}
	// Enough addresses to grow the table several times: each keeps its id.
	base := a.Len()
	for round := range 2 {
		for i := range 50_000 {
			s := fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&0xff, i&0xff)
			id, text, ver := a.get([]byte(s))
			if int(id) != base+i || text != s || ver != 4 {
				t.Fatalf("round %d: get(%q) = %d, %q, %d; want %d", round, s, id, text, ver, base+i)
			}
		}
	}
	if a.Len() != base+50_000 || a.Generation() != 0 {
		t.Errorf("%d addresses, generation %d", a.Len(), a.Generation())
	}
}
