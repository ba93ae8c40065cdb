// Package clickhouse is the scale-out engine: the dataset's tables kept in a
// ClickHouse server, or spread over the shards of a cluster, and queried
// there with the same SQL as the embedded engine.
//
// The schema comes from the column catalogue, with timestamps as Int64
// nanoseconds and addresses as String, so that the same tables and queries
// work from ClickHouse 18.16 (Debian's package) to current releases. Tables
// are MergeTree, partitioned by day and sorted by time, then addresses; on a
// cluster every shard holds <table>_local and a Distributed <table> over all
// of them. Setup is idempotent: it creates what is missing and checks what
// exists, and never drops anything.
//
// Data comes in from a Parquet dataset (see Load), in large columnar batches
// over a bounded number of parallel inserts, one dataset ingest at a time
// recorded in bookkeeping tables, so that an interrupted load resumes
// without duplicates or holes.
//
// clickhouse imports engine, dataset and schema; it must not import analysis,
// chart, report, web or cli.
package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/schema"
)

var _ engine.Engine = (*Engine)(nil)

// Engine runs SQL on a ClickHouse server or cluster.
type Engine struct {
	cfg     Config
	nodes   []*node // the server, or one node per shard of the cluster, the configured one first
	version string  // server version
}

// node is one ClickHouse server: a database/sql pool for statements and
// queries, and a native connection for columnar inserts.
type node struct {
	addr string
	db   *sql.DB
	conn driver.Conn
}

// openNode connects to the server at addr, creating the database first
// when it is missing, so that unqualified table names resolve in it.
func openNode(ctx context.Context, cfg Config, addr string) (*node, error) {
	if err := createDatabase(ctx, cfg, addr); err != nil {
		return nil, err
	}
	opts := options(cfg, addr, cfg.Database)
	n := &node{addr: addr, db: ch.OpenDB(opts)}
	conn, err := ch.Open(opts)
	if err != nil {
		n.db.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", addr, err)
	}
	n.conn = conn
	if err := n.conn.Ping(ctx); err != nil {
		n.close()
		return nil, fmt.Errorf("clickhouse %s: %w", addr, err)
	}
	return n, nil
}

// createDatabase creates cfg's database on the server at addr if it is missing.
func createDatabase(ctx context.Context, cfg Config, addr string) error {
	db := ch.OpenDB(options(cfg, addr, "default"))
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quote(cfg.Database)); err != nil {
		return fmt.Errorf("clickhouse %s: %w", addr, err)
	}
	return nil
}

// externalBytes is the memory past which the server aggregates and sorts
// on disk: well under its default limit per query, so that the merge of
// the parts on disk fits too.
const externalBytes = 4 << 30

// options are the client options for database db on the server at addr.
func options(cfg Config, addr, db string) *ch.Options {
	return &ch.Options{
		Addr:        []string{addr},
		Auth:        ch.Auth{Database: db, Username: cfg.User, Password: cfg.Password},
		DialTimeout: cfg.DialTimeout,
		// The server says nothing while it merges an aggregation that went
		// to disk: minutes on a month of a telescope, where the client's
		// default gives up after 5. Interrupting a query cancels it.
		ReadTimeout: time.Hour,
		Settings: ch.Settings{
			// A row inserted through a Distributed table is on its shard
			// when the insert returns.
			"insert_distributed_sync": 1,
			// A GROUP BY or ORDER BY past these bytes goes on on disk (the
			// server's tmp_path) rather than failing at the server's memory
			// limit (10 GB by default): a month of a telescope grouped by
			// sender and port needs more than that.
			"max_bytes_before_external_group_by": externalBytes,
			"max_bytes_before_external_sort":     externalBytes,
		},
		MaxOpenConns: cfg.Inserts + 4,
	}
}

func (n *node) exec(ctx context.Context, stmt string, args ...any) error {
	if _, err := n.db.ExecContext(ctx, stmt, args...); err != nil {
		return fmt.Errorf("clickhouse %s: %w", n.addr, err)
	}
	return nil
}

func (n *node) close() error {
	return errors.Join(n.conn.Close(), n.db.Close())
}

// Open connects to the server (and, for a cluster, to every shard), and
// sets up the database and its tables.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	first, err := openNode(ctx, cfg, cfg.Addr)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, nodes: []*node{first}}
	if err := first.db.QueryRowContext(ctx, "SELECT version()").Scan(&e.version); err != nil {
		return nil, errors.Join(fmt.Errorf("clickhouse %s: %w", cfg.Addr, err), e.Close())
	}
	if cfg.Cluster != "" {
		if err := e.openShards(ctx); err != nil {
			return nil, errors.Join(err, e.Close())
		}
	}
	if err := e.setup(ctx); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	return e, nil
}

// openShards connects to one replica of every shard of the cluster, as the
// configured server lists them in system.clusters. Tables are created on
// each shard directly, which needs no ZooKeeper.
func (e *Engine) openShards(ctx context.Context) error {
	first := e.nodes[0]
	rows, err := first.db.QueryContext(ctx, shardsSQL, e.cfg.Cluster)
	if err != nil {
		return fmt.Errorf("clickhouse %s: cluster %s: %w", first.addr, e.cfg.Cluster, err)
	}
	type shard struct {
		addr  string
		local bool
	}
	var shards []shard
	for rows.Next() {
		var (
			num        uint32
			host       string
			port       uint16
			localShard uint8
		)
		if err := rows.Scan(&num, &host, &port, &localShard); err != nil {
			rows.Close()
			return fmt.Errorf("clickhouse %s: cluster %s: %w", first.addr, e.cfg.Cluster, err)
		}
		shards = append(shards, shard{net.JoinHostPort(host, strconv.Itoa(int(port))), localShard == 1})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("clickhouse %s: cluster %s: %w", first.addr, e.cfg.Cluster, err)
	}
	if len(shards) == 0 {
		return fmt.Errorf("clickhouse %s: no cluster %q in system.clusters (define it in the servers' remote_servers)", first.addr, e.cfg.Cluster)
	}
	for _, s := range shards {
		if s.local && s.addr == first.addr {
			continue
		}
		n, err := openNode(ctx, e.cfg, s.addr)
		if err != nil {
			return fmt.Errorf("cluster %s: shard %s: %w", e.cfg.Cluster, s.addr, err)
		}
		e.nodes = append(e.nodes, n)
	}
	return nil
}

// shardsSQL lists one replica of every shard of a cluster.
const shardsSQL = `SELECT shard_num, host_address, port, is_local FROM system.clusters
	WHERE cluster = ? AND replica_num = 1 ORDER BY shard_num`

// Name returns "clickhouse".
func (e *Engine) Name() string { return "clickhouse" }

// Version returns the server's version.
func (e *Engine) Version() string { return e.version }

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Query runs a query in the engine's database; args bind its ? placeholders.
func (e *Engine) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := e.nodes[0].db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse query: %w", err)
	}
	return rows, nil
}

// Tables returns the dataset's tables.
func (e *Engine) Tables() []string {
	var names []string
	for _, t := range schema.Tables() {
		names = append(names, t.Name)
	}
	return names
}

// Dialect implements engine.Engine.
func (e *Engine) Dialect() engine.Dialect { return Dialect{} }

// Close closes the connections.
func (e *Engine) Close() error {
	var errs []error
	for _, n := range e.nodes {
		errs = append(errs, n.close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close clickhouse: %w", err)
	}
	return nil
}
