package output

import (
	"math"
	"strconv"
	"strings"
)

// FormatShare writes a share (1 is all of it) as a percentage with two
// decimals, "99.07 %", and with more where two would hide what it is: a
// share below 1 % keeps two significant digits ("0.012 %"), a share that is
// not 0 never reads "0.00 %" and one that is not 1 never reads "100.00 %".
// Exactly none is "0 %".
func FormatShare(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case f == 0:
		return "0 %"
	}
	p := f * 100
	a := math.Abs(p)
	decimals := 2
	if a < 1 {
		// Two significant digits: 0.012 has its first at the second decimal.
		decimals = max(decimals, 1-int(math.Floor(math.Log10(a))))
	}
	if decimals > maxShareDecimals {
		return strconv.FormatFloat(p, 'g', 2, 64) + " %"
	}
	s := strconv.FormatFloat(p, 'f', decimals, 64)
	// Rounding may have reached a whole that the share is not: 99.9996
	// is not 100.00, nor is 0.000001 0.00.
	for decimals < maxShareDecimals && misleading(s, p) {
		decimals++
		s = strconv.FormatFloat(p, 'f', decimals, 64)
	}
	return s + " %"
}

// maxShareDecimals is the most decimals a percentage is written with; a
// smaller share is written with an exponent.
const maxShareDecimals = 12

// misleading reports whether s, the percentage p rounded, reads as none or
// as all when p is neither.
func misleading(s string, p float64) bool {
	digits := strings.TrimLeft(strings.Replace(s, ".", "", 1), "-0")
	if digits == "" {
		return true // reads 0
	}
	return p != 100 && strings.TrimRight(s, "0") == "100."
}
