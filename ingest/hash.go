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
	"strings"
	"sync"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/input"
)

// statInputs returns a result per path with its size, and the fingerprint
// of each (see dataset.Fingerprint), reading each from where sp says. It
// hashes the inputs that may be duplicates: those whose size equals that of
// an input of ds or of another path. The others cannot be in ds nor given
// twice; their hash is left to the background (see startHashing). Streams
// were hashed while they were copied.
func statInputs(ctx context.Context, ds *dataset.Dataset, paths []string, sp *spool) ([]FileResult, []string, error) {
	res := make([]FileResult, len(paths))
	fps := make([]string, len(paths))
	sizes := map[int64]int{} // size -> inputs of ds and paths with that size
	for _, in := range ds.Manifest().Inputs {
		sizes[in.Size]++
	}
	for i, p := range paths {
		if ctx.Err() != nil {
			return nil, nil, ErrInterrupted
		}
		if r, ok := sp.relays[i]; ok { // its size and sha256 are known at its end
			id, err := r.streamID(sp.at)
			if err != nil {
				return nil, nil, err
			}
			res[i], fps[i] = FileResult{Path: p}, id
			continue
		}
		fp, size, err := fingerprintFile(sp.read[i])
		if err != nil {
			return nil, nil, err
		}
		res[i], fps[i] = FileResult{Path: p, Size: size, SHA256: sp.sums[i]}, fp
		sizes[size]++
	}
	var maybeDup []int
	for i := range res {
		if _, relayed := sp.relays[i]; relayed {
			continue
		}
		if sizes[res[i].Size] > 1 && res[i].SHA256 == "" {
			maybeDup = append(maybeDup, i)
		}
	}
	return res, fps, hashAll(ctx, res, maybeDup)
}

// fingerprintFile returns the fingerprint and the size of the file at path.
func fingerprintFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	fp, err := dataset.Fingerprint(f, st.Size())
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return fp, st.Size(), nil
}

// assignIDs gives each input res[i], for i in todo and in that order, its
// capture id: its fingerprint fps[i] when no input holds that id yet, else
// the first free one of dataset.HashIDs of its sha256 (an input whose size
// is shared is hashed already; another one is hashed here). taken holds the
// ids of the inputs of the dataset and receives those given out.
func assignIDs(ctx context.Context, res []FileResult, fps []string, todo []int, taken map[string]bool) error {
	for _, i := range todo {
		r := &res[i]
		r.ID = ""
		if !taken[fps[i]] {
			r.ID = fps[i]
		} else if strings.HasPrefix(fps[i], "stream-") { // read once: it cannot be hashed first
			return fmt.Errorf("%s: its stream id %s is held by another input", r.Path, fps[i])
		} else {
			if r.SHA256 == "" {
				if err := hashInto(ctx, r); err != nil {
					return err
				}
			}
			for _, id := range dataset.HashIDs(r.SHA256) {
				if !taken[id] {
					r.ID = id
					break
				}
			}
			if r.ID == "" {
				return fmt.Errorf("%s: every capture id it could take is held by another input", r.Path)
			}
		}
		taken[r.ID] = true
	}
	return nil
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

// hashInto sets r's SHA256 and Size from the file at r.Path.
func hashInto(ctx context.Context, r *FileResult) error {
	sum, size, err := hashFile(ctx, r.Path)
	if err != nil {
		return err
	}
	r.SHA256, r.Size = sum, size
	return nil
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	return hashPrefix(ctx, path, -1)
}

// hashPrefix returns the hex sha256 and the length of the first limit bytes
// of the file at path (all of it when limit is negative).
func hashPrefix(ctx context.Context, path string, limit int64) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var r io.Reader = f
	if limit >= 0 {
		r = io.LimitReader(f, limit)
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var size int64
	for {
		if ctx.Err() != nil {
			return "", 0, ErrInterrupted
		}
		n, err := r.Read(buf)
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

// hasher computes, on a goroutine of its own, the sha256 of the inputs not
// hashed before the pipeline starts, one after the other, while the
// pipeline reads them. Only the manifest needs these hashes: capture ids
// are known before (see assignIDs). The captures that the pipeline reads
// whole are hashed from the bytes it reads (see teeHash); the others are
// read a second time.
type hasher struct {
	ctx  context.Context
	done chan struct{} // closed when the worker has finished
	res  []FileResult
	sums []hashedInput // what the worker found, put into res by wait
	tees map[int]*teeHash
	err  error
}

// hashedInput is the sha256 and size of the input res[i], read from path.
type hashedInput struct {
	i    int
	path string
	sum  string
	size int64
}

// startHashing starts hashing the inputs res[i], for i in inputs, whose
// SHA256 is not known yet; those also in teed are left to the tees that
// tee returns. The pipeline may read res meanwhile (to report a finished
// input): the hashes go into res only when wait is called.
func startHashing(ctx context.Context, res []FileResult, inputs, teed []int) *hasher {
	h := &hasher{ctx: ctx, done: make(chan struct{}), res: res, tees: map[int]*teeHash{}}
	for _, i := range teed {
		if res[i].SHA256 == "" && !input.IsStream(res[i].Path) {
			h.tees[i] = newTeeHash()
		}
	}
	var todo []hashedInput
	for _, i := range inputs {
		if res[i].SHA256 != "" || input.IsStream(res[i].Path) { // a stream read without a copy: see finishStreams
			continue
		}
		if _, ok := h.tees[i]; ok {
			continue
		}
		todo = append(todo, hashedInput{i: i, path: res[i].Path})
	}
	go func() {
		defer close(h.done)
		for _, in := range todo {
			sum, size, err := hashFile(ctx, in.path)
			if err != nil {
				h.err = err
				return
			}
			in.sum, in.size = sum, size
			h.sums = append(h.sums, in)
		}
	}()
	return h
}

// tee returns the writer that the bytes of input res[i] go to as the
// pipeline reads them, or nil when it is hashed otherwise.
func (h *hasher) tee(i int) io.Writer {
	if t, ok := h.tees[i]; ok {
		return t
	}
	return nil
}

// wait waits for the worker, puts the hashes it found into the results
// and returns its error. An input whose tee did not see all of its bytes
// (the pipeline stopped in it, or it changed size) is hashed here from
// its file.
func (h *hasher) wait() error {
	<-h.done
	for _, s := range h.sums {
		h.res[s.i].SHA256, h.res[s.i].Size = s.sum, s.size
	}
	h.sums = nil
	errs := []error{h.err}
	for i, t := range h.tees {
		delete(h.tees, i)
		sum, n := t.finish()
		if n == h.res[i].Size && h.res[i].Size > 0 {
			h.res[i].SHA256 = sum
			continue
		}
		if h.err != nil {
			continue
		}
		sum, size, err := hashFile(h.ctx, h.res[i].Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h.res[i].SHA256, h.res[i].Size = sum, size
	}
	h.err = errors.Join(errs...)
	return h.err
}

// teeHash is the sha256 of the bytes written to it, computed on a goroutine
// of its own so that the goroutine that reads the input only copies them.
type teeHash struct {
	full  chan []byte // chunks to hash
	free  chan []byte // chunks hashed
	cur   []byte
	n     int64
	done  chan struct{}
	sum   string
	ended bool
}

// Chunks of teed bytes in flight.
const (
	teeChunk  = 1 << 20
	teeChunks = 4
)

func newTeeHash() *teeHash {
	t := &teeHash{full: make(chan []byte, teeChunks), free: make(chan []byte, teeChunks), done: make(chan struct{})}
	for range teeChunks {
		t.free <- make([]byte, 0, teeChunk)
	}
	go func() {
		defer close(t.done)
		h := sha256.New()
		for b := range t.full {
			h.Write(b)
			t.free <- b[:0]
		}
		t.sum = hex.EncodeToString(h.Sum(nil))
	}()
	return t
}

// Write copies p for the hashing goroutine; it never fails.
func (t *teeHash) Write(p []byte) (int, error) {
	n := len(p)
	t.n += int64(n)
	for len(p) > 0 {
		if t.cur == nil {
			t.cur = <-t.free
		}
		k := min(len(p), teeChunk-len(t.cur))
		t.cur = append(t.cur, p[:k]...)
		p = p[k:]
		if len(t.cur) == teeChunk {
			t.full <- t.cur
			t.cur = nil
		}
	}
	return n, nil
}

// finish waits for the bytes written so far to be hashed and returns
// their sha256 in hex and their number. Nothing may be written after.
func (t *teeHash) finish() (string, int64) {
	if !t.ended {
		t.ended = true
		if len(t.cur) > 0 {
			t.full <- t.cur
			t.cur = nil
		}
		close(t.full)
	}
	<-t.done
	return t.sum, t.n
}
