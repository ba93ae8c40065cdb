package clickhouse

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netlens/netlens/engine"
)

// Dialect is ClickHouse's SQL dialect, as far back as 18.16: timestamps are
// stored as Int64 nanoseconds, so they need no conversion.
type Dialect struct{}

var _ engine.Dialect = Dialect{}

// EpochNs implements engine.Dialect.
func (Dialect) EpochNs(ts string) string { return "toInt64(" + ts + ")" }

// Quantiles implements engine.Dialect with exact quantiles interpolated as
// DuckDB's quantile_cont (and ClickHouse's later quantilesExactInclusive) do:
// at level l of n sorted values, the value at position p = l*(n-1) between
// the values at floor(p) and ceil(p). ClickHouse 18.16 has no interpolating
// exact quantile, so the values are sorted in an array and the levels mapped
// over it. NULLs are skipped; no values give an empty list.
func (Dialect) Quantiles(expr string, levels []float64) string {
	l := make([]string, len(levels))
	for i, q := range levels {
		l[i] = strconv.FormatFloat(q, 'g', -1, 64)
	}
	lv := "[" + strings.Join(l, ", ") + "]"
	sorted := "arraySort(groupArray(toFloat64(" + expr + ")))"
	const (
		pos = "(l * (length(s) - 1))"
		lo  = "s[toUInt64(floor" + pos + ") + 1]"
		hi  = "s[toUInt64(ceil" + pos + ") + 1]"
	)
	return fmt.Sprintf("if(length(%[1]s) = 0, emptyArrayFloat64(), arrayMap((l, s) -> %[3]s + (%[4]s - floor%[4]s) * (%[5]s - %[3]s), %[2]s, replicate(%[1]s, %[2]s)))",
		sorted, lv, lo, pos, hi)
}
