package textrec

import "bytes"

// SplitCSV splits line into its fields separated by sep, appending them
// to dst, and returns dst. A field that starts with a double quote is
// quoted as RFC 4180 says: it ends at the next lone quote, "" inside it
// is one quote, and sep inside it is text; its unquoted text is written
// to buf, which SplitCSV returns too (the fields alias line and buf).
// ok is false when a quote does not close, or text follows a closing
// quote.
func SplitCSV(line []byte, sep byte, dst [][]byte, buf []byte) (fields [][]byte, outBuf []byte, ok bool) {
	buf = buf[:0]
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, sep)
			if i < 0 {
				return append(dst, line), buf, true
			}
			dst = append(dst, line[:i])
			line = line[i+1:]
		}
	}
	// Quoted fields are unquoted into buf, which must not grow while
	// fields alias it: reserve the line's length first.
	if cap(buf) < len(line) {
		buf = make([]byte, 0, len(line))
	}
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, sep)
			if i < 0 {
				return append(dst, line), buf, true
			}
			dst = append(dst, line[:i])
			line = line[i+1:]
			continue
		}
		start := len(buf)
		i := 1
		for {
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				return dst, buf, false
			}
			buf = append(buf, line[i:i+j]...)
			i += j + 1
			if i < len(line) && line[i] == '"' { // "" is a quote
				buf = append(buf, '"')
				i++
				continue
			}
			break
		}
		dst = append(dst, buf[start:len(buf):len(buf)])
		switch {
		case i == len(line):
			return dst, buf, true
		case line[i] != sep:
			return dst, buf, false
		}
		line = line[i+1:]
	}
}

// Trim returns b without leading and trailing spaces and tabs.
func Trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
