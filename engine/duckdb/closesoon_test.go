//go:build unix

package duckdb

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCloseSoon: the temporary directory and the dataset are let go when
// CloseSoon returns, and the database is closed soon after.
func TestCloseSoon(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	writeDataset(t, dir, testPackets, testFlows)
	e, err := Start().OpenDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := query(t, e, "SELECT count(*) FROM packets"); got.Rows[0][0] != int64(len(testPackets)) {
		t.Fatalf("packets: %v", got.Rows)
	}
	if err := e.CloseSoon(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(e.tempDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary directory %s: %v, want it removed", e.tempDir, err)
	}
	// No reader holds the dataset's directory any more.
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Errorf("lock %s exclusively after CloseSoon: %v", dir, err)
	}
	for start := time.Now(); e.db.Ping() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the database is still open 10 s after CloseSoon")
		}
	}
}
