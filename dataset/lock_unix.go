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

// lockShared opens the directory dir and takes a shared flock on it: the
// mark of an open reader. It waits while a writer holds the directory
// exclusively, which is only for the moment of a clean-up.
func lockShared(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// tryExclusive reports whether no reader holds the directory dir, holding
// it exclusively (so that no reader opens meanwhile) until release is
// called. It never waits for readers.
func tryExclusive(dir string) (ok bool, release func()) {
	f, err := os.Open(dir)
	if err != nil {
		return false, func() {}
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return false, func() {}
	}
	return true, func() { f.Close() }
}
