package chart

import (
	"math"
	"strconv"
	"time"
)

// FormatValue writes v as its unit asks, for tick labels and tooltips.
// UnitTime values are written with the layout of TimeLayout(0).
func FormatValue(v float64, u Unit) string {
	switch u {
	case UnitBytes:
		return FormatBytes(v)
	case UnitSeconds:
		return FormatSeconds(v)
	case UnitTime:
		return FormatTime(v, TimeLayout(0))
	case UnitShare:
		return trim(v*100, 3) + "%"
	default:
		return FormatNumber(v)
	}
}

// FormatNumber writes v with at most 4 significant digits and an SI suffix
// from a thousand up: 950, 1.5k, 12.35M.
func FormatNumber(v float64) string {
	return scaled(v, "", []string{"", "k", "M", "G", "T", "P", "E"}, 1000)
}

// FormatBytes writes a byte count in SI units with at most 3 significant
// digits: 512 B, 1.5 kB, 2 MB.
func FormatBytes(v float64) string {
	return scaled(v, " ", []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}, 1000)
}

// scaled writes v divided by the largest power of base that keeps it at
// 1 or more, followed by sep and that power's unit.
func scaled(v float64, sep string, units []string, base float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	digits := 3
	if units[0] == "" {
		digits = 4
	}
	a := math.Abs(v)
	i := 0
	for i < len(units)-1 && round(a, digits) >= base {
		a /= base
		i++
	}
	s := trim(math.Copysign(a, v), digits)
	if units[i] == "" {
		return s
	}
	return s + sep + units[i]
}

// FormatSeconds writes a duration in seconds with the largest unit that
// keeps it at 1 or more: 250 ns, 3.2 µs, 300 ms, 2.5 s, 4 min, 1.5 h, 3 d.
func FormatSeconds(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	a := math.Abs(v)
	var scale float64
	var unit string
	switch {
	case a == 0:
		return "0 s"
	case round(a, 3) < 1e-6:
		scale, unit = 1e-9, "ns"
	case round(a, 3) < 1e-3:
		scale, unit = 1e-6, "µs"
	case round(a, 3) < 1:
		scale, unit = 1e-3, "ms"
	case round(a, 3) < 60:
		scale, unit = 1, "s"
	case round(a, 3) < 3600:
		scale, unit = 60, "min"
	case round(a, 3) < 86400:
		scale, unit = 3600, "h"
	default:
		scale, unit = 86400, "d"
	}
	return trim(v/scale, 3) + " " + unit
}

// TimeLayout returns the time layout for labels on an axis that spans span
// seconds: dates for weeks, minutes for days, seconds for hours and
// milliseconds below that. A span of 0 gives a full timestamp.
func TimeLayout(span float64) string {
	switch {
	case span <= 0:
		return "2006-01-02 15:04:05.000"
	case span >= 4*86400:
		return "2006-01-02"
	case span >= 86400:
		return "01-02 15:04"
	case span >= 600:
		return "15:04"
	case span >= 10:
		return "15:04:05"
	default:
		return "15:04:05.000"
	}
}

// FormatTime writes Unix time sec (seconds) in UTC with layout.
func FormatTime(sec float64, layout string) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) > 1e15 {
		return strconv.FormatFloat(sec, 'g', -1, 64)
	}
	s := math.Floor(sec)
	ns := math.Round((sec - s) * 1e9)
	return time.Unix(int64(s), int64(ns)).UTC().Format(layout)
}

// round rounds v to the given number of significant digits.
func round(v float64, digits int) float64 {
	if v == 0 {
		return 0
	}
	e := digits - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if e >= 0 {
		p := math.Pow10(e)
		return math.Round(v*p) / p
	}
	p := math.Pow10(-e)
	return math.Round(v/p) * p
}

// trim writes v with at most digits significant digits and no trailing
// zeros.
func trim(v float64, digits int) string {
	r := round(v, digits)
	if math.Abs(r) >= math.Pow10(digits) || (r != 0 && math.Abs(r) < 1e-4) {
		return strconv.FormatFloat(r, 'g', digits, 64)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
