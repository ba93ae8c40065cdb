package static

import (
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestDots: a mark is drawn at most maxPerDot times on one dot of the
// figure (1/DPI inch), and always on another dot.
func TestDots(t *testing.T) {
	const dot = vg.Inch / DPI
	const at = 41*dot + dot/4 // a quarter into dot 41
	var d dots
	for _, tc := range []struct {
		x, y vg.Length
		want bool
	}{
		{at, at, true},
		{at + dot/3, at, true}, // the same dot
		{at, at + dot/3, true},
		{at, at, false},
		{at + dot, at, true}, // the next dot
		{at, at + dot, true},
		{at, at, false},
	} {
		if got := d.take(tc.x, tc.y); got != tc.want {
			t.Errorf("take(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}
