package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
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
	table       *engine.Table
	stem        string
	files       []string // paths relative to the report directory
	errs        []string
	preview     *preview
}

type chartOut struct {
	c       *chart.Chart // a copy: unique ID, thinned
	html    template.HTML
	err     string
	figures []string
	figErrs []string
}

type fileOut struct {
	path string
	err  string
}

// build writes every piece of the report into dir.
func build(ctx context.Context, dir string, r *Report, opts Options) error {
	for _, d := range []string{TablesDir, FiguresDir} {
		if d == FiguresDir && !opts.Figures {
			continue
		}
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	l := lay(r)
	for _, so := range l.sections {
		if err := ctx.Err(); err != nil {
			return err
		}
		writeTables(dir, so)
		for _, co := range so.charts {
			var b bytes.Buffer
			if err := html.Render(&b, co.c, html.Options{}); err != nil {
				co.err = err.Error()
				continue
			}
			co.html = template.HTML(b.String())
		}
	}
	if opts.Figures {
		if err := drawFigures(ctx, dir, l, opts); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dir, JSONName), true, func(w io.Writer) error { return writeJSON(w, l) }); err != nil {
		return fmt.Errorf("%s: %w", JSONName, err)
	}
	if err := writeFile(filepath.Join(dir, IndexName), true, func(w io.Writer) error { return writePage(w, l) }); err != nil {
		return fmt.Errorf("%s: %w", IndexName, err)
	}
	return nil
}

// lay gives every table, file and chart of the report its own name.
func lay(r *Report) *laidOut {
	l := &laidOut{r: r}
	tableNames, chartIDs, anchors := used{}, used{}, used{}
	for i := range r.Sections {
		s := &r.Sections[i]
		so := &sectionOut{s: s, anchor: anchors.claim("analysis-"+safeName(s.Meta.Name, "analysis"), "")}
		so.params, so.resolved, so.paramErr = params(s.Meta.Params, s.Settings)
		if res := s.Result; res != nil {
			for _, t := range res.Tables {
				stem := tableNames.claim(safeName(t.Name, "table"), ".csv", ".parquet")
				so.tables = append(so.tables, &tableOut{name: t.Name, title: t.Title, table: t.Table, stem: stem})
			}
			for _, name := range sortedKeys(res.Files) {
				safe := safeName(name, "file")
				ext := path.Ext(safe)
				stem := tableNames.claim(strings.TrimSuffix(safe, ext), ext)
				so.files = append(so.files, fileOut{path: TablesDir + "/" + stem + ext})
			}
			for _, c := range res.Charts {
				so.charts = append(so.charts, prepareChart(c, chartIDs))
			}
		}
		l.sections = append(l.sections, so)
	}
	return l
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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

// writeTables writes the tables of a section as CSV and Parquet, its extra
// files, and makes the tables' previews. Failures are recorded, not
// returned: the page shows them.
func writeTables(dir string, so *sectionOut) {
	for _, to := range so.tables {
		if to.table == nil {
			to.errs = append(to.errs, "the analysis returned no table")
			continue
		}
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
		p, err := makePreview(to.table)
		if err != nil {
			to.errs = append(to.errs, "preview: "+err.Error())
			continue
		}
		to.preview = p
	}
	if so.s.Result == nil {
		return
	}
	files := so.s.Result.Files
	for i, name := range sortedKeys(files) {
		fo := &so.files[i]
		err := writeFile(filepath.Join(dir, filepath.FromSlash(fo.path)), false, func(w io.Writer) error {
			_, err := w.Write(files[name])
			return err
		})
		if err != nil {
			fo.err = err.Error()
		}
	}
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

// preview is the head of a table as text, as its CSV file writes it.
type preview struct {
	Columns []string
	Numeric []bool
	Rows    [][]string
	Total   int
}

func makePreview(t *engine.Table) (*preview, error) {
	head := &engine.Table{Columns: t.Columns, Types: t.Types, Rows: t.Rows[:min(PreviewRows, len(t.Rows))]}
	var b bytes.Buffer
	if err := output.WriteTable(&b, head, output.CSV, output.Options{}); err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		return nil, err
	}
	p := &preview{Columns: t.Columns, Numeric: make([]bool, len(t.Columns)), Total: len(t.Rows)}
	if len(recs) > 0 {
		p.Rows = recs[1:]
	}
	for j := range t.Columns {
		for _, row := range t.Rows {
			if row[j] != nil {
				p.Numeric[j] = isNumber(row[j])
				break
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

// drawFigures draws every chart in every format, opts.Workers at a time.
func drawFigures(ctx context.Context, dir string, l *laidOut, opts Options) error {
	formats := opts.Formats
	if len(formats) == 0 {
		formats = []static.Format{static.PNG, static.SVG, static.PDF}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	var jobs []figureJob
	for _, so := range l.sections {
		for _, co := range so.charts {
			for _, f := range formats {
				jobs = append(jobs, figureJob{co: co, f: f, rel: FiguresDir + "/" + co.c.ID + "." + f.String()})
			}
		}
	}
	ch := make(chan *figureJob)
	var wg sync.WaitGroup
	for range min(workers, max(1, len(jobs))) {
		wg.Go(func() {
			for j := range ch {
				j.err = drawFigure(filepath.Join(dir, filepath.FromSlash(j.rel)), j.co.c, j.f)
			}
		})
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- &jobs[i]
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.err != nil {
			j.co.figErrs = append(j.co.figErrs, j.f.String()+": "+j.err.Error())
			continue
		}
		j.co.figures = append(j.co.figures, j.rel)
	}
	return nil
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
