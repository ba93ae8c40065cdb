package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/suite"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/html"
	"github.com/netlens/netlens/chart/static"
)

// reserved are the query keys of /api/run that are not parameters.
var reserved = []string{"format", "table", "offset", "limit", "sort", "desc", "progress"}

// paramJSON is a parameter as /api/analyses gives it.
type paramJSON struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Default string   `json:"default"`
	Doc     string   `json:"doc"`
	Choices []string `json:"choices,omitempty"`
	Min     *float64 `json:"min,omitempty"`
}

// analysisJSON is an analysis as /api/analyses gives it.
type analysisJSON struct {
	Name   string      `json:"name"`
	Group  string      `json:"group"`
	Title  string      `json:"title"`
	Doc    string      `json:"doc"`
	Tables []string    `json:"tables"`
	Params []paramJSON `json:"params"`
	// Applies is false when the dataset lacks what the analysis needs;
	// Reason then says what.
	Applies bool   `json:"applies"`
	Reason  string `json:"reason,omitempty"`
	// TimeRange is true when the analysis takes the time range brushed on
	// the dataset's histogram: it has parameters from and to.
	TimeRange bool `json:"time_range"`
}

func (s *Server) describe(a analysis.Analysis) analysisJSON {
	m := a.Meta()
	j := analysisJSON{Name: m.Name, Group: m.Group, Title: m.Title, Doc: m.Doc, Tables: m.Tables, Params: []paramJSON{}}
	if j.Tables == nil {
		j.Tables = []string{}
	}
	for _, p := range m.Params {
		j.Params = append(j.Params, paramJSON{Name: p.Name, Kind: string(p.Kind), Default: p.Default, Doc: p.Doc, Choices: p.Choices, Min: p.Min})
	}
	j.Reason, j.Applies = suite.Applies(m, s.held)
	j.TimeRange = slices.ContainsFunc(m.Params, func(p analysis.Param) bool { return p.Name == "from" }) &&
		slices.ContainsFunc(m.Params, func(p analysis.Param) bool { return p.Name == "to" })
	return j
}

// apiAnalyses answers GET /api/analyses: the catalogue, in report order.
func (s *Server) apiAnalyses(w http.ResponseWriter, r *http.Request) {
	out := make([]analysisJSON, 0, len(s.catalog))
	for _, a := range s.catalog {
		out = append(out, s.describe(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) byName(name string) (analysis.Analysis, bool) {
	for _, a := range s.catalog {
		if a.Meta().Name == name {
			return a, true
		}
	}
	return nil, false
}

// settingsOf splits the query of a request into the analysis' settings
// and the keys it does not know (reserved keys left out). A key given twice
// takes its last value, as --set does.
func settingsOf(m analysis.Meta, q url.Values) (settings map[string]string, unknown map[string]string) {
	settings, unknown = map[string]string{}, map[string]string{}
	for k, vs := range q {
		if slices.Contains(reserved, k) || len(vs) == 0 {
			continue
		}
		if slices.ContainsFunc(m.Params, func(p analysis.Param) bool { return p.Name == k }) {
			settings[k] = vs[len(vs)-1]
		} else {
			unknown[k] = vs[len(vs)-1]
		}
	}
	return settings, unknown
}

// result runs a with settings (already validated into v), or returns the
// result kept from an earlier request with the same values.
func (s *Server) result(ctx context.Context, a analysis.Analysis, settings map[string]string, v analysis.Values) (*analysis.Result, error) {
	m := a.Meta()
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var key strings.Builder
	key.WriteString(m.Name)
	for _, k := range keys {
		fmt.Fprintf(&key, "\x00%s=%v", k, v[k])
	}
	return s.results.get(ctx, s.base, key.String(), func(ctx context.Context) (*analysis.Result, error) {
		return analysis.Run(ctx, a, s.env, settings)
	})
}

// runRequest reads the analysis and settings of a request to /api/run or
// one of its siblings, and answers it with an error when they are bad:
// 404 for an unknown analysis, 400 for bad parameters, with the message
// of the command line.
func (s *Server) runRequest(w http.ResponseWriter, r *http.Request) (analysis.Analysis, map[string]string, analysis.Values, bool) {
	name := r.PathValue("name")
	a, ok := s.byName(name)
	if !ok {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("no analysis %q; 'netlens list' shows them all", name))
		return nil, nil, nil, false
	}
	settings := map[string]string{}
	for k, vs := range r.URL.Query() {
		if !slices.Contains(reserved, k) && len(vs) > 0 {
			settings[k] = vs[len(vs)-1]
		}
	}
	v, err := analysis.ParseValues(a.Meta().Params, settings)
	if err != nil {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("%s: %v", name, err))
		return nil, nil, nil, false
	}
	return a, settings, v, true
}

// runFailed answers for an analysis that failed, or whose request ended.
func runFailed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // nobody is listening
	}
	status := http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	fail(w, r, status, err.Error())
}

// apiRun answers GET /api/run/NAME: one table of the analysis' result.
func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format, err := formatOf(q)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	pq, err := s.parsePage(q)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	a, settings, v, ok := s.runRequest(w, r)
	if !ok {
		return
	}
	res, err := s.result(r.Context(), a, settings, v)
	if err != nil {
		runFailed(w, r, err)
		return
	}
	if len(res.Tables) == 0 {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("%s gives no table", a.Meta().Name))
		return
	}
	t := res.Tables[0]
	if name := q.Get("table"); name != "" {
		i := slices.IndexFunc(res.Tables, func(t analysis.Table) bool { return t.Name == name })
		if i < 0 {
			var names []string
			for _, t := range res.Tables {
				names = append(names, t.Name)
			}
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("table %q: this analysis gives %s", name, strings.Join(names, ", ")))
			return
		}
		t = res.Tables[i]
	}
	if format != "json" {
		writeFile(w, r, t.Table, format, t.Name)
		return
	}
	p, err := s.pageOf(t.Table, pq)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p.Units = unitsOf(t.Units, len(t.Columns))
	writeJSON(w, http.StatusOK, struct {
		Analysis string `json:"analysis"`
		Table    string `json:"table"`
		Title    string `json:"title"`
		*page
	}{a.Meta().Name, t.Name, t.Title, p})
}

// viewJSON is what the analysis page shows: the analysis, the parameters
// as given, and its result or what is wrong.
type viewJSON struct {
	Analysis analysisJSON      `json:"analysis"`
	Settings map[string]string `json:"settings"`
	// Unknown are the parameters of the link that this version of the
	// analysis does not know: shown, not dropped, and not used.
	Unknown map[string]string `json:"unknown"`
	// Invalid are the parameters whose values are wrong, each with the
	// message of the command line; nothing ran.
	Invalid []apiError  `json:"invalid,omitempty"`
	Error   string      `json:"error,omitempty"`
	Notes   []string    `json:"notes"`
	Tables  []tableJSON `json:"tables"`
	Charts  []chartJSON `json:"charts"`
	Files   []string    `json:"files"`
	Elapsed float64     `json:"elapsed"` // seconds
}

type tableJSON struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Columns []string `json:"columns"`
	// Units are the units of the columns: "number", or "share" (1 is all
	// of it), which the page shows as a percentage.
	Units []string `json:"units"`
	Rows  int      `json:"rows"`
}

type chartJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// HTML is the chart as chart/html renders it for the report: a
	// container and the spec as HTML-escaped JSON, drawn by the page.
	HTML string `json:"html"`
}

// apiView answers GET /api/view/NAME: everything the analysis page shows.
// Bad parameters are part of the answer (each with its message), not an
// error: the page shows them in place. With progress=1 the answer comes
// as events while the analysis runs (see respond).
func (s *Server) apiView(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, ok := s.byName(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: fmt.Sprintf("no analysis %q; 'netlens list' shows them all", name)})
		return
	}
	s.respond(w, r, name+": checking the parameters", func(ctx context.Context, p *progress) (int, any) {
		return s.view(ctx, a, r.URL.Query(), p)
	})
}

// view computes the answer of /api/view for analysis a and the query q.
func (s *Server) view(ctx context.Context, a analysis.Analysis, q url.Values, p *progress) (int, any) {
	m := a.Meta()
	settings, unknown := settingsOf(m, q)
	view := viewJSON{Analysis: s.describe(a), Settings: settings, Unknown: unknown, Notes: []string{}, Tables: []tableJSON{}, Charts: []chartJSON{}, Files: []string{}}
	for _, prm := range m.Params {
		if val, ok := settings[prm.Name]; ok {
			if _, err := analysis.ParseValues([]analysis.Param{prm}, map[string]string{prm.Name: val}); err != nil {
				view.Invalid = append(view.Invalid, apiError{Param: prm.Name, Error: fmt.Sprintf("%s: %v", m.Name, err)})
			}
		}
	}
	if len(view.Invalid) > 0 {
		return http.StatusOK, view
	}
	v, err := analysis.ParseValues(m.Params, settings)
	if err != nil {
		view.Invalid = append(view.Invalid, apiError{Error: fmt.Sprintf("%s: %v", m.Name, err)})
		return http.StatusOK, view
	}
	p.set(m.Name + ": running its queries in the " + s.eng.Name() + " engine")
	start := time.Now()
	res, err := s.result(ctx, a, settings, v)
	view.Elapsed = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return 0, nil
	}
	if err != nil {
		view.Error = err.Error()
		return http.StatusOK, view
	}
	p.set(m.Name + ": drawing the charts")
	view.Notes = append(view.Notes, res.Notes...)
	for _, t := range res.Tables {
		view.Tables = append(view.Tables, tableJSON{Name: t.Name, Title: t.Title, Columns: t.Columns, Units: unitsOf(t.Units, len(t.Columns)), Rows: len(t.Rows)})
	}
	for _, c := range res.Charts {
		view.Charts = append(view.Charts, chartJSON{ID: c.ID, Title: c.Title, HTML: renderChart(c)})
	}
	for f := range res.Files {
		view.Files = append(view.Files, f)
	}
	sort.Strings(view.Files)
	return http.StatusOK, view
}

// maxPoints is the number of points per series above which a chart is
// thinned before it goes to the browser, as in the report.
const maxPoints = 5000

// thinned returns c, or a thinned copy of it when a series has too many
// points: the cached result is never changed.
func thinned(c *chart.Chart) *chart.Chart {
	for _, sr := range c.Series {
		if len(sr.Points) > maxPoints {
			cp := *c
			cp.Series = slices.Clone(c.Series)
			cp.Downsample(maxPoints)
			return &cp
		}
	}
	return c
}

// renderChart draws c as chart/html does in the report, thinned first;
// a chart it cannot draw becomes an empty one that says why.
func renderChart(c *chart.Chart) string {
	var b bytes.Buffer
	if err := html.Render(&b, thinned(c), html.Options{}); err != nil {
		b.Reset()
		e := &chart.Chart{ID: c.ID, Title: c.Title, Kind: c.Kind, Empty: "cannot draw this chart: " + err.Error()}
		if err := html.Render(&b, e, html.Options{}); err != nil {
			return ""
		}
	}
	return b.String()
}

// apiFigure answers GET /api/figure/NAME/CHART.EXT: a chart of the
// analysis as a publication figure (png, svg or pdf), drawn by chart/static.
func (s *Server) apiFigure(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	ext := path.Ext(file)
	format, err := static.ParseFormat(ext)
	if err != nil {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("figure %q: %v", file, err))
		return
	}
	a, settings, v, ok := s.runRequest(w, r)
	if !ok {
		return
	}
	res, err := s.result(r.Context(), a, settings, v)
	if err != nil {
		runFailed(w, r, err)
		return
	}
	id := strings.TrimSuffix(file, ext)
	i := slices.IndexFunc(res.Charts, func(c *chart.Chart) bool { return c.ID == id })
	if i < 0 {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("%s draws no chart %q", a.Meta().Name, id))
		return
	}
	var b bytes.Buffer
	if err := static.Render(&b, res.Charts[i], format, static.Size{}); err != nil {
		fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	types := map[static.Format]string{static.PNG: "image/png", static.SVG: "image/svg+xml", static.PDF: "application/pdf"}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Meta().Name + "-" + file}))
	w.Write(b.Bytes())
}

// apiFile answers GET /api/file/NAME/FILE: an extra output of the
// analysis, such as graph.graphml.
func (s *Server) apiFile(w http.ResponseWriter, r *http.Request) {
	a, settings, v, ok := s.runRequest(w, r)
	if !ok {
		return
	}
	res, err := s.result(r.Context(), a, settings, v)
	if err != nil {
		runFailed(w, r, err)
		return
	}
	file := r.PathValue("file")
	b, ok := res.Files[file]
	if !ok {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("%s gives no file %q", a.Meta().Name, file))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file}))
	w.Write(b)
}
