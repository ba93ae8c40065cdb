package engine

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
)

// Engine runs SQL over the tables of a dataset. Table names are those of
// the schema catalogue (packets, flows, ...); a table with no rows still
// exists, with its columns.
type Engine interface {
	// Name returns the engine's name, e.g. "duckdb".
	Name() string
	// Query runs a query; args bind its placeholders. The caller closes the rows.
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	// Tables returns the names of the tables queries can use.
	Tables() []string
	// Dialect returns the engine's SQL dialect.
	Dialect() Dialect
	// Close releases the engine.
	Close() error
}

// Keeper is an Engine that can keep the result of a query as a table for
// the queries that follow, as long as the engine is open: an analysis keeps
// a small result that many large queries join with (the label blocks of
// the addresses of flows) once, and the engine plans those joins knowing
// its size.
type Keeper interface {
	Engine
	// Keep makes name a table of the result of query, unless a table of
	// that name exists already. name is chosen by the caller, never data.
	Keep(ctx context.Context, name, query string) error
}

// Dialect writes the few SQL expressions whose spelling differs between
// engines, so that an analysis is written once. Arguments are SQL
// expressions or identifiers chosen by the analysis, never data.
//
// Engines sum and divide floats in orders of their own, so their floats
// differ in the last bits from one engine to another: aggregates give
// integers, from which analyses compute their floats themselves.
type Dialect interface {
	// EpochNs is the nanoseconds since the Unix epoch of timestamp expression ts, as a 64-bit integer.
	EpochNs(ts string) string
	// IPHex is the 32 lower-case hex digits of the 128-bit form of the
	// textual IP address expr (IPv4 as ::ffff:a.b.c.d), the key on which
	// labels of prefixes are joined (see package labels). Text that is no
	// address gives NULL or another string that no address gives.
	IPHex(expr string) string
	// QuantileBounds is one aggregate over integer expression expr, NULLs
	// skipped: for each level l of levels, of the n values of expr in
	// ascending order, the value of rank floor((n-1)*l) and that of rank
	// ceil((n-1)*l) (ranks from 0), as one list of 64-bit integers
	// [lo0, hi0, lo1, hi1, ...] in the order of levels; an empty list when
	// there are no values, and the n values themselves in ascending order
	// when they are fewer than the bounds (n < 2*len(levels)). A quantile
	// interpolated between the two (see Level) is the same whatever the
	// engine.
	QuantileBounds(expr string, levels []Level) string
	// ValuesAt is QuantileBounds when the number n of values is known
	// beforehand (n >= 1): one aggregate over integer expression expr,
	// NULLs skipped, of the values of ranks (from 0, each below n) among
	// the n values in ascending order, as one list of 64-bit integers in
	// the order of ranks. An engine may find them without sorting all the
	// values.
	ValuesAt(expr string, n int64, ranks []int64) string
	// SumSquares is an aggregate of the exact sum of the squares of integer
	// expression expr, NULLs skipped, as an integer of 128 bits (a 64-bit
	// square does not fit in 64 bits); NULL when there are no values. The
	// sum must stay below 10^38, as that of the gaps between packets does
	// (it is at most the square of their time span): beyond, an engine may
	// fail or wrap around.
	SumSquares(expr string) string
	// In is the operator of a membership test whose subquery reads a
	// table of the dataset (x IN (SELECT ... FROM packets)): on a
	// ClickHouse cluster a plain IN there is refused, so ClickHouse says
	// GLOBAL IN, which runs the subquery once and hands its result to
	// every shard.
	In() string
	// Numbers is a column of a SELECT's list that makes n rows of each row
	// (n is an integer expression, at least 0), in which it is 0, 1, ...,
	// n-1 as a 64-bit integer: a time line cut into buckets, one row per
	// bucket.
	Numbers(n string) string
}

// Level is the level of a quantile as the exact fraction Num/Den, with
// 0 <= Num <= Den: {19, 20} is the 95th percentile. Ranks are integer
// arithmetic on it, so that every engine picks the same values.
type Level struct{ Num, Den int64 }

// Float returns the level as a float64.
func (l Level) Float() float64 { return float64(l.Num) / float64(l.Den) }

// Table is a small materialised query result.
type Table struct {
	Columns []string
	Types   []string // database type names, as reported by the driver
	Rows    [][]any
}

// Collect reads at most limit rows (all rows when limit <= 0) into a Table
// and closes rows. Byte slices are copied, so values stay valid.
func Collect(rows *sql.Rows, limit int) (*Table, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, fmt.Errorf("collect: %w", err)
	}
	t := &Table{Columns: make([]string, len(cols)), Types: make([]string, len(cols)), Rows: [][]any{}}
	for i, c := range cols {
		t.Columns[i] = c.Name()
		t.Types[i] = c.DatabaseTypeName()
	}
	err = each(rows, len(cols), limit, func(vals []any) error {
		t.Rows = append(t.Rows, append([]any(nil), vals...))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	return t, nil
}

// Each calls f with the values of each row of rows, in order, and closes
// rows: a result too large to hold whole is read as it comes. Values are
// converted as Collect converts them; the slice is reused from row to row,
// so f copies what it keeps. An error of f stops the reading and is
// returned as it is.
func Each(rows *sql.Rows, f func(vals []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return fmt.Errorf("read rows: %w", err)
	}
	return each(rows, len(cols), 0, f)
}

// each reads at most limit rows (all when limit <= 0) of n columns into f,
// then closes rows.
func each(rows *sql.Rows, n, limit int, f func(vals []any) error) error {
	defer rows.Close()
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for read := 0; limit <= 0 || read < limit; read++ {
		if !rows.Next() {
			break
		}
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
		convertRow(vals)
		if err := f(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	return nil
}

// convertRow converts the values of a scanned row as Collect keeps them:
// byte slices copied, integers that DuckDB sums as HUGEINT as int64 when
// they fit.
func convertRow(vals []any) {
	for i, v := range vals {
		switch x := v.(type) {
		case []byte:
			vals[i] = append([]byte(nil), x...)
		case *big.Int:
			if x.IsInt64() {
				vals[i] = x.Int64()
			}
		}
	}
}
