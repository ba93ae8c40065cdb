package zeek

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// IsJSON reports whether head, the first bytes of a file, starts a conn.log
// written as JSON lines: its first line is an object with an id.orig_h.
func IsJSON(head []byte) bool {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	line = bytes.TrimLeft(line, " \t\r")
	return bytes.HasPrefix(line, []byte("{")) && bytes.Contains(line, []byte(`"id.orig_h"`))
}

// jsonReader reads a conn.log written as JSON lines.
type jsonReader struct {
	lines  *textrec.Lines
	closer io.Closer
	name   string
	c      conn
	str    []byte // an unescaped string
	err    error  // the error that ended the input
}

// NewJSON returns a reader of the conn.log of JSON lines that r holds,
// naming it name in errors. Closing it closes r when r is an io.Closer.
func NewJSON(r io.Reader, name string) record.Reader {
	j := &jsonReader{lines: textrec.NewLines(r), name: name}
	j.closer, _ = r.(io.Closer)
	return j
}

// Close releases the file.
func (j *jsonReader) Close() error {
	if j.closer != nil {
		return j.closer.Close()
	}
	return nil
}

// Next reads the next connection into rec (see record.Reader).
func (j *jsonReader) Next(rec *record.Flow) error {
	if j.err != nil {
		return j.err
	}
	err := j.next(rec)
	if record.Ends(err) {
		j.err = err
	}
	return err
}

func (j *jsonReader) next(rec *record.Flow) error {
	for {
		line, err := j.lines.Next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return &record.RowError{File: j.name, Line: j.lines.Line() + 1, Reason: err.Error(), Fatal: true, Err: err}
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		return j.row(line, rec)
	}
}

// row reads one JSON object into rec.
func (j *jsonReader) row(line []byte, rec *record.Flow) error {
	c := &j.c
	c.start(rec)
	rec.Line = j.lines.Line()
	bad := func(col, format string, args ...any) error {
		return &record.RowError{File: j.name, Line: rec.Line, Column: col, Reason: fmt.Sprintf(format, args...)}
	}
	s := scanner{b: line}
	if !s.take('{') {
		return bad("", "not a JSON object")
	}
	if !s.take('}') {
		for {
			key, ok := s.str()
			if !ok {
				return bad("", "a key is not a JSON string at byte %d", s.i+1)
			}
			if bytes.IndexByte(key, '\\') >= 0 {
				if key, ok = j.unquote(key); !ok {
					return bad("", "bad escape in a key at byte %d", s.i)
				}
				key = bytes.Clone(key)
			}
			if !s.take(':') {
				return bad(string(clip(key)), "no ':' after the key at byte %d", s.i+1)
			}
			f := fields[string(key)]
			v, kind := s.value()
			switch kind {
			case badValue:
				return bad(string(clip(key)), "bad JSON value at byte %d", s.i+1)
			case stringValue:
				if bytes.IndexByte(v, '\\') >= 0 && f != fIgnored {
					u, ok := j.unquote(v)
					if !ok {
						return bad(names[f], "bad escape in a string")
					}
					v = bytes.Clone(u) // kept until the row ends; rare
				}
			case trueValue:
				v = []byte("T")
			case falseValue:
				v = []byte("F")
			case nullValue:
				f = fIgnored // unset
			case nestedValue:
				if f == fService { // a set of services: the first one
					v = firstString(v)
					if v == nil {
						f = fIgnored
					}
				} else if f != fIgnored {
					return bad(names[f], "an array or object where a single value belongs")
				}
			}
			if f != fIgnored {
				if reason := c.value(f, v); reason != "" {
					return bad(names[f], "%s", reason)
				}
			}
			if s.take(',') {
				continue
			}
			if s.take('}') {
				break
			}
			return bad("", "expected ',' or '}' at byte %d", s.i+1)
		}
	}
	if s.skipSpace(); s.i != len(s.b) {
		return bad("", "text after the object at byte %d", s.i+1)
	}
	for _, f := range [...]field{fOrigP, fRespP} {
		if !c.set[f] {
			return bad(names[f], "unset: a connection needs its ports")
		}
	}
	if f, reason := c.finish(); reason != "" {
		return bad(names[f], "%s", reason)
	}
	return nil
}

// unquote returns the JSON string body v with its escapes undone, in a
// buffer of j's.
func (j *jsonReader) unquote(v []byte) ([]byte, bool) {
	j.str = append(append(append(j.str[:0], '"'), v...), '"')
	var s string
	if err := json.Unmarshal(j.str, &s); err != nil {
		return nil, false
	}
	j.str = append(j.str[:0], s...)
	return j.str, true
}

// firstString returns the body of the first string of a JSON array, or nil.
func firstString(v []byte) []byte {
	s := scanner{b: v}
	if !s.take('[') {
		return nil
	}
	str, ok := s.str()
	if !ok {
		return nil
	}
	return str
}

// scanner reads a JSON object of one line without allocating.
type scanner struct {
	b []byte
	i int
}

type valueKind uint8

const (
	badValue valueKind = iota
	stringValue
	numberValue
	trueValue
	falseValue
	nullValue
	nestedValue
)

func (s *scanner) skipSpace() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n') {
		s.i++
	}
}

// take consumes c, after spaces, if it comes next.
func (s *scanner) take(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string and returns its body, escapes left as they are.
func (s *scanner) str() ([]byte, bool) {
	if !s.take('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], true
		case '\\':
			s.i += 2
			continue
		}
		if s.b[s.i] < 0x20 {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// value reads a value: the body of a string, the text of a number, or the
// whole text of an array or object.
func (s *scanner) value() ([]byte, valueKind) {
	s.skipSpace()
	if s.i >= len(s.b) {
		return nil, badValue
	}
	switch c := s.b[s.i]; {
	case c == '"':
		v, ok := s.str()
		if !ok {
			return nil, badValue
		}
		return v, stringValue
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && bytes.IndexByte([]byte("+-.eE0123456789"), s.b[s.i]) >= 0 {
			s.i++
		}
		return s.b[start:s.i], numberValue
	case c == '[' || c == '{':
		start := s.i
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					s.i++
					return s.b[start:s.i], nestedValue
				}
			case '"':
				if _, ok := s.str(); !ok {
					return nil, badValue
				}
				continue
			}
			s.i++
		}
		return nil, badValue
	}
	for _, lit := range [...]struct {
		text string
		kind valueKind
	}{{"true", trueValue}, {"false", falseValue}, {"null", nullValue}} {
		if bytes.HasPrefix(s.b[s.i:], []byte(lit.text)) {
			s.i += len(lit.text)
			return nil, lit.kind
		}
	}
	return nil, badValue
}
