package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
)

// EngineEnv is the environment variable that selects the engine when
// --engine is not given.
const EngineEnv = "NETLENS_ENGINE"

// EngineOptions select the query engine of a command: the embedded DuckDB
// over a dataset directory (the default), or a ClickHouse server or cluster.
type EngineOptions struct {
	URL     string // --engine: "", "duckdb" or clickhouse://...
	Cluster string // --cluster
}

func (o *EngineOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.URL, "engine", "", "duckdb (embedded, the default) or clickhouse://[user[:password]@]host:port/database; default $"+EngineEnv)
	f.StringVar(&o.Cluster, "cluster", "", "with clickhouse: spread the tables over the shards of this cluster of the server's remote_servers")
}

// clickhouse returns the ClickHouse configuration, or nil for DuckDB.
func (o *EngineOptions) clickhouse() (*clickhouse.Config, error) {
	url := o.URL
	if url == "" {
		url = os.Getenv(EngineEnv)
	}
	if url == "" || url == "duckdb" {
		if o.Cluster != "" {
			return nil, usageError("--cluster needs a clickhouse engine: --engine clickhouse://host:9000/db")
		}
		return nil, nil
	}
	if !strings.HasPrefix(url, "clickhouse://") {
		return nil, usageError("--engine %q: want duckdb or clickhouse://[user[:password]@]host:port/database", url)
	}
	cfg, err := clickhouse.ParseDSN(url)
	if err != nil {
		return nil, usageError("--engine: %v", err)
	}
	if o.Cluster != "" {
		cfg.Cluster = o.Cluster
		if err := cfg.Validate(); err != nil {
			return nil, usageError("--cluster: %v", err)
		}
	}
	return &cfg, nil
}

// check checks the flags of verb: a dataset is needed unless the engine is
// a server.
func (o *EngineOptions) check(verb, dir string) error {
	ch, err := o.clickhouse()
	if err != nil {
		return err
	}
	if ch == nil && dir == "" {
		return usageError("%s needs -d DATASET (or --engine clickhouse://...)", verb)
	}
	return nil
}

// open opens the selected engine: ClickHouse, or DuckDB over the existing
// dataset in dir.
func (o *EngineOptions) open(ctx context.Context, dir string) (engine.Engine, error) {
	ch, err := o.clickhouse()
	if err != nil {
		return nil, err
	}
	if ch != nil {
		return clickhouse.Open(ctx, *ch)
	}
	eng, err := duckdb.OpenDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", strings.TrimSuffix(dir, "/"), err)
	}
	return eng, nil
}

// load copies the rows of ds that the ClickHouse engine lacks into it,
// reporting progress on ios unless quiet.
func load(ctx context.Context, ios *IO, e *clickhouse.Engine, ds *dataset.Dataset, quiet bool) (*clickhouse.LoadStats, error) {
	var bar *progressBar
	var progress func(clickhouse.LoadProgress)
	if !quiet && ios.ErrTTY {
		bar = newProgressBar(ios.ErrOut, true)
		progress = bar.load
	}
	st, err := e.Load(ctx, ds, progress)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return nil, fmt.Errorf("load %s into %s: %w", ds.Dir(), e.Config(), err)
	}
	if !quiet {
		if st.Resumed > 0 {
			fmt.Fprintf(ios.ErrOut, "removed the rows of %d interrupted load(s) first\n", st.Resumed)
		}
		for _, in := range st.Skipped {
			fmt.Fprintf(ios.ErrOut, "%s: already in %s (sha256 %.16s…), skipped\n", in.Path, e.Config(), in.SHA256)
		}
		fmt.Fprintln(ios.ErrOut, loadLine(st, e.Config()))
	}
	return st, nil
}

func loadLine(st *clickhouse.LoadStats, cfg clickhouse.Config) string {
	var total int64
	for _, n := range st.Rows {
		total += n
	}
	rate := 0.0
	if s := st.Elapsed.Seconds(); s > 0 {
		rate = float64(total) / s
	}
	labels := ""
	if st.LabelKinds > 0 {
		labels = fmt.Sprintf(", and replaced %d kinds of labels with the dataset's", st.LabelKinds)
	}
	return fmt.Sprintf("loaded %d inputs (%d packets, %d flows, %d dns rows) into %s in %s (%s rows/s)%s",
		len(st.Loaded), st.Rows["packets"], st.Rows["flows"], st.Rows["dns"], cfg, st.Elapsed.Round(time.Millisecond), siCount(rate), labels)
}
