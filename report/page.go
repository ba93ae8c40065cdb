package report

import (
	_ "embed"
	"html/template"
	"io"
	"path"
	"strings"

	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/html"
)

//go:embed assets/page.html
var pageSource string

//go:embed assets/report.css
var pageCSS string

// page is index.html. html/template escapes every string of the view for
// where it lands; only the chart fragments (escaped by chart/html), the
// style sheet and the script are trusted as they are.
var page = template.Must(template.New("page").Parse(pageSource))

type pageView struct {
	Title, Created, Version, Engine string
	CSS                             template.CSS
	Script                          template.JS
	Summary                         []Fact
	Sections                        []sectionView
	Skipped                         []Skip
	Inputs                          []inputView
}

type sectionView struct {
	Anchor, Name, Title, Doc string
	Params                   []paramOut
	ParamErr                 string
	Err                      string
	Notes                    []string
	Charts                   []chartView
	Tables                   []tableView
	Files                    []linkView
	Elapsed                  string
}

type chartView struct {
	Anchor, Title string
	HTML          template.HTML
	Err           string
	Figures       []linkView
	FigureErrs    []string
}

type tableView struct {
	Name, Title string
	Preview     *previewView
	Links       []linkView
	Errs        []string
}

type previewView struct {
	Columns      []string
	Rows         [][]cellView
	Shown, Total int
}

type cellView struct {
	Text string
	Num  bool
}

type linkView struct {
	Label, Href, Err string
}

type inputView struct {
	Name, Path, SHA256, Size, Error string
	Bytes                           int64
	Frames                          uint64
}

func writePage(w io.Writer, l *laidOut) error {
	r := l.r
	v := pageView{
		Title: r.Title, Version: r.Version, Engine: r.Engine,
		Created: r.Created.UTC().Format("2006-01-02 15:04:05 UTC"),
		CSS:     template.CSS(pageCSS),
		Script:  html.Script(),
		Summary: r.Summary, Skipped: r.Skipped,
	}
	if v.Title == "" {
		v.Title = "netlens report"
	}
	for _, so := range l.sections {
		v.Sections = append(v.Sections, sectionOf(so))
	}
	for _, in := range r.Inputs {
		v.Inputs = append(v.Inputs, inputView{
			Name: in.Name, Path: in.Path, SHA256: in.SHA256, Error: in.Error,
			Size: chart.FormatBytes(float64(in.Size)), Bytes: in.Size, Frames: in.Frames,
		})
	}
	return page.Execute(w, v)
}

func sectionOf(so *sectionOut) sectionView {
	s := so.s
	sv := sectionView{
		Anchor: so.anchor, Name: s.Meta.Name, Title: s.Meta.Title, Doc: s.Meta.Doc,
		Params: so.params, ParamErr: so.paramErr,
		Elapsed: chart.FormatSeconds(s.Elapsed.Seconds()),
	}
	if sv.Title == "" {
		sv.Title = s.Meta.Name
	}
	if s.Err != nil {
		sv.Err = s.Err.Error()
	} else if s.Result == nil {
		sv.Err = "the analysis returned no result"
	}
	if s.Result != nil {
		sv.Notes = s.Result.Notes
	}
	for _, co := range so.charts {
		cv := chartView{Anchor: "chart-" + co.c.ID, Title: co.c.Title, HTML: co.html, Err: co.err, FigureErrs: co.figErrs}
		for _, f := range co.figures {
			cv.Figures = append(cv.Figures, linkView{Label: extLabel(f), Href: f})
		}
		sv.Charts = append(sv.Charts, cv)
	}
	for _, to := range so.tables {
		tv := tableView{Name: to.name, Title: to.title, Errs: to.errs}
		if tv.Title == "" {
			tv.Title = to.name
		}
		for _, f := range to.files {
			tv.Links = append(tv.Links, linkView{Label: extLabel(f), Href: f})
		}
		if p := to.preview; p != nil {
			pv := &previewView{Columns: p.Columns, Shown: len(p.Rows), Total: p.Total}
			for _, row := range p.Rows {
				cells := make([]cellView, len(row))
				for j, text := range row {
					cells[j] = cellView{Text: text, Num: j < len(p.Numeric) && p.Numeric[j]}
				}
				pv.Rows = append(pv.Rows, cells)
			}
			tv.Preview = pv
		}
		sv.Tables = append(sv.Tables, tv)
	}
	for _, f := range so.files {
		sv.Files = append(sv.Files, linkView{Label: path.Base(f.path), Href: f.path, Err: f.err})
	}
	return sv
}

// extLabel names a file by its format: "CSV", "Parquet", "PNG".
func extLabel(p string) string {
	ext := strings.TrimPrefix(path.Ext(p), ".")
	if ext == "parquet" {
		return "Parquet"
	}
	return strings.ToUpper(ext)
}
