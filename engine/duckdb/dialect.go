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

// Quantiles implements engine.Dialect with one quantile_cont over a list of
// levels, which keeps a single copy of the values whatever their number.
func (Dialect) Quantiles(expr string, levels []float64) string {
	l := make([]string, len(levels))
	for i, q := range levels {
		l[i] = strconv.FormatFloat(q, 'g', -1, 64)
	}
	return fmt.Sprintf("quantile_cont(%s, [%s])", expr, strings.Join(l, ", "))
}

// Dialect implements engine.Engine.
func (e *Engine) Dialect() engine.Dialect { return Dialect{} }
