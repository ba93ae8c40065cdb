package duckdb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netlens/netlens/engine"
)

// Dialect is DuckDB's SQL dialect.
type Dialect struct{}

var _ engine.Dialect = Dialect{}

// EpochNs implements engine.Dialect.
func (Dialect) EpochNs(ts string) string { return "epoch_ns(" + ts + ")" }

// QuantileBounds implements engine.Dialect: the values, sorted in one list,
// and each level's two ranks picked from it by list_select, with the ranks
// in integer arithmetic on the count of values.
func (Dialect) QuantileBounds(expr string, levels []engine.Level) string {
	n := "count(" + expr + ")"
	idx := make([]string, 0, 2*len(levels))
	for _, l := range levels {
		pos := fmt.Sprintf("(%s - 1) * %d", n, l.Num)
		idx = append(idx, fmt.Sprintf("%s // %d + 1", pos, l.Den), fmt.Sprintf("(%s + %d) // %d + 1", pos, l.Den-1, l.Den))
	}
	sorted := fmt.Sprintf("list_sort(list(CAST(%[1]s AS BIGINT)) FILTER (WHERE %[1]s IS NOT NULL))", expr)
	return fmt.Sprintf("CASE WHEN %[1]s = 0 THEN []::BIGINT[] WHEN %[1]s < %[2]d THEN %[3]s ELSE list_select(%[3]s, [%[4]s]) END",
		n, len(idx), sorted, strings.Join(idx, ", "))
}

// ValuesAt implements engine.Dialect with quantile_disc, which selects its
// values without sorting them all: of n values, quantile_disc at fraction
// q gives the value of rank ceil(q*n)-1, so rank r is asked for at
// (r+0.5)/n, half a rank away from the fractions of its neighbours, far
// more than a float64's error in q*n.
func (Dialect) ValuesAt(expr string, n int64, ranks []int64) string {
	q := make([]string, len(ranks))
	for i, r := range ranks {
		q[i] = "CAST(" + strconv.FormatFloat((float64(r)+0.5)/float64(n), 'e', -1, 64) + " AS DOUBLE)"
	}
	return fmt.Sprintf("quantile_disc(CAST(%s AS BIGINT), [%s])", expr, strings.Join(q, ", "))
}

// SumSquares implements engine.Dialect in HUGEINT.
func (Dialect) SumSquares(expr string) string {
	return fmt.Sprintf("sum(CAST(%[1]s AS HUGEINT) * CAST(%[1]s AS HUGEINT))", expr)
}

// Dialect implements engine.Engine.
func (e *Engine) Dialect() engine.Dialect { return Dialect{} }

// In implements engine.Dialect.
func (Dialect) In() string { return "IN" }

// Numbers implements engine.Dialect with unnest(range(n)).
func (Dialect) Numbers(n string) string { return "unnest(range(CAST(" + n + " AS BIGINT)))" }
