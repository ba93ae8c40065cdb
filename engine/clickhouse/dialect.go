package clickhouse

import (
	"fmt"
	"strings"

	"github.com/netlens/netlens/engine"
)

// Dialect is ClickHouse's SQL dialect, as far back as 18.16: timestamps are
// stored as Int64 nanoseconds, so they need no conversion.
type Dialect struct{}

var _ engine.Dialect = Dialect{}

// EpochNs implements engine.Dialect.
func (Dialect) EpochNs(ts string) string { return "toInt64(" + ts + ")" }

// QuantileBounds implements engine.Dialect. The values are sorted in one
// array (the same expression everywhere, which ClickHouse computes once),
// and each level reads its two ranks from it, computed in integer
// arithmetic on the count of values. NULLs are skipped by groupArray and
// count; no values give an empty list, fewer than the bounds the sorted
// array itself.
func (Dialect) QuantileBounds(expr string, levels []engine.Level) string {
	sorted := "arraySort(groupArray(toInt64(" + expr + ")))"
	n := "toInt64(count(" + expr + "))"
	q := make([]string, 0, 2*len(levels))
	for _, l := range levels {
		pos := fmt.Sprintf("(%s - 1) * %d", n, l.Num)
		q = append(q, fmt.Sprintf("%s[intDiv(%s, %d) + 1]", sorted, pos, l.Den), fmt.Sprintf("%s[intDiv(%s + %d, %d) + 1]", sorted, pos, l.Den-1, l.Den))
	}
	return fmt.Sprintf("if(%[1]s = 0, emptyArrayInt64(), if(%[1]s < %[2]d, %[3]s, [%[4]s]))", n, len(q), sorted, strings.Join(q, ", "))
}

// ValuesAt implements engine.Dialect as QuantileBounds does: the values
// sorted in one array, read at the ranks.
func (Dialect) ValuesAt(expr string, n int64, ranks []int64) string {
	sorted := "arraySort(groupArray(toInt64(" + expr + ")))"
	q := make([]string, len(ranks))
	for i, r := range ranks {
		q[i] = fmt.Sprintf("%s[%d]", sorted, r+1)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// SumSquares implements engine.Dialect in Decimal(38, 0): 18.16 has no
// 128-bit integer type.
func (Dialect) SumSquares(expr string) string {
	return fmt.Sprintf("sum(toDecimal128(%[1]s, 0) * toDecimal128(%[1]s, 0))", expr)
}

// In implements engine.Dialect: GLOBAL IN, which a cluster needs for a
// subquery over a Distributed table and a single server runs as IN.
func (Dialect) In() string { return "GLOBAL IN" }

// Numbers implements engine.Dialect with arrayJoin(range(n)): 18.16's
// range takes only the count, unsigned.
func (Dialect) Numbers(n string) string {
	return "toInt64(arrayJoin(range(toUInt64(" + n + "))))"
}
