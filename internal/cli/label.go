package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/output"
)

// LabelOptions are the options of netlens label.
type LabelOptions struct {
	IO      *IO
	Dataset string
	Kind    string
	Files   []string
	Replace bool
	List    bool
	Format  string
	Quiet   bool
	Engine  EngineOptions
}

// NewCmdLabel builds `netlens label`. runF replaces the work in tests.
func NewCmdLabel(ios *IO, runF func(*cobra.Command, *LabelOptions) error) *cobra.Command {
	opts := &LabelOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "label -d DATASET --kind KIND FILE.csv... [--replace] | --list",
		Short: "Load labels of addresses, prefixes and domains: users, classes, organisations, categories",
		Long: `Load labels into the dataset's table 'labels', without reading any capture
again: analyses join them when they run, so new labels change their answers
at once. Kinds:

  user      a subscriber's id, for the flow kinds of the flows analyses:
            typical (one end is a user), p2p (both), nouser (neither)
  class     ground truth of a sender (a known scanner, say)
  org       the organisation behind an address, prefix or domain
  category  what an address, prefix or domain serves (video, social, ...)

A label file is CSV, plain or gzip-compressed: one label per line, with an
address (192.0.2.1), a CIDR prefix (192.0.2.0/24, 2001:db8::/32) or, for org
and category, a domain (example.com, which matches its subdomains too), then
the label, then optionally the times it applies from and until (RFC 3339,
'2024-03-01 12:00:00' in UTC, a date, or Unix seconds, from 1970 on; empty:
unbounded): a subscriber's address changes with DHCP leases. A header line naming the
columns (address or ip, label or the kind's name, from, to) lets them come in
any order, as in DarkVec's 'ip,class' files. '#' starts a comment line.

Where several labels of a kind apply to an address at a time, the one of the
longest prefix wins, and of those of one prefix the one loaded last. A user
line without an id makes the address its own id.

Files add to the labels of their kind; a file the dataset holds already
(same content) is skipped. --replace drops every label of the kind first.
The manifest records each label file with its sha256. --list shows the
labels (of --kind, or all) instead of loading any.

With --engine clickhouse://... the labels go to that database instead, where
they replace those of their kind that it holds (or add to them).`,
		Example: `  # the users of a community network, some with DHCP lease times
  netlens label -d ds --kind user users.csv

  # DarkVec's ground truth
  netlens label -d ds --kind class big_gt.csv

  # organisations and categories of domains and prefixes, replacing earlier ones
  netlens label -d ds --kind org --replace orgs.csv

  # what the dataset holds
  netlens label -d ds --list --kind user`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if err := opts.Engine.check("label", opts.Dataset); err != nil {
				return err
			}
			if opts.Kind != "" && !labels.ValidKind(opts.Kind) {
				return usageError("--kind %q: want one of %s", opts.Kind, strings.Join(labels.Kinds(), ", "))
			}
			if _, err := output.ParseFormat(opts.Format); err != nil {
				return usageError("%v", err)
			}
			switch {
			case opts.List && len(args) > 0:
				return usageError("--list shows the labels: give no FILE")
			case opts.List && opts.Replace:
				return usageError("--list and --replace do not go together")
			case !opts.List && opts.Kind == "":
				return usageError("label needs --kind (%s)", strings.Join(labels.Kinds(), ", "))
			case !opts.List && len(args) == 0 && !opts.Replace:
				return usageError("label needs a label FILE (or --replace without one, to drop every label of the kind, or --list)")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runLabel(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.StringVar(&opts.Kind, "kind", "", "kind of the labels: "+strings.Join(labels.Kinds(), ", "))
	f.BoolVar(&opts.Replace, "replace", false, "drop the labels of the kind before loading the files")
	f.BoolVar(&opts.List, "list", false, "show the labels instead of loading any")
	f.StringVarP(&opts.Format, "format", "f", "table", "--list output format: table, csv, json or parquet")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	opts.Engine.addFlags(f)
	return cmd
}

func runLabel(cmd *cobra.Command, opts *LabelOptions) error {
	if opts.List {
		return listLabels(cmd, opts)
	}
	ch, err := opts.Engine.clickhouse()
	if err != nil {
		return err
	}
	if ch != nil {
		return labelClickHouse(cmd, opts)
	}
	// Only an existing dataset takes labels: labels without captures
	// would make a dataset of nothing but them by mistake.
	if opts.Dataset == "" {
		return usageError("label needs -d DATASET")
	}
	ro, err := dataset.Open(opts.Dataset)
	if err != nil {
		return err
	}
	ro.Close()
	ds, err := dataset.OpenWrite(opts.Dataset)
	if err != nil {
		return err
	}
	res, err := labels.Load(ds, Version(), opts.Kind, opts.Files, opts.Replace)
	if err != nil {
		if errors.Is(err, dataset.ErrLocked) {
			return fmt.Errorf("%w: labels are loaded when no ingest runs", err)
		}
		return err
	}
	if !opts.Quiet {
		printLabelResult(opts.IO.ErrOut, res, opts.Dataset)
	}
	return nil
}

// printLabelResult says what a load of labels did.
func printLabelResult(w io.Writer, res *labels.Result, where string) {
	for _, l := range res.Removed {
		fmt.Fprintf(w, "removed %s: %d %s labels\n", l.Path, l.Rows, l.Kind)
	}
	for _, l := range res.Skipped {
		fmt.Fprintf(w, "%s: already loaded as %s labels (sha256 %.16s…), skipped; --replace loads the kind again\n", l.Path, l.Kind, l.SHA256)
	}
	for _, l := range res.Loaded {
		fmt.Fprintf(w, "%s: %d %s labels\n", l.Path, l.Rows, l.Kind)
	}
	fmt.Fprintf(w, "%s holds %d %s labels (%d address spans)\n", where, res.Labels, res.Kind, res.Spans)
}

// listLabels writes the labels of the dataset or database.
func listLabels(cmd *cobra.Command, opts *LabelOptions) error {
	ctx := cmd.Context()
	eng, err := opts.Engine.open(ctx, opts.Dataset)
	if err != nil {
		return err
	}
	defer eng.Close()
	format, _ := output.ParseFormat(opts.Format)
	if format == output.Parquet && opts.IO.OutTTY {
		return usageError("--format parquet writes binary: pipe the output")
	}
	q, args := labels.ListSQL(eng.Dialect(), opts.Kind)
	rows, err := eng.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list labels: %w", err)
	}
	defer rows.Close()
	if ch, _ := opts.Engine.clickhouse(); ch == nil && !opts.Quiet {
		ds, err := dataset.Open(opts.Dataset)
		if err == nil {
			for _, l := range ds.Manifest().Labels {
				if opts.Kind == "" || l.Kind == opts.Kind {
					fmt.Fprintf(opts.IO.ErrOut, "%s: %d %s labels, sha256 %.16s…, loaded by ingest %d\n", l.Path, l.Rows, l.Kind, l.SHA256, l.Ingest)
				}
			}
			ds.Close()
		}
	}
	return output.Write(opts.IO.Out, rows, format, output.Options{TTY: opts.IO.OutTTY})
}

// labelClickHouse loads the label files into the ClickHouse database.
func labelClickHouse(cmd *cobra.Command, opts *LabelOptions) error {
	ctx := cmd.Context()
	files := make([]*labels.File, 0, len(opts.Files))
	for _, p := range opts.Files {
		f, err := labels.Read(p, opts.Kind)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	ch, err := opts.Engine.clickhouse()
	if err != nil {
		return err
	}
	eng, err := clickhouse.Open(ctx, *ch)
	if err != nil {
		return err
	}
	defer eng.Close()
	res, err := labels.LoadStore(ctx, eng, opts.Kind, files, opts.Replace, time.Now())
	if err != nil {
		return err
	}
	if !opts.Quiet {
		printLabelResult(opts.IO.ErrOut, res, ch.String())
	}
	return nil
}
