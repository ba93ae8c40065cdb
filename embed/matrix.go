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
