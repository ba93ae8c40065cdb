package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/netlens/netlens/dataset"
)

// statInputs returns a result per path with its size, and hashes the inputs
// that may be duplicates: those whose size equals that of an input of ds or
// of another path. The others cannot be in ds nor given twice; their hash is
// left to the background (see startHashing).
func statInputs(ctx context.Context, ds *dataset.Dataset, paths []string) ([]FileResult, error) {
	res := make([]FileResult, len(paths))
	sizes := map[int64]int{} // size -> inputs of ds and paths with that size
	for _, in := range ds.Manifest().Inputs {
		sizes[in.Size]++
	}
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		res[i] = FileResult{Path: p, Size: st.Size()}
		sizes[st.Size()]++
	}
	var maybeDup []int
	for i := range res {
		if sizes[res[i].Size] > 1 {
			maybeDup = append(maybeDup, i)
		}
	}
	return res, hashAll(ctx, res, maybeDup)
}

// hashAll computes the sha256 and size of the inputs res[i] for i in which,
// two at a time.
func hashAll(ctx context.Context, res []FileResult, which []int) error {
	errs := make([]error, len(which))
	sem := make(chan struct{}, max(1, min(2, runtime.NumCPU())))
	var wg sync.WaitGroup
	for k, i := range which {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[k] = hashInto(ctx, &res[i])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// hashInto sets r's SHA256, ID and Size from the file at r.Path.
func hashInto(ctx context.Context, r *FileResult) error {
	sum, size, err := hashFile(ctx, r.Path)
	if err != nil {
		return err
	}
	r.SHA256, r.ID, r.Size = sum, dataset.InputID(sum), size
	return nil
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var size int64
	for {
		if ctx.Err() != nil {
			return "", 0, ErrInterrupted
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("hash %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// captureIDs hands out the capture id of each input of a pipeline. Inputs
// not hashed before the pipeline starts are hashed one after the other by a
// background worker while it runs; a row waits for its input's id only
// where it is written.
type captureIDs struct {
	ids   []string
	errs  []error
	ready []chan struct{} // ready[k] is closed once ids[k] or errs[k] is set
	done  chan struct{}   // closed when the worker has finished
}

// startHashing returns the capture ids of the inputs res[i] for i in todo,
// hashing in the background those whose SHA256 is not known yet. Wait must
// be called before res is read again.
func startHashing(ctx context.Context, res []FileResult, todo []int) *captureIDs {
	c := &captureIDs{
		ids:   make([]string, len(todo)),
		errs:  make([]error, len(todo)),
		ready: make([]chan struct{}, len(todo)),
		done:  make(chan struct{}),
	}
	var later []int
	for k, i := range todo {
		c.ready[k] = make(chan struct{})
		if res[i].SHA256 == "" {
			later = append(later, k)
			continue
		}
		c.ids[k] = res[i].ID
		close(c.ready[k])
	}
	go func() {
		defer close(c.done)
		var failed error
		for _, k := range later {
			r := &res[todo[k]]
			if failed == nil {
				failed = hashInto(ctx, r)
			}
			if failed != nil {
				c.errs[k] = failed
			} else {
				c.ids[k] = r.ID
			}
			close(c.ready[k])
		}
	}()
	return c
}

// id returns the capture id of input k, waiting for its hash.
func (c *captureIDs) id(ctx context.Context, k int) (string, error) {
	select {
	case <-c.ready[k]:
		return c.ids[k], c.errs[k]
	case <-ctx.Done():
		return "", ErrInterrupted
	}
}

// wait waits for the background worker and returns the first hashing error.
func (c *captureIDs) wait() error {
	<-c.done
	for _, err := range c.errs {
		if err != nil {
			return err
		}
	}
	return nil
}
