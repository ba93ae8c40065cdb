package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/internal/testenv"
)

func TestIngestRecordFlags(t *testing.T) {
	ios, _, _ := testIO()
	var got *IngestOptions
	cmd := NewCmdIngest(ios, func(_ *cobra.Command, o *IngestOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"conn.log", "-d", "ds", "--skip-bad", "--pair", "--pair-window", "5m"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.SkipBad || !got.Pair || got.PairWindow != 5*time.Minute {
		t.Errorf("options %+v", got)
	}
}

// A bad row of a conn.log stops its file: exit 3, the error names file,
// line and column and points to --skip-bad; with --skip-bad the ingest
// reads on and says what it skipped.
func TestIngestBadRow(t *testing.T) {
	log := filepath.Join(testenv.RepoRoot(), "input", "zeek", "testdata", "edge.conn.log")
	ios, _, errOut := testIO()
	err, code := execute(NewCmdRoot(ios), "ingest", log, "-d", t.TempDir())
	if code != ExitBadInput {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitBadInput)
	}
	for _, want := range []string{"1 of 1 inputs were stopped at a bad row", log + `:12: column id.orig_p: "port" is not a port (0-65535) (3 flow records kept); --skip-bad skips bad rows and reads on`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !strings.Contains(errOut.String(), "ingested 0 packets and 3 flow records, 3 flows") {
		t.Errorf("summary:\n%s", errOut)
	}

	ios, _, errOut = testIO()
	err, code = execute(NewCmdRoot(ios), "ingest", log, "-d", t.TempDir(), "--skip-bad")
	if code != 0 {
		t.Fatalf("exit %d (%v), want 0", code, err)
	}
	for _, want := range []string{log + ": 5 flow records (zeek-tsv); 4 bad rows skipped:\n  " + log + ":12: column id.orig_p", "ingested 0 packets and 5 flow records, 5 flows"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// A CSV of flow records in a layout of one's own loads with --columns;
// without, the error says how.
func TestIngestColumns(t *testing.T) {
	custom := filepath.Join(testenv.RepoRoot(), "input", "flowcsv", "testdata", "custom.csv")
	ios, _, _ := testIO()
	err, code := execute(NewCmdRoot(ios), "ingest", custom, "-d", t.TempDir())
	if code != ExitBadInput || err == nil || !strings.Contains(err.Error(), "is no known layout of flow records; name the columns with --columns start=COLUMN,a=COLUMN,b=COLUMN,...") {
		t.Fatalf("exit %d, error %v", code, err)
	}
	ios, _, errOut := testIO()
	err, code = execute(NewCmdRoot(ios), "ingest", custom, "-d", t.TempDir(),
		"--columns", "start=first_seen,end=last_seen,a=src,b=dst", "--columns", "a_port=sport,b_port=dport,proto=proto,pkts_a_to_b=pkts,bytes_a_to_b=octets")
	if code != 0 || !strings.Contains(errOut.String(), custom+": 3 flow records (csv)") {
		t.Fatalf("exit %d (%v):\n%s", code, err, errOut)
	}
	ios, _, _ = testIO()
	err, code = execute(NewCmdRoot(ios), "ingest", custom, "-d", t.TempDir(), "--columns", "begin=first_seen")
	if code != ExitUsage || !strings.Contains(err.Error(), `--columns "begin=first_seen": no flows column "begin"`) {
		t.Errorf("exit %d, error %v", code, err)
	}
}
