//go:build !amd64

package embed

// dot returns the dot product of a and b (len(b) >= len(a)).
func dot(a, b []float32) float32 { return dotGo(a, b) }

// axpy adds g*x to y (len(y) >= len(x)).
func axpy(g float32, x, y []float32) { axpyGo(g, x, y) }
