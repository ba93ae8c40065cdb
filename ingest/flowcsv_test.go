package ingest_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
)

// flowColumns are the columns of flows a round trip must keep: all but
// flow_id, times as epoch nanoseconds.
const flowColumns = `epoch_ns(start) AS start, epoch_ns("end") AS "end", duration, proto, ip_version, a, a_port, b, b_port,
	pkts_a_to_b, pkts_b_to_a, bytes_a_to_b, bytes_b_to_a, payload_a_to_b, payload_b_to_a, tcp_flags_a, tcp_flags_b,
	state, answered, a_local, b_local, kind, service, name, user_a, user_b`

// TestFlowsRoundTrip: the flows of a capture, exported as CSV with their
// column names, or as the dataset's own Parquet files, and ingested as flow
// records, are the same flows.
func TestFlowsRoundTrip(t *testing.T) {
	ds := openDS(t)
	if _, err := ingest.Run(context.Background(), ds, []string{sample}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	q := `SELECT ` + flowColumns + ` FROM flows ORDER BY start, a, a_port, b, b_port`
	want := tsv(t, ds, q)

	// CSV, as a program would write it from a query.
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	rows := query(t, eng, q)
	eng.Close()
	path := filepath.Join(t.TempDir(), "flows.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	header := strings.Split(strings.NewReplacer("\n", "", "\t", "", `"`, "").Replace(flowColumns), ",")
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, alias, ok := strings.Cut(h, " AS "); ok {
			h = alias
		}
		header[i] = h
	}
	w.Write(header)
	for _, r := range rows {
		rec := make([]string, len(r))
		for i, v := range r {
			if v != nil {
				rec[i] = fmt.Sprint(v)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fromCSV := openDS(t)
	st, err := ingest.Run(context.Background(), fromCSV, []string{path}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Files[0]; r.Err != nil || r.Format != "csv" || r.Frames != 32 {
		t.Fatalf("%+v", r)
	}
	if diff := cmp.Diff(want, tsv(t, fromCSV, q)); diff != "" {
		t.Errorf("flows from the CSV (-from the capture +from the CSV):\n%s", diff)
	}

	// The dataset's own Parquet files.
	fromParquet := openDS(t)
	st, err = ingest.Run(context.Background(), fromParquet, ds.Files("flows"), ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Files[0]; r.Err != nil || r.Format != "parquet" {
		t.Fatalf("%+v", r)
	}
	if diff := cmp.Diff(want, tsv(t, fromParquet, q)); diff != "" {
		t.Errorf("flows from the Parquet files (-from the capture +from Parquet):\n%s", diff)
	}
}

// TestSeedLayouts ingests the three layouts of flow records of seed 001
// without a mapping and checks, per kind and locality, the flows and bytes
// each way against the test's own sums of the files.
func TestSeedLayouts(t *testing.T) {
	dir := filepath.Join("..", "input", "flowcsv", "testdata")
	type key struct {
		kind   string
		bLocal bool
	}
	type sums struct{ Flows, Up, Down int64 }
	want := map[key]sums{}
	for file, kind := range map[string]string{"typical.csv": "typical", "p2p.csv": "p2p", "nouser.csv": "nouser"} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		num := func(r []string, names ...string) int64 {
			for _, n := range names {
				if i, ok := col[n]; ok {
					v, err := strconv.ParseInt(r[i], 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
			}
			t.Fatalf("%s: none of %v", file, names)
			return 0
		}
		for _, r := range recs[1:] {
			k := key{kind: kind, bLocal: kind == "p2p"}
			switch kind {
			case "typical":
				k.bLocal = r[col["local"]] == "True"
			case "nouser": // not globally routable, as netlens decides without --local-net
				k.bLocal = strings.HasPrefix(r[col["ip_b"]], "10.") || strings.HasPrefix(r[col["ip_b"]], "239.")
			}
			s := want[k]
			s.Flows++
			s.Up += num(r, "bytes_up", "bytes_a_to_b")
			s.Down += num(r, "bytes_down", "bytes_b_to_a")
			want[k] = s
		}
	}
	ds := openDS(t)
	st, err := ingest.Run(context.Background(), ds, []string{filepath.Join(dir, "typical.csv"), filepath.Join(dir, "p2p.csv"), filepath.Join(dir, "nouser.csv")}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Files {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	got := map[key]sums{}
	for _, line := range strings.Split(strings.TrimSpace(tsv(t, ds, `SELECT kind, b_local, count(*), sum(bytes_a_to_b), sum(bytes_b_to_a) FROM flows GROUP BY ALL`)), "\n") {
		f := strings.Split(line, "\t")
		n, _ := strconv.ParseInt(f[2], 10, 64)
		up, _ := strconv.ParseInt(f[3], 10, 64)
		down, _ := strconv.ParseInt(f[4], 10, 64)
		got[key{f[0], f[1] == "true"}] = sums{n, up, down}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows and bytes by kind and locality (-files +flows):\n%s", diff)
	}
}
