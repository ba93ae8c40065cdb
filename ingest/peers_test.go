package ingest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// TestPeerLogs ingests every file of the corpus' bitcoin directory, and the
// tracepoint log of btclog's tests, and checks the rows each table gets
// per layout: the lines of each file (two rows a line for the files per
// direction, one per defined value for peer-observer's).
func TestPeerLogs(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "bitcoin")
	inputs, err := filepath.Glob(filepath.Join(dir, "*.csv*"))
	if err != nil || len(inputs) != 12 {
		t.Fatalf("%d inputs in %s: %v", len(inputs), dir, err)
	}
	inputs = append(inputs, filepath.Join("..", "input", "btclog", "testdata", "tracepoint.csv"))
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(context.Background(), ds, inputs, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Files {
		if r.Err != nil || (r.Format != "btclog" && r.Format != "btclog-conns") {
			t.Errorf("%s: format %q, error %v", r.Path, r.Format, r.Err)
		}
	}
	if st.PeerMessages != 977606 || st.PeerConns != 116583 {
		t.Errorf("%d peer_messages rows, %d peer_conns rows; want 977606, 116583", st.PeerMessages, st.PeerConns)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	got := map[string]int64{}
	for _, r := range query(t, eng, `SELECT layout || '/' || period_s, count(*) FROM peer_messages GROUP BY ALL`) {
		got[r[0].(string)] = toInt(r[1])
	}
	want := map[string]int64{
		"accounting/5": 863968, "accounting/3600": 1652, "accounting/86400": 70,
		"conn_type/3600": 33822, "conn_type/86400": 1874,
		"direction/3600": 36650, "direction/86400": 1650,
		"msg_type/3600": 18325, "msg_type/86400": 825,
		"node/7200": 18763, "tracepoint/0": 7,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d rows, want %d", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("layouts %v, want %v", got, want)
	}
}
