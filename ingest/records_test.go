package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
)

// edgeLog is a conn.log with good rows, then bad ones, then good ones.
var edgeLog = filepath.Join("..", "input", "zeek", "testdata", "edge.conn.log")

// A bad row stops its file with an error that names file, line and column;
// what was read before is committed. --skip-bad reads on and counts.
func TestRecordsBadRows(t *testing.T) {
	t.Run("stop", func(t *testing.T) {
		ds := openDS(t)
		st, err := ingest.Run(context.Background(), ds, []string{edgeLog}, ingest.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		r := st.Files[0]
		var re *input.RowError
		if !errors.As(r.Err, &re) || re.Fatal || re.Line != 12 || re.Column != "id.orig_p" || r.Frames != 3 || st.Flows != 3 {
			t.Fatalf("file %+v, flows %d: want 3 records, then a RowError at line 12, column id.orig_p", r, st.Flows)
		}
		if want := edgeLog + `:12: column id.orig_p: "port" is not a port (0-65535)`; r.Err.Error() != want {
			t.Errorf("error %q, want %q", r.Err, want)
		}
		if n := ds.Rows("flows"); n != 3 {
			t.Errorf("dataset has %d flows, want the 3 read before the bad row", n)
		}
		if in := ds.Manifest().Inputs; len(in) != 1 || in[0].Frames != 3 || !strings.Contains(in[0].Error, ":12:") {
			t.Errorf("manifest inputs %+v", in)
		}
	})
	t.Run("skip", func(t *testing.T) {
		ds := openDS(t)
		cfg := ingest.DefaultConfig()
		cfg.SkipBad = true
		st, err := ingest.Run(context.Background(), ds, []string{edgeLog}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := st.Files[0]
		if r.Err != nil || r.Frames != 5 || r.BadRows != 4 || len(r.BadReasons) != 4 || st.Flows != 5 || ds.Rows("flows") != 5 {
			t.Fatalf("file %+v, flows %d: want 5 records and 4 bad rows", r, st.Flows)
		}
		if !strings.HasPrefix(r.BadReasons[1], edgeLog+":13: 16 fields") {
			t.Errorf("second reason %q", r.BadReasons[1])
		}
	})
}

// Captures and flow records in one ingest: flows from both, with distinct
// ids, in one commit.
func TestCapturesAndRecords(t *testing.T) {
	ds := openDS(t)
	st, err := ingest.Run(context.Background(), ds, []string{sample, filepath.Join("..", "input", "zeek", "testdata", "vxlan.conn.log")}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 624 || st.Records != 5 || st.Flows != 32+5 || st.Files[0].Format != "pcap" || st.Files[1].Format != "zeek-tsv" {
		t.Fatalf("packets %d records %d flows %d files %+v; want 624, 5, 37", st.Packets, st.Records, st.Flows, st.Files)
	}
	got := tsv(t, ds, `SELECT count(DISTINCT flow_id), count(*), min(flow_id) >> 40 = max(flow_id) >> 40 FROM flows`)
	if got != "37\t37\ttrue\n" {
		t.Errorf("flow ids: %q", got)
	}
}
