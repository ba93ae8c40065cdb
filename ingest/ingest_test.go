package ingest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

var sample = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

// tsv runs q and writes its rows as tab-separated text.
func tsv(t *testing.T, ds *dataset.Dataset, q string) string {
	t.Helper()
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var b strings.Builder
	for _, r := range query(t, eng, q) {
		for i, v := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(strings.TrimSpace(strings.ReplaceAll(fmtValue(v), "\n", " ")))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func fmtValue(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

func openDS(t *testing.T) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestSample(t *testing.T) {
	ds := openDS(t)
	st, err := ingest.Run(context.Background(), ds, []string{sample}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 624 || st.Flows != 32 || st.DNS != 662 || len(st.Failed()) != 0 {
		t.Fatalf("packets %d flows %d dns %d failed %v; want 624, 32, 662, none", st.Packets, st.Flows, st.DNS, st.Failed())
	}
	testenv.Golden(t, filepath.Join("testdata", "sample_flows.tsv"), tsv(t, ds, `
		SELECT a, a_port, b, b_port, proto, state, answered, pkts_a_to_b, pkts_b_to_a, bytes_a_to_b, bytes_b_to_a,
		       payload_a_to_b, payload_b_to_a, service, name, a_local, b_local
		FROM flows ORDER BY start, a, a_port, b, b_port`), *update)
	testenv.Golden(t, filepath.Join("testdata", "sample_dns.tsv"), tsv(t, ds, `
		SELECT client, server, query, qtype, rcode, answer_name, answer_type, answer, ttl, section
		FROM dns WHERE query IS NOT NULL ORDER BY ts, answer`), *update)
	testenv.Golden(t, filepath.Join("testdata", "sample_apps.tsv"), tsv(t, ds, `
		SELECT coalesce(app, '-'), ip_version, proto, count(*), sum(wire_len), sum(payload_len)
		FROM packets GROUP BY ALL ORDER BY ALL`), *update)
}

func TestAlreadyIngestedAndForce(t *testing.T) {
	ds := openDS(t)
	ctx := context.Background()
	if _, err := ingest.Run(ctx, ds, []string{sample}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(ctx, ds, []string{sample}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Files[0].Skipped || st.Packets != 0 || ds.Rows("packets") != 624 {
		t.Fatalf("second ingest: skipped %v, packets %d, rows %d; want skipped, 0, 624", st.Files[0].Skipped, st.Packets, ds.Rows("packets"))
	}
	cfg := ingest.DefaultConfig()
	cfg.Force = true
	if st, err = ingest.Run(ctx, ds, []string{sample}, cfg); err != nil {
		t.Fatal(err)
	}
	if st.Packets != 624 || ds.Rows("packets") != 624 || ds.Rows("flows") != 32 || ds.Rows("dns") != 662 {
		t.Fatalf("forced ingest: read %d, rows packets %d flows %d dns %d; want 624 replacing the old rows",
			st.Packets, ds.Rows("packets"), ds.Rows("flows"), ds.Rows("dns"))
	}
	if n := len(ds.Manifest().Inputs); n != 1 {
		t.Errorf("manifest lists %d inputs, want 1", n)
	}
}

func TestCutCaptureKeepsPackets(t *testing.T) {
	ds := openDS(t)
	path := filepath.Join("testdata", "http_get_cut_midrecord.pcap")
	st, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	failed := st.Failed()
	if len(failed) != 1 || st.Packets != 5 || ds.Rows("packets") != 5 {
		t.Fatalf("failed %v, packets %d, rows %d; want 1 failure and 5 packets kept", failed, st.Packets, ds.Rows("packets"))
	}
	var fe *input.FormatError
	if !errors.As(failed[0].Err, &fe) || fe.Offset != 590 || fe.Record != 6 || !strings.Contains(fe.Reason, "record data cut") {
		t.Fatalf("error %v: want a FormatError at offset 590, record 6, data cut", failed[0].Err)
	}
	if in := ds.Manifest().Inputs; len(in) != 1 || in[0].Frames != 5 || in[0].Error == "" {
		t.Errorf("manifest input %+v: want 5 frames and the error", in)
	}
}

func TestInterruptLeavesDatasetUnchanged(t *testing.T) {
	ds := openDS(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ingest.Run(ctx, ds, []string{sample}, ingest.DefaultConfig()); !errors.Is(err, ingest.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	entries, _ := os.ReadDir(ds.Dir())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if ds.Rows("packets") != 0 || len(ds.Manifest().Inputs) != 0 {
		t.Fatalf("dataset changed by an interrupted ingest: %v", names)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".parquet") || strings.HasPrefix(n, ".ingest") || n == "packets" || n == "flows" {
			t.Errorf("leftover %s after an interrupted ingest", n)
		}
	}
}

// A capture that grows between two ingests (tcpdump still writing it) is
// read whole the second time, and its rows replace those of its earlier
// state: every packet counts once.
func TestGrowingCaptureCountsOnce(t *testing.T) {
	whole, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	ds := openDS(t)
	path := filepath.Join(t.TempDir(), "live.pcap")
	ctx := context.Background()
	var frames []uint64
	// Cut in the middle of a record, as a writer's buffer flush leaves it.
	for _, size := range []int{len(whole) / 3, len(whole)*2/3 + 7, len(whole)} {
		if err := os.WriteFile(path, whole[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := ingest.Run(ctx, ds, []string{path}, ingest.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		r := st.Files[0]
		if len(frames) > 0 {
			if r.Replaces == nil || r.Replaces.Frames != frames[len(frames)-1] {
				t.Errorf("size %d: replaces %+v, want the earlier state of %d frames", size, r.Replaces, frames[len(frames)-1])
			}
		}
		frames = append(frames, r.Frames)
		if got := ds.Rows("packets"); got != int64(r.Frames) {
			t.Errorf("size %d: %d packet rows, want %d (the file's frames, once)", size, got, r.Frames)
		}
		if n := len(ds.Manifest().Inputs); n != 1 {
			t.Errorf("size %d: %d inputs, want 1", size, n)
		}
	}
	if !(frames[0] < frames[1] && frames[1] < frames[2]) {
		t.Errorf("frames %v do not grow", frames)
	}
	// An unrelated file of the same name is not taken for a grown one.
	other := filepath.Join(t.TempDir(), "live.pcap")
	b := slices.Clone(whole)
	b[40] ^= 1 // in the first record's bytes
	if err := os.WriteFile(other, append(b, whole[24:200]...), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(ctx, ds, []string{other}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.Files[0].Replaces != nil || len(ds.Manifest().Inputs) != 2 {
		t.Errorf("a different file replaced the grown one: %+v", st.Files[0].Replaces)
	}
}
