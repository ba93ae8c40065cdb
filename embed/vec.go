package embed

// The two kernels of training, dot and axpy, come in two forms that give
// the same bits: AVX assembly on amd64 machines that have it (vec_amd64.s)
// and the Go below, which adds in the same order (sixteen running sums
// for dot, folded as the assembly folds its registers) and never fuses a
// multiplication with an addition. So the vectors do not depend on the
// machine.

// dotGo returns the dot product of a and b (len(b) >= len(a)).
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var acc [16]float32
	i := 0
	for ; i+16 <= len(a); i += 16 {
		x, y := a[i:i+16:i+16], b[i:i+16:i+16]
		for j := range acc {
			acc[j] = acc[j] + float32(x[j]*y[j])
		}
	}
	var s [8]float32
	for j := range s {
		s[j] = acc[j] + acc[j+8]
	}
	if i+8 <= len(a) {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		for j := range s {
			s[j] = s[j] + float32(x[j]*y[j])
		}
		i += 8
	}
	r := (float32(s[0]+s[4]) + float32(s[1]+s[5])) + (float32(s[2]+s[6]) + float32(s[3]+s[7]))
	for ; i < len(a); i++ {
		r = r + float32(a[i]*b[i])
	}
	return r
}

// axpyGo adds g*x to y (len(y) >= len(x)).
func axpyGo(g float32, x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		y[i] = y[i] + float32(g*x[i])
	}
}
