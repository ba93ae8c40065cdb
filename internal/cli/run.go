package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/html"
	"github.com/netlens/netlens/chart/static"
	"github.com/netlens/netlens/output"
)

// RunOptions are the options of netlens run.
type RunOptions struct {
	IO       *IO
	Analysis string
	Dataset  string
	Set      []string
	Format   string
	Table    string
	Figure   string
	Engine   EngineOptions
}

// NewCmdRun builds `netlens run`. runF replaces the work in tests.
func NewCmdRun(ios *IO, runF func(*cobra.Command, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "run ANALYSIS -d DATASET|--engine URL [--set k=v]... [--format table|csv|json|parquet] [--figure FILE]",
		Short: "Run one analysis and print its tables",
		Long: `Run one analysis of the catalogue ('netlens list' shows them) on a dataset
and print its result tables. --set overrides a parameter; --table picks one
of several tables (csv, json and parquet print one table: the first unless
--table names another). --figure draws its charts: FILE.png (300 dpi),
.svg or .pdf for a paper, .html for an interactive page that opens offline.
An analysis with several charts writes FILE-<chart>.png and so on.
--engine clickhouse://host:port/db runs it on ClickHouse instead, with the
same results.`,
		Example: `  # who sent the most payload
  netlens run talkers -d ds

  # bursts with the second notebook's threshold, as CSV, with a figure
  netlens run bursts -d ds --set min_size=300 --format csv --figure bursts.pdf

  # the graph of who talks to whom, interactive
  netlens run graph -d ds --set max_edges=50 --figure graph.html`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("run needs one ANALYSIS; 'netlens list' shows them")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Analysis = args[0]
			if err := checkDatasetAndFormat("run", opts.Dataset, opts.Format, &opts.Engine); err != nil {
				return err
			}
			if err := checkFigure(opts.Figure); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.StringArrayVar(&opts.Set, "set", nil, "parameter as name=value, repeatable ('netlens list ANALYSIS' shows them)")
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: table, csv, json or parquet")
	f.StringVar(&opts.Table, "table", "", "print only this result table")
	f.StringVar(&opts.Figure, "figure", "", "draw the charts to FILE.png, .svg, .pdf or .html")
	opts.Engine.addFlags(f)
	return cmd
}

// parseSettings turns name=value strings into a map.
func parseSettings(set []string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range set {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want name=value", s)
		}
		m[k] = v
	}
	return m, nil
}

func runRun(ctx context.Context, opts *RunOptions) error {
	a, ok := catalog.ByName(opts.Analysis)
	if !ok {
		return usageError("no analysis %q; 'netlens list' shows them all", opts.Analysis)
	}
	settings, err := parseSettings(opts.Set)
	if err != nil {
		return usageError("%v", err)
	}
	if _, err := analysis.ParseValues(a.Meta().Params, settings); err != nil {
		return usageError("%s: %v", opts.Analysis, err)
	}
	format, _ := output.ParseFormat(opts.Format)
	if format == output.Parquet && opts.IO.OutTTY {
		return usageError("--format parquet writes binary: pipe the output to a file")
	}
	eng, err := opts.Engine.open(ctx, opts.Dataset)
	if err != nil {
		return err
	}
	defer eng.Close()
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		return err
	}
	env.StreamTables = true
	res, err := analysis.Run(ctx, a, env, settings)
	if err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintln(opts.IO.ErrOut, n)
	}
	if err := printTables(ctx, opts, res, format); err != nil {
		return err
	}
	if opts.Figure != "" {
		return writeFigures(opts.Figure, res.Charts, opts.IO)
	}
	return nil
}

func printTables(ctx context.Context, opts *RunOptions, res *analysis.Result, format output.Format) error {
	tables := res.Tables
	if opts.Table != "" {
		tables = nil
		var names []string
		for _, t := range res.Tables {
			names = append(names, t.Name)
			if t.Name == opts.Table {
				tables = []analysis.Table{t}
			}
		}
		if tables == nil {
			return usageError("--table %q: this analysis gives %s", opts.Table, strings.Join(names, ", "))
		}
	}
	if format != output.Table && len(tables) > 1 {
		var others []string
		for _, t := range tables[1:] {
			others = append(others, t.Name)
		}
		fmt.Fprintf(opts.IO.ErrOut, "printing table %s; --table %s prints another\n", tables[0].Name, strings.Join(others, " or "))
		tables = tables[:1]
	}
	for i, t := range tables {
		if format == output.Table {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			if t.Streamed() {
				fmt.Fprintf(opts.IO.Out, "%s (%s)\n", t.Title, t.Name)
			} else {
				fmt.Fprintf(opts.IO.Out, "%s (%s, %d rows)\n", t.Title, t.Name, len(t.Rows))
			}
		}
		if err := t.Write(ctx, opts.IO.Out, format, output.Options{TTY: opts.IO.OutTTY, Units: t.Units}); err != nil {
			return err
		}
	}
	return nil
}

// checkFigure checks the --figure file's extension before any work is done.
func checkFigure(path string) error {
	if path == "" || strings.EqualFold(filepath.Ext(path), ".html") {
		return nil
	}
	if _, err := static.FormatOf(path); err != nil {
		return usageError("--figure %s: %v (use .png, .svg, .pdf or .html)", path, err)
	}
	return nil
}

// writeFigures draws charts to path, or to path-<id>.ext when there are several.
func writeFigures(path string, charts []*chart.Chart, ios *IO) error {
	if len(charts) == 0 {
		return fmt.Errorf("this analysis draws no chart")
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".html" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := html.Page(f, "netlens", charts...); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(ios.ErrOut, "wrote %s\n", path)
		return f.Close()
	}
	format, err := static.FormatOf(path)
	if err != nil {
		return usageError("--figure %s: %v (use .png, .svg, .pdf or .html)", path, err)
	}
	for _, c := range charts {
		p := path
		if len(charts) > 1 {
			p = strings.TrimSuffix(path, filepath.Ext(path)) + "-" + c.ID + filepath.Ext(path)
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := static.Render(f, c, format, static.Size{}); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(ios.ErrOut, "wrote %s\n", p)
	}
	return nil
}
