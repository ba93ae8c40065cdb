package output

import (
	"bytes"
	"context"
	"errors"
	"io"
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
