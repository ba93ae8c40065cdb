package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
)

// darknetAnalyses are the analyses of the darknet group that need no
// class labels.
var darknetAnalyses = []string{"darknet_stats", "port_rank", "activity", "sender_filter", "daily_senders", "embeddings"}

// darknetLog is a telescope's log of packets (DarkVec's preprocessed CSV).
var darknetLog = filepath.Join(testenv.RepoRoot(), "input", "darknet", "testdata", "preprocessed.csv")

// TestReportDarknetGroup: a report runs the darknet group on a telescope's
// traffic (its pcap, where nothing answers; a log of packets), and skips it on a device's
// capture, saying why on the terminal and in the report, unless asked for
// with --group darknet.
func TestReportDarknetGroup(t *testing.T) {
	telescope := filepath.Join(t.TempDir(), "telescope.pcap")
	testcapture.Darknet(t, telescope, 1) // 3,733 one-way flows
	const skipLine = "darknet group skipped (9 analyses): not a telescope's traffic: "
	for _, tc := range []struct {
		name     string
		args     []string
		wantRan  bool
		wantLine string // in the terminal's output and each skip's reason
	}{
		{"telescope pcap", []string{telescope}, true, ""},
		{"packet logs", []string{darknetLog}, true, ""},
		{"camera", []string{camera}, false, "no class labels, and 32 flows: fewer than the 1000 needed to judge; --group darknet runs it"},
		{"camera asked", []string{camera, "--group", "capture,darknet"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			ios, _, errOut := testIO()
			args := append([]string{"report", "-o", dir, "--no-figures"}, tc.args...)
			if err, code := execute(NewCmdRoot(ios), args...); err != nil {
				t.Fatalf("exit %d: %v", code, err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var js struct {
				Analyses []struct{ Name string }
				Skipped  []struct{ Name, Reason string }
			}
			if err := json.Unmarshal(b, &js); err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, a := range js.Analyses {
				ran[a.Name] = true
			}
			for _, name := range darknetAnalyses {
				if ran[name] != tc.wantRan {
					t.Errorf("%s ran: %v, want %v", name, ran[name], tc.wantRan)
				}
			}
			if !ran["overview"] {
				t.Error("overview did not run")
			}
			gotLine := strings.Contains(errOut.String(), skipLine)
			if gotLine != (tc.wantLine != "") {
				t.Errorf("terminal:\n%s\nwant the line %q: %v", errOut, skipLine, tc.wantLine != "")
			}
			if tc.wantLine == "" {
				return
			}
			if !strings.Contains(errOut.String(), skipLine+tc.wantLine+"\n") {
				t.Errorf("terminal:\n%s\nwant %q", errOut, skipLine+tc.wantLine)
			}
			for _, name := range append(slices.Clone(darknetAnalyses), "classes", "class_activity", "class_services") {
				i := slices.IndexFunc(js.Skipped, func(s struct{ Name, Reason string }) bool { return s.Name == name })
				if want := "not a telescope's traffic: " + tc.wantLine; i < 0 || js.Skipped[i].Reason != want {
					t.Errorf("%s: skipped %v, want the reason %q", name, i >= 0, want)
				}
			}
		})
	}
}

// TestReportPlanGroups: --group picks the analyses of a catalogue group in
// catalogue order, after those --analyses names, each once; an unknown
// group is refused.
func TestReportPlanGroups(t *testing.T) {
	darknet := append(slices.Clone(darknetAnalyses[:5]), "classes", "class_activity", "class_services", "embeddings")
	for _, tc := range []struct {
		name             string
		analyses, groups []string
		want             []string
		wantErr          bool
	}{
		{"group", nil, []string{"darknet"}, darknet, false},
		{"names first", []string{"overview", "embeddings"}, []string{"darknet"},
			append([]string{"overview", "embeddings"}, darknet[:len(darknet)-1]...), false},
		{"unknown group", nil, []string{"telescope"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			picked, _, err := reportPlan(&ReportOptions{Analyses: tc.analyses, Groups: tc.groups})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			var got []string
			for _, a := range picked {
				got = append(got, a.Meta().Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("analyses (-want +got):\n%s", diff)
			}
		})
	}
}
