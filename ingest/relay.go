//go:build unix

package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/netlens/netlens/input"
)

// relayHead is how much of a stream a relay keeps in memory: every reader
// that opens the relay reads the stream from its first byte, as long as
// no reader went past relayHead bytes. Sniffing an input reads its first
// few KiB and stops; the reader that follows reads it all.
const relayHead = 16 << 20

// relay hands a stream to the readers of an ingest without a copy on
// disk: its path is a FIFO in the ingest's temporary directory that
// readers open like any stream (see input.IsStream). Each opening gets a
// fresh FIFO, written from the stream's first byte: the first relayHead
// bytes come from memory, the rest straight from the stream, once. The
// stream is hashed and counted on the way. A reader that stops early
// leaves the rest to be read and hashed when the ingest ends (finish).
type relay struct {
	src  string // the stream
	path string // the FIFO readers open
	ctx  context.Context

	mu    sync.Mutex
	cond  *sync.Cond
	head  []byte // the first bytes of the stream, up to relayHead
	full  bool   // head is full and more follows, through rest
	ended bool   // the stream is read to its end or its fault
	err   error  // the stream's fault; nil at its end
	rest  *io.PipeReader
	restW *io.PipeWriter
	sum   hash.Hash
	size  int64

	firstOK chan struct{} // closed once head holds streamIDSpan bytes or the whole stream
	drain   chan struct{} // closed when no reader comes any more
	served  chan struct{} // closed when the FIFO side has given and drained all
}

// startRelay starts relaying the stream at src through a FIFO at path.
func startRelay(ctx context.Context, src, path string) (*relay, error) {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("relay stream %s: %w", src, err)
	}
	r := &relay{src: src, path: path, ctx: ctx, sum: sha256.New(),
		firstOK: make(chan struct{}), drain: make(chan struct{}), served: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	r.rest, r.restW = io.Pipe()
	go r.readStream()
	go r.serve()
	return r, nil
}

// readStream reads the stream to its end (a head in no known format ends
// it, as for a copy), into head and then through rest.
func (r *relay) readStream() {
	_, err := input.CopyStream(r.ctx, relayWriter{r}, r.src)
	if errors.Is(err, input.ErrUnknownFormat) {
		err = nil // its reader says it, as for a file
	}
	r.mu.Lock()
	r.ended, r.err = true, err
	r.signalFirst()
	r.cond.Broadcast()
	r.mu.Unlock()
	r.restW.CloseWithError(err)
}

// signalFirst closes firstOK once, with r.mu held.
func (r *relay) signalFirst() {
	select {
	case <-r.firstOK:
	default:
		close(r.firstOK)
	}
}

// relayWriter takes the stream's bytes as CopyStream reads them.
type relayWriter struct{ r *relay }

func (w relayWriter) Write(p []byte) (int, error) {
	r := w.r
	r.sum.Write(p)
	r.mu.Lock()
	r.size += int64(len(p))
	n := 0
	if !r.full {
		n = min(len(p), relayHead-len(r.head))
		r.head = append(r.head, p[:n]...)
		r.full = n < len(p)
		if len(r.head) >= streamIDSpan {
			r.signalFirst()
		}
		r.cond.Broadcast()
	}
	r.mu.Unlock()
	if n == len(p) {
		return n, nil
	}
	m, err := r.restW.Write(p[n:])
	return n + m, err
}

// serve gives the stream to each reader that opens path, until one got
// past the head or finish says no more come; then it reads the rest of
// the stream to its end, for its hash.
func (r *relay) serve() {
	defer close(r.served)
	for {
		f := r.open()
		if f == nil {
			break
		}
		past := r.pass(f)
		_ = f.Close()
		if past {
			break
		}
	}
	_, _ = io.Copy(io.Discard, r.rest)
}

// open waits for a reader to open the FIFO and returns it opened for
// writing, with a fresh FIFO already at path for the next reader; nil
// once no reader comes any more.
func (r *relay) open() *os.File {
	for {
		f, err := os.OpenFile(r.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			// The next opening must not share this FIFO: what this
			// reader leaves unread stays in it.
			next := r.path + ".next"
			if err := syscall.Mkfifo(next, 0o600); err == nil {
				_ = os.Rename(next, r.path)
			}
			return f
		}
		select {
		case <-r.drain:
			return nil
		case <-r.ctx.Done():
			return nil
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// pass writes the stream from its first byte to f; past reports whether it
// went past the head, after which the stream cannot be given again.
func (r *relay) pass(f *os.File) (past bool) {
	off := 0
	for {
		r.mu.Lock()
		for off == len(r.head) && !r.full && !r.ended {
			r.cond.Wait()
		}
		chunk, full := r.head[off:], r.full
		r.mu.Unlock()
		switch {
		case len(chunk) > 0:
			if _, err := f.Write(chunk); err != nil {
				return false // the reader went away within the head
			}
			off += len(chunk)
		case full:
			_, _ = io.Copy(f, r.rest) // a reader that stops early leaves the rest to serve
			return true
		default:
			return false // all of it, from memory
		}
	}
}

// streamID returns the stream's capture id: "stream-" and the first 16 hex
// digits of the sha256 of at (nanoseconds since the Unix epoch, 8 bytes
// big-endian) and the stream's first streamIDSpan bytes (all of it when
// shorter).
func (r *relay) streamID(at time.Time) (string, error) {
	select {
	case <-r.firstOK:
	case <-r.ctx.Done():
		return "", ErrInterrupted
	}
	r.mu.Lock()
	head := r.head[:min(len(r.head), streamIDSpan)]
	r.mu.Unlock()
	return streamIDOf(at, head), nil
}

// finish tells the relay that no reader comes any more, waits for the
// stream's end and returns its sha256 and size.
func (r *relay) finish() (string, int64, error) {
	select {
	case <-r.drain:
	default:
		close(r.drain)
	}
	<-r.served
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return "", 0, fmt.Errorf("read stream %s: %w", r.src, r.err)
	}
	return hex.EncodeToString(r.sum.Sum(nil)), r.size, nil
}

// stop ends the relay early: the stream is read no further.
func (r *relay) stop() {
	select {
	case <-r.drain:
	default:
		close(r.drain)
	}
	_ = r.rest.CloseWithError(ErrInterrupted)
	<-r.served
}
