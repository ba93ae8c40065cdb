package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/internal/testenv"
)

var camera = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

// paperFiles are the files of a user's directory that a report must keep.
var paperFiles = map[string]string{"figures/fig1.pdf": "%PDF fig1", "tables/results.csv": "a,b\n1,2\n"}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, want := range files {
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
}

// TestReportKeepsForeignFiles: report -o DIR on a paper's directory is
// refused before any work and leaves it as it was; with --force the report
// is written beside the paper's figures and tables, and written again.
func TestReportKeepsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, paperFiles)
	ios, _, _ := testIO()
	err, code := execute(NewCmdRoot(ios), "report", camera, "-o", dir, "--no-figures", "-q", "--analyses", "overview,talkers")
	if code != ExitError || err == nil || !strings.Contains(err.Error(), "figures/fig1.pdf, tables/results.csv") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("exit %d, error %v; want a refusal naming the paper's files and --force", code, err)
	}
	checkTree(t, dir, paperFiles)
	if _, err := os.Stat(filepath.Join(dir, "dataset")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused report ingested its input first: %v", err)
	}
	for range 2 {
		ios, _, _ = testIO()
		if err, code := execute(NewCmdRoot(ios), "report", camera, "-o", dir, "--no-figures", "-q", "--analyses", "overview,talkers", "--force"); err != nil {
			t.Fatalf("--force: exit %d: %v", code, err)
		}
		checkTree(t, dir, paperFiles)
		for _, p := range []string{"index.html", "report.json", ".netlens-report", "tables/talkers_sent.csv"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Error(err)
			}
		}
	}
}

// failing is an analysis that fails, with markup in its error.
type failing struct{}

func (failing) Meta() analysis.Meta {
	return analysis.Meta{Name: "failing", Group: "capture", Title: "Always fails", Tables: []string{"packets"}}
}

func (failing) Run(context.Context, *analysis.Env, analysis.Values) (*analysis.Result, error) {
	return nil, errors.New("cannot read <img src=x onerror=alert(1)>")
}

// TestReportFailedAnalyses: a report with an analysis that fails writes
// the others, shows the failure in the page as text, says on the terminal
// what failed and why, and exits with ExitFailedAnalyses.
func TestReportFailedAnalyses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	overview, _ := catalog.ByName("overview")
	ios, _, errOut := testIO()
	cmd := NewCmdReport(ios, func(cmd *cobra.Command, o *ReportOptions) error {
		o.Catalog = []analysis.Analysis{overview, failing{}}
		return runReport(cmd, o)
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err, code := execute(cmd, camera, "-o", dir, "--no-figures", "-q")
	if code != ExitFailedAnalyses || err == nil {
		t.Fatalf("exit %d, error %v; want %d", code, err, ExitFailedAnalyses)
	}
	if want := "1 of 2 analyses failed (failing)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if want := "failing failed: failing: cannot read <img src=x onerror=alert(1)>\n"; errOut.String() != want {
		t.Errorf("terminal: %q, want %q", errOut, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "tables", "overview.csv")); err != nil {
		t.Errorf("the analysis that succeeded is not written: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "This analysis failed: failing: cannot read &lt;img src=x onerror=alert(1)&gt;"; !strings.Contains(string(page), want) {
		t.Errorf("the page does not show the failure as text: no %q", want)
	}
	if strings.Contains(string(page), "<img src=x onerror=alert(1)>") {
		t.Error("the page holds the error's markup raw")
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Analyses []struct{ Name, Error string }
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Name, Error string }{{"overview", ""}, {"failing", "failing: cannot read <img src=x onerror=alert(1)>"}}
	if diff := cmp.Diff(want, js.Analyses); diff != "" {
		t.Errorf("report.json analyses (-want +got):\n%s", diff)
	}
}

// TestReportPlanSettings: --set parameter=value sets the parameter of every
// analysis that has it, and analysis.parameter=value overrides it for one,
// in any order.
func TestReportPlanSettings(t *testing.T) {
	_, settings, err := reportPlan(&ReportOptions{Set: []string{"bursts.payload=ip", "payload=scapy", "ip_version=4", "bursts.gap=1s"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]map[string]string{
		"overview": {"ip_version": "4"},
		"talkers":  {"ip_version": "4", "payload": "scapy"},
		"iat":      {"ip_version": "4"},
		"bursts":   {"ip_version": "4", "payload": "ip", "gap": "1s"},
	} {
		if diff := cmp.Diff(want, settings[name]); diff != "" {
			t.Errorf("%s settings (-want +got):\n%s", name, diff)
		}
	}
	// Only the analyses picked take it.
	if _, _, err := reportPlan(&ReportOptions{Analyses: []string{"iat"}, Set: []string{"payload=scapy"}}); err == nil {
		t.Error("payload=scapy for iat alone was taken")
	}
}
