package analysis_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine/duckdb"
)

func TestHistogramQuantilesByHand(t *testing.T) {
	for _, tt := range []struct {
		name   string
		add    [][2]int64 // value, count
		levels []float64
		want   []float64
	}{
		{"empty", nil, []float64{0.5}, nil},
		{"one value", [][2]int64{{7, 1}}, []float64{0, 0.5, 1}, []float64{7, 7, 7}},
		// 1 2 3 4: p = 3l; 0.5 -> 2.5, 0.25 -> 1.75.
		{"four values", [][2]int64{{4, 1}, {1, 1}, {3, 1}, {2, 1}}, []float64{0, 0.25, 0.5, 1}, []float64{1, 1.75, 2.5, 4}},
		// 10 10 10 20: p = 3l; 0.9 -> 2.7, between the last 10 and 20.
		{"counts", [][2]int64{{20, 1}, {10, 3}}, []float64{0.5, 0.9}, []float64{10, 17}},
		// A value added twice counts twice; zero counts are ignored.
		{"merged", [][2]int64{{5, 1}, {9, 0}, {5, 1}, {1, 2}}, []float64{0.5, 1}, []float64{3, 5}},
		{"negative", [][2]int64{{-3, 1}, {-1, 1}}, []float64{0.5}, []float64{-2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &analysis.Histogram{}
			for _, a := range tt.add {
				h.Add(a[0], a[1])
			}
			if diff := cmp.Diff(tt.want, h.Quantiles(tt.levels)); diff != "" {
				t.Errorf("quantiles (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistogramQuantilesMatchDuckDB: quantiles from the histogram of a
// column are bit for bit those DuckDB's quantile_cont gives on the column
// itself, for distributions with few and many distinct values, small and
// huge ones.
func TestHistogramQuantilesMatchDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	levels := append(percentiles(100), percentiles(40)...)
	levels = append(levels, 0.333, 0.999, 1.0/3, 2.0/3, 0.123456789)
	for _, tt := range []struct {
		name, expr string
		n          int
	}{
		{"one", "42", 1},
		{"two", "i * 1000", 2},
		{"three", "i * 7 - 5", 3},
		{"same", "5", 50},
		{"small ints", "(i * 7919 + i * i) % 10", 1001},
		{"microseconds", "((i * 2654435761) % 100000) * 1000", 20011},
		{"nanoseconds", "(i * 2654435761) % 88429938137201", 5003},
		{"beyond 2^53", "9007199254740993 + (i * 2654435761) % 1000003", 997},
		{"huge", "4611686018427387904 + ((i * 2654435761) % 1000003) * 1000003", 1009},
		{"negative", "(i * 48271) % 2147483647 - 1073741823", 4999},
	} {
		t.Run(tt.name, func(t *testing.T) {
			from := fmt.Sprintf("(SELECT CAST(%s AS BIGINT) AS x FROM range(%d) AS r(i)) AS t", tt.expr, tt.n)
			var list any
			if err := db.QueryRowContext(ctx, "SELECT "+duckdb.Dialect{}.Quantiles("x", levels)+" FROM "+from).Scan(&list); err != nil {
				t.Fatal(err)
			}
			want := analysis.AsFloats(list)
			if len(want) != len(levels) {
				t.Fatalf("duckdb gives %d quantiles (%T), want %d", len(want), list, len(levels))
			}
			rows, err := db.QueryContext(ctx, "SELECT x, count(*) FROM "+from+" GROUP BY x")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			h := &analysis.Histogram{}
			for rows.Next() {
				var x, c int64
				if err := rows.Scan(&x, &c); err != nil {
					t.Fatal(err)
				}
				h.Add(x, c)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if h.Len() != int64(tt.n) {
				t.Fatalf("histogram of %d values, want %d", h.Len(), tt.n)
			}
			if diff := cmp.Diff(want, h.Quantiles(levels)); diff != "" {
				t.Errorf("quantiles (-duckdb +histogram):\n%s", diff)
			}
		})
	}
}

func percentiles(n int) []float64 {
	l := make([]float64, n+1)
	for i := range l {
		l[i] = float64(i) / float64(n)
	}
	return l
}
