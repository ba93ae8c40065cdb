package zeek

import (
	"bytes"
	"fmt"
	"io"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// IsTSV reports whether head, the first bytes of a file, starts a log in
// Zeek's tab-separated ASCII format.
func IsTSV(head []byte) bool { return bytes.HasPrefix(head, []byte("#separator ")) }

// tsvReader reads a conn.log in Zeek's ASCII format.
type tsvReader struct {
	lines  *textrec.Lines
	closer io.Closer
	name   string
	c      conn
	sep    byte
	unset  []byte
	empty  []byte
	cols   []field // the field of each column of the current log; nil before #fields
	seen   bool    // a #separator line was seen
	err    error   // the error that ended the input
}

// NewTSV returns a reader of the conn.log in Zeek's ASCII format that r
// holds, naming it name in errors. Closing it closes r when r is an
// io.Closer.
func NewTSV(r io.Reader, name string) record.Reader {
	t := &tsvReader{lines: textrec.NewLines(r), name: name}
	t.closer, _ = r.(io.Closer)
	return t
}

// Close releases the file.
func (t *tsvReader) Close() error {
	if t.closer != nil {
		return t.closer.Close()
	}
	return nil
}

func (t *tsvReader) fatal(col, reason string, err error) *record.RowError {
	return &record.RowError{File: t.name, Line: t.lines.Line(), Column: col, Reason: reason, Fatal: true, Err: err}
}

// Next reads the next connection into rec (see record.Reader).
func (t *tsvReader) Next(rec *record.Flow) error {
	if t.err != nil {
		return t.err
	}
	err := t.next(rec)
	if record.Ends(err) {
		t.err = err
	}
	return err
}

func (t *tsvReader) next(rec *record.Flow) error {
	for {
		line, err := t.lines.Next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return &record.RowError{File: t.name, Line: t.lines.Line() + 1, Reason: err.Error(), Fatal: true, Err: err}
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if err := t.directive(line); err != nil {
				return err
			}
			continue
		}
		if t.cols == nil {
			if !t.seen {
				return t.fatal("", "a row before the #separator and #fields lines: not a Zeek log", nil)
			}
			return t.fatal("", "a row before the #fields line of its log", nil)
		}
		if err := t.row(line, rec); err != nil {
			return err
		}
		return nil
	}
}

// directive reads a header line.
func (t *tsvReader) directive(line []byte) error {
	if v, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		sep := unescape(v, nil)
		if len(sep) != 1 {
			return t.fatal("#separator", fmt.Sprintf("%q: netlens reads separators of one byte", v), nil)
		}
		t.sep, t.cols, t.seen = sep[0], nil, true
		t.unset, t.empty = []byte("-"), []byte("(empty)")
		return nil
	}
	if !t.seen {
		return t.fatal("", "a header line before #separator: not a Zeek log", nil)
	}
	name, v, _ := bytes.Cut(line, []byte{t.sep})
	switch string(name) {
	case "#unset_field":
		t.unset = append([]byte(nil), v...)
	case "#empty_field":
		t.empty = append([]byte(nil), v...)
	case "#path":
		if p := string(v); p != "conn" && !bytes.HasPrefix(v, []byte("conn_")) {
			return t.fatal("#path", fmt.Sprintf("%q: netlens reads conn logs only", clip(v)), nil)
		}
	case "#close":
		t.cols = nil
	case "#fields":
		cols := bytes.Split(v, []byte{t.sep})
		t.cols = make([]field, len(cols))
		have := map[string]bool{}
		for i, c := range cols {
			t.cols[i] = fields[string(c)]
			have[string(c)] = true
		}
		for _, r := range required {
			if !have[r] {
				t.cols = nil
				return t.fatal("#fields", fmt.Sprintf("no field %s: not a conn log netlens can read (it needs %v)", r, required), nil)
			}
		}
	}
	return nil
}

// row reads a data line into rec.
func (t *tsvReader) row(line []byte, rec *record.Flow) error {
	c := &t.c
	c.start(rec)
	rec.Line = t.lines.Line()
	col := 0
	for rest := line; ; col++ {
		v := rest
		i := bytes.IndexByte(rest, t.sep)
		if i >= 0 {
			v, rest = rest[:i], rest[i+1:]
		}
		if col < len(t.cols) {
			if f := t.cols[col]; f != fIgnored && !bytes.Equal(v, t.unset) && !bytes.Equal(v, t.empty) {
				if bytes.IndexByte(v, '\\') >= 0 {
					v = unescape(v, nil)
				}
				if reason := c.value(f, v); reason != "" {
					return &record.RowError{File: t.name, Line: rec.Line, Column: names[f], Reason: reason}
				}
			}
		}
		if i < 0 {
			break
		}
	}
	if col+1 != len(t.cols) {
		return &record.RowError{File: t.name, Line: rec.Line, Reason: fmt.Sprintf("%d fields, the #fields line names %d", col+1, len(t.cols))}
	}
	if f, reason := c.finish(); reason != "" {
		return &record.RowError{File: t.name, Line: rec.Line, Column: names[f], Reason: reason}
	}
	return nil
}

// unescape undoes Zeek's escapes, \xHH and \\, appending to dst.
func unescape(v, dst []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			switch {
			case v[i+1] == '\\':
				dst = append(dst, '\\')
				i++
				continue
			case v[i+1] == 'x' && i+3 < len(v) && isHex(v[i+2]) && isHex(v[i+3]):
				dst = append(dst, unhex(v[i+2])<<4|unhex(v[i+3]))
				i += 3
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
