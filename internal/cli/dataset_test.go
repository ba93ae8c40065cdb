package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
)

var sampleCapture = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

// tree returns every file under dir with its size.
func tree(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// mustRun runs netlens with args and fails the test unless it exits 0; it
// returns standard output.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	ios, out, errOut := testIO()
	if err, code := execute(NewCmdRoot(ios), args...); err != nil {
		t.Fatalf("netlens %s: exit %d: %v\n%s", strings.Join(args, " "), code, err, errOut)
	}
	return out.String()
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// The commands that read never write to a dataset, even one that is not
// what its manifest says.
func TestReadOnlyCommandsNeverWrite(t *testing.T) {
	good := filepath.Join(t.TempDir(), "ds")
	mustRun(t, "ingest", "-q", sampleCapture, "-d", good)
	first, err := os.ReadFile(filepath.Join(good, dataset.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "ingest", "-q", filepath.Join(testenv.RepoRoot(), "input", "testdata", "dlinkdaycam-c2.pcap"), "-d", good)

	readers := [][]string{
		{"query", "--format", "csv", "SELECT count(*) FROM packets"},
		{"run", "talkers", "--format", "csv"},
		{"report", "--no-figures", "-o", "OUT"},
		{"check"},
	}
	for _, damage := range []struct {
		name string
		do   func(dir string)
		want string // error of every reader; "" for success
	}{
		{"intact", func(string) {}, ""},
		{"no manifest", func(dir string) { os.Remove(filepath.Join(dir, dataset.ManifestName)) }, "no manifest: is it a netlens dataset?"},
		{"older manifest", func(dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), first, 0o644)
		}, ""},
		{"user files", func(dir string) {
			os.WriteFile(filepath.Join(dir, "packets", "day=2016-04-15", "mine.parquet"), []byte("PAR1"), 0o644)
			os.WriteFile(filepath.Join(dir, "packets", "day=2016-04-15", "part-000099-0001.parquet"), []byte("PAR1"), 0o644)
		}, ""},
	} {
		t.Run(damage.name, func(t *testing.T) {
			for _, args := range readers {
				dir := filepath.Join(t.TempDir(), "ds")
				copyTree(t, good, dir)
				damage.do(dir)
				before := tree(t, dir)
				ios, _, errOut := testIO()
				full := append([]string{}, args...)
				for i, a := range full {
					if a == "OUT" {
						full[i] = filepath.Join(t.TempDir(), "out")
					}
				}
				full = append(full, "-d", dir)
				err, _ := execute(NewCmdRoot(ios), full...)
				switch {
				case damage.want == "" && err != nil:
					t.Errorf("%v: %v\n%s", args, err, errOut)
				case damage.want != "" && (err == nil || !strings.Contains(err.Error(), damage.want)):
					t.Errorf("%v: error %v, want %q", args, err, damage.want)
				}
				if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
					t.Errorf("%v changed the dataset (-before +after):\n%s", args, diff)
				}
			}
		})
	}
}

// A damaged file is named by queries, found by check and dropped by
// repair; the inputs repair names are ingested again to the same counts.
func TestCheckAndRepair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	mustRun(t, "ingest", "-q", sampleCapture, "-d", dir)
	count := "SELECT count(*) AS n FROM packets"
	want := mustRun(t, "query", "-d", dir, "--format", "csv", count)
	if out := mustRun(t, "check", "-d", dir); !strings.Contains(out, "all whole") {
		t.Errorf("check of a whole dataset: %q", out)
	}

	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	victim := ds.Manifest().Tables["packets"].Files[0].Path
	ds.Close()
	name := filepath.Join(dir, filepath.FromSlash(victim))
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}

	ios, _, _ := testIO()
	err, _ = execute(NewCmdRoot(ios), "query", "-d", dir, count)
	if err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "netlens check") {
		t.Errorf("query on a damaged dataset: %v; want the file named and check suggested", err)
	}
	ios, out, _ := testIO()
	err, code := execute(NewCmdRoot(ios), "check", "-d", dir)
	if code != ExitDamaged || !strings.Contains(out.String(), victim) {
		t.Errorf("check: exit %d (%v), output %q", code, err, out)
	}
	ios, _, _ = testIO()
	if err, _ := execute(NewCmdRoot(ios), "ingest", "--force", sampleCapture, "-d", dir); err == nil || !strings.Contains(err.Error(), "repair") {
		t.Errorf("ingest --force on a damaged dataset: %v; want repair suggested", err)
	}

	out2 := mustRun(t, "repair", "-d", dir)
	for _, w := range []string{"dropped " + victim, "removed input " + sampleCapture, "netlens ingest " + sampleCapture} {
		if !strings.Contains(out2, w) {
			t.Errorf("repair output lacks %q:\n%s", w, out2)
		}
	}
	if got := mustRun(t, "query", "-d", dir, "--format", "csv", count); got != "n\n0\n" {
		t.Errorf("after repair: %q, want no packets", got)
	}
	mustRun(t, "ingest", "-q", sampleCapture, "-d", dir)
	if got := mustRun(t, "query", "-d", dir, "--format", "csv", count); got != want {
		t.Errorf("after ingesting again: %q, want %q", got, want)
	}
	if out := mustRun(t, "check", "-d", dir); !strings.Contains(out, "all whole") {
		t.Errorf("check after repair: %q", out)
	}
}

// A query that runs while ingest --force replaces its files reads the
// snapshot it opened.
func TestForceIngestKeepsReadersSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	mustRun(t, "ingest", "-q", sampleCapture, "-d", dir)
	ctx := context.Background()
	eng, err := duckdb.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	countPackets := func() int64 {
		t.Helper()
		rows, err := eng.Query(ctx, "SELECT count(*), sum(wire_len) FROM packets")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var n, bytes int64
		for rows.Next() {
			if err := rows.Scan(&n, &bytes); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countPackets()
	mustRun(t, "ingest", "-q", "--force", sampleCapture, "-d", dir)
	if got := countPackets(); got != before {
		t.Errorf("after ingest --force: the open reader counts %d packets, want %d", got, before)
	}
}
