//go:build !unix

package dataset

import (
	"errors"
	"os"
)

// lockFile is not available on this system: writing a dataset needs flock.
func lockFile(name string) (*os.File, error) {
	return nil, errors.New("lock dataset: file locking is not supported on this system")
}

// lockShared cannot mark readers on this system: it opens the directory only.
func lockShared(dir string) (*os.File, error) { return os.Open(dir) }

// tryExclusive cannot know of readers on this system: it reports none, so
// that dropped files are removed at once.
func tryExclusive(dir string) (bool, func()) { return true, func() {} }
