package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/web"
)

// ServeOptions are the options of netlens serve.
type ServeOptions struct {
	IO           *IO
	Dataset      string
	Addr         string
	AllowRemote  bool
	QueryTimeout time.Duration
	QueryRows    int
	Engine       EngineOptions
}

// NewCmdServe builds `netlens serve`. runF replaces the work in tests.
func NewCmdServe(ios *IO, runF func(*cobra.Command, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: ios}
	d := web.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve -d DATASET | --engine clickhouse://... [--addr 127.0.0.1:8080]",
		Short: "Explore a dataset in the browser: every analysis, hosts, SQL",
		Long: `Serve a local web application over a dataset (or a ClickHouse database):
the catalogue of analyses, each with a form of its parameters, its charts
and its tables (paged and sorted on the server, downloadable as CSV or
Parquet, the charts as PNG, SVG or PDF); a histogram of the dataset over
time, on which a dragged range becomes the from and to of the analyses
that take them; a page for any address (names, partners, services,
unanswered requests, ports, labels, Bitcoin peer messages); a SQL console;
and the dataset's manifest. Long work shows its progress. The address bar
holds the analysis and its parameters: a link reproduces what you see.
Everything is in the binary: it works with no network.

The same HTTP interface serves programs (see the README):

  GET  /api/analyses                       the catalogue as JSON
  GET  /api/run/NAME?k=v&format=json|csv|parquet   one table of an analysis
  POST /api/query?format=json|csv|parquet          the SQL of the body, read-only

serve listens on loopback only. --addr with another interface needs
--allow-remote, and then every request needs the token printed at start
(the printed link sets it in the browser). Requests for other host names
and cross-origin writes are refused. SQL runs read-only over the dataset
alone, within --query-timeout, and returns at most --query-rows rows.`,
		Example: `  # explore a dataset on this machine
  netlens serve -d ds

  # let a colleague on the LAN in, with the printed token
  netlens serve -d ds --addr 192.0.2.10:8080 --allow-remote`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("serve takes no arguments, got %q: the dataset is -d DATASET", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Engine.check("serve", opts.Dataset); err != nil {
				return err
			}
			cfg := opts.config()
			if err := cfg.Validate(); err != nil {
				return usageError("--addr: %v", err)
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runServe(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.StringVar(&opts.Addr, "addr", d.Addr, "address to listen on, host:port")
	f.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow an --addr beyond loopback; every request then needs the printed token")
	f.DurationVar(&opts.QueryTimeout, "query-timeout", d.QueryTimeout, "time limit of each SQL query of the console")
	f.IntVar(&opts.QueryRows, "query-rows", d.QueryRows, "most rows a SQL query of the console returns")
	opts.Engine.addFlags(f)
	return cmd
}

func (o *ServeOptions) config() web.Config {
	cfg := web.DefaultConfig()
	cfg.Addr, cfg.AllowRemote, cfg.QueryTimeout, cfg.QueryRows = o.Addr, o.AllowRemote, o.QueryTimeout, o.QueryRows
	return cfg
}

func runServe(cmd *cobra.Command, opts *ServeOptions) error {
	ctx := cmd.Context()
	eng, err := opts.Engine.open(ctx, opts.Dataset)
	if err != nil {
		return err
	}
	defer eng.Close()
	dir := opts.Dataset
	if ch, _ := opts.Engine.clickhouse(); ch != nil {
		dir = ""
	}
	srv, err := web.New(ctx, eng, opts.config(), web.Options{Dir: dir, Version: Version()})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	what := opts.Dataset
	if dir == "" {
		what = eng.Name()
	}
	fmt.Fprintf(opts.IO.ErrOut, "netlens serves %s at %s\n", what, srv.URL(ln))
	if t := srv.Token(); t != "" {
		fmt.Fprintf(opts.IO.ErrOut, "every request needs the token %s (the link sets it; programs send the header X-Netlens-Token)\n", t)
	}
	fmt.Fprintln(opts.IO.ErrOut, "Ctrl-C stops it")
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, ctx.Err()) {
		return err
	}
	return nil
}
