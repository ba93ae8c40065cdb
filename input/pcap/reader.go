package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/netlens/netlens/input/internal/blockbuf"
	"github.com/netlens/netlens/input/internal/capture"
)

// Magic numbers, as the first four bytes of a file.
const (
	MagicMicro = 0xa1b2c3d4 // microsecond timestamps
	MagicNano  = 0xa1b23c4d // nanosecond timestamps
)

const (
	fileHeaderLen   = 24
	recordHeaderLen = 16

	// minRecordLimit is the largest record accepted whatever the snapshot
	// length says (libpcap's MAXIMUM_SNAPLEN); maxRecordLimit is the largest
	// accepted at all.
	minRecordLimit = 256 << 10
	maxRecordLimit = 16 << 20
)

var errClosed = errors.New("pcap: reader closed")

// IsMagic reports whether b starts with a pcap magic number in either byte
// order.
func IsMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(b) {
	case MagicMicro, MagicNano:
		return true
	}
	switch binary.LittleEndian.Uint32(b) {
	case MagicMicro, MagicNano:
		return true
	}
	return false
}

// Reader reads the records of a pcap file. It implements input.Reader.
type Reader struct {
	b        blockbuf.Buffer
	name     string
	closer   io.Closer
	be       bool  // big-endian file
	fracMul  int64 // nanoseconds per unit of the timestamp fraction
	linkType uint16
	snapLen  uint32
	maxLen   uint32 // records longer than this are rejected
	major    uint16
	minor    uint16
	rec      uint64 // records read
	err      error  // sticky: returned by every Next after the first failure
}

var _ capture.Reader = (*Reader)(nil)

// NewReader reads the file header from r and returns a reader for the
// records that follow; name is used in errors. Close closes r if it is an
// io.Closer. A bad or cut header gives a *input.FormatError with Record 0.
func NewReader(r io.Reader, name string) (*Reader, error) {
	pr := &Reader{name: name}
	if c, ok := r.(io.Closer); ok {
		pr.closer = c
	}
	pr.b.Init(r, blockbuf.DefaultSize)
	h, err := pr.b.Next(fileHeaderLen)
	if err != nil {
		return nil, pr.readError(0, 0, fmt.Sprintf("file header cut after %d of %d bytes", len(h), fileHeaderLen), err)
	}
	switch magic := binary.LittleEndian.Uint32(h); magic {
	case MagicMicro:
		pr.fracMul = 1000
	case MagicNano:
		pr.fracMul = 1
	default:
		switch binary.BigEndian.Uint32(h) {
		case MagicMicro:
			pr.be, pr.fracMul = true, 1000
		case MagicNano:
			pr.be, pr.fracMul = true, 1
		default:
			return nil, &capture.FormatError{File: name, Reason: fmt.Sprintf("not a pcap file: magic %x", h[:4])}
		}
	}
	pr.major, pr.minor = pr.u16(h[4:]), pr.u16(h[6:])
	if pr.major != 2 {
		return nil, &capture.FormatError{File: name, Reason: fmt.Sprintf("unsupported pcap version %d.%d", pr.major, pr.minor)}
	}
	pr.snapLen = pr.u32(h[16:])
	pr.linkType = uint16(pr.u32(h[20:])) // upper bits: FCS length and reserved
	pr.maxLen = min(max(pr.snapLen, minRecordLimit), maxRecordLimit)
	return pr, nil
}

// LinkType returns the file's LINKTYPE_ value.
func (r *Reader) LinkType() uint16 { return r.linkType }

// SnapLen returns the snapshot length from the file header.
func (r *Reader) SnapLen() uint32 { return r.snapLen }

// Nanosecond reports whether the file has nanosecond timestamps.
func (r *Reader) Nanosecond() bool { return r.fracMul == 1 }

// Version returns the format version from the file header.
func (r *Reader) Version() (major, minor uint16) { return r.major, r.minor }

// Next reads the next record into f. f.Data points into the reader's buffer
// and is valid until the next call. The wire length is the larger of the
// recorded original and captured lengths. Next returns io.EOF after the last
// complete record and a *input.FormatError for a cut or impossible record;
// the error repeats on later calls.
func (r *Reader) Next(f *capture.Frame) error {
	if r.err != nil {
		return r.err
	}
	off := r.b.Offset()
	h, err := r.b.Next(recordHeaderLen)
	if err != nil {
		if err == io.EOF {
			r.err = io.EOF
			return io.EOF
		}
		return r.fail(r.readError(off, r.rec+1, fmt.Sprintf("record header cut after %d of %d bytes", len(h), recordHeaderLen), err))
	}
	var sec, frac, capLen, origLen uint32
	if r.be {
		sec = binary.BigEndian.Uint32(h[0:])
		frac = binary.BigEndian.Uint32(h[4:])
		capLen = binary.BigEndian.Uint32(h[8:])
		origLen = binary.BigEndian.Uint32(h[12:])
	} else {
		sec = binary.LittleEndian.Uint32(h[0:])
		frac = binary.LittleEndian.Uint32(h[4:])
		capLen = binary.LittleEndian.Uint32(h[8:])
		origLen = binary.LittleEndian.Uint32(h[12:])
	}
	if capLen > r.maxLen {
		return r.fail(&capture.FormatError{File: r.name, Offset: off, Record: r.rec + 1,
			Reason: fmt.Sprintf("impossible record length %d", capLen)})
	}
	data, err := r.b.Next(int(capLen))
	if err != nil {
		return r.fail(r.readError(off, r.rec+1, fmt.Sprintf("record data cut: %d of %d bytes", len(data), capLen), err))
	}
	r.rec++
	f.Ts = int64(sec)*1e9 + int64(frac)*r.fracMul
	f.LinkType = r.linkType
	f.WireLen = max(origLen, capLen)
	f.CapLen = capLen
	f.Index = uint32(r.rec)
	f.Data = data
	return nil
}

// Close closes the underlying reader if it is an io.Closer. Next returns an
// error after Close.
func (r *Reader) Close() error {
	if r.err == nil || r.err == io.EOF {
		r.err = errClosed
	}
	c := r.closer
	r.closer = nil
	if c != nil {
		return c.Close()
	}
	return nil
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// readError describes a short read: the stream ended (the file is cut) or
// the underlying reader failed.
func (r *Reader) readError(off int64, rec uint64, reason string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != io.ErrUnexpectedEOF {
		reason += ": " + err.Error()
	}
	return &capture.FormatError{File: r.name, Offset: off, Record: rec, Reason: reason, Err: err}
}

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}
