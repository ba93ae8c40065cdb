package embed

// Silhouette returns the silhouette of every row of m under the
// clustering cluster (numbered from 0 below clusters) with the cosine
// distance, as scikit-learn's silhouette_samples(metric="cosine")
// defines it: s = (b - a) / max(a, b), a the mean distance to the other
// members of the row's cluster, b the least mean distance to the members
// of another cluster; 0 for a row alone in its cluster. With unit rows
// the mean cosine distance to a set is 1 - (row . sum of the set) / size,
// so this takes time linear in the rows times the clusters.
func Silhouette(m *Matrix, cluster []int32, clusters int) []float64 {
	u := unitRows(m)
	sums := make([][]float64, clusters)
	size := make([]int, clusters)
	for c := range sums {
		sums[c] = make([]float64, m.Cols)
	}
	for i, c := range cluster {
		size[c]++
		for j, v := range u.Row(i) {
			sums[c][j] += float64(v)
		}
	}
	out := make([]float64, m.Rows)
	for i, own := range cluster {
		if size[own] < 2 {
			continue
		}
		x := u.Row(i)
		var self float64
		for _, v := range x {
			self += float64(v) * float64(v)
		}
		a := 0.0
		b := -1.0
		for c := range sums {
			if size[c] == 0 {
				continue
			}
			var d float64
			for j, v := range x {
				d += float64(v) * sums[c][j]
			}
			if int32(c) == own {
				a = (float64(size[c]-1) - (d - self)) / float64(size[c]-1)
				continue
			}
			mean := 1 - d/float64(size[c])
			if b < 0 || mean < b {
				b = mean
			}
		}
		if b < 0 {
			continue // one cluster only
		}
		if den := max(a, b); den > 0 {
			out[i] = (b - a) / den
		}
	}
	return out
}
