package output

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/netlens/netlens/engine"
)

// streamOf streams the rows of t typed by types, failing with fail after
// failAt rows when fail is set.
func streamOf(t *engine.Table, types []string, failAt int, fail error) *engine.Stream {
	return &engine.Stream{Columns: t.Columns, Types: types, Open: func(context.Context) (engine.RowReader, error) {
		return &failingReader{r: engine.TableReader(t), left: failAt, err: fail}, nil
	}}
}

type failingReader struct {
	r    engine.RowReader
	left int
	err  error
}

func (f *failingReader) Next() ([]any, error) {
	if f.err != nil && f.left == 0 {
		return nil, f.err
	}
	f.left--
	return f.r.Next()
}

func (f *failingReader) Close() error { return f.r.Close() }

// streamRows are rows of every kind of value a result table holds.
func streamRows(n int) *engine.Table {
	t := &engine.Table{Columns: []string{"day", "user", "kind", "flows", "share", "ok"}, Rows: [][]any{}}
	for i := range n {
		var kind any = "Two-Way"
		if i%3 == 1 {
			kind = nil
		}
		t.Rows = append(t.Rows, []any{time.Date(2024, 3, 1+i%28, 0, 0, 0, 0, time.UTC), "u" + string(rune('a'+i%26)), kind, int64(i * 1000), float64(i) / 7, i%2 == 0})
	}
	return t
}

var streamTypes = []string{"TIMESTAMP", "VARCHAR", "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"}

// TestWriteStream: a stream writes the bytes WriteTable writes for a table
// of the same rows, in every format, whether the table's columns are
// typed from its values or by the same type names; an empty stream writes
// what an empty table of the same types does.
func TestWriteStream(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		held *engine.Table
	}{
		{"typed by values", streamRows(5000)},
		{"typed by names", func() *engine.Table { t := streamRows(7); t.Types = streamTypes; return t }()},
		{"empty", &engine.Table{Columns: streamRows(0).Columns, Types: streamTypes, Rows: [][]any{}}},
	} {
		for _, f := range []Format{Table, CSV, JSON, Parquet} {
			t.Run(tc.name+"/"+f.String(), func(t *testing.T) {
				var want, got bytes.Buffer
				if err := WriteTable(&want, tc.held, f, Options{}); err != nil {
					t.Fatal(err)
				}
				if err := WriteStream(ctx, &got, streamOf(tc.held, streamTypes, 0, nil), f, Options{}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("stream wrote %d bytes unlike the table's %d", got.Len(), want.Len())
				}
			})
		}
	}
}

// TestWriteStreamFails: a stream that fails part way stops the writing
// with its error, and a Parquet file so cut has no footer.
func TestWriteStreamFails(t *testing.T) {
	lost := errors.New("connection lost")
	for _, f := range []Format{CSV, JSON, Parquet} {
		t.Run(f.String(), func(t *testing.T) {
			var b bytes.Buffer
			err := WriteStream(context.Background(), &b, streamOf(streamRows(5000), streamTypes, 4000, lost), f, Options{})
			if !errors.Is(err, lost) {
				t.Fatalf("error %v, want %v", err, lost)
			}
			if f == Parquet && bytes.HasSuffix(b.Bytes(), []byte("PAR1")) {
				t.Error("a cut Parquet file ends as a whole one does")
			}
		})
	}
	// A stream whose types do not match its columns is refused.
	s := streamOf(streamRows(1), streamTypes[:2], 0, nil)
	if err := WriteStream(context.Background(), io.Discard, s, CSV, Options{}); err == nil {
		t.Error("a stream of 6 columns and 2 types was written")
	}
}

// failAfter is a writer that fails once it has taken n bytes.
type failAfter struct {
	n   int
	err error
}

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteStreams: the targets written from one read of a stream hold
// the bytes WriteStream writes to each; a target whose writer fails does
// not stop the others, and a stream that fails stops them all.
func TestWriteStreams(t *testing.T) {
	ctx := context.Background()
	held := streamRows(5000)
	full := streamOf(held, streamTypes, 0, nil)
	want := map[Format][]byte{}
	for _, f := range []Format{CSV, JSON, Parquet} {
		var b bytes.Buffer
		if err := WriteStream(ctx, &b, full, f, Options{}); err != nil {
			t.Fatal(err)
		}
		want[f] = b.Bytes()
	}
	full2 := errors.New("disk full")
	lost := errors.New("connection lost")
	for _, tc := range []struct {
		name    string
		s       *engine.Stream
		formats []Format
		broken  int     // the target whose writer fails, or -1
		errs    []error // the error of each target
	}{
		{"CSV and Parquet", full, []Format{CSV, Parquet}, -1, []error{nil, nil}},
		{"every format", full, []Format{Parquet, JSON, CSV}, -1, []error{nil, nil, nil}},
		{"a writer fails", full, []Format{CSV, Parquet}, 0, []error{full2, nil}},
		{"the stream fails", streamOf(held, streamTypes, 4000, lost), []Format{CSV, Parquet}, -1, []error{lost, lost}},
		{"no row", streamOf(&engine.Table{Columns: held.Columns, Rows: [][]any{}}, streamTypes, 0, nil), []Format{CSV, Parquet}, -1, []error{nil, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := make([]bytes.Buffer, len(tc.formats))
			targets := make([]Target, len(tc.formats))
			for i, f := range tc.formats {
				targets[i] = Target{W: &bufs[i], Format: f}
				if i == tc.broken {
					targets[i].W = &failAfter{n: 1000, err: full2}
				}
			}
			errs := WriteStreams(ctx, tc.s, targets)
			for i, f := range tc.formats {
				if !errors.Is(errs[i], tc.errs[i]) || (errs[i] == nil) != (tc.errs[i] == nil) {
					t.Errorf("%s: error %v, want %v", f, errs[i], tc.errs[i])
					continue
				}
				if errs[i] != nil || i == tc.broken {
					continue
				}
				w := want[f]
				if tc.name == "no row" {
					var b bytes.Buffer
					if err := WriteStream(ctx, &b, tc.s, f, Options{}); err != nil {
						t.Fatal(err)
					}
					w = b.Bytes()
				}
				if !bytes.Equal(bufs[i].Bytes(), w) {
					t.Errorf("%s: %d bytes unlike WriteStream's %d", f, bufs[i].Len(), len(w))
				}
			}
		})
	}
	if errs := WriteStreams(ctx, full, []Target{{W: io.Discard, Format: Table}}); errs[0] == nil {
		t.Error("the table format was written row by row")
	}
}

// TestCSVFields: fields are quoted and numbers and times written as
// encoding/csv writes the texts that text gives them.
func TestCSVFields(t *testing.T) {
	fields := []any{"", "plain", "a,b", `say "hi"`, "line\nbreak", "cr\rhere", " lead", "\tlead", "\u00a0nbsp", "\u2003em", `\.`, `\.x`,
		"trail ", "é", int64(-12), int64(0), 1.5, -0.25, 0.0, 1e-7, 1e21, -3e25, math.NaN(), math.Inf(1), math.Inf(-1), nil, true}
	kinds := make([]kind, len(fields))
	east := time.FixedZone("east", 5*3600+30*60)
	for _, tm := range []time.Time{
		time.Unix(0, 0), time.Unix(1_305_000_000, 123_456_789), time.Unix(1_305_000_000, 120_000_000).In(east),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(-12, 3, 1, 0, 0, 0, 1, time.UTC),
		time.Date(12345, 6, 7, 8, 9, 10, 0, east), {},
	} {
		for _, k := range []kind{kindTime, kindDate} {
			fields, kinds = append(fields, tm), append(kinds, k)
		}
	}
	cols := make([]column, len(fields))
	rec := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = column{name: "c" + strconv.Itoa(i), kind: kinds[i]}
		rec[i] = text(f, cols[i], false)
	}
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.name
	}
	cw.Write(header)
	cw.Write(rec)
	cw.Flush()
	var got bytes.Buffer
	s, err := newCSVSink(&got, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.write(fields); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("CSV\n%q\nwant\n%q", got.String(), want.String())
	}
}

// rowCounter is a target that takes the rows itself: it counts them, and
// fails at row failAt when set.
type rowCounter struct {
	rows, failAt int
	closed       int
}

func (c *rowCounter) WriteRow(row []any) error {
	c.rows++
	if c.rows == c.failAt {
		return errors.New("row refused")
	}
	return nil
}

func (c *rowCounter) Close() error { c.closed++; return nil }

// TestWriteStreamsRows: a target with Rows gets every row of the read that
// writes the other targets, and is closed once, whether it, the stream or
// nothing fails.
func TestWriteStreamsRows(t *testing.T) {
	ctx := context.Background()
	held := streamRows(5000)
	var want bytes.Buffer
	if err := WriteStream(ctx, &want, streamOf(held, streamTypes, 0, nil), CSV, Options{}); err != nil {
		t.Fatal(err)
	}
	lost := errors.New("connection lost")
	for _, tc := range []struct {
		name           string
		s              *engine.Stream
		failAt         int
		rows           int
		rowsErr, csvOK bool
	}{
		{"whole", streamOf(held, streamTypes, 0, nil), 0, 5000, false, true},
		{"the rows writer fails", streamOf(held, streamTypes, 0, nil), 10, 10, true, true},
		{"the stream fails", streamOf(held, streamTypes, 4000, lost), 0, 4000, true, false},
		{"no stream", nil, 0, 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &rowCounter{failAt: tc.failAt}
			var b bytes.Buffer
			errs := WriteStreams(ctx, tc.s, []Target{{W: &b, Format: CSV}, {Rows: c}})
			if c.rows != tc.rows || c.closed != 1 {
				t.Errorf("rows %d, closed %d times; want %d, once", c.rows, c.closed, tc.rows)
			}
			if (errs[1] != nil) != tc.rowsErr {
				t.Errorf("rows target's error %v", errs[1])
			}
			if (errs[0] == nil) != tc.csvOK || (tc.csvOK && !bytes.Equal(b.Bytes(), want.Bytes())) {
				t.Errorf("CSV target: error %v, %d bytes, want %d", errs[0], b.Len(), want.Len())
			}
		})
	}
}
