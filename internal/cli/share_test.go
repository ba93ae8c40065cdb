package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunShares: `run --format table` shows the shares of overview as
// percentages; CSV keeps them as they are.
func TestRunShares(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	ios, _, _ := testIO()
	if err, _ := execute(NewCmdRoot(ios), "ingest", camera, "-d", ds, "-q"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		format string
		want   []string
	}{
		{"table", []string{"  100.00 %\n", "   97.12 %\n", "    5.93 %\n", "    2.88 %\n"}},
		{"csv", []string{"All,624,137153,1\n", "IP,606,135861,0.9711538461538461\n", "Non-IP,18,1292,0.028846153846153848\n"}},
	} {
		ios, out, _ := testIO()
		if err, _ := execute(NewCmdRoot(ios), "run", "overview", "-d", ds, "--table", "overview", "--format", tt.format); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: no %q in\n%s", tt.format, w, out)
			}
		}
	}
}
