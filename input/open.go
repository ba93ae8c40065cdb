package input

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/netlens/netlens/input/pcap"
	"github.com/netlens/netlens/input/pcapng"
)

// ErrUnknownFormat is wrapped by the *FormatError that Open returns for a
// file that is not a known capture format.
var ErrUnknownFormat = errors.New("unknown capture format")

// Read buffers in front of the decompressors, so that they never read the
// file in small pieces; xz reads byte by byte and gets a larger one.
const (
	decompressorBufSize = 256 << 10
	xzBufSize           = 1 << 20
)

// A compression is a stream compression recognised by its magic bytes.
type compression struct {
	name    string
	magic   []byte
	bufSize int // read buffer in front of the decompressor
	open    func(r io.Reader) (io.Reader, io.Closer, error)
}

// compressions is the list of compressions Open undoes.
var compressions = []compression{
	{name: "gzip", magic: []byte{0x1f, 0x8b}, bufSize: decompressorBufSize, open: openGzip},
	{name: "bzip2", magic: []byte("BZh"), bufSize: decompressorBufSize, open: openBzip2},
	{name: "zstd", magic: []byte{0x28, 0xb5, 0x2f, 0xfd}, bufSize: decompressorBufSize, open: openZstd},
	{name: "xz", magic: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, bufSize: xzBufSize, open: openXz},
}

// A format is a capture format recognised by the first four bytes of the
// (decompressed) stream.
type format struct {
	name  string
	match func(magic []byte) bool
	open  func(r io.Reader, name string) (Reader, error)
}

// formats is the list of capture formats Open reads.
var formats = []format{
	{name: "pcap", match: pcap.IsMagic, open: func(r io.Reader, name string) (Reader, error) {
		return pcap.NewReader(r, name)
	}},
	{name: "pcapng", match: pcapng.IsMagic, open: func(r io.Reader, name string) (Reader, error) {
		return pcapng.NewReader(r, name)
	}},
}

const (
	compressionMagicLen = 6
	formatMagicLen      = 4
)

// Open opens the capture at path. Compression (gzip, bzip2, zstd, xz) and
// format (pcap, pcapng) are recognised from the content, not the file name.
// Closing the reader closes the decompressor and the file. A file in no
// known format gives a *FormatError that wraps ErrUnknownFormat.
func Open(path string) (Reader, error) {
	return open(path, nil)
}

// open is Open that adds the bytes read from the file to count, if not nil.
func open(path string, count *atomic.Int64) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	var src io.Reader = f
	if count != nil {
		src = &countingReader{r: f, n: count}
	}
	r, err := openStream(src, f, path)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return r, nil
}

// openStream undoes the compression of src, recognises the format and
// returns its reader; closing it closes file. On error, file is not closed.
func openStream(src io.Reader, file io.Closer, name string) (Reader, error) {
	s, err := decompress(src, name)
	if err != nil {
		return nil, err
	}
	s.file = file
	return openFormat(s, name)
}

// decompress recognises the compression of src from its first bytes and
// returns the decompressed stream.
func decompress(src io.Reader, name string) (*stream, error) {
	head, err := readHead(src, compressionMagicLen)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(head) == 0 {
		return nil, &FormatError{File: name, Reason: "empty file", Err: ErrUnknownFormat}
	}
	s := &stream{r: io.MultiReader(bytes.NewReader(head), src)}
	for _, c := range compressions {
		if !bytes.HasPrefix(head, c.magic) {
			continue
		}
		dec, closer, err := c.open(bufio.NewReaderSize(s.r, c.bufSize))
		if err != nil {
			return nil, fmt.Errorf("open %s: %s stream: %w", name, c.name, err)
		}
		s.r, s.dec, s.compression = dec, closer, c.name
		break
	}
	return s, nil
}

// openFormat recognises the capture format from the first bytes of s and
// returns its reader. On error it closes the decompressor, not the file.
func openFormat(s *stream, name string) (Reader, error) {
	magic, err := readHead(s.r, formatMagicLen)
	if err != nil {
		s.closeDecompressor()
		return nil, fmt.Errorf("read %s: %s stream: %w", name, s.compression, err)
	}
	s.r = io.MultiReader(bytes.NewReader(magic), s.r)
	for _, fm := range formats {
		if fm.match(magic) {
			r, err := fm.open(s, name)
			if err != nil {
				s.closeDecompressor()
				return nil, err
			}
			return r, nil
		}
	}
	s.closeDecompressor()
	return nil, &FormatError{File: name, Reason: unknownReason(s.compression, magic), Err: ErrUnknownFormat}
}

func unknownReason(compressed string, magic []byte) string {
	names := make([]string, len(formats))
	for i, fm := range formats {
		names[i] = fm.name
	}
	comp := make([]string, len(compressions))
	for i, c := range compressions {
		comp[i] = c.name
	}
	what := "first bytes"
	if compressed != "" {
		what = "first bytes after " + compressed + " decompression"
	}
	return fmt.Sprintf("unknown capture format (%s %x); known formats: %s, optionally compressed with %s",
		what, magic, strings.Join(names, ", "), strings.Join(comp, ", "))
}

// readHead reads up to n bytes; fewer only at the end of the stream.
func readHead(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	got, err := io.ReadFull(r, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return b[:got], err
}

// stream is the decompressed content of a file; closing it closes the
// decompressor and the file.
type stream struct {
	r           io.Reader
	compression string    // name of the compression, "" if none
	dec         io.Closer // decompressor, or nil
	file        io.Closer // the file, or nil
}

func (s *stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *stream) Close() error {
	s.closeDecompressor()
	if f := s.file; f != nil {
		s.file = nil
		return f.Close()
	}
	return nil
}

// closeDecompressor releases the decompressor. Decompressors hold no
// resource whose release can fail; their Close only repeats read errors.
func (s *stream) closeDecompressor() {
	if d := s.dec; d != nil {
		s.dec = nil
		_ = d.Close()
	}
}

// countingReader adds the bytes it reads to n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func openGzip(r io.Reader) (io.Reader, io.Closer, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	return z, z, nil
}

func openBzip2(r io.Reader) (io.Reader, io.Closer, error) {
	return bzip2.NewReader(r), nil, nil
}

// zstdMaxWindow bounds the memory a zstd stream may ask for.
const zstdMaxWindow = 1 << 30

func openZstd(r io.Reader) (io.Reader, io.Closer, error) {
	z, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, nil, err
	}
	return z, zstdCloser{z}, nil
}

// zstdCloser adapts zstd.Decoder.Close, which returns nothing.
type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error {
	z.d.Close()
	return nil
}

func openXz(r io.Reader) (io.Reader, io.Closer, error) {
	z, err := xz.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	return z, nil, nil
}
