package labels

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/netlens/netlens/schema"
)

// bruteLabel is the label of addr at t by the rule itself: of the labels
// whose prefix holds addr and whose window holds t, the longest prefix,
// then the last loaded.
func bruteLabel(labels []schema.Label, addr netip.Addr, t int64) string {
	best, bestBits := "", -1
	for _, l := range labels {
		p, ok := parseAddress(l.Address)
		if !ok || !p.Contains(addr) {
			continue
		}
		if l.ValidFrom != nil && t < *l.ValidFrom || l.ValidTo != nil && t >= *l.ValidTo {
			continue
		}
		if p.Bits() >= bestBits {
			best, bestBits = l.Label, p.Bits()
		}
	}
	return best
}

// spanLabel looks the label of addr at t up in spans as the SQL of Attach
// does: the block whose key starts the address' hex form, the bucket of t
// clamped to the block's, and the span that holds t. It fails the test
// unless exactly one block and one span match.
func spanLabel(t *testing.T, spans []schema.LabelSpan, addr netip.Addr, ts int64) string {
	t.Helper()
	a := addr.As16()
	h := hex.EncodeToString(a[:])
	var blockKey string
	for _, s := range spans {
		if h[:s.BlockLen] == s.Block {
			if blockKey != "" && blockKey != s.Block {
				t.Fatalf("%s: blocks %s and %s both match", addr, blockKey, s.Block)
			}
			blockKey = s.Block
		}
	}
	if blockKey == "" {
		return ""
	}
	found, n := "", 0
	for _, s := range spans {
		if s.Block != blockKey {
			continue
		}
		b := min(max(ts-ts%s.BucketWidth, s.BucketFirst), s.BucketLast)
		if s.Bucket == b && s.SpanFrom <= ts && ts < s.SpanTo {
			found, n = s.Label, n+1
		}
	}
	if n != 1 {
		t.Fatalf("%s at %d: %d spans match", addr, ts, n)
	}
	return found
}

// TestSpansAgainstBruteForce resolves random nested prefixes with random
// windows and compares every lookup with the rule applied directly.
func TestSpansAgainstBruteForce(t *testing.T) {
	const t0 = int64(1_700_000_000) * 1e9
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		var labels []schema.Label
		bases := []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::42")}
		for i := range 12 {
			base := bases[r.IntN(len(bases))]
			bits := r.IntN(base.BitLen()/2) + base.BitLen()/2 + 1
			p, _ := base.Prefix(bits)
			if r.IntN(3) == 0 { // a sibling block
				a := p.Addr().As16()
				a[15] ^= 0x80
				p, _ = netip.AddrFrom16(a).Unmap().Prefix(bits)
			}
			l := schema.Label{Kind: User, Line: uint32(i + 1), Address: canonical(p.Masked()), Label: fmt.Sprintf("u%d", i)}
			if r.IntN(2) == 0 {
				from := t0 + r.Int64N(60)*day/4
				to := from + (r.Int64N(20)+1)*day/3
				l.ValidFrom = &from
				if r.IntN(4) > 0 {
					l.ValidTo = &to
				}
			}
			labels = append(labels, l)
		}
		spans := Spans(labels, 0)
		for range 400 {
			base := bases[r.IntN(len(bases))].As16()
			base[15] ^= byte(r.IntN(256))
			base[14] ^= byte(r.IntN(4))
			addr := netip.AddrFrom16(base).Unmap()
			ts := t0 + r.Int64N(30*day) - 5*day
			if got, want := spanLabel(t, spans, addr, ts), bruteLabel(labels, addr, ts); got != want {
				t.Fatalf("seed %d: %s at %d: spans say %q, the rule %q", seed, addr, ts, got, want)
			}
		}
	}
}

func TestSpansShapes(t *testing.T) {
	// A static /22 is 4 blocks of /24 with one span each.
	spans := Spans([]schema.Label{{Kind: Org, Address: "192.0.0.0/22", Label: "x"}, {Kind: Org, Address: "example.com", Label: "y"}}, 0)
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4: %+v", len(spans), spans)
	}
	for i, s := range spans {
		want := fmt.Sprintf("00000000000000000000ffffc000%02x", i)
		if s.Block != want || s.BlockLen != 30 || s.SpanFrom != never || s.SpanTo != ever || s.Bucket != 0 {
			t.Errorf("span %d: %+v, want block %s", i, s, want)
		}
	}
	// A window over a long time gets wider buckets, at most maxBuckets.
	from, to := int64(0), 10*365*day
	spans = Spans([]schema.Label{{Kind: User, Address: "192.0.2.1", Label: "a", ValidFrom: &from, ValidTo: &to}}, 0)
	if s := spans[0]; s.BucketWidth <= day || (s.BucketLast-s.BucketFirst)/s.BucketWidth >= maxBuckets {
		t.Errorf("buckets %+v", s)
	}
}
