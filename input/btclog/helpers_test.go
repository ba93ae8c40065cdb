package btclog

import (
	"fmt"
	"math"

	"github.com/google/go-cmp/cmp"
)

// fmtSscanf parses pandas' "D days HH:MM:SS[.f]".
func fmtSscanf(s string, days, h, m *int64, sec *float64) (int, error) {
	return fmt.Sscanf(s, "%d days %d:%d:%f", days, h, m, sec)
}

// cmpApprox compares floats that may differ by up to tol.
func cmpApprox(tol float64) cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= tol })
}
