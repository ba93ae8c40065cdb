package embed

import "math"

// Matrix is a dense row-major matrix of float32: row i is
// Data[i*Cols : (i+1)*Cols].
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// NewMatrix returns a zero matrix of rows x cols.
func NewMatrix(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i, sharing m's storage.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// StandardScale returns a copy of m whose every column has mean 0 and
// variance 1, as scikit-learn's StandardScaler does: the population
// standard deviation, and a column that does not vary is only centred.
func StandardScale(m *Matrix) *Matrix {
	out := NewMatrix(m.Rows, m.Cols)
	if m.Rows == 0 {
		return out
	}
	mean := make([]float64, m.Cols)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(m.Rows)
	}
	sd := make([]float64, m.Cols)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			d := float64(v) - mean[j]
			sd[j] += d * d
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(m.Rows))
		if sd[j] == 0 {
			sd[j] = 1
		}
	}
	for i := 0; i < m.Rows; i++ {
		o := out.Row(i)
		for j, v := range m.Row(i) {
			o[j] = float32((float64(v) - mean[j]) / sd[j])
		}
	}
	return out
}

// unitRows returns a copy of m with every row divided by its Euclidean
// norm; a zero row stays zero (cosine distance 1 to everything).
func unitRows(m *Matrix) *Matrix {
	out := NewMatrix(m.Rows, m.Cols)
	for i := 0; i < m.Rows; i++ {
		r := m.Row(i)
		var n float64
		for _, v := range r {
			n += float64(v) * float64(v)
		}
		if n == 0 {
			continue
		}
		n = math.Sqrt(n)
		o := out.Row(i)
		for j, v := range r {
			o[j] = float32(float64(v) / n)
		}
	}
	return out
}

// dot returns the dot product of a and b (len(b) >= len(a)).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds g*x to y (len(y) >= len(x)).
func axpy(g float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += g * x[i]
		y[i+1] += g * x[i+1]
		y[i+2] += g * x[i+2]
		y[i+3] += g * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += g * x[i]
	}
}
