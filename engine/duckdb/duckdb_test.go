package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/schema"
)

var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()

const hour = int64(time.Hour)

func pkt(ts int64, capture string, frame uint32, src string, proto uint8, payload uint32) schema.Packet {
	return schema.Packet{
		Ts: ts, Capture: capture, Frame: frame, LinkType: 1, WireLen: 54 + payload, CapLen: 54 + payload,
		EthType: 0x0800, IPVersion: 4, Src: src, Dst: "198.51.100.7", IPLen: 40 + payload,
		TTL: 64, Proto: proto, Sport: 40000, Dport: 443, PayloadLen: payload, FlowID: 1,
	}
}

// testPackets are 7 packets of two captures over two days, with
// nanosecond time stamps and one NULL source.
var testPackets = []schema.Packet{
	pkt(day0+1*hour+123456789, "aaaaaaaaaaaaaaaa", 1, "192.0.2.1", 6, 100),
	pkt(day0+1*hour+123456790, "aaaaaaaaaaaaaaaa", 2, "192.0.2.1", 6, 0),
	pkt(day0+2*hour+1, "aaaaaaaaaaaaaaaa", 3, "192.0.2.2", 17, 40),
	pkt(day0+25*hour+999999999, "aaaaaaaaaaaaaaaa", 4, "192.0.2.2", 17, 60),
	pkt(day0+3*hour, "bbbbbbbbbbbbbbbb", 1, "", 0, 0),
	pkt(day0+26*hour, "bbbbbbbbbbbbbbbb", 2, "2001:db8::1", 6, 1000),
	pkt(day0+27*hour, "bbbbbbbbbbbbbbbb", 3, "2001:db8::1", 6, 500),
}

var testFlows = []schema.Flow{
	{FlowID: 1, Start: day0 + hour, End: day0 + 2*hour, Duration: 3600, Proto: 6, IPVersion: 4, A: "192.0.2.1", APort: 40000, B: "198.51.100.7", BPort: 443, PktsAToB: 2, BytesAToB: 180, State: "SF", Answered: true, Service: "https/tcp"},
	{FlowID: 2, Start: day0 + 2*hour, End: day0 + 2*hour, Proto: 17, IPVersion: 4, A: "192.0.2.2", APort: 5353, B: "198.51.100.7", BPort: 53, PktsAToB: 1, BytesAToB: 80, State: "S0"},
	{FlowID: 3, Start: day0 + 26*hour, End: day0 + 27*hour, Duration: 3600.5, Proto: 6, IPVersion: 6, A: "2001:db8::1", APort: 40000, B: "2001:db8::2", BPort: 443, PktsAToB: 2, PktsBToA: 1, BytesAToB: 1500, BytesBToA: 60, State: "SF", Answered: true},
}

// writeDataset ingests the test rows into a dataset in dir.
func writeDataset(t *testing.T, dir string, packets []schema.Packet, flows []schema.Flow) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := dataset.NewTableWriter(tx, schema.Packets, func(p *schema.Packet) int64 { return p.Ts })
	if err != nil {
		t.Fatal(err)
	}
	fw, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write(packets); err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(flows); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ds
}

func openEngine(t *testing.T, ds *dataset.Dataset) *Engine {
	t.Helper()
	e, err := Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

func query(t *testing.T, e engine.Engine, q string, args ...any) *engine.Table {
	t.Helper()
	rows, err := e.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	tab, err := engine.Collect(rows, 0)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return tab
}

func TestQueries(t *testing.T) {
	ds := writeDataset(t, t.TempDir(), testPackets, testFlows)
	e := openEngine(t, ds)
	if e.Name() != "duckdb" {
		t.Errorf("Name = %q", e.Name())
	}
	var names []string
	for _, t := range schema.Tables() {
		names = append(names, t.Name)
	}
	if diff := cmp.Diff(names, e.Tables()); diff != "" {
		t.Errorf("Tables (-want +got):\n%s", diff)
	}
	tests := []struct {
		name  string
		query string
		args  []any
		want  *engine.Table
	}{
		{
			name:  "per capture",
			query: "SELECT capture, count(*) AS n, sum(payload_len)::BIGINT AS payload, count(src) AS with_src FROM packets GROUP BY capture ORDER BY capture",
			want: &engine.Table{
				Columns: []string{"capture", "n", "payload", "with_src"},
				Types:   []string{"VARCHAR", "BIGINT", "BIGINT", "BIGINT"},
				Rows: [][]any{
					{"aaaaaaaaaaaaaaaa", int64(4), int64(200), int64(4)},
					{"bbbbbbbbbbbbbbbb", int64(3), int64(1500), int64(2)},
				},
			},
		},
		{
			name:  "per day and protocol",
			query: "SELECT strftime(ts, '%Y-%m-%d') AS day, proto, count(*)::INTEGER AS n FROM packets GROUP BY ALL ORDER BY ALL",
			want: &engine.Table{
				Columns: []string{"day", "proto", "n"},
				Types:   []string{"VARCHAR", "UTINYINT", "INTEGER"},
				Rows: [][]any{
					{"2024-03-01", uint8(0), int32(1)},
					{"2024-03-01", uint8(6), int32(2)},
					{"2024-03-01", uint8(17), int32(1)},
					{"2024-03-02", uint8(6), int32(2)},
					{"2024-03-02", uint8(17), int32(1)},
				},
			},
		},
		{
			name:  "bound parameter",
			query: "SELECT frame, epoch_ns(ts) AS ns FROM packets WHERE capture = ? AND ts < ? ORDER BY frame",
			args:  []any{"aaaaaaaaaaaaaaaa", time.Unix(0, day0+2*hour).UTC()},
			want: &engine.Table{
				Columns: []string{"frame", "ns"},
				Types:   []string{"UINTEGER", "BIGINT"},
				Rows:    [][]any{{uint32(1), day0 + hour + 123456789}, {uint32(2), day0 + hour + 123456790}},
			},
		},
		{
			name:  "flows by state",
			query: "SELECT state, count(*)::BIGINT AS n, sum(bytes_a_to_b)::UBIGINT AS up, sum(duration) AS secs, count(service) AS named FROM flows GROUP BY state ORDER BY state",
			want: &engine.Table{
				Columns: []string{"state", "n", "up", "secs", "named"},
				Types:   []string{"VARCHAR", "BIGINT", "UBIGINT", "DOUBLE", "BIGINT"},
				Rows: [][]any{
					{"S0", int64(1), uint64(80), 0.0, int64(0)},
					{"SF", int64(2), uint64(1680), 7200.5, int64(1)},
				},
			},
		},
		{
			name:  "join",
			query: "SELECT f.flow_id, count(*)::BIGINT AS n FROM flows f JOIN packets p USING (flow_id) GROUP BY f.flow_id",
			want: &engine.Table{
				Columns: []string{"flow_id", "n"},
				Types:   []string{"BIGINT", "BIGINT"},
				Rows:    [][]any{{int64(1), int64(7)}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(t, e, tt.query, tt.args...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNanosecondsSurvive(t *testing.T) {
	ds := writeDataset(t, t.TempDir(), testPackets, testFlows)
	e := openEngine(t, ds)
	got := query(t, e, "SELECT capture, frame, epoch_ns(ts), ts FROM packets ORDER BY capture, frame")
	if len(got.Rows) != len(testPackets) {
		t.Fatalf("%d rows, want %d", len(got.Rows), len(testPackets))
	}
	for i, p := range testPackets {
		r := got.Rows[i]
		if r[0] != p.Capture || r[1] != p.Frame || r[2] != p.Ts {
			t.Errorf("row %d = %v, want capture %s frame %d ts %d", i, r[:3], p.Capture, p.Frame, p.Ts)
		}
		if ts, ok := r[3].(time.Time); !ok || ts.UnixNano() != p.Ts {
			t.Errorf("row %d: ts scans as %v (%T), want %d", i, r[3], r[3], p.Ts)
		}
	}
}

// describe returns the columns and types of a table as DuckDB sees them.
func describe(t *testing.T, e *Engine, table string) [][]any {
	t.Helper()
	return query(t, e, "SELECT column_name, column_type FROM (DESCRIBE "+quoteIdent(table)+")").Rows
}

func TestEmptyViewTypesEqualParquet(t *testing.T) {
	empty := openEngine(t, mustOpen(t, t.TempDir()))
	full := openEngine(t, writeDataset(t, t.TempDir(), testPackets, testFlows))
	for _, table := range schema.Tables() {
		var want [][]any
		for _, c := range table.Columns {
			want = append(want, []any{c.Name, TypeName(c.Type)})
		}
		if diff := cmp.Diff(want, describe(t, full, table.Name)); diff != "" {
			t.Errorf("%s over Parquet (-catalogue +duckdb):\n%s", table.Name, diff)
		}
		if diff := cmp.Diff(want, describe(t, empty, table.Name)); diff != "" {
			t.Errorf("%s empty (-catalogue +duckdb):\n%s", table.Name, diff)
		}
		got := query(t, empty, "SELECT count(*) FROM "+quoteIdent(table.Name))
		if diff := cmp.Diff([][]any{{int64(0)}}, got.Rows); diff != "" {
			t.Errorf("%s empty count (-want +got):\n%s", table.Name, diff)
		}
	}
	// Queries over an empty dataset work and return no groups.
	got := query(t, empty, "SELECT capture, count(*) FROM packets GROUP BY capture")
	if len(got.Rows) != 0 || len(got.Columns) != 2 {
		t.Errorf("empty group by = %+v", got)
	}
}

func TestPathsAreLiteral(t *testing.T) {
	base := t.TempDir()
	// A dataset in a directory whose name is a quote-bearing glob, and a
	// decoy dataset in a directory that the glob would match.
	real := writeDataset(t, filepath.Join(base, "it's [x] *?"), testPackets[:2], nil)
	decoy := writeDataset(t, filepath.Join(base, "it's x ab"), testPackets, nil)
	if len(real.Files("packets")) != 1 || len(decoy.Files("packets")) != 2 {
		t.Fatalf("setup: files %d %d", len(real.Files("packets")), len(decoy.Files("packets")))
	}
	// Put the decoy's files under the real file's name too.
	rel, err := filepath.Rel(real.Dir(), real.Files("packets")[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(decoy.Files("packets")[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(decoy.Dir(), rel), b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, real)
	got := query(t, e, "SELECT count(*), min(frame), max(frame) FROM packets")
	if diff := cmp.Diff([][]any{{int64(2), uint32(1), uint32(2)}}, got.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOffline(t *testing.T) {
	e := openEngine(t, mustOpen(t, t.TempDir()))
	got := query(t, e, "SELECT current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions'), current_setting('enable_external_access'), current_setting('TimeZone')")
	if diff := cmp.Diff([][]any{{false, false, false, "UTC"}}, got.Rows); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	// parquet (the views), json and icu are built in.
	got = query(t, e, "SELECT count(*), json_extract_string('{\"a\": \"x\"}', '$.a'), strftime(timezone('Europe/Paris', TIMESTAMPTZ '2025-01-01 00:00:00+00'), '%H') FROM packets")
	if diff := cmp.Diff([][]any{{int64(0), "x", "01"}}, got.Rows); diff != "" {
		t.Errorf("built-in extensions (-want +got):\n%s", diff)
	}
	// Queries cannot switch automatic installs or external access back on.
	for _, q := range []string{"SET autoinstall_known_extensions = true", "SET enable_external_access = true"} {
		if _, err := e.Query(context.Background(), q); err == nil || !strings.Contains(err.Error(), "locked") {
			t.Errorf("%s after lock: err = %v", q, err)
		}
	}
	// Extensions can be neither installed (nothing is downloaded) nor
	// loaded, and no file but the dataset's is read or written.
	for _, q := range []string{
		"INSTALL httpfs",
		"FORCE INSTALL httpfs",
		"INSTALL httpfs FROM 'http://127.0.0.1:1'",
		"LOAD httpfs",
		"LOAD '/tmp/x.duckdb_extension'",
		"SELECT * FROM read_csv('/etc/hostname')",
		"SELECT * FROM read_parquet('http://127.0.0.1:1/a.parquet')",
		"COPY (SELECT 1) TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
	} {
		_, err := e.Query(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), "Permission Error") || !strings.Contains(err.Error(), "extensions cannot be installed or loaded (parquet, json and icu are built in)") {
			t.Errorf("%s: err = %v, want a refusal that says netlens runs offline", q, err)
		}
	}
}

// TestRelativeDataset: the views of a dataset opened by a relative path
// read its files with external access off.
func TestRelativeDataset(t *testing.T) {
	t.Chdir(t.TempDir())
	writeDataset(t, "ds", testPackets, testFlows)
	e := openEngine(t, mustOpen(t, "ds"))
	got := query(t, e, "SELECT count(*) FROM packets")
	if diff := cmp.Diff([][]any{{int64(len(testPackets))}}, got.Rows); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
}

func mustOpen(t *testing.T, dir string) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestConcurrentQueries runs queries on several connections at once: each
// connection the pool opens after the configuration is locked must work,
// and see times in UTC.
func TestConcurrentQueries(t *testing.T) {
	ds := writeDataset(t, t.TempDir(), testPackets, testFlows)
	e, err := Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			rows, err := e.Query(context.Background(), "SELECT current_setting('TimeZone'), min(ts)::VARCHAR FROM packets, range(20000)")
			if err != nil {
				errs <- err
				return
			}
			tab, err := engine.Collect(rows, 0)
			if err != nil {
				errs <- err
				return
			}
			if got := fmt.Sprint(tab.Rows[0]); got != "[UTC 2024-03-01 01:00:00.123456789]" {
				errs <- fmt.Errorf("got %s", got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestMemoryLimit: DuckDB's buffers are bounded, whatever the machine's
// memory, and a query cannot lift the bound.
func TestMemoryLimit(t *testing.T) {
	e := openEngine(t, mustOpen(t, t.TempDir()))
	got := query(t, e, "SELECT current_setting('memory_limit')")
	// DuckDB writes 3 GB (10^9 bytes) in binary units.
	if diff := cmp.Diff([][]any{{"2.7 GiB"}}, got.Rows); diff != "" {
		t.Errorf("memory_limit (-want +got):\n%s", diff)
	}
	if _, err := e.Query(context.Background(), "SET memory_limit = '20GB'"); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("SET memory_limit after lock: err = %v", err)
	}
}

// TestDistinctAddresses reads a row group whose addresses are nearly all
// distinct, as a scan's are: their column's dictionary gives up part way
// and the rest of the chunk is written PLAIN, which DuckDB must read as
// it reads dictionary pages, whether zstd compressed them or, for
// scattered addresses, they are frames of literals only.
func TestDistinctAddresses(t *testing.T) {
	const n = 100_000 // about 1.4 MB of address texts, past the dictionary's limit
	for _, c := range []struct {
		name string
		addr func(i int) string
	}{
		{"in order", func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255) }},
		// Scattered as a scan's sources: pages that zstd's matches shrink
		// little are zstd frames of literals only (dataset/literals.go),
		// which DuckDB's own zstd reads.
		{"scattered", func(i int) string {
			v := uint32(i+1) * 2654435761
			return fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&255, v>>8&255, v&255)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			packets := make([]schema.Packet, n)
			for i := range packets {
				packets[i] = pkt(day0+int64(i), "cccccccccccccccc", uint32(i+1), c.addr(i), 6, uint32(i%1000))
			}
			e := openEngine(t, writeDataset(t, t.TempDir(), packets, nil))
			tab := query(t, e, `SELECT count(*), count(DISTINCT src), min(frame)::BIGINT, max(frame)::BIGINT,
				sum(payload_len)::BIGINT FROM packets`)
			var sum int64
			for i := range n {
				sum += int64(i % 1000)
			}
			want := []any{int64(n), int64(n), int64(1), int64(n), sum}
			if diff := cmp.Diff(want, tab.Rows[0]); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			// Each row keeps its own address, before and after the fallback.
			tab = query(t, e, "SELECT src FROM packets ORDER BY frame")
			if len(tab.Rows) != n {
				t.Fatalf("%d rows, want %d", len(tab.Rows), n)
			}
			for i, r := range tab.Rows {
				if want := c.addr(i); r[0] != want {
					t.Fatalf("frame %d: src %v, want %s", i+1, r[0], want)
				}
			}
		})
	}
}
