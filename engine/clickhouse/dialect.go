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
// exact quantile, so the values are sorted in one array (the same expression
// everywhere, which ClickHouse computes once) and each level reads its two
// neighbours from it. NULLs are skipped; no values give an empty list.
func (Dialect) Quantiles(expr string, levels []float64) string {
	sorted := "arraySort(groupArray(toFloat64(" + expr + ")))"
	last := "(length(" + sorted + ") - 1)"
	q := make([]string, len(levels))
	for i, l := range levels {
		pos := strconv.FormatFloat(l, 'g', -1, 64) + " * " + last
		lo := fmt.Sprintf("%s[toUInt64(floor(%s)) + 1]", sorted, pos)
		hi := fmt.Sprintf("%s[toUInt64(ceil(%s)) + 1]", sorted, pos)
		q[i] = fmt.Sprintf("%s + (%s - floor(%s)) * (%s - %s)", lo, pos, pos, hi, lo)
	}
	return fmt.Sprintf("if(length(%s) = 0, emptyArrayFloat64(), [%s])", sorted, strings.Join(q, ", "))
}
