package clickhouse

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
)

// TestDialectAggregates: the aggregates of the dialect give exactly the
// integers DuckDB's give, for values few and many, small and beyond 2^53,
// negative, with NULLs and with none: the count and sum, the sum of squares
// beyond 64 bits, and the values at the ranks of the quantiles.
func TestDialectAggregates(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, testenv.ClickHouse(t), "")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	levels := append(analysis.Percentiles(100), engine.Level{Num: 1, Den: 3}, engine.Level{Num: 999, Den: 1000}, engine.Level{Num: 123456789, Den: 1000000000})
	aggregates := func(d engine.Dialect) string {
		return "count(x), sum(x), " + d.SumSquares("x") + ", " + d.QuantileBounds("x", levels)
	}
	for _, tt := range []struct {
		name, expr string
		n          int
	}{
		{"one", "42", 1},
		{"three", "i * 7 - 5", 3},
		{"small ints", "(i * 7919 + i * i) % 10", 1001},
		{"nanoseconds", "(i * 2654435761) % 88429938137201", 5003},
		{"beyond 2^53", "9007199254740993 + (i * 2654435761) % 1000003", 997},
		{"huge", "2305843009213693952 + ((i * 2654435761) % 1000003) * 1000003", 3}, // squares near 2^122, their sum beyond 2^123
		{"negative", "(i * 48271) % 2147483647 - 1073741823", 4999},
		{"nulls", "CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 2654435761) % 1000003 END", 3001},
		{"all null", "CASE WHEN i >= 0 THEN NULL ELSE i END", 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := fmt.Sprintf("SELECT %s FROM (SELECT %s AS x FROM (SELECT toInt64(number) AS i FROM system.numbers LIMIT %d))",
				aggregates(Dialect{}), tt.expr, tt.n)
			rows, err := e.Query(ctx, ch)
			if err != nil {
				t.Fatal(err)
			}
			got, err := engine.Collect(rows, 0)
			if err != nil {
				t.Fatal(err)
			}
			dk := fmt.Sprintf("SELECT %s FROM (SELECT CAST(%s AS BIGINT) AS x FROM range(%d) AS r(i))",
				aggregates(duckdb.Dialect{}), tt.expr, tt.n)
			rows, err = db.QueryContext(ctx, dk)
			if err != nil {
				t.Fatal(err)
			}
			want, err := engine.Collect(rows, 0)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				N            int64
				Sum, Squares string
				Bounds       []int64
			}
			read := func(r []any) result {
				return result{analysis.AsInt(r[0]), analysis.AsBigInt(r[1]).String(), analysis.AsBigInt(r[2]).String(), analysis.AsInts(r[3])}
			}
			w, g := read(want.Rows[0]), read(got.Rows[0])
			if w.N > 0 && len(w.Bounds) != int(min(w.N, int64(2*len(levels)))) {
				t.Fatalf("duckdb gives %d bounds of %d values, want %d", len(w.Bounds), w.N, min(w.N, int64(2*len(levels))))
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("(-duckdb +clickhouse):\n%s", diff)
			}
			if w.N == 0 {
				return
			}
			// The same bounds by ValuesAt, at their ranks.
			rows, err = e.Query(ctx, fmt.Sprintf("SELECT %s FROM (SELECT %s AS x FROM (SELECT toInt64(number) AS i FROM system.numbers LIMIT %d))",
				Dialect{}.ValuesAt("x", w.N, analysis.QuantileRanks(w.N, levels)), tt.expr, tt.n))
			if err != nil {
				t.Fatal(err)
			}
			at, err := engine.Collect(rows, 0)
			if err != nil {
				t.Fatal(err)
			}
			wantQ, err := analysis.QuantilesOf(w.Bounds, w.N, levels, 1)
			if err != nil {
				t.Fatal(err)
			}
			gotQ, err := analysis.QuantilesOf(at.Rows[0][0], w.N, levels, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantQ, gotQ); diff != "" {
				t.Errorf("quantiles of ValuesAt (-duckdb bounds +clickhouse):\n%s", diff)
			}
		})
	}
}
