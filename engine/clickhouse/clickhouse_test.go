package clickhouse

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestParseDSN(t *testing.T) {
	def := DefaultConfig()
	with := func(f func(*Config)) Config { c := def; f(&c); return c }
	for _, tc := range []struct {
		dsn  string
		want Config
		err  string
	}{
		{"clickhouse://127.0.0.1:9000/default", def, ""},
		{"clickhouse://db.example:9440/telescope", with(func(c *Config) { c.Addr, c.Database = "db.example:9440", "telescope" }), ""},
		{"clickhouse://ana:s3cret@host/", with(func(c *Config) { c.Addr, c.User, c.Password = "host:9000", "ana", "s3cret" }), ""},
		{"clickhouse://host:9000/db?cluster=shards", with(func(c *Config) { c.Addr, c.Database, c.Cluster = "host:9000", "db", "shards" }), ""},
		{"clickhouse://[::1]:9001/x", with(func(c *Config) { c.Addr, c.Database = "[::1]:9001", "x" }), ""},
		{"postgres://host/db", def, "want clickhouse://"},
		{"clickhouse:///db", def, "no host"},
		{"clickhouse://host/bad-name", def, `database "bad-name"`},
		{"clickhouse://host/db?cluster=a;b", def, "invalid semicolon"},
		{"clickhouse://host/db?cluster=a-b", def, `cluster "a-b"`},
		{"clickhouse://host/db?compress=1", def, `unknown parameter "compress"`},
		{"clickhouse://u:topsecret@host/db?x=1", def, "xxxxx"},
	} {
		got, err := ParseDSN(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDSN(%q) error %v, want %q", tc.dsn, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Errorf("ParseDSN(%q) error shows the password: %v", tc.dsn, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tc.dsn, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDSN(%q) = %+v, want %+v", tc.dsn, got, tc.want)
		}
	}
}

// sampleDataset ingests the bundled sample capture into a new dataset.
func sampleDataset(t *testing.T, names ...string) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		names = []string{filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")}
	}
	for _, name := range names {
		if _, err := ingest.Run(context.Background(), ds, []string{name}, ingest.DefaultConfig()); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

func openEngine(t *testing.T, dsn, cluster string) *Engine {
	t.Helper()
	cfg, err := ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cluster = cluster
	cfg.BatchRows = 1000 // several batches even for small captures
	e, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func queryTable(t *testing.T, e engine.Engine, q string) [][]any {
	t.Helper()
	rows, err := e.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	tab, err := engine.Collect(rows, 0)
	if err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return tab.Rows
}

// fingerprint is a query giving, per table, numbers that change when any
// row is missing, doubled or altered.
var fingerprints = map[string]string{
	"packets": `SELECT count(*), sum(wire_len), sum(payload_len), sum(frame), sum(tcp_seq), count(DISTINCT capture),
		count(src), count(app), sum(src_gap_ns), count(dst_gap_ns), min(%[1]s), max(%[1]s), count(DISTINCT flow_id) FROM packets`,
	"flows": `SELECT count(*), sum(pkts_a_to_b), sum(bytes_b_to_a), sum(payload_a_to_b), count(name), count(service),
		sum(duration), min(%[2]s), max(%[2]s), count(DISTINCT flow_id) FROM flows`,
	"dns": `SELECT count(*), count(query), count(answer), sum(ttl), count(DISTINCT flow_id), min(%[1]s) FROM dns`,
	// The tables of labels may be empty, where the engines' sum and min
	// differ (NULL or 0).
	"labels": `SELECT count(*), count(valid_from), count(valid_to), coalesce(sum(line), 0), count(DISTINCT file),
		count(DISTINCT address), coalesce(min(%[3]s), 0) FROM labels`,
	"label_spans": `SELECT count(*), coalesce(sum(block_len), 0), count(DISTINCT block), coalesce(sum(bucket_width), 0),
		count(DISTINCT label), coalesce(min(%[3]s), 0) FROM label_spans`,
	// The tables of a Bitcoin node's peers: empty for the sample capture.
	"peer_messages": `SELECT count(*), count(peer_id), coalesce(sum(messages), 0), coalesce(sum(message_size), 0),
		coalesce(sum(tcpip_size), 0), count(msg_type), coalesce(min(%[1]s), 0) FROM peer_messages`,
	"peer_conns": `SELECT count(*), coalesce(sum(peer_id), 0), count(duration_ns), coalesce(sum(messages), 0),
		count(DISTINCT conn_type) FROM peer_conns`,
}

func fingerprint(t *testing.T, e engine.Engine, table string) []int64 {
	t.Helper()
	if fingerprints[table] == "" {
		t.Fatalf("no fingerprint query for table %s", table)
	}
	d := e.Dialect()
	q := strings.NewReplacer("%[1]s", d.EpochNs("ts"), "%[2]s", d.EpochNs("start"), "%[3]s", d.EpochNs("loaded")).Replace(fingerprints[table])
	var out []int64
	for _, v := range queryTable(t, e, q)[0] {
		switch x := v.(type) {
		case float64:
			out = append(out, int64(x*1000))
		case nil:
			out = append(out, -1)
		default:
			out = append(out, analysis.AsInt(v))
		}
	}
	return out
}

// sameAsDuckDB checks that every table in e holds what the dataset holds.
func sameAsDuckDB(t *testing.T, e *Engine, ds *dataset.Dataset) {
	t.Helper()
	dk, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	for _, tab := range schema.Tables() {
		want, got := fingerprint(t, dk, tab.Name), fingerprint(t, e, tab.Name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: clickhouse differs from the dataset (-duckdb +clickhouse):\n%s", tab.Name, diff)
		}
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	ds := sampleDataset(t)
	e := openEngine(t, testenv.ClickHouse(t), "")
	st, err := e.Load(ctx, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Loaded) != 1 || len(st.Skipped) != 0 {
		t.Fatalf("loaded %d, skipped %d inputs; want 1, 0", len(st.Loaded), len(st.Skipped))
	}
	for _, tab := range schema.Tables() {
		if got, want := st.Rows[tab.Name], ds.Rows(tab.Name); got != want {
			t.Errorf("%s: inserted %d rows, dataset has %d", tab.Name, got, want)
		}
	}
	sameAsDuckDB(t, e, ds)

	// The same dataset again, and its capture from another dataset: nothing new.
	st, err = e.Load(ctx, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Loaded) != 0 || len(st.Skipped) != 1 {
		t.Fatalf("second load: loaded %d, skipped %d inputs; want 0, 1", len(st.Loaded), len(st.Skipped))
	}
	if _, err := e.Load(ctx, sampleDataset(t), nil); err != nil {
		t.Fatal(err)
	}
	sameAsDuckDB(t, e, ds)

	// A new ingest into the dataset: only its rows are read.
	var before int64
	for _, tab := range schema.Tables() {
		before += ds.Rows(tab.Name)
	}
	mdns := filepath.Join(testenv.Corpus(t), "pcaps", "zeek", "dns_mdns.pcap")
	if _, err := ingest.Run(ctx, ds, []string{mdns}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	st, err = e.Load(ctx, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Loaded) != 1 || st.Unread != before {
		t.Errorf("third load: loaded %d inputs, left %d rows unread; want 1, %d (the first ingest's)", len(st.Loaded), st.Unread, before)
	}
	sameAsDuckDB(t, e, ds)
}

// TestLoadResumes interrupts a load after some of its rows are in, and
// checks that the next load removes them and loads everything once.
func TestLoadResumes(t *testing.T) {
	ctx := context.Background()
	ds := sampleDataset(t)
	e := openEngine(t, testenv.ClickHouse(t), "")

	// A load that stops halfway through the packets.
	half := int(ds.Rows("packets") / 2)
	m := ds.Manifest()
	job := &loadJob{id: 1, ingest: m.Ingests[0].ID, inputs: m.Inputs, ids: []string{m.Inputs[0].ID}}
	if err := e.recordLoads(ctx, ds, []*loadJob{job}); err != nil {
		t.Fatal(err)
	}
	cp := newCopier(e, ds, []*loadJob{job}, nil)
	var n atomic.Int64
	err := copyTable(ctx, cp, schema.Packets, func(p *schema.Packet) (uint32, bool) {
		if n.Add(1) > int64(half) {
			return 0, false
		}
		return cp.byCapture(&p.Capture, &p.FlowID)
	})
	cp.finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := queryTable(t, e, "SELECT count() FROM packets")[0][0]; got != uint64(half) {
		t.Fatalf("interrupted load left %v packets, want %d", got, half)
	}

	st, err := e.Load(ctx, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumed != 1 || len(st.Loaded) != 1 {
		t.Errorf("resumed %d loads, loaded %d inputs; want 1, 1", st.Resumed, len(st.Loaded))
	}
	sameAsDuckDB(t, e, ds)
	// Flow ids carry the new load's number.
	if got := queryTable(t, e, "SELECT DISTINCT intDiv(flow_id, 1099511627776) FROM flows"); len(got) != 1 || got[0][0].(int64) != 2 {
		t.Errorf("flow loads %v, want [[2]]", got)
	}
	st, err = e.Load(ctx, ds, nil)
	if err != nil || st.Resumed != 0 || len(st.Loaded) != 0 {
		t.Errorf("third load: %+v, %v; want nothing to do", st, err)
	}
}

func TestSetup(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.ClickHouse(t)
	e := openEngine(t, dsn, "")
	n := e.nodes[0]
	// A column lost is added back; a column of another type is refused.
	if err := n.exec(ctx, "ALTER TABLE flows DROP COLUMN user_b"); err != nil {
		t.Fatal(err)
	}
	openEngine(t, dsn, "")
	cols, err := n.columns(ctx, e.cfg.Database, "flows")
	if err != nil || cols["user_b"] != "Nullable(String)" {
		t.Fatalf("user_b after setup: %q, %v", cols["user_b"], err)
	}
	if err := n.exec(ctx, "ALTER TABLE dns MODIFY COLUMN ttl UInt64"); err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	_, err = Open(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "column ttl is UInt64, netlens needs UInt32") {
		t.Fatalf("setup over a changed column: %v", err)
	}
}

func TestCluster(t *testing.T) {
	ctx := context.Background()
	dsn, cluster := testenv.ClickHouseCluster(t)
	ds := sampleDataset(t)
	e := openEngine(t, dsn, cluster)
	if len(e.nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(e.nodes))
	}
	start := time.Now()
	if _, err := e.Load(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(start))
	sameAsDuckDB(t, e, ds)
	// Both shards hold packets, and together exactly the dataset's.
	var sum uint64
	for _, n := range e.nodes {
		var c uint64
		if err := n.db.QueryRowContext(ctx, "SELECT count() FROM packets_local").Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c == 0 {
			t.Errorf("shard %s holds no packets", n.addr)
		}
		sum += c
	}
	if sum != uint64(ds.Rows("packets")) {
		t.Errorf("shards hold %d packets, dataset %d", sum, ds.Rows("packets"))
	}
	// Every node answers for the whole cluster.
	cfg := e.cfg
	cfg.Addr = e.nodes[1].addr
	other, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sameAsDuckDB(t, other, ds)
}

// TestLoadIDCollision loads two captures that differ only between their
// first and last 64 KiB, so that they share their capture id: the second
// gets another id in the database, and both keep all their rows.
func TestLoadIDCollision(t *testing.T) {
	ctx := context.Background()
	orig := filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) <= 128<<10 {
		t.Fatalf("%s: %d bytes, too small to differ in the middle only", orig, len(data))
	}
	// One byte in the middle changes the content, not the fingerprint.
	mid := len(data) / 2
	data[mid] ^= 0xff
	changed := filepath.Join(t.TempDir(), "changed.pcap")
	if err := os.WriteFile(changed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := sampleDataset(t, orig), sampleDataset(t, changed)
	ida, idb := a.Manifest().Inputs[0], b.Manifest().Inputs[0]
	if ida.ID != idb.ID || ida.SHA256 == idb.SHA256 {
		t.Fatalf("inputs %s %s and %s %s: want the same id, different hashes", ida.ID, ida.SHA256, idb.ID, idb.SHA256)
	}

	e := openEngine(t, testenv.ClickHouse(t), "")
	for _, ds := range []*dataset.Dataset{a, b} {
		if _, err := e.Load(ctx, ds, nil); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := e.Inputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].ID != ida.ID || ins[1].ID != idb.SHA256[:16] {
		t.Fatalf("inputs in clickhouse %+v, want ids %s and %s", ins, ida.ID, idb.SHA256[:16])
	}
	got := queryTable(t, e, "SELECT capture, count() FROM packets GROUP BY capture ORDER BY capture = '"+ida.ID+"' DESC")
	if len(got) != 2 || got[0][1] != uint64(a.Rows("packets")) || got[1][0] != idb.SHA256[:16] || got[1][1] != uint64(b.Rows("packets")) {
		t.Errorf("packets per capture %v, want %d of %s and %d of %s", got, a.Rows("packets"), ida.ID, b.Rows("packets"), idb.SHA256[:16])
	}
}
