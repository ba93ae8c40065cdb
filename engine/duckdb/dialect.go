package duckdb

import (
	"fmt"

	"github.com/netlens/netlens/engine"
)

// Dialect is DuckDB's SQL dialect.
type Dialect struct{}

var _ engine.Dialect = Dialect{}

// EpochNs implements engine.Dialect.
func (Dialect) EpochNs(ts string) string { return "epoch_ns(" + ts + ")" }

// Quantile implements engine.Dialect.
func (Dialect) Quantile(expr string, q float64) string {
	return fmt.Sprintf("quantile_cont(%s, %g)", expr, q)
}

// Gaps implements engine.Dialect with a window function.
func (Dialect) Gaps(table, key, ts, where string) string {
	if where == "" {
		where = "true"
	}
	return fmt.Sprintf(`(SELECT key, gap FROM (
	SELECT %[2]s AS key, epoch_ns(%[3]s) - lag(epoch_ns(%[3]s)) OVER (PARTITION BY %[2]s ORDER BY %[3]s) AS gap
	FROM %[1]s WHERE %[4]s) WHERE gap IS NOT NULL)`, table, key, ts, where)
}

// Dialect implements engine.Engine.
func (e *Engine) Dialect() engine.Dialect { return Dialect{} }
