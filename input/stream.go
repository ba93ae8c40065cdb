package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Stdin is the path that names standard input.
const Stdin = "-"

// IsStream reports whether path names an input that can be read only once,
// as it comes, and whose size is not known before its end: standard input
// (Stdin), a FIFO, a character device, a socket, or /dev/fd/N of a pipe (a
// shell's process substitution). A regular file, a directory, or a path
// that cannot be examined is not a stream.
func IsStream(path string) bool {
	if path == Stdin {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}

// openFile opens path for reading. A stream (see IsStream) is opened
// without blocking, so that a FIFO without a writer does not hold the
// caller, and then waited for until its first bytes (or its end) arrive;
// cancelling ctx ends that wait and any read of the stream that blocks.
func openFile(ctx context.Context, path string) (io.ReadCloser, error) {
	if !IsStream(path) {
		return os.Open(path)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", streamName(path), context.Cause(ctx))
	}
	f, err := openStreamFile(path)
	if err != nil {
		return nil, err
	}
	sf := &streamFile{f: f, name: streamName(path), ctx: ctx}
	sf.stop = context.AfterFunc(ctx, func() {
		// Ends the reads that wait, on files the runtime polls (pipes,
		// FIFOs, terminals, sockets). Other devices do not block.
		_ = f.SetReadDeadline(time.Unix(1, 0))
	})
	if err := sf.waitData(); err != nil {
		return nil, errors.Join(err, sf.Close())
	}
	return sf, nil
}

// streamName is how errors name the stream at path.
func streamName(path string) string {
	if path == Stdin {
		return "standard input"
	}
	return path
}

// streamFile is a stream opened by openFile.
type streamFile struct {
	f    *os.File
	name string
	ctx  context.Context
	stop func() bool
}

// waitData waits until f has bytes to read, or has ended after a writer
// came. A FIFO opened without blocking reads as ended until its first
// writer opens it: reading before that would take it for empty.
func (s *streamFile) waitData() error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return nil // the first read waits instead
	}
	err = rc.Read(readable)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("wait for %s to be written: %w", s.name, context.Cause(s.ctx))
	}
	return nil // not pollable: the first read waits instead
}

func (s *streamFile) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("read %s: %w", s.name, context.Cause(s.ctx))
	}
	return n, err
}

func (s *streamFile) Close() error {
	s.stop()
	return s.f.Close()
}

// CopyStream copies the input at path, a capture or flow records, which may
// be a stream (see IsStream), to w, bytes as they are (compressed if it
// is), and returns the number of bytes copied. It looks at the head first:
// when that is in no known format, it stops there and returns, with the
// bytes copied so far, the *FormatError that Open gives for it (wrapping
// ErrUnknownFormat), so that a stream that never ends, such as /dev/zero,
// is not read on. Other faults of the capture are left for its reader to
// find. Cancelling ctx ends the copy with an error that wraps ctx's error.
func CopyStream(ctx context.Context, w io.Writer, path string) (int64, error) {
	f, err := openFile(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("open capture: %w", err)
	}
	defer f.Close()
	cw := &countWriter{w: w}
	g := &gate{r: io.TeeReader(f, cw)}
	s, err := decompress(g, streamName(path))
	if err == nil {
		_, err = s.sniff()
		// Before the copy takes over: a decompressor may still read on
		// another goroutine until it is closed, and gets io.EOF from then.
		s.closeDecompressor()
	}
	g.close()
	if errors.Is(err, ErrUnknownFormat) {
		return cw.n, err
	}
	var fe *FormatError
	if err != nil && !errors.As(err, &fe) {
		return cw.n, err // the file could not be read
	}
	_, err = io.CopyBuffer(cw, f, make([]byte, decompressorBufSize))
	return cw.n, err
}

// gate passes reads on until it is closed, then returns io.EOF, so that
// nothing reads the stream concurrently with the copy after it.
type gate struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
}

func (g *gate) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, io.EOF
	}
	return g.r.Read(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// countWriter counts the bytes written to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
