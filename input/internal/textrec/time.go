package textrec

// Time parses a point in time into nanoseconds since the Unix epoch, UTC.
// It reads:
//
//   - a date and time, "2006-01-02 15:04:05" or with a T between them, with
//     an optional fraction of up to 9 digits, and an optional zone: Z,
//     +hh:mm, +hhmm or +hh (without one: UTC);
//   - a number of seconds since the epoch, with an optional fraction
//     ("1591367999.305988");
//   - an integer whose length says its unit: up to 11 digits seconds, 12 to
//     14 milliseconds, 15 to 17 microseconds, 18 or more nanoseconds (the
//     epoch in each unit, from 1973 to 2262: a later one does not fit in
//     nanoseconds and is not read).
func Time(b []byte) (int64, bool) {
	if len(b) >= 19 && b[4] == '-' {
		return dateTime(b)
	}
	if v, ok := Uint(b); ok {
		switch n := len(b); {
		case n <= 11:
			return int64(v) * 1e9, v <= 1<<33
		case n <= 14:
			return int64(v) * 1e6, v <= (1<<63-1)/1_000_000
		case n <= 17:
			return int64(v) * 1e3, v <= (1<<63-1)/1_000
		default:
			return int64(v), v <= 1<<63-1
		}
	}
	return Seconds(b)
}

// dateTime parses "YYYY-MM-DD HH:MM:SS[.frac][zone]".
func dateTime(b []byte) (int64, bool) {
	num := func(s []byte) (int64, bool) {
		var n int64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	if b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	rest := b[19:]
	var ns int64
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i <= 9 {
				ns = ns*10 + int64(rest[i]-'0')
			}
		}
		if i == 1 {
			return 0, false
		}
		for k := i; k <= 9; k++ {
			ns *= 10
		}
		rest = rest[i:]
	}
	var offset int64 // seconds east of UTC
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case rest[0] == '+' || rest[0] == '-':
		z := rest[1:]
		var hh, mm int64
		var ok bool
		switch {
		case len(z) == 2:
			hh, ok = num(z)
		case len(z) == 4:
			hh, ok = num(z[:2])
			if ok {
				mm, ok = num(z[2:])
			}
		case len(z) == 5 && z[2] == ':':
			hh, ok = num(z[:2])
			if ok {
				mm, ok = num(z[3:])
			}
		}
		if !ok || hh > 23 || mm > 59 {
			return 0, false
		}
		offset = hh*3600 + mm*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	days := daysFromCivil(y, mo, d)
	sec := days*86400 + h*3600 + mi*60 + s - offset
	return sec*1e9 + ns, true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's days_from_civil).
func daysFromCivil(y, m, d int64) int64 {
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
	return era*146097 + doe - 719468
}
