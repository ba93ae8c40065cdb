package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/netlens/netlens/input"
)

// spoolPrefix starts the name of the directory, in the ingest's temporary
// directory, that holds the copies of its stream inputs.
const spoolPrefix = "streams-"

// spool is where each input of an ingest is read from: the input itself,
// or, for a stream (standard input, a FIFO, a device, /dev/fd/N: see
// input.IsStream), the copy of it that spoolStreams made.
//
// A stream can be read only once, and its size, head and tail, from which
// the capture id is made before any row is written (see
// dataset.Fingerprint), are known only at its end. So a stream is copied
// first, as it comes, into a file in the ingest's temporary directory in
// the dataset, hashed on the
// way; from then on it is a file like the others: its capture id is the
// fingerprint of the bytes it held (the id those bytes saved as a file
// get), its sha256 and size are those of the bytes it held, and one that
// the dataset holds already is skipped. Memory stays bounded; the copy
// takes as much disk as the stream and is removed when the ingest ends.
type spool struct {
	dir  string         // the copies' directory, "" if there are none
	read []string       // path to read each input from
	sums map[int]string // sha256 of each copied input, by index
}

// spoolStreams copies the streams among paths into a new directory of
// tmpDir, the ingest's temporary directory. A stream whose head is no known capture format is copied only up
// to there: its reader then reports it. Cancelling ctx ends the copy.
func spoolStreams(ctx context.Context, tmpDir string, paths []string) (*spool, error) {
	sp := &spool{read: append([]string(nil), paths...), sums: map[int]string{}}
	for i, p := range paths {
		if !input.IsStream(p) {
			continue
		}
		if sp.dir == "" {
			dir, err := os.MkdirTemp(tmpDir, spoolPrefix)
			if err != nil {
				return nil, fmt.Errorf("copy stream %s: %w", p, err)
			}
			sp.dir = dir
		}
		copyPath := filepath.Join(sp.dir, strconv.Itoa(i))
		sum, err := copyStream(ctx, copyPath, p)
		if err != nil {
			return nil, errors.Join(err, sp.remove())
		}
		sp.read[i], sp.sums[i] = copyPath, sum
	}
	return sp, nil
}

// copyStream copies the stream at path to a new file at dst and returns
// the sha256 of what it copied.
func copyStream(ctx context.Context, dst, path string) (string, error) {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("copy stream %s: %w", path, err)
	}
	h := sha256.New()
	_, err = input.CopyStream(ctx, io.MultiWriter(f, h), path)
	if errors.Is(err, input.ErrUnknownFormat) {
		err = nil // the reader of the copy says it again, as for a file
	}
	if err = errors.Join(err, f.Close()); err != nil {
		if ctx.Err() != nil {
			return "", ErrInterrupted
		}
		return "", fmt.Errorf("copy stream %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// remove removes the copies.
func (sp *spool) remove() error {
	if sp.dir == "" {
		return nil
	}
	return os.RemoveAll(sp.dir)
}
