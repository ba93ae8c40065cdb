package engine

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
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

// OrderRuns returns a stream of the rows of s in a finer order than its
// query's: the query orders its rows by all their sort keys but the last,
// and each run of consecutive rows that same reports equal in those keys
// is put in the order of cmp, the last key. The rows are then those of
// the query ordered by every key, as long as no two rows are equal in all
// of them. A database may sort by one text much faster than by two
// (DuckDB sorts 2 M rows by two texts in about twice the time it takes by
// one). Each run is held in memory to be ordered: the keys must be such
// that no run can be large.
//
// The query says so with RunsOrdered before its ORDER BY, so that whoever
// reads the query alone (a test comparing engines' answers) knows that its
// ties may come in any order.
func OrderRuns(s *Stream, same func(a, b []any) bool, cmp func(a, b []any) int) *Stream {
	return OrderRunsUpTo(s, same, cmp, 0, nil)
}

// OrderRunsUpTo is OrderRuns for keys whose runs are mostly small but may
// be large: a run of more than limit rows is not held in memory. Its rows
// come instead from large, a stream of the rows of every such run ordered
// by every key (whose query the database sorts), and the rows of the run
// that s reads are skipped. The large runs come in large in the order they
// come in s, so that large is read once, beside s, a run at a time: it is
// opened at the first large run, if any. A scan's graph has millions of
// edges, mostly runs of one, but a scanning source's edges may be a run of
// millions, and a telescope sees hundreds of such sources. A limit of 0
// holds every run, and large is then never read (it may be nil).
func OrderRunsUpTo(s *Stream, same func(a, b []any) bool, cmp func(a, b []any) int, limit int, large *Stream) *Stream {
	return &Stream{Columns: s.Columns, Types: s.Types, Open: func(ctx context.Context) (RowReader, error) {
		r, err := s.Open(ctx)
		if err != nil {
			return nil, err
		}
		return &runReader{ctx: ctx, r: r, same: same, cmp: cmp, limit: limit, large: large}, nil
	}}
}

// RunsOrdered is the comment that a query read through OrderRuns carries
// before its ORDER BY.
const RunsOrdered = "/* ties ordered as read */"

// runReader reads the rows of a stream a run at a time (see OrderRuns).
type runReader struct {
	ctx   context.Context
	r     RowReader
	same  func(a, b []any) bool
	cmp   func(a, b []any) int
	limit int     // the most rows of a run held, 0 for no limit
	large *Stream // the rows of the runs of more than limit rows
	// lr reads large once opened; while the rows of a large run are
	// returned, inLarge is set, runLen is the run's rows in s and got
	// those returned. lahead is the row of lr read after the last one
	// returned, when laheadOK.
	lr          RowReader
	inLarge     bool
	runLen, got int
	lahead      []any
	laheadOK    bool
	// run holds copies of the rows of the run being returned, in slices
	// reused from run to run; n of them are the run's, next is the next
	// to return.
	run     [][]any
	n, next int
	ahead   []any // a copy of the row read after the run, when aheadOK
	aheadOK bool
	err     error // what the reader returned after the last row read
}

func (r *runReader) Next() ([]any, error) {
	if r.inLarge {
		row, err := r.nextLarge()
		if err != io.EOF {
			return row, err
		}
		r.inLarge = false
	}
	if r.next == r.n {
		if err := r.fill(); err != nil {
			return nil, err
		}
		if r.inLarge {
			return r.Next()
		}
	}
	r.next++
	return r.run[r.next-1], nil
}

// fill reads the next run into run, and the row after it into ahead; a
// run of more than limit rows is skipped, to be read from large instead.
func (r *runReader) fill() error {
	r.n, r.next = 0, 0
	if r.aheadOK { // after a run: run[0] is there to swap with
		r.run[0], r.ahead = r.ahead, r.run[0]
		r.n, r.aheadOK = 1, false
	} else {
		if r.err != nil {
			return r.err
		}
		row, err := r.r.Next()
		if err != nil {
			r.err = err
			return err
		}
		r.push(row)
	}
	for {
		row, err := r.r.Next()
		if err != nil {
			r.err = err
			if err != io.EOF {
				r.n = 0
				return err
			}
			break
		}
		if !r.same(r.run[0], row) {
			r.ahead, r.aheadOK = append(r.ahead[:0], row...), true
			break
		}
		if r.limit > 0 && r.n == r.limit {
			return r.skip()
		}
		r.push(row)
	}
	if r.n > 1 {
		slices.SortStableFunc(r.run[:r.n], r.cmp)
	}
	return nil
}

// skip reads past the rest of the run whose first limit rows are held and
// whose next row was read (its first row stays in run[0]), and sets
// inLarge.
func (r *runReader) skip() error {
	r.n, r.runLen = 0, r.limit+1 // the rows held and the one read past them
	for {
		row, err := r.r.Next()
		if err != nil {
			r.err = err
			if err != io.EOF {
				return err
			}
			break
		}
		if !r.same(r.run[0], row) {
			r.ahead, r.aheadOK = append(r.ahead[:0], row...), true
			break
		}
		r.runLen++
	}
	if r.lr == nil {
		lr, err := r.large.Open(r.ctx)
		if err != nil {
			return fmt.Errorf("read the runs of more than %d rows: %w", r.limit, err)
		}
		r.lr = lr
	}
	r.inLarge, r.got = true, 0
	return nil
}

// nextLarge returns the next row of the large run being read from lr, or
// io.EOF after its last. The run must come whole: as many rows as s had.
func (r *runReader) nextLarge() ([]any, error) {
	if !r.laheadOK {
		row, err := r.lr.Next()
		switch {
		case err == io.EOF:
		case err != nil:
			return nil, fmt.Errorf("read the runs of more than %d rows: %w", r.limit, err)
		default:
			r.lahead, r.laheadOK = append(r.lahead[:0], row...), true
		}
	}
	if r.laheadOK && r.same(r.run[0], r.lahead) {
		if r.got == r.runLen {
			return nil, fmt.Errorf("a run of %d rows has more among the runs of more than %d rows", r.runLen, r.limit)
		}
		r.laheadOK = false
		r.got++
		return r.lahead, nil
	}
	if r.got != r.runLen {
		return nil, fmt.Errorf("a run of %d rows has %d among the runs of more than %d rows", r.runLen, r.got, r.limit)
	}
	return nil, io.EOF
}

// push adds a copy of row to the run.
func (r *runReader) push(row []any) {
	if r.n == len(r.run) {
		r.run = append(r.run, nil)
	}
	r.run[r.n] = append(r.run[r.n][:0], row...)
	r.n++
}

func (r *runReader) Close() error {
	if r.lr != nil {
		r.lr.Close()
		r.lr = nil
	}
	return r.r.Close()
}
