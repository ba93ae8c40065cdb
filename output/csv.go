package output

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// csvSink writes a header line and a line per row, quoted as RFC 4180
// requires, with LF line ends: the bytes encoding/csv's Writer writes. NULL
// and the empty string are both empty. Numbers and texts are appended to
// one buffer, which goes out in blocks.
type csvSink struct {
	w    io.Writer
	cols []column
	buf  []byte
}

// csvBlock is the size of the blocks a CSV file is written in.
const csvBlock = 64 << 10

func newCSVSink(w io.Writer, cols []column) (*csvSink, error) {
	s := &csvSink{w: w, cols: cols, buf: make([]byte, 0, csvBlock+4<<10)}
	for i, c := range cols {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = appendCSVField(s.buf, c.name)
	}
	s.buf = append(s.buf, '\n')
	return s, nil
}

func (s *csvSink) write(vals []any) error {
	for i, v := range vals {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		switch x := v.(type) {
		case nil:
		case string:
			s.buf = appendCSVField(s.buf, x)
		case int64:
			s.buf = strconv.AppendInt(s.buf, x, 10)
		case float64:
			if a := math.Abs(x); a == 0 || a >= 1e-6 && a < 1e21 {
				// formatFloat's plain decimal: no sign or digit needs quoting.
				s.buf = strconv.AppendFloat(s.buf, x, 'f', -1, 64)
			} else {
				s.buf = appendCSVField(s.buf, text(x, s.cols[i], false))
			}
		case time.Time:
			// As text writes it, appended: a time needs no quoting (digits,
			// '-', ':', '.', 'T' and 'Z'; a sign before a year below 0).
			s.buf = x.UTC().AppendFormat(s.buf, timeLayout(s.cols[i], false))
		default:
			s.buf = appendCSVField(s.buf, text(v, s.cols[i], false))
		}
	}
	s.buf = append(s.buf, '\n')
	if len(s.buf) >= csvBlock {
		return s.flush()
	}
	return nil
}

func (s *csvSink) flush() error {
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

func (s *csvSink) close() error { return s.flush() }

// appendCSVField appends field as encoding/csv writes it with a comma
// between fields and LF line ends: quoted when it holds a comma, a quote, a
// CR or LF, begins with a space or is \., quotes doubled.
func appendCSVField(dst []byte, field string) []byte {
	if !csvNeedsQuotes(field) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(field, '"')
		if i < 0 {
			break
		}
		dst = append(dst, field[:i+1]...)
		dst = append(dst, '"')
		field = field[i+1:]
	}
	dst = append(dst, field...)
	return append(dst, '"')
}

// csvNeedsQuotes is encoding/csv's rule for a comma-separated field.
func csvNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` {
		return true
	}
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	if c := field[0]; c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\v' || c == '\f'
	}
	r1, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r1)
}
