package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/clickhouse"
)

// PushOptions are the options of netlens push.
type PushOptions struct {
	IO      *IO
	Dataset string
	Quiet   bool
	Engine  EngineOptions
}

// NewCmdPush builds `netlens push`. runF replaces the work in tests.
func NewCmdPush(ios *IO, runF func(*cobra.Command, *PushOptions) error) *cobra.Command {
	opts := &PushOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "push -d DATASET --engine clickhouse://[user[:password]@]host:port/database [--cluster NAME]",
		Short: "Load a dataset into ClickHouse",
		Long: `Copy the rows of a Parquet dataset into a ClickHouse database, for data
that outgrows one machine. The tables are created when missing (MergeTree,
partitioned by day, sorted by time then addresses; with --cluster, a local
table on every shard of the cluster and a Distributed table over them) and
checked when present; nothing is ever dropped.

Inputs are recognised by their sha256: a capture the database holds already,
from this dataset or another, is skipped. Rows go in as large batches over
a few parallel inserts, one ingest of the dataset at a time, recorded in the
tables netlens_loads and netlens_inputs; a push that is interrupted leaves a
load marked as started, and the next push deletes its rows and loads it
again, so nothing is doubled and nothing is missing.

In ClickHouse, timestamps are Int64 nanoseconds and addresses String: the
same tables work on every release from 18.16 on. Flow ids get the load's
number in their high bits, so flows from several datasets never collide.`,
		Example: `  # one server
  netlens push -d ds --engine clickhouse://localhost:9000/netlens

  # a cluster named 'telescope' in the servers' remote_servers
  netlens push -d ds --engine clickhouse://ch1:9000/telescope --cluster telescope

  # then, the same analyses there
  netlens run talkers --engine clickhouse://ch1:9000/telescope`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ch, err := opts.Engine.clickhouse()
			if err != nil {
				return err
			}
			if ch == nil {
				return usageError("push needs --engine clickhouse://host:port/database (or $%s)", EngineEnv)
			}
			if opts.Dataset == "" {
				return usageError("push needs -d DATASET")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runPush(cmd, opts, *ch)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	opts.Engine.addFlags(f)
	return cmd
}

func runPush(cmd *cobra.Command, opts *PushOptions, cfg clickhouse.Config) error {
	ctx := cmd.Context()
	ds, err := dataset.Open(opts.Dataset)
	if err != nil {
		return err
	}
	defer ds.Close()
	eng, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer eng.Close()
	if _, err := load(ctx, opts.IO, eng, ds, opts.Quiet); err != nil {
		if ctx.Err() != nil {
			return &exitError{code: ExitInterrupt, err: fmt.Errorf("%w; the next push cleans up and loads again", err)}
		}
		return err
	}
	return nil
}
