package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestLabelFlags(t *testing.T) {
	ios, _, _ := testIO()
	var got *LabelOptions
	cmd := NewCmdLabel(ios, func(_ *cobra.Command, o *LabelOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-d", "ds", "--kind", "user", "a.csv", "b.csv", "--replace"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Dataset != "ds" || got.Kind != "user" || !got.Replace || strings.Join(got.Files, " ") != "a.csv b.csv" {
		t.Errorf("options %+v", got)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"label", "--kind", "user", "a.csv"}, "label needs -d DATASET"},
		{[]string{"label", "-d", "ds", "a.csv"}, "label needs --kind"},
		{[]string{"label", "-d", "ds", "--kind", "colour", "a.csv"}, `--kind "colour": want one of user, class, org, category`},
		{[]string{"label", "-d", "ds", "--kind", "user"}, "label needs a label FILE"},
		{[]string{"label", "-d", "ds", "--list", "a.csv"}, "give no FILE"},
		{[]string{"label", "-d", "ds", "--list", "--replace"}, "do not go together"},
	} {
		ios, _, _ := testIO()
		err, code := execute(NewCmdRoot(ios), tt.args...)
		if code != ExitUsage || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit %d, error %v; want usage error containing %q", tt.args, code, err, tt.want)
		}
	}
}

// TestLabelCommand loads users at ingest and with netlens label, lists
// them, and refuses a bad file naming its line and column.
func TestLabelCommand(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	users := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(users, []byte("address,user\n10.10.10.0/24,lan\n192.168.0.0/16,home\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, errOut := testIO()
	if err, code := execute(NewCmdRoot(ios), "ingest", sampleCapture, "-d", ds, "--users", users); err != nil {
		t.Fatalf("ingest: exit %d: %v", code, err)
	}
	if !strings.Contains(errOut.String(), "users.csv: 2 user labels") {
		t.Errorf("ingest output: %s", errOut)
	}
	orgs := filepath.Join(dir, "orgs.csv")
	if err := os.WriteFile(orgs, []byte("domain,org\nmydlink.com,D-Link <b>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "label", "-d", ds, "--kind", "org", orgs)
	cats := filepath.Join(dir, "cats.csv")
	if err := os.WriteFile(cats, []byte("mydlink.com,\"<img src=x onerror=alert(1)>\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "label", "-d", ds, "--kind", "category", cats)
	out := mustRun(t, "label", "-d", ds, "--list", "--format", "csv")
	for _, want := range []string{"org,mydlink.com,D-Link <b>,,,label-org-", "user,10.10.10.0/24,lan,,,label-user-"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("192.168.1.1,a\n192.168.1.300,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, _ = testIO()
	err, _ := execute(NewCmdRoot(ios), "label", "-d", ds, "--kind", "user", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:2:1: column 1 (address)") {
		t.Errorf("bad file: %v", err)
	}
	// Nothing of the bad file was loaded.
	if out := mustRun(t, "query", "-d", ds, "--format", "csv", "SELECT count(*) AS n FROM labels"); out != "n\n4\n" {
		t.Errorf("labels after a refused file: %q", out)
	}

	// Labels are data: the report shows a hostile one as text, and runs
	// the analyses whose labels are there.
	rep := filepath.Join(dir, "report")
	ios, _, errOut = testIO()
	if err, code := execute(NewCmdRoot(ios), "report", "-d", ds, "-o", rep, "--no-figures", "--analyses", "organisations,p2p,local_external"); err != nil {
		t.Fatalf("report: exit %d: %v\n%s", code, err, errOut)
	}
	page, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "<img src=x") || !strings.Contains(string(page), "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the hostile category label is not escaped in the report")
	}
	for _, want := range []string{"D-Link &lt;b&gt;", "Organisations and categories", "User to user"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
