package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/netlens/netlens/engine"
)

// WriteStream writes every row of s to w in format, reading them from s as
// they are written: only the table format holds rows back (at most
// TableBufferRows). The bytes are those WriteTable writes for a table of
// the same rows whose columns are typed as s types them. A failure of the
// stream part way stops the writing with its error: w then holds the rows
// written so far, without the end a Parquet file needs.
func WriteStream(ctx context.Context, w io.Writer, s *engine.Stream, format Format, opt Options) error {
	if err := checkStream(s); err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	r, err := s.Open(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	defer r.Close()
	return writeSource(w, &source{cols: streamColumns(s), read: streamReader(ctx, r, len(s.Columns))}, format, opt)
}

// Target is a file that WriteStreams writes: its writer and its format,
// or, when Rows is set, a writer that takes the rows itself (W and Format
// are then not used).
type Target struct {
	W      io.Writer
	Format Format
	Rows   engine.RowWriter
}

// rowsSink is the sink of a target that takes the rows itself.
type rowsSink struct{ w engine.RowWriter }

func (s rowsSink) write(vals []any) error { return s.w.WriteRow(vals) }
func (s rowsSink) close() error           { return s.w.Close() }

// label names a target in its errors.
func (t Target) label() string {
	if t.Rows != nil {
		return "file"
	}
	return t.Format.String()
}

// WriteStreams writes every row of s to each of targets in its format
// (CSV, JSON or Parquet), reading the rows from s once: each target gets
// the bytes WriteStream would write to it. It returns one error per
// target, nil for a target written whole: a target whose writer fails is
// left where it failed while the others go on; a failure to read the
// stream stops every target with its error. A target with Rows gets each
// row as it is read, and is closed after the last one, or when it or the
// stream fails.
func WriteStreams(ctx context.Context, s *engine.Stream, targets []Target) []error {
	errs := make([]error, len(targets))
	sinks := make([]sink, len(targets))
	fail := func(err error) []error {
		for i, t := range targets {
			if errs[i] != nil {
				continue // failed already (a target with Rows closed then)
			}
			if t.Rows != nil {
				t.Rows.Close() // the stream's error is the one to return
			}
			errs[i] = fmt.Errorf("write %s: %w", t.label(), err)
		}
		return errs
	}
	if err := checkStream(s); err != nil {
		return fail(err)
	}
	cols := streamColumns(s)
	live := 0
	for i, t := range targets {
		if t.Rows != nil {
			sinks[i] = rowsSink{t.Rows}
			live++
			continue
		}
		k, err := newSink(t.W, t.Format, cols)
		if err != nil {
			errs[i] = fmt.Errorf("write %s: %w", t.Format, err)
			continue
		}
		sinks[i] = k
		live++
	}
	if live == 0 {
		return errs
	}
	r, err := s.Open(ctx)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	read := streamReader(ctx, r, len(cols))
	for live > 0 {
		vals, ok, err := read()
		if err != nil {
			return fail(err)
		}
		if !ok {
			break
		}
		for i, k := range sinks {
			if k == nil {
				continue
			}
			if err := k.write(vals); err != nil {
				if k, ok := k.(rowsSink); ok {
					k.close() // the write's error is the one to return
				}
				errs[i], sinks[i] = fmt.Errorf("write %s: %w", targets[i].label(), err), nil
				live--
			}
		}
	}
	for i, k := range sinks {
		if k == nil {
			continue
		}
		if err := k.close(); err != nil {
			errs[i] = fmt.Errorf("write %s: %w", targets[i].label(), err)
		}
	}
	return errs
}

// checkStream checks that s can be read and its columns typed.
func checkStream(s *engine.Stream) error {
	if s == nil || s.Open == nil {
		return errors.New("no stream")
	}
	if len(s.Types) != len(s.Columns) {
		return fmt.Errorf("%d column types for %d columns", len(s.Types), len(s.Columns))
	}
	return nil
}

// streamColumns types the columns of s by their database type names.
func streamColumns(s *engine.Stream) []column {
	cols := make([]column, len(s.Columns))
	for i, name := range s.Columns {
		cols[i] = classify(name, s.Types[i], reflect.TypeFor[any]())
	}
	return cols
}

// streamCheckRows is how many rows are read between two looks at the
// context.
const streamCheckRows = 1024

// streamReader reads the rows of r, of n columns each, and stops with the
// context's error once ctx is done.
func streamReader(ctx context.Context, r engine.RowReader, n int) func() ([]any, bool, error) {
	read := 0
	return func() ([]any, bool, error) {
		if read++; read%streamCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		row, err := r.Next()
		if err == io.EOF {
			return nil, false, r.Close()
		}
		if err != nil {
			return nil, false, err
		}
		if len(row) != n {
			return nil, false, fmt.Errorf("%d values for %d columns", len(row), n)
		}
		return row, true, nil
	}
}
