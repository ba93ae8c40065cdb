// Package blockbuf is the read buffer of the capture readers: it hands out
// byte ranges of a stream that stay valid until the next call, without
// copying them, and grows only as far as the stream really delivers data, so
// a corrupt length field cannot make it allocate more than the input holds.
//
// blockbuf must not import anything but the standard library.
package blockbuf

import (
	"errors"
	"io"
)

// DefaultSize is the buffer size used by the capture readers.
const DefaultSize = 256 << 10

// startSize is the buffer a Buffer starts with: a stream that turns out to
// be longer grows it to the full size, so small inputs stay cheap.
const startSize = 16 << 10

// maxEmptyReads is how many (0, nil) results from the underlying reader are
// tolerated in a row before giving up with io.ErrNoProgress.
const maxEmptyReads = 100

var errNegativeRead = errors.New("reader returned an invalid count")

// Buffer reads a stream in large chunks and returns slices of it.
type Buffer struct {
	rd     io.Reader
	buf    []byte
	r, w   int   // unread bytes are buf[r:w]
	off    int64 // stream offset of buf[r]
	err    error // first error from rd, reported once buffered bytes run out
	size   int   // buffer size to grow to once the stream fills the start buffer
	filled bool  // a read has filled the whole buffer
}

// Init makes b read rd with a buffer of size bytes (DefaultSize if size <=
// 0). The buffer starts smaller and grows to size once the stream has shown
// to be longer than that start.
func (b *Buffer) Init(rd io.Reader, size int) {
	if size <= 0 {
		size = DefaultSize
	}
	*b = Buffer{rd: rd, buf: make([]byte, min(size, startSize)), size: size}
}

// Offset returns the stream offset of the next byte Next will return.
func (b *Buffer) Offset() int64 { return b.off }

// Next returns the next n bytes of the stream and moves past them. The slice
// is valid until the next call to Next. If the stream ends or fails before n
// bytes, Next returns the bytes that were left (and moves past them) with
// io.EOF if there were none, io.ErrUnexpectedEOF if there were some, or the
// reader's error.
func (b *Buffer) Next(n int) ([]byte, error) {
	if n >= 0 && n <= b.w-b.r {
		p := b.buf[b.r : b.r+n : b.r+n]
		b.r += n
		b.off += int64(n)
		return p, nil
	}
	return b.fill(n)
}

// fill is the slow path of Next: it moves the unread bytes to the front,
// grows the buffer while data keeps arriving and reads until n bytes are
// buffered or the stream ends.
func (b *Buffer) fill(n int) ([]byte, error) {
	if n < 0 {
		return nil, errors.New("negative read size")
	}
	if b.filled && len(b.buf) < b.size {
		nb := make([]byte, b.size)
		b.w = copy(nb, b.buf[b.r:b.w])
		b.buf, b.r = nb, 0
	}
	if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	empty := 0
	for b.w < n && b.err == nil {
		if b.w == len(b.buf) {
			size := 2 * len(b.buf)
			if size > n {
				size = n
			}
			nb := make([]byte, size)
			copy(nb, b.buf[:b.w])
			b.buf = nb
		}
		m, err := b.rd.Read(b.buf[b.w:])
		if m < 0 || m > len(b.buf)-b.w {
			m, err = 0, errNegativeRead
		}
		b.w += m
		if b.w == len(b.buf) {
			b.filled = true
		}
		switch {
		case err != nil:
			b.err = err
		case m == 0:
			if empty++; empty >= maxEmptyReads {
				b.err = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	if b.w >= n {
		p := b.buf[:n:n]
		b.r = n
		b.off += int64(n)
		return p, nil
	}
	p := b.buf[:b.w:b.w]
	b.off += int64(b.w)
	b.r, b.w = 0, 0
	err := b.err
	if err == io.EOF && len(p) > 0 {
		err = io.ErrUnexpectedEOF
	}
	return p, err
}
