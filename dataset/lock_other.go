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
