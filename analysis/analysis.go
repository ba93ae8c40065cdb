// Package analysis defines what an analysis is: a named question over the
// dataset with typed parameters, answered by result tables and chart specs.
// The analyses themselves live in analysis/catalog, one file each.
//
// Analyses are SQL run through engine.Engine, so every engine runs them
// unchanged; Go is used only where SQL is the wrong tool. analysis must not
// import cli, report or web.
package analysis

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

// Analysis is one entry of the catalogue.
type Analysis interface {
	// Meta describes the analysis: name, group, explanation, tables, parameters.
	Meta() Meta
	// Run answers the question with the parameters v (already validated).
	Run(ctx context.Context, env *Env, v Values) (*Result, error)
}

// Meta describes an analysis.
type Meta struct {
	Name   string // command-line name, e.g. "talkers"
	Group  string // catalogue group, e.g. "capture"
	Title  string // heading in reports
	Doc    string // one paragraph: what it shows, how it is computed, where it differs from common practice
	Tables []string
	// Labels are the kinds of labels (see package labels) without which
	// the analysis has nothing to say: report skips it, saying so, when
	// the dataset has none of a kind.
	Labels []string
	Params []Param
}

// Result is the answer of an analysis.
type Result struct {
	Tables []Table
	Charts []*chart.Chart
	// Notes tell the reader what was decided for them, e.g. which source
	// was picked as the top talker, or what was capped.
	Notes []string
	// Files are extra outputs by file name, e.g. "graph.graphml".
	Files map[string][]byte
	// FileWriters are extra outputs too large to hold, by file name: each
	// writes its file to w, reading from the engine as a streamed table
	// does, and may be called again to write it anew. A name is in Files
	// or in FileWriters, not both. When the caller does not write them
	// while the engine is open (Env.StreamTables false), Run writes each
	// into Files.
	FileWriters map[string]func(ctx context.Context, w io.Writer) error
	// TableFiles are those of FileWriters that are made of the rows of
	// one of Tables, by file name: a caller that writes that table's
	// files from its stream may write these from the same read of its
	// rows, through the writer New returns, rather than call the file's
	// FileWriters function (which reads them anew).
	TableFiles map[string]TableFile
}

// TableFile is a file made of the rows of a result table, in their
// order: Table is the table's index in Result.Tables, and New returns a
// writer of the file to w that takes the table's rows one by one.
type TableFile struct {
	Table int
	New   func(w io.Writer) engine.RowWriter
}

// Table is a named result table. Its rows are either held, in Rows, or,
// for a table too large to hold, streamed: Stream reads them from the
// engine each time the table is written, and Rows is nil (see
// Env.StreamTables, Open and Hold).
type Table struct {
	Name  string // file name stem, e.g. "talkers_sent"
	Title string
	*engine.Table
	// Units are the units of the columns, by position (see WithUnit);
	// the formats people read show numbers by them, a share as a
	// percentage, while CSV, JSON and Parquet keep every number as it is.
	Units []output.Unit
	// Stream, when set, gives the rows in place of Rows; its columns and
	// types are those of Table. It reads from the engine of the Env the
	// analysis ran on, which must stay open until the table is written.
	Stream *engine.Stream
}

// Streamed reports whether the rows of t are streamed rather than held.
func (t Table) Streamed() bool { return t.Stream != nil }

// Open starts reading the rows of t, held or streamed; the caller closes
// the reader.
func (t Table) Open(ctx context.Context) (engine.RowReader, error) {
	if t.Stream != nil {
		return t.Stream.Open(ctx)
	}
	if t.Table == nil {
		return nil, fmt.Errorf("table %s: no rows", t.Name)
	}
	return engine.TableReader(t.Table), nil
}

// Hold returns t with its rows held in Rows: t itself when they are,
// else a copy with the rows of its stream read into memory.
func (t Table) Hold(ctx context.Context) (Table, error) {
	if t.Stream == nil {
		return t, nil
	}
	h, err := engine.Hold(ctx, t.Stream)
	if err != nil {
		return t, fmt.Errorf("table %s: %w", t.Name, err)
	}
	t.Table, t.Stream = h, nil
	return t, nil
}

// Write writes every row of t, held or streamed, to w in format (see
// output.WriteTable and output.WriteStream: both write the same bytes for
// the same rows).
func (t Table) Write(ctx context.Context, w io.Writer, format output.Format, opt output.Options) error {
	if t.Stream != nil {
		return output.WriteStream(ctx, w, t.Stream, format, opt)
	}
	return output.WriteTable(w, t.Table, format, opt)
}

// StreamTable returns a table whose rows are those of query on the
// engine of e, read each time the table is written and never held (see
// engine.QueryStream for columns, types and conv), when e.StreamTables;
// otherwise Run reads them into Rows before the analysis returns. The
// query orders its rows: a stream is read again for each file written.
func (e *Env) StreamTable(name, title string, columns, types []string, conv func(in, out []any) error, query string, args ...any) Table {
	s := engine.QueryStream(e.Engine, columns, types, conv, query, args...)
	return Table{Name: name, Title: title, Table: &engine.Table{Columns: columns, Types: types}, Stream: s}
}

// WithUnit returns t with column col of unit u. It panics if t has no
// column col, a mistake in the analysis.
func (t Table) WithUnit(col string, u output.Unit) Table {
	i := slices.Index(t.Columns, col)
	if i < 0 {
		panic(fmt.Sprintf("table %s has no column %q", t.Name, col))
	}
	units := make([]output.Unit, len(t.Columns))
	copy(units, t.Units)
	units[i] = u
	t.Units = units
	return t
}

// Env is what an analysis runs against. Analyses may run at the same time
// on one Env.
type Env struct {
	Engine engine.Engine
	// StreamTables lets analyses return tables whose rows are streamed
	// from the engine as they are written (Table.Stream) rather than
	// held: for callers that write each table through Table.Write or
	// Table.Open while the engine is open (netlens run, report). When
	// false, Run holds the rows of every table before returning, for
	// callers that keep results (the web server, tests).
	StreamTables bool
	// Names maps addresses to the names seen for them (DNS answers, TLS SNI).
	Names map[string]string

	mu     sync.Mutex
	shared map[string]*sharedQuery
	kept   map[string]*keptQuery
}

// keptQuery is a query of Env.Kept: done is closed once err is set.
type keptQuery struct {
	done chan struct{}
	err  error
}

// sharedQuery is a query of Env.Shared: done is closed once t and err are set.
type sharedQuery struct {
	done chan struct{}
	t    *engine.Table
	err  error
}

// Query runs q on the engine and collects its rows.
func (e *Env) Query(ctx context.Context, q string, args ...any) (*engine.Table, error) {
	rows, err := e.Engine.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return engine.Collect(rows, -1)
}

// Shared runs q like Query, but once for all the analyses on e: the
// dataset does not change during the life of an Env, so analyses that ask
// the same question (the top source, the stream they all look at) share
// one answer. A query asked again while it runs waits for it; one that
// failed runs again when asked again. The table is shared: it must not be
// modified.
func (e *Env) Shared(ctx context.Context, q string, args ...any) (*engine.Table, error) {
	key := q
	for _, a := range args {
		key += fmt.Sprintf("\x00%T:%v", a, a)
	}
	e.mu.Lock()
	if e.shared == nil {
		e.shared = map[string]*sharedQuery{}
	}
	sq, ok := e.shared[key]
	if !ok {
		sq = &sharedQuery{done: make(chan struct{})}
		e.shared[key] = sq
	}
	e.mu.Unlock()
	if ok {
		select {
		case <-sq.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if sq.err != nil {
			return e.Shared(ctx, q, args...)
		}
		return sq.t, nil
	}
	sq.t, sq.err = e.Query(ctx, q, args...)
	if sq.err != nil {
		e.mu.Lock()
		delete(e.shared, key)
		e.mu.Unlock()
	}
	close(sq.done)
	return sq.t, sq.err
}

// Kept returns a relation holding the result of q, for the queries of the
// analyses on e to use in place of q: on an engine that keeps results
// (engine.Keeper), a table made when first asked for and then shared by
// every analysis on e; elsewhere q itself, parenthesised, run again by
// each query. A table that failed to be made is tried again when asked
// again.
func (e *Env) Kept(ctx context.Context, q string) (string, error) {
	k, ok := e.Engine.(engine.Keeper)
	if !ok {
		return "(" + q + ")", nil
	}
	sum := sha256.Sum256([]byte(q))
	name := "netlens_kept_" + hex.EncodeToString(sum[:8])
	e.mu.Lock()
	if e.kept == nil {
		e.kept = map[string]*keptQuery{}
	}
	kq, found := e.kept[name]
	if !found {
		kq = &keptQuery{done: make(chan struct{})}
		e.kept[name] = kq
	}
	e.mu.Unlock()
	if found {
		select {
		case <-kq.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if kq.err != nil {
			return e.Kept(ctx, q)
		}
		return name, nil
	}
	kq.err = k.Keep(ctx, name, q)
	if kq.err != nil {
		e.mu.Lock()
		delete(e.kept, name)
		e.mu.Unlock()
	}
	close(kq.done)
	return name, kq.err
}

// Label returns addr with its name, as shown wherever an address is shown.
func (e *Env) Label(addr string) string { return chart.AddrLabel(addr, e.Names[addr]) }

// Dialect returns the SQL dialect of the engine.
func (e *Env) Dialect() engine.Dialect { return e.Engine.Dialect() }

// Requires reports which of the analysis' tables are missing among present.
func Requires(m Meta, present []string) (missing []string) {
	have := map[string]bool{}
	for _, t := range present {
		have[t] = true
	}
	for _, t := range m.Tables {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	return missing
}

// Run validates settings against a's parameters and runs it.
func Run(ctx context.Context, a Analysis, env *Env, settings map[string]string) (*Result, error) {
	m := a.Meta()
	v, err := ParseValues(m.Params, settings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	res, err := a.Run(ctx, env, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	if env == nil || !env.StreamTables {
		for i, t := range res.Tables {
			if res.Tables[i], err = t.Hold(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		for name, write := range res.FileWriters {
			var b bytes.Buffer
			if err := write(ctx, &b); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", m.Name, name, err)
			}
			if res.Files == nil {
				res.Files = map[string][]byte{}
			}
			res.Files[name] = b.Bytes()
		}
		res.FileWriters = nil
	}
	for _, c := range res.Charts {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("%s: chart %s: %w", m.Name, c.ID, err)
		}
	}
	return res, nil
}

// NewTable returns an empty result table with the given columns.
func NewTable(name, title string, columns ...string) Table {
	return Table{Name: name, Title: title, Table: &engine.Table{Columns: columns, Rows: [][]any{}}}
}

// Add appends a row; values are in column order.
func (t Table) Add(values ...any) { t.Rows = append(t.Rows, values) }

// MakeRows returns n rows of width values each, all held in one
// allocation: for tables of millions of rows made in Go, filled in place.
func MakeRows(n, width int) [][]any {
	vals := make([]any, n*width)
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = vals[i*width : (i+1)*width : (i+1)*width]
	}
	return rows
}

// NamesQuery gives each address its name (naddr, nname): the first in
// alphabetical order of those seen for it in DNS answers and in flows to it
// (TLS SNI, HTTP Host). Env.Names holds its rows; analyses that name
// addresses within a query join env.Kept(ctx, NamesQuery), which NewEnv made.
const NamesQuery = `SELECT addr AS naddr, min(name) AS nname FROM (
		SELECT answer AS addr, coalesce(query, answer_name) AS name FROM dns WHERE answer_type IN ('A', 'AAAA')
		UNION ALL
		SELECT b AS addr, name FROM flows WHERE name IS NOT NULL
	) AS names WHERE addr IS NOT NULL AND name IS NOT NULL GROUP BY addr`

// NewEnv prepares the environment of analyses on eng: it loads the names
// learned at ingest (DNS answers, TLS SNI, HTTP Host) for every address.
// When an address has several names, the first in alphabetical order is
// shown, so reports are the same from run to run.
func NewEnv(ctx context.Context, eng engine.Engine) (*Env, error) {
	env := &Env{Engine: eng, Names: map[string]string{}}
	// Kept, so that the analyses that join addresses to their names
	// (organisations) use this table rather than run the query again.
	names, err := env.Kept(ctx, NamesQuery)
	if err != nil {
		return nil, fmt.Errorf("load names: %w", err)
	}
	t, err := env.Query(ctx, "SELECT naddr, nname FROM "+names)
	if err != nil {
		return nil, fmt.Errorf("load names: %w", err)
	}
	for _, r := range t.Rows {
		env.Names[AsString(r[0])] = AsString(r[1])
	}
	return env, nil
}
