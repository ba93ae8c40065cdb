package input

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/therootcompany/xz"

	"github.com/netlens/netlens/input/btclog"
	"github.com/netlens/netlens/input/darknet"
	"github.com/netlens/netlens/input/flowcsv"
	"github.com/netlens/netlens/input/nfdump"
	"github.com/netlens/netlens/input/pcap"
	"github.com/netlens/netlens/input/pcapng"
	"github.com/netlens/netlens/input/zeek"
	"github.com/netlens/netlens/schema"
)

// ErrUnknownFormat is wrapped by the *FormatError that Open, OpenFlows and
// Sniff return for a file in no known format.
var ErrUnknownFormat = errors.New("unknown input format")

// ErrEmpty is wrapped by the *FormatError that Open returns for an input
// that holds no bytes at all, or none once decompressed.
var ErrEmpty = errors.New("empty input")

// CompressionError reports a compressed stream that ends before its end
// (cut) or that its decompressor rejects (corrupt). Readers return it
// wrapped in a *FormatError, after every complete record of the data
// decompressed before the fault.
type CompressionError struct {
	Compression string // gzip, bzip2, zstd or xz
	Offset      int64  // compressed bytes the decompressor had consumed when it failed
	Cut         bool   // the file ended inside the stream
	Err         error  // the decompressor's error; io.ErrUnexpectedEOF when Cut
}

// Error says what is wrong and where, in compressed bytes.
func (e *CompressionError) Error() string {
	if e.Cut {
		return fmt.Sprintf("%s stream cut short: the file ends at compressed byte %d before the end of the stream", e.Compression, e.Offset)
	}
	return fmt.Sprintf("%s stream corrupt at compressed byte %d: %v", e.Compression, e.Offset, e.Err)
}

// Unwrap returns the decompressor's error.
func (e *CompressionError) Unwrap() error { return e.Err }

// Read buffers in front of the decompressors, so that they never read the
// file in small pieces.
const decompressorBufSize = 256 << 10

// xzMaxDict bounds the dictionary an xz stream may ask for: 64 MiB, what
// xz -9 uses. The decoder allocates the dictionary a stream declares.
const xzMaxDict = 64 << 20

// A compression is a stream compression recognised by its magic bytes.
type compression struct {
	name  string
	magic []byte
	open  func(r *bufio.Reader) (io.Reader, io.Closer, error)
}

// compressions is the list of compressions Open undoes. Each decompressor
// hands over all it has decoded before it fails (bzip2 works in blocks of
// up to 900 kB: a block cut short yields nothing).
var compressions = []compression{
	{name: "gzip", magic: []byte{0x1f, 0x8b}, open: openGzip},
	{name: "bzip2", magic: []byte("BZh"), open: openBzip2},
	{name: "zstd", magic: []byte{0x28, 0xb5, 0x2f, 0xfd}, open: openZstd},
	{name: "xz", magic: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, open: openXz},
}

// A format is an input format recognised from its first bytes once
// decompressed: a capture, whose reader yields frames, or a file of flow
// records, whose reader yields rows of the flows table.
type format struct {
	name string
	what string // what it is, for messages
	// magic formats are recognised from their first formatMagicLen bytes;
	// the others (text) from up to textHeadLen bytes.
	magic bool
	match func(head []byte) bool
	// open reads a capture; openFlows reads flow records; openPeers reads
	// a Bitcoin node's message log into peerTable. One is set.
	open      func(r io.Reader, name string) (Reader, error)
	openFlows func(r io.Reader, name string, opt FlowOptions) (FlowReader, error)
	// openFile reads flow records from a file it reads at random
	// (Parquet), which therefore must not be compressed.
	openFile  func(f *os.File, size int64, name string, opt FlowOptions) (FlowReader, error)
	openPeers func(r io.Reader, name string) (*btclog.Reader, error)
	peerTable string
	// openPackets reads a log of packets (a darknet's) into rows of
	// packets.
	openPackets func(r io.Reader, name string, addrs *darknet.Addrs) (*darknet.Reader, error)
}

// table returns the table a format's rows go to.
func (f *format) table() string {
	switch {
	case f.open != nil, f.openPackets != nil:
		return schema.Packets.Name
	case f.openPeers != nil:
		return f.peerTable
	}
	return schema.Flows.Name
}

// formats is the one list of the formats netlens reads, tried in this
// order: captures and Parquet by their magic bytes, then the text formats
// by their first lines, the most specific first.
var formats = []format{
	{name: "pcap", what: "a pcap capture", magic: true, match: pcap.IsMagic, open: func(r io.Reader, name string) (Reader, error) {
		return pcap.NewReader(r, name)
	}},
	{name: "pcapng", what: "a pcapng capture", magic: true, match: pcapng.IsMagic, open: func(r io.Reader, name string) (Reader, error) {
		return pcapng.NewReader(r, name)
	}},
	{name: "parquet", what: "a Parquet file", magic: true, match: flowcsv.IsParquet, openFile: func(f *os.File, size int64, name string, opt FlowOptions) (FlowReader, error) {
		return flowcsv.NewParquet(f, size, f, name, opt.Columns)
	}},
	{name: "zeek-tsv", what: "a Zeek conn.log (TSV)", match: zeek.IsTSV, openFlows: func(r io.Reader, name string, _ FlowOptions) (FlowReader, error) {
		return zeek.NewTSV(r, name), nil
	}},
	{name: "zeek-json", what: "a Zeek conn.log (JSON lines)", match: zeek.IsJSON, openFlows: func(r io.Reader, name string, _ FlowOptions) (FlowReader, error) {
		return zeek.NewJSON(r, name), nil
	}},
	{name: "nfdump-csv", what: "nfdump's CSV", match: nfdump.IsCSV, openFlows: func(r io.Reader, name string, _ FlowOptions) (FlowReader, error) {
		return nfdump.NewReader(r, name)
	}},
	{name: "darknet", what: "a darknet packet log (DarkVec's CSV)", match: darknet.IsLog, openPackets: darknet.NewReaderAddrs},
	{name: "btclog", what: "a Bitcoin node's message log or its aggregates", match: isPeerLog(schema.PeerMessages.Name), openPeers: btclog.NewReader, peerTable: schema.PeerMessages.Name},
	{name: "btclog-conns", what: "a Bitcoin node's connection map", match: isPeerLog(schema.PeerConns.Name), openPeers: btclog.NewReader, peerTable: schema.PeerConns.Name},
	// Last: any CSV with a header; its columns say whether it is flows.
	{name: "csv", what: "a CSV of flow records", match: flowcsv.IsCSV, openFlows: func(r io.Reader, name string, opt FlowOptions) (FlowReader, error) {
		return flowcsv.NewCSV(r, name, opt.Columns)
	}},
}

const (
	compressionMagicLen = 6
	formatMagicLen      = 4
	// textHeadLen is how much of a file the text formats look at to
	// recognise it: its first lines.
	textHeadLen = 8 << 10
)

// Format describes the format of an input, as Sniff finds it.
type Format struct {
	Name        string // pcap, pcapng, zeek-tsv, zeek-json, ...
	Table       string // the table its rows go to: packets (captures) or flows (flow records)
	Compression string // gzip, bzip2, zstd, xz, or "" when not compressed
}

// ErrNotCapture is wrapped by the *FormatError that Open returns for a file
// of flow records (OpenFlows reads those), and ErrNotFlows by the one that
// OpenFlows returns for a capture.
var (
	ErrNotCapture = errors.New("flow records, not a capture")
	ErrNotFlows   = errors.New("a capture, not flow records")
)

// Sniff recognises the compression and the format of the file at path
// from its content. A file in no known format gives a *FormatError that
// wraps ErrUnknownFormat, an empty one a *FormatError that wraps ErrEmpty.
// Sniff reads a stream (see IsStream), which then cannot be read again:
// sniff the copy of a stream.
func Sniff(ctx context.Context, path string) (Format, error) {
	f, err := openFile(ctx, path)
	if err != nil {
		return Format{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	s, err := decompress(f, path)
	if err != nil {
		return Format{}, err
	}
	defer s.closeDecompressor()
	fm, err := s.sniff()
	if err != nil {
		return Format{}, err
	}
	return Format{Name: fm.name, Table: fm.table(), Compression: s.compression}, nil
}

// Open opens the capture at path. Compression (gzip, bzip2, zstd, xz) and
// format (pcap, pcapng) are recognised from the content, not the file name.
// Closing the reader closes the decompressor and the file. A file in no
// known format gives a *FormatError that wraps ErrUnknownFormat, an empty
// one a *FormatError that wraps ErrEmpty.
//
// path may name a stream: "-" (standard input), a FIFO, a character device
// or /dev/fd/N; see OpenContext, which Open calls with
// context.Background().
func Open(path string) (Reader, error) {
	return OpenContext(context.Background(), path)
}

// OpenContext is Open for a capture that may be a stream (see IsStream): it
// opens a stream without blocking, waits for its first bytes, and reads it
// as it comes, once; cancelling ctx ends the wait and every read that
// blocks, with an error that wraps ctx's error.
func OpenContext(ctx context.Context, path string) (Reader, error) {
	return open(ctx, path, path, nil, nil)
}

// open opens the capture at path, naming it name in errors, adds the
// bytes read from the file to count, if not nil, and writes them to tee,
// if not nil.
func open(ctx context.Context, path, name string, count *atomic.Int64, tee io.Writer) (Reader, error) {
	f, err := openFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	var src io.Reader = f
	if count != nil || tee != nil {
		src = &countingReader{r: f, n: count, tee: tee}
	}
	r, err := openStream(src, f, name)
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

// openSniffed opens the file at path (naming it name in errors), adding
// the bytes read to opt.BytesRead, undoes its compression and recognises
// its format: the opening of every reader of records. Closing the stream
// closes the file.
func openSniffed(ctx context.Context, path, name string, opt FlowOptions) (*stream, *format, error) {
	f, err := openFile(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	var src io.Reader = f
	if opt.BytesRead != nil {
		src = &countingReader{r: f, n: opt.BytesRead}
	}
	s, err := decompress(src, name)
	if err != nil {
		return nil, nil, errors.Join(err, f.Close())
	}
	s.file = f
	fm, err := s.sniff()
	if err != nil {
		return nil, nil, errors.Join(err, s.Close())
	}
	return s, fm, nil
}

// decompress recognises the compression of src from its first bytes and
// returns the decompressed stream.
func decompress(src io.Reader, name string) (*stream, error) {
	head, err := readHead(src, compressionMagicLen)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(head) == 0 {
		return nil, &FormatError{File: name, Reason: "file is empty (0 bytes)", Err: ErrEmpty}
	}
	s := &stream{r: io.MultiReader(bytes.NewReader(head), src), name: name}
	for _, c := range compressions {
		if !bytes.HasPrefix(head, c.magic) {
			continue
		}
		s.raw = &rawReader{r: s.r}
		s.br = bufio.NewReaderSize(s.raw, decompressorBufSize)
		s.compression = c.name
		dec, closer, err := c.open(s.br)
		if err != nil {
			return nil, &FormatError{File: name, Reason: "cannot start decompression: " + s.fault(err).Error(), Err: s.fault(err)}
		}
		s.r, s.dec = dec, closer
		break
	}
	return s, nil
}

// sniff recognises the format of s from its first bytes, which stay in s.
// On error the decompressor is left open.
func (s *stream) sniff() (*format, error) {
	name := s.name
	head, err := readHead(s, formatMagicLen)
	if err == nil && len(head) == formatMagicLen {
		for i := range formats {
			if fm := &formats[i]; fm.magic && fm.match(head) {
				s.r = io.MultiReader(bytes.NewReader(head), s.r)
				return fm, nil
			}
		}
		var more []byte
		more, err = readHead(s, textHeadLen-formatMagicLen)
		head = append(head, more...)
	}
	s.r = io.MultiReader(bytes.NewReader(head), s.r)
	if err != nil {
		var ce *CompressionError
		if errors.As(err, &ce) && len(head) < formatMagicLen {
			return nil, &FormatError{File: name, Reason: fmt.Sprintf("%v, after %d bytes of capture", err, len(head)), Err: err}
		}
		if !errors.As(err, &ce) {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		// A text head cut by a fault of the stream: recognise what came;
		// its reader meets the fault again.
	}
	if len(head) == 0 && s.compression != "" {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("file is empty after %s decompression (0 bytes)", s.compression), Err: ErrEmpty}
	}
	for i := range formats {
		fm := &formats[i]
		if fm.magic && len(head) >= formatMagicLen && fm.match(head[:formatMagicLen]) || !fm.magic && fm.match(head) {
			return fm, nil
		}
	}
	if err := s.checkStream(); err != nil {
		return nil, &FormatError{File: name, Reason: err.Error(), Err: err}
	}
	return nil, &FormatError{File: name, Reason: unknownReason(s.compression, head[:min(len(head), formatMagicLen)]), Err: ErrUnknownFormat}
}

// openFormat recognises the format of s from its first bytes and returns
// the reader of the capture it holds. On error it closes the
// decompressor, not the file.
func openFormat(s *stream, name string) (Reader, error) {
	fm, err := s.sniff()
	if err != nil {
		s.closeDecompressor()
		return nil, err
	}
	if fm.open == nil {
		s.closeDecompressor()
		what := ": flow records, not a capture"
		if fm.openPackets != nil {
			what = ": a log of packets, not a capture"
		}
		return nil, &FormatError{File: name, Reason: fm.what + what, Err: ErrNotCapture}
	}
	r, err := fm.open(s, name)
	if err != nil {
		s.closeDecompressor()
		return nil, err
	}
	return r, nil
}

// unknownCheckLen is how much more of a compressed stream whose first bytes
// are no known format is decompressed to look for a fault of the stream:
// bzip2 hands a block over before it checks it, and a corrupt block reads
// as garbage.
const unknownCheckLen = 1 << 20

// checkStream returns the *CompressionError met in the next
// unknownCheckLen bytes of a compressed s, or nil.
func (s *stream) checkStream() error {
	if s.raw == nil {
		return nil
	}
	_, err := io.CopyN(io.Discard, s, unknownCheckLen)
	var ce *CompressionError
	if errors.As(err, &ce) {
		return err
	}
	return nil
}

func unknownReason(compressed string, magic []byte) string {
	var captures, records, peers, logs []string
	for _, fm := range formats {
		switch {
		case fm.open != nil:
			captures = append(captures, fm.name)
		case fm.openPackets != nil:
			logs = append(logs, fm.name)
		case fm.openPeers != nil:
			peers = append(peers, fm.name)
		default:
			records = append(records, fm.name)
		}
	}
	comp := make([]string, len(compressions))
	for i, c := range compressions {
		comp[i] = c.name
	}
	what := "first bytes"
	if compressed != "" {
		what = "first bytes after " + compressed + " decompression"
	}
	return fmt.Sprintf("unknown format (%s %x); known formats: %s (captures), %s (flow records), %s (packet logs), %s (Bitcoin node logs), optionally compressed with %s",
		what, magic, strings.Join(captures, ", "), strings.Join(records, ", "), strings.Join(logs, ", "), strings.Join(peers, ", "), strings.Join(comp, ", "))
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
// decompressor and the file. Errors of the decompressor come out of Read as
// a *CompressionError, after the bytes decoded before them.
type stream struct {
	r           io.Reader
	name        string
	compression string        // name of the compression, "" if none
	raw         *rawReader    // the compressed bytes, counted; nil if none
	br          *bufio.Reader // buffer between raw and the decompressor
	dec         io.Closer     // decompressor, or nil
	file        io.Closer     // the file, or nil
}

func (s *stream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.raw != nil {
		err = s.fault(err)
	}
	return n, err
}

// fault turns an error of the decompressor into a *CompressionError; an
// error of the file itself is returned as it is.
func (s *stream) fault(err error) error {
	var ce *CompressionError
	if errors.As(err, &ce) {
		return err
	}
	if rerr := s.raw.err; rerr != nil && rerr != io.EOF {
		return rerr
	}
	e := &CompressionError{Compression: s.compression, Offset: s.raw.n - int64(s.br.Buffered()), Err: err}
	if s.raw.err == io.EOF && s.br.Buffered() == 0 && isTruncation(err) {
		e.Cut, e.Err = true, io.ErrUnexpectedEOF
	}
	return e
}

// isTruncation reports whether a decompressor's error says that its input
// ended early.
func isTruncation(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, xz.ErrBuf) ||
		strings.Contains(err.Error(), "unexpected EOF")
}

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

// rawReader counts the compressed bytes read and keeps the first error.
type rawReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *rawReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// countingReader adds the bytes it reads to n, if not nil, and writes them
// to tee, if not nil.
type countingReader struct {
	r   io.Reader
	n   *atomic.Int64
	tee io.Writer
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n != nil {
		c.n.Add(int64(n))
	}
	if c.tee != nil && n > 0 {
		if _, werr := c.tee.Write(p[:n]); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func openGzip(r *bufio.Reader) (io.Reader, io.Closer, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	return z, z, nil
}

func openBzip2(r *bufio.Reader) (io.Reader, io.Closer, error) {
	return bzip2.NewReader(r), nil, nil
}

// zstdMaxWindow bounds the memory a zstd stream may ask for.
const zstdMaxWindow = 1 << 30

func openZstd(r *bufio.Reader) (io.Reader, io.Closer, error) {
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

// openXz uses a decoder that writes into the caller's buffer as it decodes
// (a port of XZ Embedded), so that a cut stream gives every byte decoded
// before the cut, as xz -dc does.
func openXz(r *bufio.Reader) (io.Reader, io.Closer, error) {
	z, err := xz.NewReader(r, xzMaxDict)
	if err != nil {
		return nil, nil, err
	}
	return z, nil, nil
}
