package ingest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/netlens/netlens/internal/ipv4"
	"github.com/netlens/netlens/schema"
)

// TestGapTracker compares the gaps of a gapTracker with those of a plain map
// over a stream of packets of IPv4 and IPv6 addresses whose texts are
// sometimes shared (as the decoder hands them out) and sometimes equal
// copies, and with more addresses than the table of recent ones holds,
// across batches.
func TestGapTracker(t *testing.T) {
	const addrs = 3 * recentAddrs
	shared := make([]string, addrs)
	for i := range shared {
		shared[i] = fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)
		if i%5 == 0 {
			shared[i] = fmt.Sprintf("2001:db8::%x", i)
		}
	}
	text := func(r *rand.Rand, i int) string {
		if r.IntN(4) == 0 {
			return strings.Clone(shared[i]) // equal text, other bytes
		}
		return shared[i]
	}
	tests := []struct {
		name    string
		packets int
		hot     int // packets mostly go between the first hot addresses
	}{
		{"few addresses", 20000, 8},
		{"many addresses", 50000, addrs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			g := newGapTracker(0)
			lastSrc, lastDst := map[string]int64{}, map[string]int64{}
			want := func(last map[string]int64, addr string, ts int64) string {
				prev, ok := last[addr]
				last[addr] = ts
				if !ok {
					return "NULL"
				}
				return fmt.Sprint(ts - prev)
			}
			got := func(v *int64) string {
				if v == nil {
					return "NULL"
				}
				return fmt.Sprint(*v)
			}
			ts := int64(0)
			batch := make([]schema.Packet, 0, 100)
			var keys []uint64
			for n := 0; n < tt.packets; n += cap(batch) {
				batch, keys = batch[:0], keys[:0]
				for range cap(batch) {
					ts += r.Int64N(1000) - 100 // the clock goes back now and then
					p := schema.Packet{Ts: ts}
					if r.IntN(10) > 0 {
						p.IPVersion = 4
						p.Src, p.Dst = text(r, r.IntN(tt.hot)), text(r, r.IntN(addrs))
					}
					batch = append(batch, p)
					keys = append(keys, addrKey(p.Src), addrKey(p.Dst))
				}
				g.fill(batch, keys)
				for i, p := range batch {
					ws, wd := "NULL", "NULL"
					if p.IPVersion != 0 {
						ws, wd = want(lastSrc, p.Src, p.Ts), want(lastDst, p.Dst, p.Ts)
					}
					if gs, gd := got(p.SrcGap), got(p.DstGap); gs != ws || gd != wd {
						t.Fatalf("packet %d (%s -> %s): gaps %s, %s; want %s, %s", n+i, p.Src, p.Dst, gs, gd, ws, wd)
					}
				}
			}
		})
	}
}

// TestGapGrowTo checks the sizes the v4 table of addresses grows to: twice
// its size while small or when the input's size is unknown, and room for
// the addresses extrapolated to the end of the input (at most maxGapAddrs)
// once large.
func TestGapGrowTo(t *testing.T) {
	tests := []struct {
		name        string
		slots, used int
		read        *inputRead
		want        int
	}{
		{"no input size", 1 << 20, 1 << 19, nil, 1 << 21},
		{"unknown total", 1 << 20, 1 << 19, &inputRead{total: 0, rows: 100}, 1 << 21},
		{"small table", 1 << 10, 1 << 9, &inputRead{total: 1000, rows: 1}, 1 << 11},
		{"a tenth read", 1 << 16, 1 << 15, &inputRead{total: 10 << 20, rows: 1 << 20}, 1 << 20},
		{"at most sixteen times", 1 << 16, 1 << 15, &inputRead{total: 100 << 20, rows: 1 << 20}, 1 << 20},
		{"all read", 1 << 16, 1 << 15, &inputRead{total: 1 << 20, rows: 1 << 20}, 1 << 17},
		{"past the bound", 1 << 20, 1 << 19, &inputRead{total: 1 << 40, rows: 1 << 20}, 2 * maxGapAddrs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lastSeen{v4: v4Last{slots: make([]v4LastSlot, tt.slots), used: tt.used}, read: tt.read}
			if got := l.growTo(); got != tt.want {
				t.Fatalf("growTo = %d, want %d", got, tt.want)
			}
		})
	}
}

// addrKey is the v4Last key of the address whose text is s, as the
// decoder gives it for the address it decoded; 0 for no address.
func addrKey(s string) uint64 {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return 0
	}
	return v4Key(a)
}

// TestV4Key checks that the key of an IPv4 address is the number its text
// reads back as, with v4Used set, and that other addresses have none.
func TestV4Key(t *testing.T) {
	tests := []struct {
		addr string
		want uint64
	}{
		{"0.0.0.0", v4Used},
		{"10.0.0.1", 0x0a000001 | v4Used},
		{"255.255.255.255", 0xffffffff | v4Used},
		{"::ffff:10.0.0.1", 0},
		{"2001:db8::1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := v4Key(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("v4Key = %#x, want %#x", got, tt.want)
			}
			if n, ok := ipv4.Parse(tt.addr); ok && uint64(n)|v4Used != tt.want {
				t.Errorf("ipv4.Parse = %#x, v4Key %#x", n, tt.want)
			}
		})
	}
	if got := v4Key(netip.Addr{}); got != 0 {
		t.Errorf("v4Key of no address = %#x, want 0", got)
	}
}
