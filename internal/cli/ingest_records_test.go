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
