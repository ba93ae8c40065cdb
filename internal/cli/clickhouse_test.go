package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlens/netlens/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var sample = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

func TestEngineUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "-d", "ds"}, "push needs --engine clickhouse://"},
		{[]string{"push", "--engine", "clickhouse://h:9000/db"}, "push needs -d DATASET"},
		{[]string{"query", "--engine", "postgres://h/db", "SELECT 1"}, "want duckdb or clickhouse://"},
		{[]string{"query", "-d", "ds", "--cluster", "c", "SELECT 1"}, "--cluster needs a clickhouse engine"},
		{[]string{"run", "talkers", "--engine", "clickhouse://h:9000/bad-db"}, `database "bad-db"`},
		{[]string{"ingest", "a.pcap", "--engine", "clickhouse://h:9000/db", "--cluster", "x;y"}, `cluster "x;y"`},
		{[]string{"query", "SELECT 1"}, "query needs -d DATASET (or --engine clickhouse://...)"},
	} {
		ios, _, _ := testIO()
		err, code := execute(NewCmdRoot(ios), tt.args...)
		if code != ExitUsage || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit %d, error %v; want usage error containing %q", tt.args, code, err, tt.want)
		}
	}
}

// netlens runs the command line and returns standard output and error.
func netlens(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ios, out, errOut := testIO()
	if err, code := execute(NewCmdRoot(ios), args...); err != nil {
		t.Fatalf("netlens %s: exit %d: %v\n%s", strings.Join(args, " "), code, err, errOut)
	}
	return out.String(), errOut.String()
}

// TestClickHouse takes a capture through ingest --engine, then checks that
// run, query and report on ClickHouse agree with the same on the dataset.
func TestClickHouse(t *testing.T) {
	dsn := testenv.ClickHouse(t)
	ds := filepath.Join(t.TempDir(), "ds")
	_, log := netlens(t, "ingest", sample, "-d", ds, "--engine", dsn)
	if !strings.Contains(log, "loaded 1 inputs (624 packets, 32 flows, 662 dns rows) into "+dsn) {
		t.Errorf("ingest log:\n%s", log)
	}
	_, log = netlens(t, "push", "-d", ds, "--engine", dsn)
	if !strings.Contains(log, "dlink-camera-setup.pcap: already in "+dsn) || !strings.Contains(log, "loaded 0 inputs") {
		t.Errorf("second push log:\n%s", log)
	}

	for _, args := range [][]string{
		{"run", "talkers", "--format", "csv"},
		{"run", "ports", "--format", "csv", "--set", "ip_version=4"},
		{"query", "--format", "csv", "SELECT count(*) AS packets, sum(wire_len) AS bytes, count(DISTINCT src) AS sources FROM packets"},
	} {
		want, _ := netlens(t, append(args, "-d", ds)...)
		got, _ := netlens(t, append(args, "--engine", dsn)...)
		if got != want || len(want) < 20 {
			t.Errorf("%v: clickhouse\n%s\nduckdb\n%s", args, got, want)
		}
	}

	// The environment selects the engine too; a report covers what the database holds.
	t.Setenv(EngineEnv, dsn)
	out, _ := netlens(t, "query", "--format", "csv", "SELECT count() AS n FROM flows")
	if out != "n\n32\n" {
		t.Errorf("query through %s: %q", EngineEnv, out)
	}
	dir := filepath.Join(t.TempDir(), "report")
	netlens(t, "report", "-q", "--no-figures", "--analyses", "overview,talkers", "-o", dir)
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Engine string
		Inputs []struct{ SHA256 string }
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Engine != "clickhouse" || len(rep.Inputs) != 1 || len(rep.Inputs[0].SHA256) != 64 {
		t.Errorf("report.json: engine %q, inputs %+v", rep.Engine, rep.Inputs)
	}
}
