package btclog

import (
	"bytes"
	"strconv"
	"time"
)

// ParseTime parses the times of the node logs: pandas' "2025-01-22
// 14:00:00+00:00" (a T instead of the space, a fraction of up to 9 digits,
// a zone Z, +hh:mm or +hhmm or none for UTC), or a number of seconds,
// milliseconds, microseconds or nanoseconds since the epoch, told apart by
// their magnitude. It returns nanoseconds since the epoch, UTC.
func ParseTime(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) >= 19 && b[4] == '-' {
		return parseDateTime(b)
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		switch a := max(n, -n); {
		case a >= 1e17:
			return n, true
		case a >= 1e14:
			return n * 1e3, true
		case a >= 1e11:
			return n * 1e6, true
		case a <= 1e11:
			return n * 1e9, true
		}
	}
	if n, err := strconv.ParseFloat(string(b), 64); err == nil && bytes.IndexByte(b, '-') < 0 {
		if n >= 1e11 || n < 0 {
			return 0, false
		}
		return int64(n * 1e9), true
	}
	return parseDateTime(b)
}

// num reads the decimal digits s.
func num(s []byte) (int, bool) {
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// epochDay returns the days from 1970-01-01 to y-m-d (proleptic
// Gregorian), and false for a day the month does not have.
func epochDay(y, m, d int) (int64, bool) {
	if d > 28 {
		if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() != d {
			return 0, false // 31 February
		}
	}
	// Howard Hinnant's days_from_civil.
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468, true
}

// parseDateTime parses "2025-01-22 14:00:00[.f][zone]".
func parseDateTime(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	rest := b[19:]
	ns := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		frac := rest[1:i]
		if len(frac) == 0 || len(frac) > 9 {
			return 0, false
		}
		v, _ := num(frac)
		for k := len(frac); k < 9; k++ {
			v *= 10
		}
		ns, rest = v, rest[i:]
	}
	off := 0
	switch {
	case len(rest) == 0, string(rest) == "Z", string(rest) == " UTC":
	case (rest[0] == '+' || rest[0] == '-') && (len(rest) == 6 && rest[3] == ':' || len(rest) == 5 || len(rest) == 3):
		hh, ok := num(rest[1:3])
		mm := 0
		if len(rest) > 3 {
			var ok2 bool
			mm, ok2 = num(rest[len(rest)-2:])
			ok = ok && ok2
		}
		if !ok || hh > 23 || mm > 59 {
			return 0, false
		}
		off = (hh*60 + mm) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	days, ok := epochDay(y, mo, d)
	if !ok {
		return 0, false
	}
	return ((days*24+int64(h))*60+int64(mi))*60e9 + int64(s)*1e9 + int64(ns) - int64(off)*1e9, true
}

// ParseDuration parses pandas' text of a timedelta, "3 days 09:30:00" or
// "0 days 00:00:40.123456" ("1 day" too, and "HH:MM:SS" alone), into
// nanoseconds.
func ParseDuration(b []byte) (int64, bool) {
	var days int64
	if i := bytes.Index(b, []byte(" day")); i >= 0 {
		n, err := strconv.ParseInt(string(b[:i]), 10, 64)
		if err != nil || n < 0 || n > 1e6 {
			return 0, false
		}
		days = n
		b = bytes.TrimPrefix(b[i+4:], []byte("s"))
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return days * 86400e9, true
		}
	}
	parts := bytes.Split(b, []byte(":"))
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(string(parts[0]), 10, 64)
	m, err2 := strconv.ParseInt(string(parts[1]), 10, 64)
	s, err3 := strconv.ParseFloat(string(parts[2]), 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s >= 60 {
		return 0, false
	}
	sec := int64(s)
	frac := int64((s-float64(sec))*1e9 + 0.5)
	return ((days*24+h)*60+m)*60e9 + sec*1e9 + frac, true
}
