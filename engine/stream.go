package engine

import (
	"context"
	"database/sql"
	"fmt"
	"io"
)

// RowReader reads a result one row at a time.
type RowReader interface {
	// Next returns the next row, in column order; the slice and its
	// values are valid until the next call. It returns io.EOF after the
	// last row.
	Next() ([]any, error)
	// Close releases the reader; it may be called more than once.
	Close() error
}

// RowWriter takes the rows of a result one at a time, as it writes a
// file of them.
type RowWriter interface {
	// WriteRow takes the next row, in column order; the slice and its
	// values are valid during the call only.
	WriteRow(row []any) error
	// Close ends the output after the last row; after a failure (of
	// WriteRow or of the rows' source) it releases what the writer holds.
	Close() error
}

// Stream is a result too large to hold, read from its source each time it
// is written: its rows are never all in memory at once.
type Stream struct {
	Columns []string
	// Types are the database type names of the columns (BIGINT, DOUBLE,
	// VARCHAR, TIMESTAMP, ...), one per column: the rows are not there to
	// type the columns from, as the writers type those of a Table.
	Types []string
	// Open starts reading the rows from the first; every call reads them
	// anew, in the same order. The caller closes the reader.
	Open func(ctx context.Context) (RowReader, error)
}

// TableReader returns a reader of the rows of t.
func TableReader(t *Table) RowReader { return &tableReader{rows: t.Rows} }

type tableReader struct{ rows [][]any }

func (r *tableReader) Next() ([]any, error) {
	if len(r.rows) == 0 {
		return nil, io.EOF
	}
	row := r.rows[0]
	r.rows = r.rows[1:]
	return row, nil
}

func (r *tableReader) Close() error { r.rows = nil; return nil }

// QueryStream returns a stream of the rows of query on eng, run anew each
// time the stream is opened: columns and types name and type the stream's
// columns, and conv (when not nil) turns each row of the query, with its
// values converted as Collect converts them, into a row of the stream
// (out has one value per column, reused from row to row).
func QueryStream(eng Engine, columns, types []string, conv func(in, out []any) error, query string, args ...any) *Stream {
	return &Stream{Columns: columns, Types: types, Open: func(ctx context.Context) (RowReader, error) {
		rows, err := eng.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		n, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read rows: %w", err)
		}
		if conv == nil && len(n) != len(columns) {
			rows.Close()
			return nil, fmt.Errorf("read rows: %d columns for a stream of %d", len(n), len(columns))
		}
		return newQueryReader(rows, len(n), len(columns), conv), nil
	}}
}

// queryReader reads the rows of a query.
type queryReader struct {
	rows       *sql.Rows
	vals, ptrs []any
	out        []any
	conv       func(in, out []any) error
	closed     bool
}

func newQueryReader(rows *sql.Rows, n, m int, conv func(in, out []any) error) *queryReader {
	r := &queryReader{rows: rows, vals: make([]any, n), ptrs: make([]any, n), conv: conv}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	if conv != nil {
		r.out = make([]any, m)
	}
	return r
}

func (r *queryReader) Next() ([]any, error) {
	if r.closed {
		return nil, io.EOF
	}
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return nil, fmt.Errorf("read rows: %w", err)
		}
		if err := r.Close(); err != nil {
			return nil, fmt.Errorf("read rows: %w", err)
		}
		return nil, io.EOF
	}
	clear(r.vals)
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	convertRow(r.vals)
	if r.conv == nil {
		return r.vals, nil
	}
	clear(r.out)
	if err := r.conv(r.vals, r.out); err != nil {
		return nil, err
	}
	return r.out, nil
}

func (r *queryReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.rows.Close()
}

// Hold reads every row of s into a Table.
func Hold(ctx context.Context, s *Stream) (*Table, error) {
	r, err := s.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &Table{Columns: s.Columns, Types: s.Types, Rows: [][]any{}}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(row) != len(s.Columns) {
			return nil, fmt.Errorf("read rows: %d values for %d columns", len(row), len(s.Columns))
		}
		t.Rows = append(t.Rows, append([]any(nil), row...))
	}
	return t, r.Close()
}
