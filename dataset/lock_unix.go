//go:build unix

package dataset

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait is how long lockFile retries a lock that is taken. A lock this
// process has just released can look taken for a moment: a child forked
// meanwhile (by any goroutine) shares the lock until it execs.
const lockWait = 250 * time.Millisecond

// lockFile takes an exclusive flock on name, waiting at most lockWait. The
// lock is held until the returned file is closed, and released by the kernel
// when the process dies.
func lockFile(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return f, nil
}
