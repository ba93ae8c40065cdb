package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/analysis/suite"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/report"
)

// ReportOptions are the options of netlens report.
type ReportOptions struct {
	IO        *IO
	Inputs    []string
	Out       string
	Dataset   string
	Analyses  []string
	Groups    []string
	Set       []string
	NoFigures bool
	Force     bool
	// CPUProfile is a file to write the CPU profile of the whole report
	// (ingest, analyses, files) to; empty means none.
	CPUProfile string
	Ingest     IngestOptions
	// Catalog is the list the analyses are taken from; nil means the
	// catalogue (catalog.All).
	Catalog []analysis.Analysis
}

// NewCmdReport builds `netlens report`. runF replaces the work in tests.
func NewCmdReport(ios *IO, runF func(*cobra.Command, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: ios, Ingest: IngestOptions{IO: ios, Flow: flow.DefaultConfig()}}
	cmd := &cobra.Command{
		Use:   "report [INPUT...] [-o DIR] [-d DATASET] [--engine clickhouse://...]",
		Short: "Ingest captures and write the report of every analysis",
		Long: `The main job: read the captures into DIR/dataset (or the dataset given
with -d), run every analysis of the catalogue whose tables the dataset has,
and write an offline report:

  DIR/index.html   summary, then a section per analysis: chart, explanation,
                   table preview, links to the full tables and figures
  DIR/figures/     every chart as PNG (300 dpi), SVG and PDF
  DIR/tables/      every result table as CSV and Parquet (and GraphML)
  DIR/report.json  inputs with their sha256, parameters, versions, results

The page needs no network: open it from the file, today or in ten years.
DIR/.netlens-report lists the files of the report: a later report in DIR
replaces those, and never a file netlens did not write. A DIR that holds
other files (a paper's figures/, say) is refused; --force writes the report
beside them, still without replacing any.

An analysis that fails does not stop the report: the others are written,
the page and the terminal say what failed and why, and netlens exits with
status 4.

The darknet group asks what a network telescope sees (senders to an
unused address block, DarkVec's embeddings): it runs when the dataset is a
telescope's, that is with class labels, or packets from logs of packets and
no flows, or at least 1,000 flows of which 90% or more were never answered.
Otherwise the report skips it, saying why; --group darknet runs it anyway.

Without INPUT, -d names an existing dataset to report on. Inputs already in
the dataset are not read again. --analyses picks analyses by name and
--group by catalogue group (both together: the union);
--set analysis.parameter=value changes a parameter of one analysis, --set
parameter=value that of every analysis that has it ('netlens list' shows
them all): --set payload=scapy --set ip_version=4 gives the numbers of the
scapy notebooks throughout.

With --engine clickhouse://host:port/db (or $NETLENS_ENGINE) the analyses
run on ClickHouse: the inputs (and the dataset of -d) are loaded into it
first, and without either the report covers what the database holds.`,
		Example: `  # the report on a device's capture
  netlens report camera.pcap -o camera-report

  # only talkers and bursts, with the second notebook's burst threshold
  netlens report camera.pcap -o out --analyses talkers,bursts --set bursts.min_size=300

  # the numbers of the scapy notebooks: IPv4 only, payload counted as scapy does
  netlens report camera.pcap -o out --set payload=scapy --set ip_version=4

  # report on a dataset built before
  netlens report -d ds -o out

  # report on everything a ClickHouse cluster holds
  netlens report --engine clickhouse://ch1:9000/telescope --cluster telescope -o out`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			ch, err := opts.Ingest.Engine.clickhouse()
			if err != nil {
				return err
			}
			if len(args) == 0 && opts.Dataset == "" && ch == nil {
				return usageError("report needs INPUT files or -d DATASET (or --engine clickhouse://...)")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runReport(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "output", "o", "report", "directory of the report")
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory (default: DIR/dataset)")
	f.StringSliceVar(&opts.Analyses, "analyses", nil, "run only these analyses (comma-separated)")
	f.StringSliceVar(&opts.Groups, "group", nil, "run only the analyses of these catalogue groups (comma-separated: capture, flows, peers, darknet), with those of --analyses")
	f.StringArrayVar(&opts.Set, "set", nil, "parameter as analysis.name=value, or name=value for every analysis that has it; repeatable")
	f.BoolVar(&opts.NoFigures, "no-figures", false, "skip the PNG/SVG/PDF figures (faster)")
	f.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the report (Go pprof format) to this file")
	f.BoolVar(&opts.Force, "force", false, "write into a DIR that holds files netlens did not write, beside them (never replacing them)")
	f.BoolVarP(&opts.Ingest.Quiet, "quiet", "q", false, "print nothing but errors")
	f.StringVar(&opts.Ingest.Node, "node", "", "captures of a Bitcoin node: its address, or address:listening-port among several nodes on one address (as ingest --node)")
	opts.Ingest.Engine.addFlags(f)
	return cmd
}

// reportPlan resolves which analyses run and with which settings.
func reportPlan(opts *ReportOptions) ([]analysis.Analysis, map[string]map[string]string, error) {
	all := opts.Catalog
	if all == nil {
		all = catalog.All()
	}
	byName := func(name string) (analysis.Analysis, bool) {
		for _, a := range all {
			if a.Meta().Name == name {
				return a, true
			}
		}
		return nil, false
	}
	if len(opts.Analyses) > 0 || len(opts.Groups) > 0 {
		var picked []analysis.Analysis
		for _, name := range opts.Analyses {
			a, ok := byName(strings.TrimSpace(name))
			if !ok {
				return nil, nil, usageError("--analyses: no analysis %q; 'netlens list' shows them", name)
			}
			picked = append(picked, a)
		}
		for _, g := range opts.Groups {
			g = strings.TrimSpace(g)
			n := 0
			for _, a := range all {
				if a.Meta().Group != g {
					continue
				}
				n++
				if !slices.ContainsFunc(picked, func(p analysis.Analysis) bool { return p.Meta().Name == a.Meta().Name }) {
					picked = append(picked, a)
				}
			}
			if n == 0 {
				return nil, nil, usageError("--group: no group %q; 'netlens list' shows the analyses by group", g)
			}
		}
		all = picked
	}
	settings := map[string]map[string]string{}
	set := func(name, param, v string) {
		if settings[name] == nil {
			settings[name] = map[string]string{}
		}
		settings[name][param] = v
	}
	// parameter=value for every analysis that has the parameter first, so
	// that analysis.parameter=value overrides it whatever the order.
	var dotted []string
	for _, s := range opts.Set {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, nil, usageError("--set %q: want analysis.parameter=value or parameter=value, e.g. bursts.gap=500ms", s)
		}
		if strings.Contains(k, ".") {
			dotted = append(dotted, s)
			continue
		}
		n := 0
		for _, a := range all {
			if slices.ContainsFunc(a.Meta().Params, func(p analysis.Param) bool { return p.Name == k }) {
				set(a.Meta().Name, k, v)
				n++
			}
		}
		if n == 0 {
			return nil, nil, usageError("--set %q: no analysis takes a parameter %q ('netlens list' shows them)", s, k)
		}
	}
	for _, s := range dotted {
		k, v, _ := strings.Cut(s, "=")
		name, param, _ := strings.Cut(k, ".")
		if _, ok := byName(name); !ok {
			return nil, nil, usageError("--set %q: no analysis %q", s, name)
		}
		set(name, param, v)
	}
	for name, set := range settings {
		a, _ := byName(name)
		if _, err := analysis.ParseValues(a.Meta().Params, set); err != nil {
			return nil, nil, usageError("--set: %s: %v", name, err)
		}
	}
	return all, settings, nil
}

func runReport(cmd *cobra.Command, opts *ReportOptions) (err error) {
	if opts.CPUProfile != "" {
		stop, err := startCPUProfile(opts.CPUProfile)
		if err != nil {
			return err
		}
		defer func() {
			if serr := stop(); err == nil {
				err = serr
			}
		}()
	}
	ctx, ios := cmd.Context(), opts.IO
	analyses, settings, err := reportPlan(opts)
	if err != nil {
		return err
	}
	ch, err := opts.Ingest.Engine.clickhouse()
	if err != nil {
		return err
	}
	if opts.Dataset == "" && (ch == nil || len(opts.Inputs) > 0) {
		opts.Dataset = filepath.Join(opts.Out, "dataset")
	}
	// Before any work: a directory that holds files netlens did not write
	// is refused, unless --force.
	if err := report.CheckDir(opts.Out, opts.Force); err != nil {
		return err
	}
	var inputErr error
	var pending *duckdb.Pending
	if len(opts.Inputs) > 0 { // into the dataset, and on into ClickHouse
		if ch == nil {
			// DuckDB starts while the capture is read, not after.
			pending = duckdb.Start()
			defer pending.Close()
		}
		opts.Ingest.Inputs, opts.Ingest.Dataset = opts.Inputs, opts.Dataset
		if err := runIngest(cmd, &opts.Ingest); err != nil {
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != ExitBadInput {
				return err
			}
			inputErr = err // report on what was read, then say what was not
		}
	}

	// The report is written while the analyses run: each section's tables
	// and figures are drawn in the background (report.Builder) as soon as
	// its analysis is done, while the engine answers the next one. It is
	// started before the engine opens, so that what it prepares is made
	// meanwhile.
	ropts := report.DefaultOptions()
	ropts.Figures = !opts.NoFigures
	ropts.Force = opts.Force
	b, err := report.NewBuilder(ctx, opts.Out, ropts)
	if err != nil {
		return err
	}
	defer b.Abort() // after Finish, nothing
	var eng engine.Engine
	if pending != nil {
		d, err := pending.OpenDir(ctx, opts.Dataset)
		if err != nil {
			return fmt.Errorf("open %s: %w", strings.TrimSuffix(opts.Dataset, "/"), err)
		}
		eng = d
	} else if eng, err = opts.Ingest.Engine.open(ctx, opts.Dataset); err != nil {
		return err
	}
	// The builder's pieces read the engine's streams: they are done or
	// dropped before it closes.
	defer func() {
		b.Abort()
		closeSoon(eng)
	}()
	held, err := holdings(ctx, opts, eng)
	if err != nil {
		return err
	}
	inputs, rows := held.Inputs, held.Rows
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		return err
	}
	// Tables of millions of rows (a scan's talkers, say) are read from the
	// engine as their files are written, not held: the engine stays open
	// until the builder has written them (b.Finish).
	env.StreamTables = true

	r := &report.Report{
		Title:   reportTitle(inputs),
		Created: time.Now().UTC(),
		Version: Version(),
		Engine:  eng.Name(),
		Inputs:  inputs,
		Summary: []report.Fact{
			{Label: "captures", Value: strconv.Itoa(len(inputs))},
			{Label: "packets", Value: groupDigits(rows["packets"])},
			{Label: "flows", Value: groupDigits(rows["flows"])},
			{Label: "DNS answers", Value: groupDigits(rows["dns"])},
		},
	}
	plan := analyses
	analyses, gated, err := darknetGate(ctx, opts, env, held, analyses)
	if err != nil {
		return err
	}
	if len(gated) > 0 && !opts.Ingest.Quiet {
		fmt.Fprintf(ios.ErrOut, "darknet group skipped (%d analyses): %s\n", len(gated), gated[0].Reason)
	}
	var failed []string
	var span struct {
		first, last time.Time
		ok          bool
	}
	err = suite.Run(ctx, env, analyses, settings, held, func(o suite.Outcome) {
		if o.Skipped != "" {
			r.Skipped = append(r.Skipped, report.Skip{Name: o.Meta.Name, Title: o.Meta.Title, Reason: o.Skipped})
			return
		}
		sec := report.Section{Meta: o.Meta, Settings: o.Settings, Result: o.Result, Err: o.Err, Elapsed: o.Elapsed}
		if o.Err != nil {
			failed = append(failed, o.Meta.Name)
			fmt.Fprintf(ios.ErrOut, "%s failed: %v\n", o.Meta.Name, o.Err)
		}
		if o.Meta.Name == "overview" {
			span.first, span.last, span.ok = overviewSpan(o.Result)
		}
		// The builder holds the result until its files are written; the
		// report keeps the overview's time span of it, not its tables.
		b.Add(sec)
		sec.Result = nil
		r.Sections = append(r.Sections, sec)
	})
	if err != nil {
		b.Abort()
		return &exitError{code: ExitInterrupt, err: errors.New("report interrupted; nothing written")}
	}
	r.Skipped = inPlanOrder(plan, append(r.Skipped, gated...))
	if span, ok := timeSpan(ctx, env, span.first, span.last, span.ok); ok {
		r.Summary = append(r.Summary, span...)
	}
	if err := b.Finish(r); err != nil {
		return err
	}
	if !opts.Ingest.Quiet {
		fmt.Fprintf(ios.ErrOut, "wrote %s (%d analyses)\n", filepath.Join(opts.Out, report.IndexName), len(r.Sections))
	}
	if len(failed) > 0 {
		err := fmt.Errorf("%d of %d analyses failed (%s): the report holds the others, and says why these failed",
			len(failed), len(r.Sections), strings.Join(failed, ", "))
		if inputErr != nil {
			err = fmt.Errorf("%w; and %w", err, inputErr)
		}
		return &exitError{code: ExitFailedAnalyses, err: err}
	}
	return inputErr
}

// startCPUProfile starts writing a CPU profile to path; stop ends it and
// closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}

// darknetGate leaves the darknet group out of analyses unless the dataset
// is a telescope's (suite.Telescope) or the analyses were picked by name or
// group (--analyses, --group): the group asks questions of a darknet's
// traffic, and costs more than the rest of a report together on a busy
// capture. skipped are those left out, with why and how to ask for them.
func darknetGate(ctx context.Context, opts *ReportOptions, env *analysis.Env, h *suite.Holdings, analyses []analysis.Analysis) (run []analysis.Analysis, skipped []report.Skip, err error) {
	if len(opts.Analyses) > 0 || len(opts.Groups) > 0 ||
		!slices.ContainsFunc(analyses, func(a analysis.Analysis) bool { return a.Meta().Group == suite.DarknetGroup }) {
		return analyses, nil, nil
	}
	v, err := suite.Telescope(ctx, env, h)
	if err != nil || v.Telescope {
		return analyses, nil, err
	}
	reason := "not a telescope's traffic: " + v.Why + "; --group darknet runs it"
	for _, a := range analyses {
		if m := a.Meta(); m.Group == suite.DarknetGroup {
			skipped = append(skipped, report.Skip{Name: m.Name, Title: m.Title, Reason: reason})
			continue
		}
		run = append(run, a)
	}
	return run, skipped, nil
}

// inPlanOrder sorts skips in the order of their analyses in plan.
func inPlanOrder(plan []analysis.Analysis, skips []report.Skip) []report.Skip {
	pos := map[string]int{}
	for i, a := range plan {
		pos[a.Meta().Name] = i
	}
	slices.SortStableFunc(skips, func(a, b report.Skip) int { return pos[a.Name] - pos[b.Name] })
	return skips
}

// holdings returns the inputs and the rows per table the report covers: the
// dataset's, or what the ClickHouse database holds once a dataset given
// without inputs is loaded into it.
func holdings(ctx context.Context, opts *ReportOptions, eng engine.Engine) (*suite.Holdings, error) {
	if ch, ok := eng.(*clickhouse.Engine); ok && len(opts.Inputs) == 0 && opts.Dataset != "" {
		ds, err := dataset.Open(opts.Dataset)
		if err != nil {
			return nil, err
		}
		defer ds.Close()
		if _, err := load(ctx, opts.IO, ch, ds, opts.Ingest.Quiet); err != nil {
			return nil, err
		}
	}
	return suite.HoldingsOf(ctx, eng, opts.Dataset)
}

// reportTitle names the report after its inputs.
func reportTitle(in []dataset.Input) string {
	switch len(in) {
	case 0:
		return "netlens report"
	case 1:
		return "netlens report: " + in[0].Name
	}
	return fmt.Sprintf("netlens report: %s and %d more", in[0].Name, len(in)-1)
}

// timeSpan gives the first and last packet time and the duration as
// summary facts: those the overview found (ok), or else the engine's.
func timeSpan(ctx context.Context, env *analysis.Env, first, last time.Time, ok bool) ([]report.Fact, bool) {
	if !ok {
		ts := env.Dialect().EpochNs("ts")
		t, err := env.Query(ctx, "SELECT min("+ts+"), max("+ts+") FROM packets")
		if err != nil || len(t.Rows) == 0 || t.Rows[0][0] == nil {
			return nil, false
		}
		first, last = analysis.Time(analysis.AsInt(t.Rows[0][0])), analysis.Time(analysis.AsInt(t.Rows[0][1]))
	}
	return []report.Fact{
		{Label: "first packet", Value: first.Format("2006-01-02 15:04:05.000000 UTC")},
		{Label: "last packet", Value: last.Format("2006-01-02 15:04:05.000000 UTC")},
		{Label: "duration", Value: last.Sub(first).Round(time.Millisecond).String()},
	}, true
}

// overviewSpan reads the first and last packet time from the overview's
// span table in res.
func overviewSpan(res *analysis.Result) (first, last time.Time, ok bool) {
	if res == nil {
		return time.Time{}, time.Time{}, false
	}
	for _, t := range res.Tables {
		if t.Name != "overview_span" || t.Table == nil || len(t.Rows) != 1 || len(t.Columns) < 2 ||
			t.Columns[0] != "first_packet" || t.Columns[1] != "last_packet" {
			continue
		}
		first, ok1 := t.Rows[0][0].(time.Time)
		last, ok2 := t.Rows[0][1].(time.Time)
		return first, last, ok1 && ok2
	}
	return time.Time{}, time.Time{}, false
}

// groupDigits writes n with thousands separators: 1234567 -> "1,234,567".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// closeSoon closes the engine when the report is done: DuckDB's in-memory
// database is freed without the command waiting for it (see
// duckdb.Engine.CloseSoon).
func closeSoon(eng engine.Engine) error {
	if e, ok := eng.(interface{ CloseSoon() error }); ok {
		return e.CloseSoon()
	}
	return eng.Close()
}
