package embed

import "math"

// PCA projects the rows of m on their first two principal components,
// found by power iteration on the covariance matrix from a fixed start,
// each component's sign chosen so that its largest loading is positive.
// It returns the projection as a Rows x 2 matrix.
func PCA(m *Matrix) *Matrix {
	out := NewMatrix(m.Rows, 2)
	d := m.Cols
	if m.Rows == 0 || d == 0 {
		return out
	}
	mean := make([]float64, d)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(m.Rows)
	}
	cov := make([]float64, d*d)
	x := make([]float64, d)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			x[j] = float64(v) - mean[j]
		}
		for a := 0; a < d; a++ {
			xa := x[a]
			row := cov[a*d : (a+1)*d]
			for b := a; b < d; b++ {
				row[b] += xa * x[b]
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := 0; b < a; b++ {
			cov[a*d+b] = cov[b*d+a]
		}
	}
	var comps [2][]float64
	for c := range comps {
		v := make([]float64, d)
		for j := range v {
			v[j] = 1 / math.Sqrt(float64(d)) * (1 + float64(j%7)/10)
		}
		w := make([]float64, d)
		for it := 0; it < 500; it++ {
			for a := 0; a < d; a++ {
				var s float64
				for b, cv := range cov[a*d : (a+1)*d] {
					s += cv * v[b]
				}
				w[a] = s
			}
			for _, p := range comps[:c] { // deflate
				var s float64
				for j := range w {
					s += w[j] * p[j]
				}
				for j := range w {
					w[j] -= s * p[j]
				}
			}
			var n float64
			for _, y := range w {
				n += y * y
			}
			n = math.Sqrt(n)
			if n == 0 {
				break
			}
			var diff float64
			for j := range w {
				w[j] /= n
				diff += math.Abs(w[j] - v[j])
			}
			v, w = w, v
			if diff < 1e-12 {
				break
			}
		}
		big := 0
		for j := range v {
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		if v[big] < 0 {
			for j := range v {
				v[j] = -v[j]
			}
		}
		comps[c] = v
	}
	for i := 0; i < m.Rows; i++ {
		for c := range comps {
			var s float64
			for j, v := range m.Row(i) {
				s += (float64(v) - mean[j]) * comps[c][j]
			}
			out.Data[i*2+c] = float32(s)
		}
	}
	return out
}
