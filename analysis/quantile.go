package analysis

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/netlens/netlens/engine"
)

// Histogram is a distribution of integer values as the count of each
// distinct value, such as the rows of
//
//	SELECT x, count(*) FROM t WHERE x IS NOT NULL GROUP BY x
//
// Engines aggregate many values into few distinct ones quickly and portably;
// Quantiles then gives the exact quantiles of the values from the counts.
type Histogram struct {
	values, counts []int64 // as added
	n              int64
	// After prepare: the distinct values ascending, and the number of
	// values up to and including each.
	ready      bool
	sorted     []int64
	cumulative []int64
}

// Add counts count more occurrences of value. A count of zero or less is
// ignored.
func (h *Histogram) Add(value, count int64) {
	if count <= 0 {
		return
	}
	h.values = append(h.values, value)
	h.counts = append(h.counts, count)
	h.n += count
	h.ready = false
}

// HistogramOf reads a histogram from rows of (value, count).
func HistogramOf(rows [][]any) (*Histogram, error) {
	h := &Histogram{}
	for i, r := range rows {
		if len(r) < 2 || r[0] == nil {
			return nil, fmt.Errorf("histogram row %d: want a value and a count, got %v", i, r)
		}
		h.Add(AsInt(r[0]), AsInt(r[1]))
	}
	return h, nil
}

// Len returns the number of values counted.
func (h *Histogram) Len() int64 { return h.n }

// Bounds returns the smallest and the largest value; 0, 0 when there are
// none.
func (h *Histogram) Bounds() (lo, hi int64) {
	if h.n == 0 {
		return 0, 0
	}
	h.prepare()
	return h.sorted[0], h.sorted[len(h.sorted)-1]
}

// Sums returns the sum of the values and the sum of their squares, exactly.
func (h *Histogram) Sums() (sum, squares *big.Int) {
	sum, squares = new(big.Int), new(big.Int)
	var v, c, t big.Int
	for i, x := range h.values {
		v.SetInt64(x)
		c.SetInt64(h.counts[i])
		t.Mul(&v, &c)
		sum.Add(sum, &t)
		squares.Add(squares, t.Mul(&t, &v))
	}
	return sum, squares
}

// prepare sorts the distinct values, merging repeated ones, and sums the
// counts up to each.
func (h *Histogram) prepare() {
	if h.ready {
		return
	}
	idx := make([]int, len(h.values))
	for i := range idx {
		idx[i] = i
	}
	if !slices.IsSorted(h.values) {
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(h.values[a], h.values[b]) })
	}
	h.sorted, h.cumulative = h.sorted[:0], h.cumulative[:0]
	var total int64
	for _, i := range idx {
		total += h.counts[i]
		if k := len(h.sorted); k > 0 && h.sorted[k-1] == h.values[i] {
			h.cumulative[k-1] = total
			continue
		}
		h.sorted, h.cumulative = append(h.sorted, h.values[i]), append(h.cumulative, total)
	}
	h.ready = true
}

// Quantiles returns the quantiles of the values at levels, in the order of
// levels, each as Quantile gives it from the values of its two ranks: the
// same numbers as those of an engine's Dialect.QuantileBounds over the
// values themselves. Values are divided by unit (1e9 gives seconds of
// nanoseconds). It returns nil when there are no values.
func (h *Histogram) Quantiles(levels []engine.Level, unit int64) []float64 {
	if h.n == 0 {
		return nil
	}
	h.prepare()
	out := make([]float64, len(levels))
	for i, l := range levels {
		lo, hi := ranks(h.n, l)
		out[i] = Quantile(h.at(lo), h.at(hi), h.n, l, unit)
	}
	return out
}

// at returns the value of rank k (from 0) among the sorted values, k
// clamped to 0..n-1.
func (h *Histogram) at(k int64) int64 {
	k = min(max(k, 0), h.n-1)
	i, _ := slices.BinarySearch(h.cumulative, k+1) // the first value with more than k before or at it
	return h.sorted[min(i, len(h.sorted)-1)]
}

// QuantileRanks returns the ranks (from 0) of the values a
// Dialect.QuantileBounds aggregate gives over n values (n >= 1), in its
// order [lo0, hi0, lo1, hi1, ...]: asked for with Dialect.ValuesAt, they
// are the bounds QuantilesOf reads.
func QuantileRanks(n int64, levels []engine.Level) []int64 {
	out := make([]int64, 0, 2*len(levels))
	for _, l := range levels {
		lo, hi := ranks(n, l)
		out = append(out, lo, hi)
	}
	return out
}

// ranks returns the ranks (from 0) of the two values a quantile at level l
// of n values lies between: floor((n-1)*l) and ceil((n-1)*l).
func ranks(n int64, l engine.Level) (lo, hi int64) {
	pos := (n - 1) * l.Num
	return pos / l.Den, (pos + l.Den - 1) / l.Den
}

// Quantile returns the quantile at level l of n values, from lo and hi,
// the values of rank floor((n-1)*l) and ceil((n-1)*l) among them in
// ascending order (as Dialect.QuantileBounds gives them): the value at
// position (n-1)*l interpolated linearly between them, as pandas, numpy
// and DuckDB's quantile_cont define it, lo + (hi-lo)*d with d the
// fractional part of (n-1)*l, divided by unit. The interpolation is exact;
// the result is rounded once, to the nearest float64.
func Quantile(lo, hi, n int64, l engine.Level, unit int64) float64 {
	d := (n - 1) * l.Num % l.Den // the fractional part is d/l.Den
	if d == 0 || lo == hi {
		return Ratio(lo, unit)
	}
	// (lo*Den + (hi-lo)*d) / (Den*unit), exactly: in int64 when no step
	// overflows (Ratio rounds it once), else in big integers.
	if a, ok := mulExact(lo, l.Den); ok {
		if diff := hi - lo; diff > 0 { // hi > lo, and hi-lo did not overflow
			if b, ok := mulExact(diff, d); ok {
				if num := a + b; (num > a) == (b > 0) {
					if den, ok := mulExact(l.Den, unit); ok {
						return Ratio(num, den)
					}
				}
			}
		}
	}
	num := new(big.Int).Mul(big.NewInt(lo), big.NewInt(l.Den))
	diff := new(big.Int).Sub(big.NewInt(hi), big.NewInt(lo))
	num.Add(num, diff.Mul(diff, big.NewInt(d)))
	den := new(big.Int).Mul(big.NewInt(l.Den), big.NewInt(unit))
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}

// mulExact returns a*b and true, or false when the product overflows int64.
func mulExact(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// QuantilesOf reads the value of a Dialect.QuantileBounds aggregate over n
// values as the quantiles at levels, each as Quantile gives it: the bounds
// of the levels, or the n values themselves when they are fewer. It
// returns nil when n is 0.
func QuantilesOf(bounds any, n int64, levels []engine.Level, unit int64) ([]float64, error) {
	if n == 0 {
		return nil, nil
	}
	b := AsInts(bounds)
	out := make([]float64, len(levels))
	switch {
	case len(b) == 2*len(levels):
		for i, l := range levels {
			out[i] = Quantile(b[2*i], b[2*i+1], n, l, unit)
		}
	case int64(len(b)) == n && len(b) < 2*len(levels):
		for i, l := range levels {
			lo, hi := ranks(n, l)
			out[i] = Quantile(b[lo], b[hi], n, l, unit)
		}
	default:
		return nil, fmt.Errorf("quantile bounds: %d values for %d levels of %d values", len(b), len(levels), n)
	}
	return out, nil
}

// Percentiles returns the levels 0, 1/n, ..., 1.
func Percentiles(n int64) []engine.Level {
	l := make([]engine.Level, n+1)
	for i := range l {
		l[i] = engine.Level{Num: int64(i), Den: n}
	}
	return l
}
