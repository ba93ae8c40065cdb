package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

// The layout of report.json. Paths are relative to the report directory.
type jsonReport struct {
	Title          string         `json:"title"`
	Created        time.Time      `json:"created"`
	NetlensVersion string         `json:"netlens_version"`
	Engine         string         `json:"engine"`
	Summary        []Fact         `json:"summary"`
	Inputs         []jsonInput    `json:"inputs"`
	Analyses       []jsonAnalysis `json:"analyses"`
	Skipped        []Skip         `json:"skipped"`
}

type jsonInput struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Frames uint64 `json:"frames"`
	Error  string `json:"error,omitempty"`
}

type jsonAnalysis struct {
	Name       string            `json:"name"`
	Group      string            `json:"group"`
	Title      string            `json:"title"`
	Settings   map[string]string `json:"settings"`
	Parameters map[string]string `json:"parameters"`
	Notes      []string          `json:"notes"`
	Tables     []jsonTable       `json:"tables"`
	Charts     []jsonChart       `json:"charts"`
	Files      []jsonFile        `json:"files"`
	Elapsed    float64           `json:"elapsed_seconds"`
	Error      string            `json:"error,omitempty"`
}

type jsonTable struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Rows    int      `json:"rows"`
	Columns []string `json:"columns"`
	// Units are the units of the columns: "number", or "share" (1 is all
	// of it, shown as a percentage); the files hold every number as it is.
	Units  []string `json:"units"`
	Files  []string `json:"files"`
	Errors []string `json:"errors,omitempty"`
}

type jsonChart struct {
	Spec    json.RawMessage `json:"spec"`
	Figures []string        `json:"figures"`
	Errors  []string        `json:"errors,omitempty"`
}

type jsonFile struct {
	Path  string `json:"path"`
	Error string `json:"error,omitempty"`
}

func writeJSON(w io.Writer, l *laidOut) error {
	r := l.r
	out := jsonReport{
		Title: r.Title, Created: r.Created, NetlensVersion: r.Version, Engine: r.Engine,
		Summary: nonNil(r.Summary), Inputs: []jsonInput{}, Analyses: []jsonAnalysis{}, Skipped: nonNil(r.Skipped),
	}
	for _, in := range r.Inputs {
		out.Inputs = append(out.Inputs, jsonInput{Name: in.Name, Path: in.Path, SHA256: in.SHA256, Size: in.Size, Frames: in.Frames, Error: in.Error})
	}
	var specs [][]byte
	for _, so := range l.sections {
		s := so.s
		a := jsonAnalysis{
			Name: s.Meta.Name, Group: s.Meta.Group, Title: s.Meta.Title,
			Settings: s.Settings, Parameters: so.resolved,
			Notes: []string{}, Tables: []jsonTable{}, Charts: []jsonChart{}, Files: []jsonFile{},
			Elapsed: s.Elapsed.Seconds(),
		}
		if a.Settings == nil {
			a.Settings = map[string]string{}
		}
		if s.Err != nil {
			a.Error = s.Err.Error()
		}
		if s.Result != nil {
			a.Notes = nonNil(s.Result.Notes)
		}
		for _, to := range so.tables {
			jt := jsonTable{Name: to.name, Title: to.title, Columns: []string{}, Units: []string{}, Files: nonNil(to.files), Errors: to.errs}
			if to.table != nil {
				jt.Rows = to.rows
				jt.Columns = nonNil(to.table.Columns)
				jt.Units = output.UnitNames(to.units, len(jt.Columns))
			}
			a.Tables = append(a.Tables, jt)
		}
		for _, co := range so.charts {
			specs = append(specs, chartJSON(co.c))
			jc := jsonChart{Spec: json.RawMessage("null"), Figures: nonNil(co.figures), Errors: co.figErrs}
			if co.err != "" {
				jc.Errors = append([]string{co.err}, jc.Errors...)
			}
			a.Charts = append(a.Charts, jc)
		}
		for _, f := range so.files {
			a.Files = append(a.Files, jsonFile{Path: f.path, Error: f.err})
		}
		out.Analyses = append(out.Analyses, a)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	return spliceSpecs(w, b.Bytes(), specs)
}

// specKey is how the indented report shows a chart whose spec is yet to
// come. Inside a JSON string a quote is always escaped, so these bytes can
// only be the key of a chart.
var specKey = []byte(`"spec": null`)

// spliceSpecs writes the indented report js with the chart specs in place,
// each on one line: indented, a series of points would take four lines a
// point.
func spliceSpecs(w io.Writer, js []byte, specs [][]byte) error {
	for _, spec := range specs {
		i := bytes.Index(js, specKey)
		if i < 0 {
			return errors.New("chart spec missing from report.json")
		}
		if _, err := w.Write(js[:i+len(specKey)-len("null")]); err != nil {
			return err
		}
		if _, err := w.Write(spec); err != nil {
			return err
		}
		js = js[i+len(specKey):]
	}
	_, err := w.Write(js)
	return err
}

// chartJSON is the spec of c on one line, or null when it cannot be
// encoded (a chart that fails validation, with NaN in it); the chart's
// errors say why.
func chartJSON(c *chart.Chart) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
