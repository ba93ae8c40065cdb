// Package duckdb is the embedded query engine: an in-memory DuckDB database
// (through cgo) with one view per dataset table over the table's committed
// Parquet files.
//
// The database never downloads or loads extensions: Parquet, JSON and ICU
// are linked into the library, and before any query runs external access is
// disabled (enable_external_access = false) and the configuration locked, so
// that INSTALL and LOAD fail and no file but the dataset's is read or
// written; netlens works offline.
//
// duckdb imports engine, dataset and schema; it must not import analysis,
// chart, report, web or cli.
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/schema"
)

var _ engine.Keeper = (*Engine)(nil)

// Engine runs SQL on an in-memory DuckDB database whose views read the
// dataset's files as they were committed when the engine was opened.
type Engine struct {
	db      *sql.DB
	tables  []string
	tempDir string
	dir     string           // the dataset directory
	owned   *dataset.Dataset // closed with the engine, when OpenDir opened it
}

// OpenDir opens the dataset in dir read-only and the engine over it; the
// dataset stays open, as a consistent snapshot, until the engine is
// closed. A dataset with a missing or cut file is refused with the file's
// name and the advice to run netlens check.
func OpenDir(ctx context.Context, dir string) (*Engine, error) {
	e, err := newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	return e.attachDir(ctx, dir)
}

// attachDir opens the dataset in dir, as OpenDir does, and makes e's views
// of it; e is closed if that fails.
func (e *Engine) attachDir(ctx context.Context, dir string) (*Engine, error) {
	ds, err := dataset.Open(dir)
	if err != nil {
		return nil, errors.Join(err, e.Close())
	}
	check, err := ds.Check(ctx, dataset.CheckQuick)
	if err == nil && !check.OK() {
		err = damagedError(dir, check.Damaged)
	}
	if err != nil {
		return nil, errors.Join(err, ds.Close(), e.Close())
	}
	if err := e.attach(ctx, ds); err != nil {
		return nil, errors.Join(err, ds.Close())
	}
	e.owned = ds
	return e, nil
}

// Pending is a database being made in the background before its dataset
// is ready: starting DuckDB takes a tenth of a second, which a report
// spends while it ingests the capture rather than after.
type Pending struct {
	done chan struct{}
	e    *Engine
	err  error
}

// Start begins making the database that OpenDir of Pending opens.
func Start() *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.e, p.err = newDatabase(context.Background())
	}()
	return p
}

// OpenDir waits for the database and opens the dataset in dir with it, as
// the package's OpenDir does. It is called once, or Close is.
func (p *Pending) OpenDir(ctx context.Context, dir string) (*Engine, error) {
	<-p.done
	if p.err != nil {
		return nil, p.err
	}
	e := p.e
	p.e = nil
	return e.attachDir(ctx, dir)
}

// Close closes the database unless OpenDir took it.
func (p *Pending) Close() error {
	<-p.done
	if p.e == nil {
		return nil
	}
	e := p.e
	p.e = nil
	return e.Close()
}

// damagedError names the first damaged files of a dataset.
func damagedError(dir string, damaged []dataset.Damage) error {
	var b strings.Builder
	for i, d := range damaged {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(damaged)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", d.Path, d.Reason)
	}
	return fmt.Errorf("dataset %s is damaged: %s (run `netlens check -d %s`, then `netlens repair -d %s`)", dir, b.String(), dir, dir)
}

// MemoryLimit is the memory DuckDB's buffers may take before its
// operators spill to disk: the peak of the whole process stays under 4 GB.
const MemoryLimit = "3GB"

// Open creates the database and a view per table of the schema catalogue.
// A table without files is an empty view with the same columns and types.
func Open(ctx context.Context, ds *dataset.Dataset) (*Engine, error) {
	e, err := newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.attach(ctx, ds); err != nil {
		return nil, err
	}
	return e, nil
}

// newDatabase makes the database with its settings and macros, and no
// views yet.
func newDatabase(ctx context.Context) (*Engine, error) {
	tempDir, err := os.MkdirTemp("", "netlens-duckdb-")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	cfg := url.Values{}
	cfg.Set("autoinstall_known_extensions", "false")
	cfg.Set("autoload_known_extensions", "false")
	cfg.Set("allow_community_extensions", "false")
	cfg.Set("temp_directory", tempDir)
	// DuckDB takes 80% of the machine's memory by default; a month of a
	// telescope (300 M packets, counted per sender and port) would take
	// it all. Past this limit its joins and aggregates spill to tempDir.
	cfg.Set("memory_limit", MemoryLimit)
	connector, err := duckdb.NewConnector("?"+cfg.Encode(), nil)
	if err != nil {
		os.RemoveAll(tempDir)
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	e := &Engine{db: sql.OpenDB(connector), tempDir: tempDir}
	// Set for the database, not per connection: the configuration is
	// locked below, and the pool opens connections after that.
	if _, err := e.db.ExecContext(ctx, "SET GLOBAL TimeZone = 'UTC'"); err != nil {
		return nil, errors.Join(fmt.Errorf("open duckdb: %w", err), e.Close())
	}
	// The dataset's files never change once committed: their Parquet
	// footers are read once, not by every query (an analysis runs several,
	// over a file per day and input).
	if _, err := e.db.ExecContext(ctx, "SET GLOBAL parquet_metadata_cache = true"); err != nil {
		return nil, errors.Join(fmt.Errorf("open duckdb: %w", err), e.Close())
	}
	for _, q := range ipMacros {
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return nil, errors.Join(fmt.Errorf("create macros: %w", err), e.Close())
		}
	}
	return e, nil
}

// attach makes e's view of each table of ds and locks the configuration;
// e is closed if that fails.
func (e *Engine) attach(ctx context.Context, ds *dataset.Dataset) error {
	e.dir = ds.Dir()
	for _, t := range schema.Tables() {
		q := viewSQL(t, ds.Files(t.Name))
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return errors.Join(fmt.Errorf("create view %s: %w", t.Name, err), e.Close())
		}
		e.tables = append(e.tables, t.Name)
	}
	// From here on DuckDB reads the dataset's files and spills to its
	// temporary directory, and touches nothing else: no extension can be
	// installed or loaded, no other file read or written.
	dir, err := filepath.Abs(ds.Dir())
	if err != nil {
		return errors.Join(fmt.Errorf("open duckdb: %w", err), e.Close())
	}
	// The views name their files with glob characters escaped (escapeGlob):
	// the directory is allowed in both spellings.
	allowed := []string{dir, escapeGlob(dir), e.tempDir}
	for i, d := range allowed {
		allowed[i] = quoteString(d + string(filepath.Separator))
	}
	for _, q := range []string{
		"SET allowed_directories = [" + strings.Join(allowed, ", ") + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return errors.Join(fmt.Errorf("lock duckdb configuration: %w", err), e.Close())
		}
	}
	return nil
}

// Name returns "duckdb".
func (e *Engine) Name() string { return "duckdb" }

// Query runs a query; args bind its ? or $n placeholders.
func (e *Engine) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := e.db.QueryContext(ctx, query, args...)
	if err != nil {
		if e.dir != "" && strings.Contains(err.Error(), e.dir+string(os.PathSeparator)) {
			// DuckDB names the file it could not read.
			return nil, fmt.Errorf("duckdb query: %w (a file of the dataset is damaged: run `netlens check -d %s`)", err, e.dir)
		}
		if strings.Contains(err.Error(), "Permission Error") {
			return nil, fmt.Errorf("duckdb query: %w (%s)", err, offline)
		}
		return nil, fmt.Errorf("duckdb query: %w", err)
	}
	return rows, nil
}

// Keep implements engine.Keeper: the table lives in the in-memory
// database, seen by every connection, until the engine is closed.
func (e *Engine) Keep(ctx context.Context, name, query string) error {
	if _, err := e.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+quoteIdent(name)+" AS "+query); err != nil {
		return fmt.Errorf("duckdb keep %s: %w", name, err)
	}
	return nil
}

// offline explains the permission errors of queries.
const offline = "netlens runs DuckDB offline over the dataset alone: extensions cannot be installed or loaded (parquet, json and icu are built in), and no other file can be read or written"

// Tables returns the names of the dataset's tables, each a view.
func (e *Engine) Tables() []string { return append([]string(nil), e.tables...) }

// Close closes the database, removes its spill directory and closes the
// dataset OpenDir opened.
func (e *Engine) Close() error {
	err := e.db.Close()
	if rerr := os.RemoveAll(e.tempDir); err == nil {
		err = rerr
	}
	if e.owned != nil {
		if cerr := e.owned.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("close duckdb: %w", err)
	}
	return nil
}

// CloseSoon is Close for a process about to end, with nothing left to
// ask: the temporary directory and the dataset are let go at once, and the
// database is closed on a goroutine of its own, which the process need not
// wait for. Freeing what the analyses kept in memory (hundreds of MB after
// a scan's report) takes a tenth of a second; a process that goes on
// meanwhile has it freed all the same.
func (e *Engine) CloseSoon() error {
	err := os.RemoveAll(e.tempDir)
	if e.owned != nil {
		err = errors.Join(err, e.owned.Close())
	}
	go e.db.Close()
	if err != nil {
		return fmt.Errorf("close duckdb: %w", err)
	}
	return nil
}

// typeNames maps the catalogue's types to DuckDB's, which are also the
// types DuckDB reads from the Parquet files netlens writes.
var typeNames = map[schema.Type]string{
	schema.Bool:      "BOOLEAN",
	schema.UInt8:     "UTINYINT",
	schema.UInt16:    "USMALLINT",
	schema.UInt32:    "UINTEGER",
	schema.UInt64:    "UBIGINT",
	schema.Int64:     "BIGINT",
	schema.Float64:   "DOUBLE",
	schema.String:    "VARCHAR",
	schema.Timestamp: "TIMESTAMP_NS",
}

// TypeName returns the DuckDB type of a catalogue type.
func TypeName(t schema.Type) string { return typeNames[t] }

// viewSQL returns the statement creating t's view over files, or an empty
// view with t's columns when there are none.
func viewSQL(t *schema.Table, files []string) string {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE VIEW ")
	b.WriteString(quoteIdent(t.Name))
	b.WriteString(" AS ")
	if len(files) == 0 {
		b.WriteString("SELECT ")
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "CAST(NULL AS %s) AS %s", typeNames[c.Type], quoteIdent(c.Name))
		}
		b.WriteString(" WHERE false")
		return b.String()
	}
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		// A nullable text column never holds an empty value: its absence
		// is NULL, whatever a Parquet writer stored for it.
		if c.Nullable && c.Type == schema.String {
			fmt.Fprintf(&b, "NULLIF(%[1]s, '') AS %[1]s", quoteIdent(c.Name))
			continue
		}
		b.WriteString(quoteIdent(c.Name))
	}
	b.WriteString(" FROM read_parquet([")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteString(escapeGlob(f)))
	}
	b.WriteString("], hive_partitioning = false, union_by_name = false)")
	return b.String()
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString quotes a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// escapeGlob makes DuckDB read a file name literally: read_parquet expands
// *, ? and [...] as globs, so each is put in a one-character class. Names
// without them are left as they are, which spares DuckDB a directory scan.
func escapeGlob(name string) string {
	if !strings.ContainsAny(name, "*?[") {
		return name
	}
	return strings.NewReplacer("[", "[[]", "*", "[*]", "?", "[?]").Replace(name)
}
