package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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

// Quantiles returns the quantiles of the values at levels (each 0..1), in
// the order of levels, interpolated exactly as DuckDB's quantile_cont does,
// bit for bit: of n sorted values x, level l is at position p = (n-1)*l (in
// float64); with i = floor(p), j = ceil(p) and d = p - i, the quantile is
// x[i] when i = j, else a*(1-d) + b*d with a = x[i] and b = x[j] as float64,
// each product rounded before the sum. It returns nil when there are no
// values.
func (h *Histogram) Quantiles(levels []float64) []float64 {
	if h.n == 0 {
		return nil
	}
	h.prepare()
	out := make([]float64, len(levels))
	for i, l := range levels {
		p := float64(h.n-1) * l
		lo, hi := int64(math.Floor(p)), int64(math.Ceil(p))
		a := float64(h.at(lo))
		if hi == lo {
			out[i] = a
			continue
		}
		b := float64(h.at(hi))
		d := p - float64(lo)
		// Each conversion rounds its step, as the engine does, so that no
		// multiply-add is fused.
		out[i] = float64(a*float64(1-d)) + float64(b*d)
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
