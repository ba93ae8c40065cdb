package chart

import (
	"fmt"
	"math"
	"slices"
)

// ECDFPoints returns the empirical cumulative distribution of samples: one
// point (v, F(v)) per distinct value v in increasing order, where F(v) is the
// fraction of samples <= v. NaN and infinite samples are left out.
func ECDFPoints(samples []float64) []Point {
	s := make([]float64, 0, len(samples))
	for _, v := range samples {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	n := float64(len(s))
	var pts []Point
	for i, v := range s {
		if i+1 < len(s) && s[i+1] == v {
			continue
		}
		pts = append(pts, Point{X: v, Y: float64(i+1) / n})
	}
	return pts
}

// Downsample returns at most limit of points, chosen by min/max per bucket so
// that every peak and trough survives (unlike LTTB, which may drop extremes):
// the first and last points are always kept; the points between them are
// split into (limit-2)/2 buckets of consecutive points, and each bucket gives
// its point with the smallest Y and its point with the largest Y, in their
// original order. Buckets are by position, so points should be in X order.
//
// When points already fit, or limit <= 0, points is returned as it is. A
// limit of 1 keeps the first point; 2 or 3 keep the first and the last.
func Downsample(points []Point, limit int) []Point {
	n := len(points)
	if limit <= 0 || n <= limit {
		return points
	}
	if limit == 1 {
		return []Point{points[0]}
	}
	nb := (limit - 2) / 2
	out := make([]Point, 0, 2+2*nb)
	out = append(out, points[0])
	inner := points[1 : n-1]
	for b := range nb {
		lo, hi := b*len(inner)/nb, (b+1)*len(inner)/nb
		if lo == hi {
			continue
		}
		minI, maxI := lo, lo
		for i := lo + 1; i < hi; i++ {
			if inner[i].Y < inner[minI].Y {
				minI = i
			}
			if inner[i].Y > inner[maxI].Y {
				maxI = i
			}
		}
		first, second := min(minI, maxI), max(minI, maxI)
		out = append(out, inner[first])
		if second != first {
			out = append(out, inner[second])
		}
	}
	return append(out, points[n-1])
}

// Downsample thins every series of Points of a KindLines, KindScatter,
// KindStems or KindECDF chart to at most limit points with the function
// Downsample, and says so in Note. Other kinds are left as they are.
func (c *Chart) Downsample(limit int) {
	switch c.Kind {
	case KindLines, KindScatter, KindStems, KindECDF:
	default:
		return
	}
	before, after := 0, 0
	for i := range c.Series {
		before += len(c.Series[i].Points)
		c.Series[i].Points = Downsample(c.Series[i].Points, limit)
		after += len(c.Series[i].Points)
	}
	if after == before {
		return
	}
	note := fmt.Sprintf("showing %d of %d points (min/max per bucket)", after, before)
	if c.Note != "" {
		note = c.Note + "; " + note
	}
	c.Note = note
}
