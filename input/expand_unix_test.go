//go:build unix

package input

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExpandAllSkipped names every entry of a directory that is not read,
// with the reason, while a FIFO named on its own (so not skipped), and
// "-", are inputs.
func TestExpandAllSkipped(t *testing.T) {
	dir := t.TempDir()
	j := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	writeFile(t, dir, "a.pcap", []byte("x"))
	if err := os.Mkdir(j("sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(j("fifo.pcap"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(j("gone.pcap"), j("dangling.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(j("sub"), j("dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(j("fifo.pcap"), j("fifolink.pcap")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", j("sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	files, skipped, err := ExpandAll([]string{dir, j("fifo.pcap"), Stdin})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{j("a.pcap"), j("fifo.pcap"), Stdin}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	want := []Skipped{
		{j("dangling.pcap"), "a dangling symbolic link: no such file or directory"},
		{j("dirlink"), "a symbolic link to a directory, not followed"},
		{j("fifolink.pcap"), "a symbolic link to a FIFO: name it on its own to read it as a stream"},
		{j("sock"), "a socket: name it on its own to read it as a stream"},
	}
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}
