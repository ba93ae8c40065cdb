package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netlens/netlens/dataset"
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
//
// With direct, a stream is not copied but relayed (see relay): its readers
// open a FIFO that gives them the stream as it comes, hashed on the way.
// Its capture id cannot be its fingerprint, which needs its end: it is a
// stream id (see streamIDOf), known from its first 64 KiB; its sha256 and
// size are known at its end, when finishStreams records them and checks
// that the dataset does not hold the same bytes already.
type spool struct {
	dir    string         // the copies' and relays' directory, "" if there are none
	read   []string       // path to read each input from
	sums   map[int]string // sha256 of each copied input, by index
	relays map[int]*relay // the relayed streams, by index
	at     time.Time      // when the ingest started: stream ids depend on it
}

// spoolStreams copies the streams among paths into a new directory of
// tmpDir, the ingest's temporary directory, or with direct relays them
// from there. A stream whose head is no known capture format is copied
// only up to there: its reader then reports it. Cancelling ctx ends the
// copy.
func spoolStreams(ctx context.Context, tmpDir string, paths []string, direct bool) (*spool, error) {
	sp := &spool{read: append([]string(nil), paths...), sums: map[int]string{}, relays: map[int]*relay{}, at: time.Now()}
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
		if direct {
			r, err := startRelay(ctx, p, copyPath)
			if err != nil {
				return nil, errors.Join(err, sp.remove())
			}
			sp.read[i], sp.relays[i] = copyPath, r
			continue
		}
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

// remove stops the relays and removes the copies.
func (sp *spool) remove() error {
	for _, r := range sp.relays {
		r.stop()
	}
	if sp.dir == "" {
		return nil
	}
	return os.RemoveAll(sp.dir)
}

// streamIDSpan is how much of a relayed stream its id covers.
const streamIDSpan = 64 << 10

// streamIDOf returns the capture id of a stream read without a copy:
// "stream-" and the first 16 hex digits of the sha256 of at (nanoseconds
// since the Unix epoch, 8 bytes big-endian) followed by head, the stream's
// first 64 KiB (all of it when shorter). The time makes the id of each
// ingest of a stream its own; the content is compared, by sha256, when the
// stream ends (see finishStreams).
func streamIDOf(at time.Time, head []byte) string {
	h := sha256.New()
	var ns [8]byte
	binary.BigEndian.PutUint64(ns[:], uint64(at.UnixNano()))
	h.Write(ns[:])
	h.Write(head)
	return "stream-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// finishStreams reads the relayed streams to their end, records their
// sha256 and size in results, and refuses a stream whose bytes another
// input of this ingest holds, or the dataset ds already (unless force:
// then the dataset's input is replaced, as for a file), since its rows are
// written by then: the ingest then commits nothing.
func (sp *spool) finishStreams(ds *dataset.Dataset, tx *dataset.Txn, results []FileResult, force bool) error {
	idx := slices.Sorted(maps.Keys(sp.relays))
	for _, i := range idx {
		sum, size, err := sp.relays[i].finish()
		if err != nil {
			return err
		}
		results[i].SHA256, results[i].Size = sum, size
	}
	for _, i := range idx {
		r := &results[i]
		for j := range results {
			if j != i && !results[j].Skipped && strings.EqualFold(results[j].SHA256, r.SHA256) {
				return fmt.Errorf("%s holds the same bytes as %s, also given: nothing committed", streamName(r.Path), results[j].Path)
			}
		}
		in, ok := ds.HasInput(r.SHA256)
		if !ok {
			continue
		}
		if !force {
			return fmt.Errorf("%s holds the same bytes (sha256 %s) as input %s (%s), which the dataset holds already: nothing committed; --force replaces it", streamName(r.Path), r.SHA256, in.ID, in.Path)
		}
		if err := tx.RemoveInput(in.ID); err != nil {
			return fmt.Errorf("replace %s: %w", in.Path, err)
		}
	}
	return nil
}

// streamName is how messages name the stream given as path.
func streamName(path string) string {
	if path == input.Stdin {
		return "standard input"
	}
	return path
}
