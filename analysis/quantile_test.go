package analysis_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
)

// openMemoryDB opens an in-memory DuckDB database, closed when the test
// ends.
func openMemoryDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// lv is a level Num/Den.
func lv(num, den int64) engine.Level { return engine.Level{Num: num, Den: den} }

func TestHistogramQuantilesByHand(t *testing.T) {
	for _, tt := range []struct {
		name   string
		add    [][2]int64 // value, count
		levels []engine.Level
		unit   int64
		want   []float64
	}{
		{"empty", nil, []engine.Level{lv(1, 2)}, 1, nil},
		{"one value", [][2]int64{{7, 1}}, []engine.Level{lv(0, 1), lv(1, 2), lv(1, 1)}, 1, []float64{7, 7, 7}},
		// 1 2 3 4: p = 3l; 1/2 -> 2.5, 1/4 -> 1.75.
		{"four values", [][2]int64{{4, 1}, {1, 1}, {3, 1}, {2, 1}}, []engine.Level{lv(0, 4), lv(1, 4), lv(2, 4), lv(4, 4)}, 1, []float64{1, 1.75, 2.5, 4}},
		// 10 10 10 20: p = 3l; 9/10 -> 2.7, between the last 10 and 20.
		{"counts", [][2]int64{{20, 1}, {10, 3}}, []engine.Level{lv(1, 2), lv(9, 10)}, 1, []float64{10, 17}},
		// A value added twice counts twice; zero counts are ignored.
		{"merged", [][2]int64{{5, 1}, {9, 0}, {5, 1}, {1, 2}}, []engine.Level{lv(1, 2), lv(1, 1)}, 1, []float64{3, 5}},
		{"negative", [][2]int64{{-3, 1}, {-1, 1}}, []engine.Level{lv(1, 2)}, 1, []float64{-2}},
		// Nanoseconds to seconds: 42 values, the 95th percentile at
		// 41*19/20 = 38.95, between 0.1 s and 0.3 s: 0.29 s, the float
		// nearest 0.29, where interpolating in floats and dividing gives
		// 0.29000000000000004.
		{"seconds", [][2]int64{{100_000_000, 39}, {300_000_000, 3}}, []engine.Level{lv(19, 20), lv(1, 1)}, 1e9, []float64{0.29, 0.3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &analysis.Histogram{}
			for _, a := range tt.add {
				h.Add(a[0], a[1])
			}
			if diff := cmp.Diff(tt.want, h.Quantiles(tt.levels, tt.unit)); diff != "" {
				t.Errorf("quantiles (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuantileExact: the quantile is the exact interpolation, rounded
// once, even where the values are beyond 2^53 and floats would lose them.
func TestQuantileExact(t *testing.T) {
	for _, tt := range []struct {
		lo, hi, n int64
		l         engine.Level
		unit      int64
		want      float64
	}{
		{26_364_000, 26_364_000, 21, lv(19, 20), 1e9, 0.026364},
		{26_364_000, 30_000_000, 21, lv(19, 20), 1e9, 0.026364},         // rank 19 exactly: hi is not used
		{7_084_976_000, 7_084_977_000, 42, lv(19, 20), 1e9, 7.08497695}, // position 38.95
		{1, 2, 3, lv(1, 4), 1, 1.5},
		{-5, 5, 5, lv(3, 8), 1, 0}, // position 1.5
		// 2^62 + 1 and 2^62 + 3: the midpoint 2^62 + 2 is a float64, 2^62 + 1 is not.
		{1<<62 + 1, 1<<62 + 3, 3, lv(1, 4), 1, 1<<62 + 2},
	} {
		if got := analysis.Quantile(tt.lo, tt.hi, tt.n, tt.l, tt.unit); got != tt.want {
			t.Errorf("Quantile(%d, %d, n=%d, %v, unit %d) = %v, want %v", tt.lo, tt.hi, tt.n, tt.l, tt.unit, got, tt.want)
		}
	}
}

// distributions are columns of values, few and many distinct, small and
// huge, negative, and with NULLs, as expressions of i = 0, 1, ..., n-1.
var distributions = []struct {
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
	{"nulls", "CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 2654435761) % 1000003 END", 3001},
	{"all null", "CASE WHEN i >= 0 THEN NULL ELSE i END", 10},
}

// levels are levels of the percentiles analyses ask for and odd ones.
var levels = append(append(analysis.Percentiles(100), analysis.Percentiles(40)...),
	lv(333, 1000), lv(999, 1000), lv(1, 3), lv(2, 3), lv(123456789, 1000000000))

// TestHistogramQuantilesMatchDuckDB: quantiles from the histogram of a
// column, and from DuckDB's ValuesAt at the ranks of the quantiles, are bit
// for bit those of DuckDB's QuantileBounds over the column itself.
func TestHistogramQuantilesMatchDuckDB(t *testing.T) {
	db := openMemoryDB(t)
	ctx := context.Background()
	for _, tt := range distributions {
		t.Run(tt.name, func(t *testing.T) {
			from := fmt.Sprintf("(SELECT CAST(%s AS BIGINT) AS x FROM range(%d) AS r(i)) AS t", tt.expr, tt.n)
			var n int64
			var bounds any
			if err := db.QueryRowContext(ctx, "SELECT count(x), "+duckdb.Dialect{}.QuantileBounds("x", levels)+" FROM "+from).Scan(&n, &bounds); err != nil {
				t.Fatal(err)
			}
			want, err := analysis.QuantilesOf(bounds, n, levels, 1000)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(ctx, "SELECT x, count(*) FROM "+from+" WHERE x IS NOT NULL GROUP BY x")
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
			if h.Len() != n {
				t.Fatalf("histogram of %d values, DuckDB counts %d", h.Len(), n)
			}
			if diff := cmp.Diff(want, h.Quantiles(levels, 1000)); diff != "" {
				t.Errorf("quantiles (-duckdb +histogram):\n%s", diff)
			}
			if n == 0 {
				return
			}
			var at any
			if err := db.QueryRowContext(ctx, "SELECT "+duckdb.Dialect{}.ValuesAt("x", n, analysis.QuantileRanks(n, levels))+" FROM "+from).Scan(&at); err != nil {
				t.Fatal(err)
			}
			got, err := analysis.QuantilesOf(at, n, levels, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("quantiles (-QuantileBounds +ValuesAt):\n%s", diff)
			}
		})
	}
}

// TestValuesAtDuckDB: DuckDB's ValuesAt gives the value of every rank of a
// shuffled column of every size up to 200.
func TestValuesAtDuckDB(t *testing.T) {
	db := openMemoryDB(t)
	ctx := context.Background()
	d := duckdb.Dialect{}
	for n := int64(1); n <= 200; n++ {
		// The values 0, 10, ..., 10(n-1), shuffled (7919 is a prime above
		// 200): rank r is 10r.
		ranks := make([]int64, n)
		want := make([]int64, n)
		for r := range ranks {
			ranks[r], want[r] = int64(r), 10*int64(r)
		}
		var got any
		q := fmt.Sprintf("SELECT %s FROM (SELECT ((i * 7919) %% %d) * 10 AS x FROM range(%d) AS r(i)) AS t", d.ValuesAt("x", n, ranks), n, n)
		if err := db.QueryRowContext(ctx, q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, analysis.AsInts(got)); diff != "" {
			t.Fatalf("n = %d (-want +got):\n%s", n, diff)
		}
	}
}

// TestSumSquaresDuckDB: DuckDB's SumSquares is the exact sum of squares,
// beyond 64 bits, NULLs skipped.
func TestSumSquaresDuckDB(t *testing.T) {
	db := openMemoryDB(t)
	for _, tt := range []struct {
		values string
		want   string
	}{
		{"(3), (NULL), (-4)", "25"},
		{"(9223372036854775807), (-9223372036854775807)", "170141183460469231694793815568465002498"},
		{"(NULL)", ""},
	} {
		var got any
		q := "SELECT " + duckdb.Dialect{}.SumSquares("x") + " FROM (VALUES " + tt.values + ") AS t(x)"
		if err := db.QueryRow(q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tt.values, err)
		}
		s := ""
		if got != nil {
			s = analysis.AsBigInt(got).String()
		}
		if s != tt.want {
			t.Errorf("%s: %s (%T), want %s", tt.values, s, got, tt.want)
		}
	}
}

// TestMeanStdDev checks means and sample standard deviations from sums
// against values worked out by hand (and by pandas' describe).
func TestMeanStdDev(t *testing.T) {
	big := func(s string) *big.Int {
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatalf("bad number %q", s)
		}
		return b
	}
	for _, tt := range []struct {
		name         string
		sum, squares string
		n, unit      int64
		mean, std    float64
		stdOK        bool
	}{
		// 2 4 4 4 5 5 7 9: mean 5, sum of squared deviations 32, sample variance 32/7.
		{"textbook", "40", "232", 8, 1, 5, 2.138089935299395, true},
		// 1 s, 2 s and 3 s in nanoseconds: mean 2 s, std 1 s exactly.
		{"seconds", "6000000000", "14000000000000000000", 3, 1e9, 2, 1, true},
		// One value: no sample standard deviation (pandas gives NaN).
		{"one", "859967000", "739543240089000000", 1, 1e9, 0.859967, 0, false},
		// Equal values: 0, not a rounding residue.
		{"equal", "30000000000000000", "300000000000000000000000000000000", 3, 1e9, 10_000_000, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := analysis.Mean(big(tt.sum), tt.n, tt.unit); got != tt.mean {
				t.Errorf("mean %v, want %v", got, tt.mean)
			}
			std, ok := analysis.StdDev(big(tt.sum), big(tt.squares), tt.n, tt.unit)
			if ok != tt.stdOK || std != tt.std {
				t.Errorf("std %v, %v; want %v, %v", std, ok, tt.std, tt.stdOK)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	for _, tt := range []struct {
		num, den int64
		want     float64
	}{
		{859967000, 1e9, 0.859967},
		{1, 3, 1.0 / 3},
		{-7, 2, -3.5},
		// Beyond 2^53 the numerator is not a float64: still rounded once.
		{1<<60 + 1, 1 << 7, float64(1<<53) + 1.0/128},
		{9007199254740993, 1, 9007199254740992},
	} {
		if got := analysis.Ratio(tt.num, tt.den); got != tt.want {
			t.Errorf("Ratio(%d, %d) = %v, want %v", tt.num, tt.den, got, tt.want)
		}
	}
}

// TestHistogramSumsBounds: the sums and bounds of a histogram are those of
// its values listed one by one.
func TestHistogramSumsBounds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []int64
	}{
		{"none", nil},
		{"one", []int64{7}},
		{"repeated, unsorted, negative", []int64{5, -3, 5, 9, -3, 5, 0}},
		{"beyond 64 bits when squared", []int64{4e18, 4e18, -9e18}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h analysis.Histogram
			counts := map[int64]int64{}
			for _, v := range tt.values {
				counts[v]++
			}
			for v, c := range counts {
				h.Add(v, c)
			}
			sum, sq := new(big.Int), new(big.Int)
			var lo, hi int64
			for i, v := range tt.values {
				b := big.NewInt(v)
				sum.Add(sum, b)
				sq.Add(sq, new(big.Int).Mul(b, b))
				if i == 0 || v < lo {
					lo = v
				}
				if i == 0 || v > hi {
					hi = v
				}
			}
			gotSum, gotSq := h.Sums()
			gotLo, gotHi := h.Bounds()
			if gotSum.Cmp(sum) != 0 || gotSq.Cmp(sq) != 0 || gotLo != lo || gotHi != hi {
				t.Errorf("sums %v %v bounds %d %d; want %v %v, %d %d", gotSum, gotSq, gotLo, gotHi, sum, sq, lo, hi)
			}
		})
	}
}

// TestQuantileRounding: whether the interpolation is done in int64 or, near
// and past overflow, in big integers, the quantile is the exact value
// rounded once to the nearest float64.
func TestQuantileRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	magnitudes := []int64{1e3, 1e9, 1 << 40, 1 << 53, 1 << 58, math.MaxInt64 / 4, math.MaxInt64}
	for i := range 200_000 {
		m := magnitudes[i%len(magnitudes)]
		lo := rng.Int64N(m) - m/2
		hi := lo + rng.Int64N(m)
		if hi < lo { // overflowed
			hi = math.MaxInt64
		}
		n := 2 + rng.Int64N(1_000_000)
		l := levels[rng.IntN(len(levels))]
		unit := []int64{1, 1e3, 1e9}[rng.IntN(3)]
		got := analysis.Quantile(lo, hi, n, l, unit)
		d := big.NewInt((n - 1) * l.Num % l.Den)
		num := new(big.Int).Mul(big.NewInt(lo), big.NewInt(l.Den))
		num.Add(num, d.Mul(d, new(big.Int).Sub(big.NewInt(hi), big.NewInt(lo))))
		want, _ := new(big.Rat).SetFrac(num, new(big.Int).Mul(big.NewInt(l.Den), big.NewInt(unit))).Float64()
		if got != want {
			t.Fatalf("Quantile(%d, %d, n=%d, %v, unit %d) = %v, want %v", lo, hi, n, l, unit, got, want)
		}
	}
}
