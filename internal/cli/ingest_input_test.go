//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/netlens/netlens/internal/testenv"
)

// TestIngestDirectoryNamesSkipped: a FIFO and a dangling link inside an
// input directory are named in warnings, and an empty capture is said to
// be empty, not corrupt or cut.
func TestIngestDirectoryNamesSkipped(t *testing.T) {
	dir := t.TempDir()
	sample, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a.pcap": sample, "empty.pcap": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "live.pcap"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone.pcap"), filepath.Join(dir, "old.pcap")); err != nil {
		t.Fatal(err)
	}
	ios, _, errOut := testIO()
	err, code := execute(NewCmdRoot(ios), "ingest", dir, "-d", t.TempDir())
	if code != ExitBadInput {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitBadInput)
	}
	for _, want := range []string{
		"1 of 2 inputs were empty;",
		filepath.Join(dir, "empty.pcap") + ": offset 0, record 0: file is empty (0 bytes) (0 packets kept)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, want := range []string{
		"warning: " + filepath.Join(dir, "live.pcap") + " not read: a FIFO: name it on its own to read it as a stream\n",
		"warning: " + filepath.Join(dir, "old.pcap") + " not read: a dangling symbolic link: no such file or directory\n",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
