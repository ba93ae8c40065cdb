package ingest

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/netlens/netlens/decode"
)

// TestNamerKeepsCopies checks that the namer keeps addresses in texts of
// its own, not in the decoder's chunks of texts, which a key kept for the
// whole ingest would keep alive, and still finds a name by an equal text.
func TestNamerKeepsCopies(t *testing.T) {
	var texts decode.AddrTexts
	tests := []struct {
		name, addr, host string
	}{
		{"ipv4", texts.Text(netip.MustParseAddr("10.0.0.1")), "a.example"},
		{"ipv6", texts.Text(netip.MustParseAddr("2001:db8::1")), "b.example"},
		{"named again", texts.Text(netip.MustParseAddr("10.0.0.1")), "c.example"},
		{"same name again", texts.Text(netip.MustParseAddr("2001:db8::1")), "b.example"},
	}
	n := newNamer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.setAddr(tt.addr, tt.host)
			if got := n.byAddr[string([]byte(tt.addr))]; got != tt.host {
				t.Fatalf("name of %s: %q, want %q", tt.addr, got, tt.host)
			}
			for k := range n.byAddr {
				if k == tt.addr && unsafe.StringData(k) == unsafe.StringData(tt.addr) {
					t.Fatalf("key %s is the decoder's text, not a copy", k)
				}
			}
		})
	}
	if len(n.byAddr) != 2 {
		t.Fatalf("%d addresses named, want 2", len(n.byAddr))
	}
}
