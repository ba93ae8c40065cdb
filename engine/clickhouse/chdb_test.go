package clickhouse

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/enginetest"
	"github.com/netlens/netlens/internal/chdb"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

var update = flag.Bool("update", false, "rewrite golden files")

// chdbCluster is the cluster of the chdb configuration: one shard, this
// process, so that a Distributed table reads and writes the local one.
const chdbCluster = "netlens_local"

// chdbConfig is the chdb configuration: the cluster, whose one replica is
// local because its port is the tcp_port (chdb listens on none).
const chdbConfig = `<clickhouse>
    <tcp_port>9000</tcp_port>
    <remote_servers>
        <` + chdbCluster + `>
            <shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard>
        </` + chdbCluster + `>
    </remote_servers>
</clickhouse>
`

// TestDialectCurrent checks that the SQL netlens sends to ClickHouse, tested
// on Debian's 18.16 by the other tests, is also accepted by a current
// release (chdb: ClickHouse as a library) and answers the same: the DDL of
// setup (twice, as setup is idempotent), every query of every analysis with
// its settings, and the load's bookkeeping. The data is loaded into 18.16 by
// the engine, then copied to chdb, into a database as on a single server and
// one as on a cluster (Distributed tables over <table>_local). What the
// current release rejects or answers differently is listed in
// testdata/dialect_current.golden, so that a new difference, or one that
// went away, fails the test (-update rewrites the list; -v logs the
// statements).
func TestDialectCurrent(t *testing.T) {
	_, err := os.Stat(chdb.Path())
	testenv.Require(t, err == nil, "chdb library "+chdb.Path()+" (make test fetches it)")
	ctx := context.Background()

	// 18.16, loaded by the engine; every analysis with its settings,
	// recording what it asks.
	e := openEngine(t, testenv.ClickHouse(t), "")
	if _, err := e.Load(ctx, enginetest.Dataset(t), nil); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Engine: e, source: "analysis.NewEnv"}
	env, err := analysis.NewEnv(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range catalog.All() {
		rec.setSource(a.Meta().Name)
		for _, set := range append([]map[string]string{nil}, enginetest.Settings...) {
			if len(set) > 0 && !hasParams(a.Meta(), set) {
				continue
			}
			if _, err := analysis.Run(ctx, a, env, set); err != nil {
				t.Fatalf("18.16: %v", err)
			}
		}
	}

	// chdb, with the settings the engine's client sends.
	cfg := filepath.Join(t.TempDir(), "chdb.xml")
	if err := os.WriteFile(cfg, []byte(chdbConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := chdb.Open(chdb.Path(), "--config-file="+cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	version, err := s.Query("SELECT version()", "")
	if err != nil {
		t.Fatal(err)
	}
	changed, err := s.Query("SELECT name, value FROM system.settings WHERE changed ORDER BY name", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("18.16 (%s) against chdb (ClickHouse %s; settings chdb changes: %q)", e.Version(), strings.TrimSpace(version), changed)
	// A probe that differs, to show that differences are seen.
	probe := &differences{t: t, db: e.cfg.Database}
	probe.compare(e, []*current{{s: s, db: "default", name: "probe"}}, call{"version", "SELECT version()", nil})
	if len(probe.lines) != 1 {
		t.Fatalf("the versions' difference was not seen: %q", probe.lines)
	}

	d := &differences{t: t, db: e.cfg.Database}
	settings := options(e.cfg, e.cfg.Addr, e.cfg.Database).Settings
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		q := fmt.Sprintf("SET %s = %v", name, settings[name])
		if _, err := s.Query(q, ""); err != nil {
			d.add("client settings", "rejected: "+firstLine(err.Error()), q)
		}
	}

	targets := []*current{
		{s: s, db: e.cfg.Database, name: "server"},
		{s: s, db: e.cfg.Database + "_cluster", cluster: chdbCluster, name: "cluster"},
	}
	for _, c := range targets {
		c.setup(t, d)
		copyData(t, e, c)
	}
	rows := 0
	for _, c := range rec.calls {
		rows += d.compare(e, targets, c)
	}
	bk := bookkeeping(t, e, targets)
	for _, c := range bk {
		rows += d.compare(e, targets, c)
	}
	deleteLoad(t, e, targets, d)
	t.Logf("%d analysis and %d bookkeeping queries compared on %d databases (%d rows on 18.16); %d differences; %d columns named otherwise",
		len(rec.calls), len(bk), len(targets), rows, len(d.lines), d.renamed)
	got := "# What current ClickHouse (chdb) rejects or answers differently from 18.16: see TestDialectCurrent.\n"
	for _, l := range d.lines {
		got += l + "\n"
	}
	testenv.Golden(t, filepath.Join("testdata", "dialect_current.golden"), got, *update)
}

// hasParams reports whether every setting names a parameter of m.
func hasParams(m analysis.Meta, set map[string]string) bool {
	for k := range set {
		if !slices.ContainsFunc(m.Params, func(p analysis.Param) bool { return p.Name == k }) {
			return false
		}
	}
	return true
}

// call is one query an engine was asked, with its arguments, and who
// asked it first.
type call struct {
	source string
	query  string
	args   []any
}

// recorder is an engine that records the queries it forwards, once each,
// with the source set at the time.
type recorder struct {
	engine.Engine
	mu     sync.Mutex
	source string
	seen   map[string]bool
	calls  []call
}

func (r *recorder) setSource(s string) {
	r.mu.Lock()
	r.source = s
	r.mu.Unlock()
}

func (r *recorder) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	key := fmt.Sprintf("%s\x00%#v", q, args)
	r.mu.Lock()
	if !r.seen[key] {
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		r.seen[key] = true
		r.calls = append(r.calls, call{r.source, q, args})
	}
	r.mu.Unlock()
	return r.Engine.Query(ctx, q, args...)
}

// current is a database in the chdb session standing for a current
// ClickHouse server, or for a cluster when cluster is set.
type current struct {
	s       *chdb.Session
	db      string
	cluster string
	name    string // "server" or "cluster", in the list of differences
}

// query runs q on chdb in c's database, with args bound into it as
// literals.
func (c *current) query(q string, args []any, format string) (string, error) {
	bound, err := bind(q, args)
	if err != nil {
		return "", err
	}
	if _, err := c.s.Query("USE "+quote(c.db), ""); err != nil {
		return "", err
	}
	return c.s.Query(bound, format)
}

// local returns the name of the table holding the rows of table.
func (c *current) local(table string) string {
	if c.cluster != "" {
		return table + localSuffix
	}
	return table
}

// setup creates the database and tables with setup's statements, twice,
// checks that system.columns reports the types ensureTable compares with,
// and adds back a dropped column as ensureTable does.
func (c *current) setup(t *testing.T, d *differences) {
	t.Helper()
	run := func(q string) {
		if _, err := c.s.Query(q, ""); err != nil {
			d.add("setup, "+c.name, "rejected: "+firstLine(err.Error()), q)
		}
	}
	var creates []string
	for _, td := range tableDefs() {
		if c.cluster == "" {
			creates = append(creates, td.createSQL(c.db, td.name))
		} else {
			creates = append(creates, td.createSQL(c.db, td.name+localSuffix), td.distributedSQL(c.db, c.cluster))
		}
	}
	for range 2 {
		run("CREATE DATABASE IF NOT EXISTS " + quote(c.db))
		for _, q := range creates {
			run(q)
		}
	}
	for _, td := range tableDefs() {
		names := []string{td.name}
		if c.cluster != "" {
			names = append(names, td.name+localSuffix)
		}
		for _, name := range names {
			q := "SELECT name, type FROM system.columns WHERE database = ? AND table = ?"
			out, err := c.query(q, []any{c.db, name}, "")
			if err != nil {
				d.add("setup, "+c.name, "rejected: "+firstLine(err.Error()), q)
				continue
			}
			have := map[string]string{}
			for _, r := range parseTSV(out) {
				have[r[0]] = r[1]
			}
			for _, col := range td.columns {
				if have[col[0]] != col[1] {
					d.add("setup, "+c.name, fmt.Sprintf("system.columns says %s.%s is %q, setup wants %q (Open would refuse the table)",
						name, col[0], have[col[0]], col[1]), q)
				}
			}
		}
	}
	i := slices.IndexFunc(tableDefs(), func(td tableDef) bool { return td.name == schema.Flows.Name })
	flows := tableDefs()[i]
	last := flows.columns[len(flows.columns)-1]
	names := []string{flows.name}
	if c.cluster != "" {
		names = append(names, flows.name+localSuffix)
	}
	for _, name := range names {
		run(fmt.Sprintf("ALTER TABLE %s.%s DROP COLUMN %s", quote(c.db), quote(name), quote(last[0])))
		run(fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN %s %s", quote(c.db), quote(name), quote(last[0]), last[1]))
	}
}

// copyData copies every table from the 18.16 server to chdb, as
// TabSeparated text of the values the client reads, into the tables that
// hold the rows.
func copyData(t *testing.T, e *Engine, c *current) {
	t.Helper()
	start := time.Now()
	var total int
	for _, d := range tableDefs() {
		res, err := queryServer(e, "SELECT * FROM "+quote(d.name), nil)
		if err != nil {
			t.Fatalf("18.16: read %s: %v", d.name, err)
		}
		if len(res.rows) == 0 {
			continue // an INSERT without rows is an error on current releases
		}
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s.%s FORMAT TabSeparated\n", quote(c.db), quote(c.local(d.name)))
		for _, r := range res.rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		if _, err := c.s.Query(b.String(), ""); err != nil {
			t.Fatalf("chdb: copy %s: %v", d.name, err)
		}
		total += len(res.rows)
	}
	t.Logf("copied %d rows to chdb (%s) in %v", total, c.name, time.Since(start).Round(time.Millisecond))
}

// differences collects how the current release disagrees with 18.16: one
// line each for the golden list, the statements in the test's log.
type differences struct {
	t       *testing.T
	db      string // the test database's name, written DB in the list
	seen    map[string]bool
	lines   []string
	renamed int // result columns named otherwise
}

// add records a difference found by source, once; detail goes to the log.
func (d *differences) add(source, what, detail string) {
	line := strings.ReplaceAll(source+": "+what, d.db, "DB")
	d.t.Logf("%s\n  %s", line, strings.ReplaceAll(detail, "\n", "\n  "))
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if !d.seen[line] {
		d.seen[line] = true
		d.lines = append(d.lines, line)
	}
}

// compare runs a recorded query on 18.16 and on every target, and records
// how the current release rejects it or answers otherwise. It returns the
// number of rows 18.16 answered.
func (d *differences) compare(e *Engine, targets []*current, cl call) int {
	d.t.Helper()
	old, err := queryServer(e, cl.query, cl.args)
	if err != nil {
		d.t.Fatalf("18.16: %s: %v", cl.query, err)
	}
	shown := cl.query
	if len(cl.args) > 0 {
		shown += fmt.Sprintf("\nargs %v", cl.args)
	}
	for _, c := range targets {
		source := cl.source + ", " + c.name
		out, err := c.query(cl.query, cl.args, "TabSeparatedWithNamesAndTypes")
		if err != nil {
			d.add(source, "rejected: "+firstLine(err.Error()), shown)
			continue
		}
		var now result
		if all := parseTSV(out); len(all) >= 2 {
			now = result{names: all[0], types: all[1], rows: all[2:]}
		}
		if len(old.names) != len(now.names) {
			d.add(source, fmt.Sprintf("%d columns on 18.16, %d now", len(old.names), len(now.names)), shown)
			continue
		}
		for i := range old.names {
			// Names of unaliased expressions follow each release's
			// formatting of the expression; netlens reads results by
			// position, so they are noted, not listed.
			if old.names[i] != now.names[i] {
				a, b := around(old.names[i], now.names[i])
				d.t.Logf("%s: note: column %d is named %q by 18.16, %q now", source, i+1, a, b)
				d.renamed++
			}
			if old.types[i] != now.types[i] {
				d.add(source, fmt.Sprintf("column %d (%s) is %s on 18.16, %s now", i+1, old.names[i], old.types[i], now.types[i]), shown)
			}
		}
		if diff := diffRows(old.rows, now.rows); diff != "" {
			switch {
			case diffRows(sortRows(old.rows), sortRows(now.rows)) != "":
				d.add(source, "different rows: "+diff, shown)
			case strings.Contains(strings.ToUpper(cl.query), "ORDER BY") && !strings.Contains(cl.query, engine.RunsOrdered):
				d.add(source, "same rows in another order despite ORDER BY: "+diff, shown)
			default:
				d.t.Logf("%s: same rows in another order (no ORDER BY, or ties ordered as read)", source)
			}
		}
	}
	return len(old.rows)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// around shortens two long texts to where they first differ.
func around(a, b string) (string, string) {
	const w = 24
	if len(a) <= 3*w && len(b) <= 3*w {
		return a, b
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	cut := func(s string) string {
		lo, hi := max(0, i-w), min(len(s), i+w)
		out := s[lo:hi]
		if lo > 0 {
			out = "..." + out
		}
		if hi < len(s) {
			out += "..."
		}
		return out
	}
	return cut(a), cut(b)
}

// result is a query's answer as TabSeparated text: column names, types and
// rows of escaped cells.
type result struct {
	names, types []string
	rows         [][]string
}

// queryServer runs q on the 18.16 server as the engine does and renders
// the values the client reads as ClickHouse writes them in TabSeparated.
func queryServer(e *Engine, q string, args []any) (result, error) {
	rows, err := e.nodes[0].db.QueryContext(context.Background(), q, args...)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return result{}, err
	}
	var res result
	for _, col := range cols {
		res.names = append(res.names, escapeTSV(col.Name()))
		res.types = append(res.types, col.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return result{}, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if row[i], err = tsvCell(v); err != nil {
				return result{}, fmt.Errorf("column %s: %w", cols[i].Name(), err)
			}
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

// diffRows describes the first difference between two results, or "".
func diffRows(old, cur [][]string) string {
	if len(old) != len(cur) {
		return fmt.Sprintf("18.16 %d rows, current %d rows", len(old), len(cur))
	}
	for i := range old {
		if len(old[i]) != len(cur[i]) {
			return fmt.Sprintf("row %d: 18.16 %q, current %q", i+1, old[i], cur[i])
		}
		for j := range old[i] {
			if !sameCell(old[i][j], cur[i][j]) {
				return fmt.Sprintf("row %d column %d: 18.16 %q, current %q", i+1, j+1, old[i][j], cur[i][j])
			}
		}
	}
	return ""
}

func sortRows(rows [][]string) [][]string {
	s := slices.Clone(rows)
	slices.SortFunc(s, func(a, b []string) int { return slices.Compare(a, b) })
	return s
}

// sameCell reports whether two TabSeparated cells hold the same value:
// the same text, the same integer, floats within enginetest.FloatTolerance,
// or arrays of such elements.
func sameCell(a, b string) bool {
	if a == b {
		return true
	}
	if strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]") && strings.HasPrefix(b, "[") && strings.HasSuffix(b, "]") {
		ea, eb := strings.Split(a[1:len(a)-1], ","), strings.Split(b[1:len(b)-1], ",")
		if len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !sameNumber(ea[i], eb[i]) {
				return false
			}
		}
		return true
	}
	return sameNumber(a, b)
}

func sameNumber(a, b string) bool {
	if a == b {
		return true
	}
	if _, err := strconv.ParseInt(a, 10, 64); err == nil {
		if _, err := strconv.ParseInt(b, 10, 64); err == nil {
			return false // different integers
		}
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y || math.Abs(x-y) <= enginetest.FloatTolerance*math.Max(math.Abs(x), math.Abs(y))
}

// parseTSV splits TabSeparated output into rows of escaped cells.
func parseTSV(out string) [][]string {
	if out == "" {
		return nil
	}
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// tsvEscaper escapes text as ClickHouse writes and reads it in
// TabSeparated.
var tsvEscaper = strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\r", "\\r", "\x00", "\\0", "\b", "\\b", "\f", "\\f", "'", "\\'")

func escapeTSV(s string) string { return tsvEscaper.Replace(s) }

// tsvCell renders a value the client read as ClickHouse writes it in
// TabSeparated: NULL as \N, arrays as [x,y] with quoted strings.
func tsvCell(v any) (string, error) {
	if v == nil {
		return `\N`, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return `\N`, nil
		}
		return tsvCell(rv.Elem().Interface())
	case reflect.Slice:
		elems := make([]string, rv.Len())
		for i := range elems {
			x := rv.Index(i).Interface()
			if s, ok := x.(string); ok {
				elems[i] = "'" + escapeTSV(s) + "'"
				continue
			}
			var err error
			if elems[i], err = tsvCell(x); err != nil {
				return "", err
			}
			if elems[i] == `\N` {
				elems[i] = "NULL"
			}
		}
		return "[" + strings.Join(elems, ",") + "]", nil
	case reflect.String:
		return escapeTSV(rv.String()), nil
	case reflect.Bool:
		if rv.Bool() {
			return "1", nil
		}
		return "0", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		switch {
		case math.IsNaN(f):
			return "nan", nil
		case math.IsInf(f, 1):
			return "inf", nil
		case math.IsInf(f, -1):
			return "-inf", nil
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	return "", fmt.Errorf("no TabSeparated form for %T", v)
}

// bind replaces the ? placeholders of q outside quotes with args as SQL
// literals, as the client does for the server.
func bind(q string, args []any) (string, error) {
	var b strings.Builder
	n := 0
	var quoteChar byte
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quoteChar != 0:
			if ch == '\\' && i+1 < len(q) {
				b.WriteByte(ch)
				i++
				ch = q[i]
			} else if ch == quoteChar {
				quoteChar = 0
			}
		case ch == '\'' || ch == '`' || ch == '"':
			quoteChar = ch
		case ch == '?':
			if n == len(args) {
				return "", fmt.Errorf("bind %q: more placeholders than %d arguments", q, len(args))
			}
			lit, err := literal(args[n])
			if err != nil {
				return "", fmt.Errorf("bind %q: %w", q, err)
			}
			b.WriteString(lit)
			n++
			continue
		}
		b.WriteByte(ch)
	}
	if n != len(args) {
		return "", fmt.Errorf("bind %q: %d placeholders, %d arguments", q, n, len(args))
	}
	return b.String(), nil
}

// literal writes an argument of the types netlens binds as a SQL literal.
func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(x) + "'", nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case []string, []uint32:
		rv := reflect.ValueOf(x)
		elems := make([]string, rv.Len())
		for i := range elems {
			var err error
			if elems[i], err = literal(rv.Index(i).Interface()); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(elems, ", ") + "]", nil
	}
	return "", fmt.Errorf("no literal for %T", v)
}

// bookkeeping adds loads to netlens_loads on both, as recordLoads and
// cleanInterrupted do (an interrupted load 1001, and one 1000 already
// marked abandoned), and returns the load's bookkeeping queries as Load,
// Inputs, Rows and setup send them.
func bookkeeping(t *testing.T, e *Engine, targets []*current) []call {
	t.Helper()
	ctx := context.Background()
	rows := [][]any{
		{uint32(1000), int64(1), "v", "/d", uint32(7), []string{"a'b", "c"}, "started"},
		{uint32(1000), int64(2), "", "", uint32(0), []string{}, "abandoned"},
		{uint32(1001), int64(3), "v", "/d", uint32(8), []string{"x"}, "started"},
	}
	if err := e.insertRows(ctx, loadsTable, len(rows), func(i int) []any { return rows[i] }); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(loadsTable.columns))
	for i, col := range loadsTable.columns {
		names[i] = quote(col[0])
	}
	var values []string
	for _, r := range rows {
		lits := make([]string, len(r))
		for i, v := range r {
			var err error
			if lits[i], err = literal(v); err != nil {
				t.Fatal(err)
			}
		}
		values = append(values, "("+strings.Join(lits, ", ")+")")
	}
	// Through the Distributed table on the cluster, as insertRows does.
	insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", quote(loadsTable.name), strings.Join(names, ", "), strings.Join(values, ", "))
	for _, c := range targets {
		if _, err := c.query(insert, nil, ""); err != nil {
			t.Fatalf("chdb: %s: %v", insert, err)
		}
	}

	calls := []call{
		{"load", loadedInputsSQL + " ORDER BY id", nil},
		{"load", lastLoadSQL, nil},
		{"load", staleLoadsSQL, nil},
		{"load", "SELECT load, inputs, state, ingest FROM " + quote(loadsTable.name) + " ORDER BY load, started", nil},
		{"load", inputsSQL, nil},
		{"load", pendingMutationsSQL, []any{"packets"}},
		{"setup", shardsSQL, []any{"netlens_no_such_cluster"}},
	}
	for _, tab := range schema.Tables() {
		calls = append(calls, call{"load", "SELECT count() FROM " + quote(tab.Name), nil})
	}
	return calls
}

// deleteLoad deletes the rows of the first load, as cleanInterrupted
// deletes an interrupted load's from the tables holding them: it counts
// them, deletes them, waits for the mutation as deleteWhere does, and
// compares what is left.
func deleteLoad(t *testing.T, e *Engine, targets []*current, d *differences) {
	t.Helper()
	ins, err := e.Inputs(context.Background())
	if err != nil || len(ins) == 0 {
		t.Fatalf("inputs %v, %v", ins, err)
	}
	load := uint32(ins[0].Ingest)
	var captures []string
	for _, in := range ins {
		if uint32(in.Ingest) == load {
			captures = append(captures, in.ID)
		}
	}
	conds, pending := staleRows, pendingMutationsSQL
	wait := func(what string, n func() (string, error)) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, err := n()
			switch {
			case err != nil:
				d.add("load", "rejected: "+firstLine(err.Error()), pending)
				return
			case got == "0":
				return
			case time.Now().After(deadline):
				t.Fatalf("%s still pending after 20 s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, tab := range schema.Tables() {
		if conds[tab.Name] == "" {
			continue // not loaded from a dataset's ingests (labels go whole)
		}
		arg := any(captures)
		if tab.Name == schema.Flows.Name {
			arg = []uint32{load}
		}
		count := "SELECT count() FROM " + quote(tab.Name) + " WHERE " + conds[tab.Name]
		if d.compare(e, targets, call{"load", count, []any{arg}}) != 1 {
			t.Fatalf("18.16: %s: not one row", count)
		}
		del := "ALTER TABLE " + quote(tab.Name) + " DELETE WHERE " + conds[tab.Name]
		if _, err := e.nodes[0].db.ExecContext(context.Background(), del, arg); err != nil {
			t.Fatalf("18.16: %s: %v", del, err)
		}
		wait("18.16: deletion in "+tab.Name, func() (string, error) {
			r, err := queryServer(e, pending, []any{tab.Name})
			if err != nil || len(r.rows) != 1 {
				t.Fatalf("18.16: %s: %v", pending, err)
			}
			return r.rows[0][0], nil
		})
		for _, c := range targets {
			local := c.local(tab.Name)
			del := "ALTER TABLE " + quote(local) + " DELETE WHERE " + conds[tab.Name]
			if _, err := c.query(del, []any{arg}, ""); err != nil {
				d.add("load, "+c.name, "rejected: "+firstLine(err.Error()), del)
			}
			wait("chdb ("+c.name+"): deletion in "+local, func() (string, error) {
				out, err := c.query(pending, []any{local}, "")
				return strings.TrimSpace(out), err
			})
		}
		d.compare(e, targets, call{"load", "SELECT count() FROM " + quote(tab.Name), nil})
		d.compare(e, targets, call{"load", count, []any{arg}})
	}
}

func TestDialectHelpers(t *testing.T) {
	for _, tc := range []struct {
		q    string
		args []any
		want string // "" for an error
	}{
		{"SELECT 1", nil, "SELECT 1"},
		{"SELECT ? AS `a?`, '?' WHERE x = ?", []any{"it's \\", uint16(443)}, "SELECT 'it\\'s \\\\' AS `a?`, '?' WHERE x = 443"},
		{"SELECT has(?, c), has(?, l)", []any{[]string{"a", "b"}, []uint32{1, 2}}, "SELECT has(['a', 'b'], c), has([1, 2], l)"},
		{"SELECT '\\'?'", []any{int64(-1)}, ""},
		{"SELECT ?, ?", []any{"a"}, ""},
		{"SELECT ?", []any{1.5}, ""},
	} {
		got, err := bind(tc.q, tc.args)
		if tc.want == "" {
			if err == nil {
				t.Errorf("bind(%q, %v) = %q, want an error", tc.q, tc.args, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("bind(%q, %v) = %q, %v; want %q", tc.q, tc.args, got, err, tc.want)
		}
	}

	str := "a\tb'c"
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, `\N`}, {(*string)(nil), `\N`}, {&str, `a\tb\'c`}, {"x\ny\\", `x\ny\\`},
		{uint8(7), "7"}, {int64(-3), "-3"}, {0.25, "0.25"}, {math.NaN(), "nan"}, {math.Inf(-1), "-inf"},
		{[]string{"a'b", ""}, `['a\'b','']`}, {[]float64{0, 1.5}, "[0,1.5]"}, {[]*int64{nil}, "[NULL]"},
	} {
		if got, err := tsvCell(tc.v); err != nil || got != tc.want {
			t.Errorf("tsvCell(%#v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}

	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"x", "x", true}, {"x", "y", false},
		{"10", "10", true}, {"9007199254740993", "9007199254740992", false},
		{"0.1", "0.10000000000000002", true}, {"1e+15", "1000000000000000", true}, {"1", "1.001", false},
		{"nan", "nan", true}, {"nan", "0", false}, {"inf", "inf", true},
		{"[0,0.30000000000000004]", "[0,0.3]", true}, {"[1,2]", "[1,3]", false}, {"[1]", "[1,1]", false},
	} {
		if got := sameCell(tc.a, tc.b); got != tc.same {
			t.Errorf("sameCell(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
