//go:build unix

package dataset

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/schema"
)

// Environment of the child process of TestKilledIngest.
const (
	crashDirEnv  = "NETLENS_DATASET_CRASH_DIR"
	crashModeEnv = "NETLENS_DATASET_CRASH_MODE"
	crashDays    = 60
)

// TestCrashChild is the child process of TestKilledIngest: it begins an
// ingest, writes rows of many days, and then either waits to be killed
// ("write") or commits ("commit"), reporting its progress on stdout.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestKilledIngest")
	}
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.Begin("child", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewTableWriter(tx, schema.Packets, packetTs)
	if err != nil {
		t.Fatal(err)
	}
	for day := range crashDays {
		rows := make([]schema.Packet, 100)
		for i := range rows {
			rows[i] = pkt(day0+int64(day)*24*hour+int64(i), "eeeeeeeeeeeeeeee", uint32(day*100+i+1))
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	}
	tx.AddInput(Input{ID: "eeeeeeeeeeeeeeee", SHA256: strings.Repeat("e", 64)})
	if os.Getenv(crashModeEnv) == "write" {
		fmt.Println("written")
		time.Sleep(time.Minute)
		t.Fatal("not killed")
	}
	fmt.Println("committing")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("committed")
	time.Sleep(time.Minute)
}

// state is what a reader of the dataset directory sees.
type state struct {
	Manifest string
	Files    map[string]int64
}

func snapshot(t *testing.T, dir string) state {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	return state{Manifest: string(b), Files: listFiles(t, dir)}
}

// runChild starts the child in mode, waits for the line ready on its
// stdout, sleeps delay, and kills it with SIGKILL.
func runChild(t *testing.T, dir, mode, ready string, delay time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashModeEnv+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	seen := false
	for sc.Scan() {
		if sc.Text() == ready {
			seen = true
			break
		}
	}
	if !seen {
		cmd.Wait()
		t.Fatalf("child did not print %q; stderr:\n%s", ready, stderr.String())
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

// checkConsistent asserts that dir holds exactly the files its manifest
// lists, each with its listed size and row count.
func checkConsistent(t *testing.T, dir string) Manifest {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{ManifestName: -1}
	for _, tf := range m.Tables {
		var rows int64
		for _, f := range tf.Files {
			want[f.Path] = f.Bytes
			rows += f.Rows
			pf, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := parquet.OpenFile(pf, f.Bytes)
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if p.NumRows() != f.Rows {
				t.Errorf("%s: %d rows, manifest says %d", f.Path, p.NumRows(), f.Rows)
			}
			pf.Close()
		}
		if rows != tf.Rows {
			t.Errorf("table rows %d, files add up to %d", tf.Rows, rows)
		}
	}
	got := listFiles(t, dir)
	got[ManifestName] = -1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files on disk (-manifest +disk):\n%s", diff)
	}
	return m
}

func TestKilledIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1), pkt(day0+24*hour, "aaaaaaaaaaaaaaaa", 2)}, []schema.Flow{flowRow(1, day0)})
	before := snapshot(t, dir)
	beforeDirs := listDirs(t, dir)

	// Killed after writing, before commit: the next Open restores the
	// previous state exactly.
	runChild(t, dir, "write", "written", 0)
	if _, err := os.Stat(filepath.Join(dir, ".ingest-000002")); err != nil {
		t.Errorf("the child left no temporary directory to clean: %v", err)
	}
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("after kill before commit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(beforeDirs, listDirs(t, dir)); diff != "" {
		t.Errorf("directories after kill before commit (-want +got):\n%s", diff)
	}

	// Killed at increasing delays into Commit: each time, the dataset is
	// either unchanged or holds the whole ingest, never part of it.
	mid, committed := 0, 0
	for _, delay := range []time.Duration{0, 100 * time.Microsecond, 300 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, time.Second} {
		runChild(t, dir, "commit", "committing", delay)
		m, err := readManifest(dir)
		if err != nil {
			t.Fatalf("delay %v: manifest unreadable after kill: %v", delay, err)
		}
		if len(m.Ingests) == 1 {
			// Renamed but unlisted files show a kill in the middle of Commit.
			n := 0
			for name := range listFiles(t, dir) {
				if !strings.HasPrefix(name, tempPrefix) {
					n++
				}
			}
			if n > len(before.Files) {
				mid++
			}
		}
		d, err := OpenWrite(dir)
		if err != nil {
			t.Fatal(err)
		}
		after := checkConsistent(t, dir)
		switch len(after.Ingests) {
		case 1:
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("delay %v: dataset changed (-want +got):\n%s", delay, diff)
			}
		case 2:
			committed++
			if got := d.Rows("packets"); got != 2+crashDays*100 {
				t.Errorf("delay %v: packets rows = %d, want %d", delay, got, 2+crashDays*100)
			}
			if got := len(d.Files("packets")); got != 2+crashDays {
				t.Errorf("delay %v: packets files = %d, want %d", delay, got, 2+crashDays)
			}
			// Back to the first state for the next round.
			tx, err := d.Begin("test", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.RemoveInput("eeeeeeeeeeeeeeee"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := d.Rows("packets"); got != 2 {
				t.Fatalf("rows after removing the child's input = %d", got)
			}
			// Restore the exact first manifest.
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(before.Manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenWrite(dir); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Fatalf("delay %v: could not restore the first state (-want +got):\n%s", delay, diff)
			}
		default:
			t.Fatalf("delay %v: %d ingests", delay, len(after.Ingests))
		}
	}
	t.Logf("kills in the middle of Commit: %d; after the manifest was replaced: %d", mid, committed)
	if committed == 0 {
		t.Error("no child got to commit within one second")
	}
}
