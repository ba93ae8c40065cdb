// Package output writes query results for people and for programs: aligned
// tables for a terminal, CSV, JSON Lines and Parquet.
//
// Results are streamed row by row; only the table format holds rows back,
// at most TableBufferRows of them, to size its columns.
//
// output reads results through database/sql (and engine.Table for results
// already in memory); it must not import analysis, chart, report, web or cli.
package output

import (
	"database/sql"
	"fmt"
	"io"
	"strings"
)

// Format is an output format.
type Format int

// The output formats.
const (
	// Table is aligned columns with a header, for a terminal.
	Table Format = iota + 1
	// CSV is RFC 4180 CSV with a header line; NULL is an empty field.
	CSV
	// JSON is JSON Lines: one object per row and per line, keys in column
	// order, NULL as null. It streams, and pandas, polars, DuckDB and jq read it.
	JSON
	// Parquet is one Parquet file with a column per result column, all
	// nullable, typed from the database types.
	Parquet
)

var formatNames = []struct {
	name string
	f    Format
}{{"table", Table}, {"csv", CSV}, {"json", JSON}, {"parquet", Parquet}}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	for _, n := range formatNames {
		if n.f == f {
			return n.name
		}
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatNames returns the names ParseFormat accepts.
func FormatNames() []string {
	names := make([]string, len(formatNames))
	for i, n := range formatNames {
		names[i] = n.name
	}
	return names
}

// ParseFormat returns the format called name (case-insensitive; "jsonl" and
// "ndjson" are JSON).
func ParseFormat(name string) (Format, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	switch s {
	case "jsonl", "ndjson":
		return JSON, nil
	}
	for _, n := range formatNames {
		if n.name == s {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("unknown output format %q: use one of %s", name, strings.Join(FormatNames(), ", "))
}

// Options tune the output.
type Options struct {
	// TTY says the output is a terminal: the table header is bold.
	TTY bool
	// Width is the terminal width in cells; tables wider than it get their
	// widest columns cut. 0 means no limit.
	Width int
	// Units are the units of the columns, by position; columns beyond
	// them are Number. Only the table format shows them: CSV, JSON and
	// Parquet write every number as it is.
	Units []Unit
}

// Unit is what the numbers of a column are, so that the formats people
// read show them as such.
type Unit uint8

// The units of columns.
const (
	// Number is a number shown as it is, the unit of a column unless told.
	Number Unit = iota
	// Share is a fraction of a whole or another ratio, 1 being all of it:
	// shown as a percentage (see FormatShare).
	Share
)

// String returns the unit's name, as report.json and netlens serve give
// the units of columns: "number" or "share".
func (u Unit) String() string {
	switch u {
	case Number:
		return "number"
	case Share:
		return "share"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// UnitNames returns the names of the units of n columns, units giving the
// first of them (see Options.Units): the rest are numbers.
func UnitNames(units []Unit, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = Options{Units: units}.unit(i).String()
	}
	return out
}

// unit returns the unit of column i.
func (o Options) unit(i int) Unit {
	if i < len(o.Units) {
		return o.Units[i]
	}
	return Number
}

// Write writes every row of rows to w in format, and closes rows.
func Write(w io.Writer, rows *sql.Rows, format Format, opt Options) error {
	defer rows.Close()
	cols, err := columnsOf(rows)
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return writeSource(w, &source{cols: cols, read: sqlReader(rows, len(cols))}, format, opt)
}

// writeSource writes every row of src to w in format.
func writeSource(w io.Writer, src *source, format Format, opt Options) error {
	var err error
	switch format {
	case Table:
		err = writeTable(w, src, opt)
	case CSV, JSON, Parquet:
		err = writeRows(w, src, format)
	default:
		err = fmt.Errorf("unknown format %d", int(format))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return nil
}

// writeRows writes every row of src to w in format, one at a time.
func writeRows(w io.Writer, src *source, format Format) error {
	s, err := newSink(w, format, src.cols)
	if err != nil {
		return err
	}
	for {
		vals, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := s.write(vals); err != nil {
			return err
		}
	}
	return s.close()
}

// sink writes rows in one of the formats that write each row as it comes.
type sink interface {
	// write writes one row, whose values are valid during the call only.
	write(vals []any) error
	// close ends the output after the last row.
	close() error
}

// newSink returns the sink of format over w; CSV writes its header line.
func newSink(w io.Writer, format Format, cols []column) (sink, error) {
	switch format {
	case CSV:
		return newCSVSink(w, cols)
	case JSON:
		return newJSONSink(w, cols), nil
	case Parquet:
		return newParquetSink(w, cols)
	}
	return nil, fmt.Errorf("format %s is not written row by row", format)
}

// source reads the rows of a result: its columns, and read, which returns
// the next row (its values valid until the next call) or false after the
// last one.
type source struct {
	cols []column
	read func() ([]any, bool, error)
}

// next reads the next row; the values are valid until the next call.
func (s *source) next() ([]any, bool, error) { return s.read() }

// sqlReader reads the rows of n columns of rows into reused value slices.
func sqlReader(rows *sql.Rows, n int) func() ([]any, bool, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return func() ([]any, bool, error) {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, false, err
			}
			return nil, false, rows.Close()
		}
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return nil, false, err
		}
		return vals, true, nil
	}
}
