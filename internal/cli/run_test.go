package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunChecksFirst: a --figure netlens cannot draw and a --set value too
// large are refused before any work, so no table is printed first, and
// each says what is wrong.
func TestRunChecksFirst(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	ios, _, _ := testIO()
	if err, _ := execute(NewCmdRoot(ios), "ingest", camera, "-d", ds, "-q"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "talkers", "-d", ds, "--figure", "x.bmp"}, `--figure x.bmp: figure x.bmp: unknown figure format ".bmp": want png, svg or pdf (use .png, .svg, .pdf or .html)`},
		{[]string{"run", "talkers", "-d", ds, "--figure", "noext"}, "--figure noext:"},
		{[]string{"run", "bursts", "-d", ds, "--set", "gap=9999999h"}, `parameter gap="9999999h": too large: at most 2562047h47m16.854775807s`},
	} {
		ios, out, errOut := testIO()
		err, code := execute(NewCmdRoot(ios), tt.args...)
		if code != ExitUsage || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit %d, error %v; want a usage error containing %q", tt.args, code, err, tt.want)
		}
		if out.Len() > 0 || errOut.Len() > 0 {
			t.Errorf("%v: printed before refusing:\n%s%s", tt.args, out, errOut)
		}
	}
	// The figure formats that are drawn pass.
	for _, f := range []string{"a.png", "a.SVG", "a.pdf", "a.html"} {
		if err := checkFigure(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
