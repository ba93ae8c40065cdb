package flowcsv

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// bom is UTF-8's byte-order mark, which some tools write first.
var bom = []byte{0xef, 0xbb, 0xbf}

// IsCSV reports whether head, the first bytes of a file, starts like a CSV
// of records with a header: its first line is text that a comma, a
// semicolon or a tab splits into at least three names, none of which is
// empty or a number. Which layout it is, and whether netlens can read it,
// NewCSV decides.
func IsCSV(head []byte) bool {
	head = bytes.TrimPrefix(head, bom)
	line, _, found := bytes.Cut(head, []byte{'\n'})
	if !found && len(head) >= 4<<10 {
		return false // no line end in the head: not a header of names
	}
	line = bytes.TrimRight(line, "\r")
	if !utf8.Valid(line) {
		return false
	}
	for _, c := range line {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	names, _, ok := textrec.SplitCSV(line, delimiter(line), nil, nil)
	if !ok || len(names) < 3 {
		return false
	}
	for _, n := range names {
		n = textrec.Trim(n)
		if len(n) == 0 {
			continue // pandas writes its index with an empty name
		}
		if _, isNum := textrec.Count(n); isNum {
			return false
		}
	}
	return true
}

// delimiter returns the one of comma, semicolon and tab that splits the
// header line into the most fields.
func delimiter(header []byte) byte {
	best, n := byte(','), bytes.Count(header, []byte{','})
	for _, d := range []byte{';', '\t'} {
		if c := bytes.Count(header, []byte{d}); c > n {
			best, n = d, c
		}
	}
	return best
}

// csvReader reads a CSV of flow records.
type csvReader struct {
	lines  *textrec.Lines
	closer io.Closer
	name   string
	plan   *plan
	sep    byte
	fields [][]byte
	buf    []byte
	joined []byte // a record whose quoted field spans lines
	addrs  textrec.Addrs
	strs   textrec.Strings
	err    error
}

// NewCSV returns a reader of the CSV of flow records that r holds, naming
// it name in errors, after reading its header and deciding, with mapping
// (flows column -> the file's column; nil for none), what each column
// fills. Closing it closes r when r is an io.Closer.
func NewCSV(r io.Reader, name string, mapping map[string]string) (record.Reader, error) {
	c := &csvReader{lines: textrec.NewLines(r), name: name}
	c.closer, _ = r.(io.Closer)
	line, err := c.lines.Next()
	if err != nil {
		return nil, &record.RowError{File: name, Line: 1, Reason: "no header line: " + err.Error(), Fatal: true, Err: err}
	}
	line = bytes.TrimPrefix(line, bom)
	c.sep = delimiter(line)
	names, _, ok := textrec.SplitCSV(line, c.sep, nil, nil)
	if !ok {
		return nil, &record.RowError{File: name, Line: 1, Reason: "the header has a quote that does not close", Fatal: true}
	}
	header := make([]string, len(names))
	for i, n := range names {
		header[i] = string(textrec.Trim(n))
	}
	c.plan, err = newPlan(header, mapping)
	if err != nil {
		return nil, &record.RowError{File: name, Line: 1, Reason: err.Error(), Fatal: true}
	}
	return c, nil
}

// Layout says how the reader reads the file: its layout and which flows
// column each file column fills.
func (c *csvReader) Layout() string { return c.plan.describe() }

// Close releases the file.
func (c *csvReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

// Next reads the next record into rec (see record.Reader).
func (c *csvReader) Next(rec *record.Flow) error {
	if c.err != nil {
		return c.err
	}
	err := c.next(rec)
	if record.Ends(err) {
		c.err = err
	}
	return err
}

func (c *csvReader) next(rec *record.Flow) error {
	for {
		line, err := c.lines.Next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return &record.RowError{File: c.name, Line: c.lines.Line() + 1, Reason: err.Error(), Fatal: true, Err: err}
		}
		if len(textrec.Trim(line)) == 0 {
			continue
		}
		first := c.lines.Line()
		var ok bool
		c.fields, c.buf, ok = textrec.SplitCSV(line, c.sep, c.fields[:0], c.buf)
		if !ok && bytes.Count(line, []byte{'"'})%2 == 1 {
			// A quoted field goes on on the next lines.
			c.joined = append(c.joined[:0], line...)
			for !ok && bytes.Count(c.joined, []byte{'"'})%2 == 1 {
				more, err := c.lines.Next()
				if err != nil || len(c.joined) > textrec.MaxLine {
					return &record.RowError{File: c.name, Line: first, Reason: "a quote that does not close", Fatal: true, Err: err}
				}
				c.joined = append(append(c.joined, '\n'), more...)
				c.fields, c.buf, ok = textrec.SplitCSV(c.joined, c.sep, c.fields[:0], c.buf)
			}
		}
		rec.Line = first
		if !ok {
			*rec = record.Flow{Line: first}
			return &record.RowError{File: c.name, Line: first, Reason: "text after a closing quote"}
		}
		return c.row(rec)
	}
}

// row reads the fields of one record into rec.
func (c *csvReader) row(rec *record.Flow) error {
	p := c.plan
	line := rec.Line
	*rec = record.Flow{Line: line}
	if len(c.fields) != len(p.cols) {
		return &record.RowError{File: c.name, Line: line, Reason: fmt.Sprintf("%d fields, the header names %d", len(c.fields), len(p.cols))}
	}
	r := row{rec: rec}
	for i, t := range p.cols {
		if t == tNone {
			continue
		}
		if reason := p.set(&r, t, c.fields[i], &c.addrs, &c.strs); reason != "" {
			return &record.RowError{File: c.name, Line: line, Column: p.names[i], Reason: reason}
		}
	}
	if t, reason := p.finish(&r); reason != "" {
		return &record.RowError{File: c.name, Line: line, Column: c.column(t), Reason: reason}
	}
	return nil
}

// column names the file's column of target t.
func (c *csvReader) column(t target) string {
	for i, ct := range c.plan.cols {
		if ct == t {
			return c.plan.names[i]
		}
	}
	return targetNames[t]
}
