package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/html"
	"github.com/netlens/netlens/chart/static"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

// laidOut is a report with its files written: what index.html and
// report.json describe.
type laidOut struct {
	r        *Report
	sections []*sectionOut
	// The names taken so far: sections are laid out in order, each taking
	// names no earlier one took.
	tableNames, chartIDs, anchors used
}

type sectionOut struct {
	s        *Section
	anchor   string
	params   []paramOut
	resolved map[string]string
	paramErr string
	tables   []*tableOut
	charts   []*chartOut
	files    []fileOut
}

type paramOut struct {
	Name, Value, Default, Doc string
	Set                       bool
}

type tableOut struct {
	name, title string
	// table is released once written (its columns kept): a scan's tables
	// have millions of rows, and the report need not hold them all until
	// the end.
	table *engine.Table
	// stream, when set, gives the rows in place of table's (see
	// analysis.Table.Stream): read once per file written, counted and
	// previewed as the CSV file is written.
	stream *engine.Stream
	rows   int
	units  []output.Unit
	stem   string
	// follow are the section's files made of the stream's rows
	// (analysis.Result.TableFiles), written from the same read.
	follow  []followOut
	files   []string // paths relative to the report directory
	errs    []string
	preview *preview
}

type chartOut struct {
	c       *chart.Chart // a copy: unique ID, thinned
	html    template.HTML
	err     string
	jobs    []*figureJob // in the order of the formats
	figures []string
	figErrs []string
}

type fileOut struct {
	path string
	err  string
	// followed: the file is written with the files of a streamed table
	// (tableOut.follow), not on its own.
	followed bool
}

// followOut is a file written from the rows of a streamed table.
type followOut struct {
	fo  *fileOut
	new func(w io.Writer) engine.RowWriter
}

// Builder writes a report section by section: the tables, chart
// fragments and figures of a section are written in the background, opts.
// Workers at a time, from the moment the section is added, while the
// analyses that follow still run; of the pieces waiting, the costliest
// first. Finish writes index.html and report.json
// and moves the report into place; Abort drops it.
type Builder struct {
	ctx  context.Context
	dir  string
	tmp  string
	opts Options
	l    *laidOut
	sem  chan struct{}
	wg   sync.WaitGroup
	done bool

	mu    sync.Mutex
	queue []piece // the pieces no worker took yet
	seq   int
}

// NewBuilder starts a report in dir, replacing the report dir may hold once
// Finish succeeds. A dir that holds files netlens did not write is refused
// (see CheckDir) unless opts.Force; those are never replaced nor removed.
// It must not run twice at once on the same dir. The caller calls Finish or
// Abort.
func NewBuilder(ctx context.Context, dir string, opts Options) (*Builder, error) {
	if len(opts.Formats) == 0 {
		opts.Formats = []static.Format{static.PNG, static.SVG, static.PDF}
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if err := CheckDir(dir, opts.Force); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	if err := removeLeftovers(dir); err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	if opts.Figures && slices.Contains(opts.Formats, static.PDF) {
		// Made once per process, by the first PDF figure otherwise: while
		// the caller still prepares the analyses, a core is free for it.
		go static.PreparePDF()
	}
	tmp, err := os.MkdirTemp(dir, tmpPrefix)
	if err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	for _, d := range []string{TablesDir, FiguresDir} {
		if d == FiguresDir && !opts.Figures {
			continue
		}
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("write report: %w", err)
		}
	}
	return &Builder{
		ctx: ctx, dir: dir, tmp: tmp, opts: opts,
		l:   &laidOut{tableNames: used{}, chartIDs: used{}, anchors: used{}},
		sem: make(chan struct{}, opts.Workers),
	}, nil
}

// Add appends a section to the report and starts writing its pieces.
// Sections appear in the order they are added, and take their file names
// in that order.
func (b *Builder) Add(s Section) {
	so := b.l.add(&s)
	// Asked before the tables are written: their jobs set the errors of
	// the files that follow them.
	ownFiles := slices.ContainsFunc(so.files, func(fo fileOut) bool { return !fo.followed })
	for _, to := range so.tables {
		b.spawn(tableCost(to), func() { writeTable(b.ctx, b.tmp, to) })
	}
	if ownFiles {
		b.spawn(unknownCost, func() { writeFiles(b.ctx, b.tmp, so) })
	}
	for _, co := range so.charts {
		b.spawn(0.1+static.Cost(co.c, static.SVG)/2, func() { renderHTML(co) })
		if !b.opts.Figures {
			continue
		}
		for _, f := range b.opts.Formats {
			j := &figureJob{co: co, f: f, rel: FiguresDir + "/" + co.c.ID + "." + f.String()}
			co.jobs = append(co.jobs, j)
			b.spawn(static.Cost(co.c, f), func() { j.err = drawFigure(filepath.Join(b.tmp, filepath.FromSlash(j.rel)), j.co.c, j.f) })
		}
	}
}

// A piece of a report is written by the first free worker among those
// waiting, the one that costs most first (static.Cost, tableCost): the
// report waits for its last piece, and the longest ones started last,
// after the last analysis, would make it wait longest. The costs are
// guesses in milliseconds of processor time.

// unknownCost is the cost of a piece read from the engine as it is
// written, whose size is not known: a scan's tables of millions of rows,
// taken before anything else.
const unknownCost = 1000

// tableCost guesses what writing the CSV and Parquet files of to costs.
func tableCost(to *tableOut) float64 {
	if to.stream != nil {
		return unknownCost
	}
	if to.table == nil {
		return 0
	}
	return 0.5 + 0.0004*float64(len(to.table.Rows)*len(to.table.Columns))
}

// piece is a piece of the report waiting for a worker.
type piece struct {
	cost float64
	seq  int // the order of arrival, among pieces of the same cost
	run  func()
}

// spawn queues job, of the given cost, to run once a worker is free and
// no costlier job waits, unless the report is canceled by then.
func (b *Builder) spawn(cost float64, job func()) {
	b.mu.Lock()
	b.seq++
	b.queue = append(b.queue, piece{cost: cost, seq: b.seq, run: job})
	b.mu.Unlock()
	b.wg.Go(func() {
		select {
		case b.sem <- struct{}{}:
		case <-b.ctx.Done():
			return
		}
		defer func() { <-b.sem }()
		if b.ctx.Err() == nil {
			b.next().run()
		}
	})
}

// next takes the costliest piece from the queue, the first queued of
// those that cost the same. There is one for every goroutine spawn
// started.
func (b *Builder) next() piece {
	b.mu.Lock()
	defer b.mu.Unlock()
	best := 0
	for i, p := range b.queue {
		if q := b.queue[best]; p.cost > q.cost || p.cost == q.cost && p.seq < q.seq {
			best = i
		}
	}
	p := b.queue[best]
	b.queue[best] = b.queue[len(b.queue)-1]
	b.queue = b.queue[:len(b.queue)-1]
	return p
}

// Finish waits for the pieces of every section, writes report.json and
// index.html of r (its title, summary, inputs and skipped analyses; the
// sections are those added, r.Sections is not read) and moves the report
// into dir, index.html last.
func (b *Builder) Finish(r *Report) error {
	defer b.Abort()
	b.wg.Wait()
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	head := *r
	head.Sections = nil
	b.l.r = &head
	for _, so := range b.l.sections {
		for _, co := range so.charts {
			for _, j := range co.jobs {
				if j.err != nil {
					co.figErrs = append(co.figErrs, j.f.String()+": "+j.err.Error())
					continue
				}
				co.figures = append(co.figures, j.rel)
			}
		}
	}
	// The two are written, and synced, at the same time: nothing else is
	// left to do.
	var jsonErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		jsonErr = writeFile(filepath.Join(b.tmp, JSONName), true, func(w io.Writer) error { return writeJSON(w, b.l) })
	})
	pageErr := writeFile(filepath.Join(b.tmp, IndexName), true, func(w io.Writer) error { return writePage(w, b.l) })
	wg.Wait()
	if jsonErr != nil {
		return fmt.Errorf("write report: %s: %w", JSONName, jsonErr)
	}
	if pageErr != nil {
		return fmt.Errorf("write report: %s: %w", IndexName, pageErr)
	}
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := install(b.dir, b.tmp); err != nil {
		var fe *ForeignFilesError
		if errors.As(err, &fe) {
			return err
		}
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// Abort waits for the pieces being written and removes them, leaving dir
// as it was. After Finish it does nothing.
func (b *Builder) Abort() {
	if b.done {
		return
	}
	b.done = true
	b.wg.Wait()
	os.RemoveAll(b.tmp)
}

// add lays out section s: it gives every table, file and chart of s its
// own name.
func (l *laidOut) add(s *Section) *sectionOut {
	so := &sectionOut{s: s, anchor: l.anchors.claim("analysis-"+safeName(s.Meta.Name, "analysis"), "")}
	so.params, so.resolved, so.paramErr = params(s.Meta.Params, s.Settings)
	if res := s.Result; res != nil {
		for _, t := range res.Tables {
			stem := l.tableNames.claim(safeName(t.Name, "table"), ".csv", ".parquet")
			to := &tableOut{name: t.Name, title: t.Title, table: t.Table, stream: t.Stream, units: t.Units, stem: stem}
			if t.Table != nil && t.Stream == nil {
				to.rows = len(t.Table.Rows)
			}
			so.tables = append(so.tables, to)
		}
		names := fileNames(res)
		for _, name := range names {
			safe := safeName(name, "file")
			ext := path.Ext(safe)
			stem := l.tableNames.claim(strings.TrimSuffix(safe, ext), ext)
			so.files = append(so.files, fileOut{path: TablesDir + "/" + stem + ext})
		}
		for i, name := range names {
			tf, ok := res.TableFiles[name]
			if _, held := res.Files[name]; !ok || held || tf.New == nil || tf.Table < 0 || tf.Table >= len(so.tables) || so.tables[tf.Table].stream == nil {
				continue
			}
			so.files[i].followed = true
			to := so.tables[tf.Table]
			to.follow = append(to.follow, followOut{fo: &so.files[i], new: tf.New})
		}
		for _, c := range res.Charts {
			so.charts = append(so.charts, prepareChart(c, l.chartIDs))
		}
		// The section keeps the result without its tables, which so.tables
		// hold until they are written.
		kept := *res
		kept.Tables = nil
		s.Result = &kept
	}
	l.sections = append(l.sections, so)
	return so
}

// renderHTML renders the interactive chart of co, or records why it cannot.
func renderHTML(co *chartOut) {
	var b bytes.Buffer
	if err := html.Render(&b, co.c, html.Options{}); err != nil {
		co.err = err.Error()
		return
	}
	co.html = template.HTML(b.String())
}

// prepareChart copies c with an ID unique in the report, thinned to
// MaxPoints points per series.
func prepareChart(c *chart.Chart, ids used) *chartOut {
	if c == nil {
		c = &chart.Chart{}
	}
	cp := *c
	cp.Series = slices.Clone(c.Series)
	cp.ID = ids.claim(safeName(c.ID, "chart"), "")
	cp.Downsample(MaxPoints)
	return &chartOut{c: &cp}
}

// used hands out names that no earlier claim took, adding _2, _3, ... to a
// stem when needed; a stem is taken when any of its names with exts is.
type used map[string]bool

func (u used) claim(stem string, exts ...string) string {
	if len(exts) == 0 {
		exts = []string{""}
	}
	free := func(s string) bool {
		for _, e := range exts {
			if u[strings.ToLower(s+e)] {
				return false
			}
		}
		return true
	}
	name := stem
	for k := 2; !free(name); k++ {
		name = stem + "_" + strconv.Itoa(k)
	}
	for _, e := range exts {
		u[strings.ToLower(name+e)] = true
	}
	return name
}

// safeName keeps letters, digits, '_', '-' and '.' of name (others become
// '_'), without leading dots, so that it is a plain file name everywhere.
func safeName(name, fallback string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" {
		return fallback
	}
	return s
}

// params lists the parameters of an analysis with the values it ran with.
func params(ps []analysis.Param, settings map[string]string) ([]paramOut, map[string]string, string) {
	vals, err := analysis.ParseValues(ps, settings)
	resolved := map[string]string{}
	out := make([]paramOut, 0, len(ps))
	for _, p := range ps {
		given, set := settings[p.Name]
		po := paramOut{Name: p.Name, Default: p.Default, Doc: p.Doc, Set: set}
		switch {
		case err == nil:
			po.Value = formatValue(vals[p.Name])
		case set:
			po.Value = given
		default:
			po.Value = p.Default
		}
		resolved[p.Name] = po.Value
		out = append(out, po)
	}
	if err != nil {
		return out, resolved, err.Error()
	}
	return out, resolved, ""
}

func formatValue(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// writeTable writes a table as CSV and Parquet and makes its preview.
// Failures are recorded, not returned: the page shows them.
func writeTable(ctx context.Context, dir string, to *tableOut) {
	if to.table == nil {
		to.errs = append(to.errs, "the analysis returned no table")
		for _, f := range to.follow {
			f.fo.err = "not written: the analysis returned no table"
		}
		return
	}
	defer func() {
		to.table, to.stream = &engine.Table{Columns: to.table.Columns, Types: to.table.Types}, nil
	}()
	var head *heads
	if to.stream != nil {
		if head = writeStreamed(ctx, dir, to); head == nil {
			return
		}
	} else {
		for _, f := range []output.Format{output.CSV, output.Parquet} {
			rel := TablesDir + "/" + to.stem + "." + f.String()
			err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), false, func(w io.Writer) error {
				return output.WriteTable(w, to.table, f, output.Options{})
			})
			if err != nil {
				to.errs = append(to.errs, rel+": "+err.Error())
				continue
			}
			to.files = append(to.files, rel)
		}
		head = &heads{numeric: make([]bool, len(to.table.Columns)), seen: make([]bool, len(to.table.Columns))}
		for _, row := range to.table.Rows {
			head.see(row)
		}
	}
	to.rows = head.total
	p, err := makePreview(to.table.Columns, to.table.Types, head, to.units)
	if err != nil {
		to.errs = append(to.errs, "preview: "+err.Error())
		return
	}
	to.preview = p
}

// writeStreamed writes the CSV and Parquet files of the streamed table of
// to, and the files that follow it, from one read of its stream, counting
// its rows and keeping the head of them for the preview. It returns nil
// when the stream could not be read to its end: then neither table file
// is kept, as there is no count.
func writeStreamed(ctx context.Context, dir string, to *tableOut) *heads {
	formats := []output.Format{output.CSV, output.Parquet}
	n := len(formats) + len(to.follow)
	rels := make([]string, n)
	files := make([]*os.File, n)
	bufs := make([]*bufio.Writer, n)
	targets := make([]output.Target, n)
	for i := range n {
		if i < len(formats) {
			rels[i] = TablesDir + "/" + to.stem + "." + formats[i].String()
		} else {
			rels[i] = to.follow[i-len(formats)].fo.path
		}
		fh, err := os.Create(filepath.Join(dir, filepath.FromSlash(rels[i])))
		if err != nil {
			for _, o := range files[:i] {
				o.Close()
				os.Remove(o.Name())
			}
			for _, f := range to.follow {
				f.fo.err = "not written: " + rels[i] + ": " + err.Error()
			}
			// The table's files are not written either: say why.
			to.errs = append(to.errs, rels[i]+": "+err.Error())
			return nil
		}
		files[i], bufs[i] = fh, bufio.NewWriterSize(fh, 64<<10)
		if i < len(formats) {
			targets[i] = output.Target{W: bufs[i], Format: formats[i]}
		} else {
			targets[i] = output.Target{Rows: to.follow[i-len(formats)].new(bufs[i])}
		}
	}
	s := *to.stream
	h := &heads{numeric: make([]bool, len(s.Columns)), seen: make([]bool, len(s.Columns))}
	open := s.Open
	s.Open = func(ctx context.Context) (engine.RowReader, error) {
		r, err := open(ctx)
		if err != nil {
			return nil, err
		}
		h.r = r
		return h, nil
	}
	errs := output.WriteStreams(ctx, &s, targets)
	complete := true
	for i, err := range errs {
		if err == nil {
			err = bufs[i].Flush()
		}
		if cerr := files[i].Close(); err == nil {
			err = cerr
		}
		if i >= len(formats) {
			if err != nil {
				os.Remove(files[i].Name())
				to.follow[i-len(formats)].fo.err = err.Error()
			}
			continue
		}
		if err != nil {
			os.Remove(files[i].Name())
			to.errs = append(to.errs, rels[i]+": "+err.Error())
			// Without a complete first file there is no count.
			complete = complete && i > 0
			continue
		}
		to.files = append(to.files, rels[i])
	}
	if !complete {
		for _, rel := range to.files {
			os.Remove(filepath.Join(dir, filepath.FromSlash(rel)))
		}
		to.files = nil
		return nil
	}
	return h
}

// heads reads the rows of a table as they are written (an
// engine.RowReader over r) to count them and keep what the preview shows:
// the first PreviewRows rows, and which columns hold numbers (by their
// first non-NULL value).
type heads struct {
	r       engine.RowReader
	rows    [][]any
	total   int
	numeric []bool
	seen    []bool
}

func (h *heads) see(row []any) {
	h.total++
	if len(h.rows) < PreviewRows {
		h.rows = append(h.rows, slices.Clone(row))
	}
	for j, v := range row {
		if j < len(h.seen) && !h.seen[j] && v != nil {
			h.seen[j], h.numeric[j] = true, isNumber(v)
		}
	}
}

func (h *heads) Next() ([]any, error) {
	row, err := h.r.Next()
	if err == nil {
		h.see(row)
	}
	return row, err
}

func (h *heads) Close() error { return h.r.Close() }

// writeFiles writes the extra files of a section. Failures are recorded,
// not returned: the page shows them.
func writeFiles(ctx context.Context, dir string, so *sectionOut) {
	res := so.s.Result
	files, writers := res.Files, res.FileWriters
	defer func() { res.Files, res.FileWriters = nil, nil }() // written: the section need not hold them
	for i, name := range fileNames(res) {
		fo := &so.files[i]
		if fo.followed {
			continue
		}
		err := writeFile(filepath.Join(dir, filepath.FromSlash(fo.path)), false, func(w io.Writer) error {
			if b, ok := files[name]; ok {
				_, err := w.Write(b)
				return err
			}
			return writers[name](ctx, w)
		})
		if err != nil {
			fo.err = err.Error()
		}
	}
}

// fileNames returns the names of the extra files of res, held or written
// by a function, in order.
func fileNames(res *analysis.Result) []string {
	names := slices.Collect(maps.Keys(res.Files))
	for name := range res.FileWriters {
		if _, ok := res.Files[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// writeFile creates path and writes it with fn, removing it on failure.
func writeFile(path string, sync bool, fn func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if sync {
		return f.Sync()
	}
	return nil
}

// preview is the head of a table as text, as its CSV file writes it but
// for shares, which read as percentages.
type preview struct {
	Columns []string
	Numeric []bool
	Rows    [][]string
	Total   int
}

func makePreview(columns, types []string, h *heads, units []output.Unit) (*preview, error) {
	head := &engine.Table{Columns: columns, Types: types, Rows: h.rows}
	if len(types) != len(columns) {
		head.Types = nil
	}
	var b bytes.Buffer
	if err := output.WriteTable(&b, head, output.CSV, output.Options{}); err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		return nil, err
	}
	p := &preview{Columns: columns, Numeric: slices.Clone(h.numeric), Total: h.total}
	if len(recs) > 0 {
		p.Rows = recs[1:]
	}
	for j := range columns {
		if j < len(units) && units[j] == output.Share {
			for i, row := range p.Rows {
				if v := head.Rows[i][j]; isNumber(v) {
					row[j] = output.FormatShare(analysis.AsFloat(v))
				}
			}
		}
	}
	return p, nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, *big.Int:
		return true
	}
	return false
}

// figureJob is one figure of one chart.
type figureJob struct {
	co  *chartOut
	f   static.Format
	rel string
	err error
}

func drawFigure(path string, c *chart.Chart, f static.Format) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("draw figure: panic: %v", p)
			os.Remove(path)
		}
	}()
	return writeFile(path, false, func(w io.Writer) error { return static.Render(w, c, f, static.Size{}) })
}
