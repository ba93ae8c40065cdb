package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/netlens/netlens/internal/testenv"
)

func testIO() (*IO, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IO{In: strings.NewReader(""), Out: out, ErrOut: errOut}, out, errOut
}

// execute runs the command tree with args and returns the error and exit code.
func execute(root *cobra.Command, args ...string) (error, ExitCode) {
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		return nil, ExitOK
	case errors.As(err, &ee):
		return err, ee.code
	}
	return err, ExitError
}

func TestIngestFlags(t *testing.T) {
	ios, _, _ := testIO()
	var got *IngestOptions
	cmd := NewCmdIngest(ios, func(_ *cobra.Command, o *IngestOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.pcap", "dir/", "-d", "ds", "--force", "--idle-udp", "2m", "--active-timeout", "0", "--local-net", "10.0.0.0/8", "--local-net", "2001:db8::/32", "-q"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.pcap", "dir/"}, got.Inputs); diff != "" {
		t.Error(diff)
	}
	if got.Dataset != "ds" || !got.Force || !got.Quiet || got.Flow.IdleUDP != 2*time.Minute || got.Flow.Active != 0 ||
		got.Flow.IdleTCP != 5*time.Minute || len(got.LocalNets) != 2 {
		t.Errorf("options %+v", got)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"ingest", "a.pcap"}, "ingest needs -d DATASET"},
		{[]string{"ingest", "-d", "ds"}, "at least one INPUT"},
		{[]string{"query", "-d", "ds"}, "exactly one SQL argument"},
		{[]string{"query", "-d", "ds", "--format", "xml", "SELECT 1"}, "xml"},
		{[]string{"run", "nosuch", "-d", "ds"}, `no analysis "nosuch"`},
		{[]string{"run", "bursts", "-d", "ds", "--set", "gap"}, "want name=value"},
		{[]string{"report", "-o", "out"}, "INPUT files or -d DATASET"},
		{[]string{"report", "x.pcap", "--set", "gap"}, "want analysis.parameter=value or parameter=value"},
		{[]string{"report", "x.pcap", "--set", "colour=red"}, `no analysis takes a parameter "colour"`},
		{[]string{"report", "x.pcap", "--set", "payload=bytes"}, "must be one of ip, scapy"},
		{[]string{"report", "x.pcap", "--set", "bursts.gap=soon"}, "not a duration"},
		{[]string{"report", "x.pcap", "--analyses", "talkers,nosuch"}, `no analysis "nosuch"`},
		{[]string{"list", "nosuch"}, `no analysis "nosuch"`},
		{[]string{"ingest", "--no-such-flag"}, "unknown flag"},
	} {
		ios, _, _ := testIO()
		err, code := execute(NewCmdRoot(ios), tt.args...)
		if code != ExitUsage || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit %d, error %v; want usage error containing %q", tt.args, code, err, tt.want)
		}
	}
}

func TestList(t *testing.T) {
	ios, out, _ := testIO()
	if err, _ := execute(NewCmdRoot(ios), "list", "bursts"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CAPTURE", "bursts", "--set gap=300ms", "--set min_size=0", "(needs packets)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
}

// TestCutCapture: a cut capture is ingested up to the cut, and netlens exits
// with status 3 naming the file, offset, record and reason.
func TestCutCapture(t *testing.T) {
	ios, _, errOut := testIO()
	cut := filepath.Join(testenv.RepoRoot(), "ingest", "testdata", "http_get_cut_midrecord.pcap")
	ds := t.TempDir()
	err, code := execute(NewCmdRoot(ios), "ingest", cut, "-d", ds)
	if code != ExitBadInput {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitBadInput)
	}
	for _, want := range []string{"http_get_cut_midrecord.pcap: offset 590, record 6: record data cut", "(5 packets kept)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if !strings.Contains(errOut.String(), "ingested 5 packets") {
		t.Errorf("summary: %s", errOut)
	}
	ios, out, _ := testIO()
	if err, _ := execute(NewCmdRoot(ios), "query", "-d", ds, "--format", "csv", "SELECT count(*) AS n FROM packets"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "n\n5\n" {
		t.Errorf("query output %q", out)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
