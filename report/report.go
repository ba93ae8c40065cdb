package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart/static"
	"github.com/netlens/netlens/dataset"
)

// Report is everything a report shows, in order.
type Report struct {
	Title   string
	Created time.Time
	Version string // netlens version
	Engine  string // name of the engine the analyses ran on
	Inputs  []dataset.Input
	// Summary is shown first: packets, flows, time span and the like.
	Summary []Fact
	// Sections are the analyses that ran (or failed), one section each.
	Sections []Section
	// Skipped are the analyses that were not run, and why.
	Skipped []Skip
}

// Section is the outcome of one analysis.
type Section struct {
	Meta analysis.Meta
	// Settings are the parameters as given (--set), before defaults.
	Settings map[string]string
	// Result is nil when the analysis failed.
	Result  *analysis.Result
	Err     error
	Elapsed time.Duration
}

// Fact is one labelled value of the summary, e.g. "packets" and "1,234".
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Skip is an analysis that was not run, e.g. because the dataset lacks a
// table it needs.
type Skip struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Reason string `json:"reason"`
}

// Options tune what Write produces.
type Options struct {
	// Figures asks for a figure file per chart and format in figures/.
	Figures bool
	// Formats are the figure formats; none means PNG, SVG and PDF.
	Formats []static.Format
	// Workers is the number of pieces (tables, figures) written at once;
	// 0 means 2.
	Workers int
	// Force writes the report into a directory that holds files netlens
	// did not write, beside them. Those files are never replaced nor
	// removed, Force or not: a report that would replace one fails.
	Force bool
}

// DefaultOptions returns the options of `netlens report`: figures in PNG,
// SVG and PDF, two drawn at a time.
func DefaultOptions() Options {
	return Options{Figures: true, Formats: []static.Format{static.PNG, static.SVG, static.PDF}, Workers: 2}
}

// PreviewRows is the number of rows of each table shown in the page; the
// table files hold all of them.
const PreviewRows = 20

// MaxPoints is the number of points per series above which a chart is
// thinned before it is drawn (see chart.Chart.Downsample, which says so in
// the chart's note).
const MaxPoints = 5000

// Names of the pieces of a report directory.
const (
	IndexName  = "index.html"
	JSONName   = "report.json"
	TablesDir  = "tables"
	FiguresDir = "figures"
	// ListName is the list of the files the report is made of, one path
	// a line: a later report replaces exactly those, and no other file.
	ListName    = ".netlens-report"
	tmpPrefix   = ".report-tmp-"
	asidePrefix = ".report-old-"
)

// Write writes the report r into dir, replacing the report that dir may
// hold: the files its list (ListName) names. A dir that holds other files
// is refused unless opts.Force, and those are never replaced nor removed
// (see CheckDir). The report is built in a temporary directory inside dir
// and moved into place at the end, index.html last. Write must not run
// twice at once on the same dir.
//
// An analysis that failed, a table or figure that could not be written and
// a chart that could not be drawn are shown as errors in the page; Write
// fails only when the report itself cannot be written.
func Write(ctx context.Context, dir string, r *Report, opts Options) error {
	if r == nil {
		return fmt.Errorf("write report: no report")
	}
	b, err := NewBuilder(ctx, dir, opts)
	if err != nil {
		return err
	}
	for _, s := range r.Sections {
		b.Add(s)
	}
	return b.Finish(r)
}

// removeLeftovers removes the temporary directories of interrupted writes.
func removeLeftovers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, tmpPrefix) || strings.HasPrefix(n, asidePrefix) {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}
