package embed

import "golang.org/x/sys/cpu"

var hasAVX = cpu.X86.HasAVX

//go:noescape
func dotAVX(a, b []float32) float32

//go:noescape
func axpyAVX(s float32, x, y []float32)

// dot returns the dot product of a and b (len(b) >= len(a)).
func dot(a, b []float32) float32 {
	if hasAVX {
		return dotAVX(a, b[:len(a)])
	}
	return dotGo(a, b)
}

// axpy adds g*x to y (len(y) >= len(x)).
func axpy(g float32, x, y []float32) {
	if hasAVX {
		axpyAVX(g, x, y[:len(x)])
		return
	}
	axpyGo(g, x, y)
}
