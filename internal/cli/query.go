package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/output"
)

// QueryOptions are the options of netlens query.
type QueryOptions struct {
	IO      *IO
	Dataset string
	Format  string
	Out     string
	SQL     string
	Engine  EngineOptions
}

// NewCmdQuery builds `netlens query`. runF replaces the work in tests.
func NewCmdQuery(ios *IO, runF func(*cobra.Command, *QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "query -d DATASET | --engine clickhouse://... [--format table|csv|json|parquet] SQL",
		Short: "Run SQL over a dataset or a ClickHouse database",
		Long: `Run one SQL statement over a dataset with the embedded DuckDB engine.
Every table of the dataset is a view over its Parquet files:

  packets  one row per packet: ts, src, dst, sport, dport, proto, wire_len,
           payload_len, app, flow_id, ...
  flows    one row per flow: flow_id, start, end, a, a_port, b, b_port,
           pkts_a_to_b, bytes_a_to_b, state, answered, ...

'DESCRIBE packets' lists the columns. Timestamps are UTC with nanoseconds
(TIMESTAMP_NS); addresses are text. Nothing is downloaded: DuckDB runs
offline with the extensions built into netlens (parquet, json, icu), and
INSTALL or LOAD of others is refused. The SQL sees the dataset only: it
cannot read or write files outside it (read_csv of another file, COPY ...
TO, ATTACH); use --format and -o to export a result.

With --engine clickhouse://host:port/db (or $NETLENS_ENGINE) the SQL runs
on that ClickHouse database instead, in ClickHouse's dialect, over the same
tables: there timestamps are Int64 nanoseconds (toDateTime(intDiv(ts,
1000000000)) makes a DateTime) and booleans UInt8.

--format table (the default) aligns columns for reading; csv, json (one
object per line) and parquet are for programs. parquet needs -o FILE or a
pipe.`,
		Example: `  # the ten busiest conversations
  netlens query -d ds "SELECT a, b, b_port, pkts_a_to_b + pkts_b_to_a AS pkts FROM flows ORDER BY pkts DESC LIMIT 10"

  # bytes per application protocol, as CSV
  netlens query -d ds --format csv "SELECT app, sum(wire_len) AS bytes FROM packets GROUP BY app ORDER BY bytes DESC"

  # export unanswered TCP connection attempts to Parquet
  netlens query -d ds --format parquet -o s0.parquet "SELECT * FROM flows WHERE state = 'S0'"

  # the same question to a ClickHouse cluster
  netlens query --engine clickhouse://ch1:9000/telescope "SELECT proto, count() FROM packets GROUP BY proto"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("query needs exactly one SQL argument (quote it), got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SQL = args[0]
			if err := checkDatasetAndFormat("query", opts.Dataset, opts.Format, &opts.Engine); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runQuery(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: table, csv, json or parquet")
	f.StringVarP(&opts.Out, "output", "o", "", "write to this file instead of standard output")
	opts.Engine.addFlags(f)
	return cmd
}

func runQuery(ctx context.Context, opts *QueryOptions) error {
	format, _ := output.ParseFormat(opts.Format)
	eng, err := opts.Engine.open(ctx, opts.Dataset)
	if err != nil {
		return err
	}
	defer eng.Close()

	var w io.Writer = opts.IO.Out
	tty := opts.IO.OutTTY
	if opts.Out != "" {
		f, err := os.Create(opts.Out)
		if err != nil {
			return err
		}
		defer f.Close()
		w, tty = f, false
	} else if format == output.Parquet && tty {
		return usageError("--format parquet writes binary: give -o FILE or pipe the output")
	}
	rows, err := eng.Query(ctx, opts.SQL)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	if err := output.Write(w, rows, format, output.Options{TTY: tty}); err != nil {
		return err
	}
	if c, ok := w.(io.Closer); ok && opts.Out != "" {
		return c.Close()
	}
	return nil
}

// checkDatasetAndFormat checks the -d, --engine and --format flags of verb.
func checkDatasetAndFormat(verb, dir, format string, eng *EngineOptions) error {
	if err := eng.check(verb, dir); err != nil {
		return err
	}
	if _, err := output.ParseFormat(format); err != nil {
		return usageError("%v", err)
	}
	return nil
}
