package pcapng

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/netlens/netlens/input/internal/blockbuf"
	"github.com/netlens/netlens/input/internal/capture"
)

// Block types.
const (
	BlockSectionHeader      = 0x0a0d0d0a
	BlockInterface          = 0x00000001
	BlockObsoletePacket     = 0x00000002
	BlockSimplePacket       = 0x00000003
	BlockNameResolution     = 0x00000004
	BlockInterfaceStats     = 0x00000005
	BlockEnhancedPacket     = 0x00000006
	BlockDecryptionSecrets  = 0x0000000a
	BlockCustomCopyable     = 0x00000bad
	BlockCustomNonCopyable  = 0x40000bad
	byteOrderMagic          = 0x1a2b3c4d
	maxBlockLen             = 64 << 20
	blockHeaderLen          = 8
	sectionHeaderMinLen     = 28
	interfaceMinLen         = 20
	enhancedPacketMinLen    = 32
	obsoletePacketMinLen    = 32
	simplePacketMinLen      = 16
	genericMinLen           = 12
	optionEnd               = 0
	optionTsResol           = 9
	optionTsOffset          = 14
	maxDecimalTsResolution  = 19
	maxBinaryTsResolution   = 63
	nanosecondsPerSecond    = 1_000_000_000
	nanosecondDecimalDigits = 9
)

var errClosed = errors.New("pcapng: reader closed")

// IsMagic reports whether b starts with the section header block type.
func IsMagic(b []byte) bool {
	return len(b) >= 4 && binary.BigEndian.Uint32(b) == BlockSectionHeader
}

// iface is one interface of the current section.
type iface struct {
	linkType uint16
	snapLen  uint32
	mul      uint64 // decimal resolution: ns = units*mul/div
	div      uint64
	shift    uint  // binary resolution 2^-shift s (0: decimal)
	offset   int64 // if_tsoffset in nanoseconds
}

// ns converts a timestamp in interface units to nanoseconds since the epoch.
func (ifc *iface) ns(units uint64) int64 {
	if ifc.shift == 0 {
		if ifc.div == 1 {
			return int64(units*ifc.mul) + ifc.offset
		}
		return int64(units/ifc.div) + ifc.offset
	}
	secs := units >> ifc.shift
	frac := units & (1<<ifc.shift - 1)
	hi, lo := bits.Mul64(frac, nanosecondsPerSecond)
	fracNs := lo>>ifc.shift | hi<<(64-ifc.shift)
	return int64(secs*nanosecondsPerSecond+fracNs) + ifc.offset
}

// Reader reads the packets of a pcapng file. It implements input.Reader.
type Reader struct {
	b       blockbuf.Buffer
	name    string
	closer  io.Closer
	be      bool // byte order of the current section
	ifaces  []iface
	blocks  uint64 // blocks read, including section headers
	frames  uint32
	lastTs  int64 // timestamp of the last packet that had one
	major   uint16
	minor   uint16
	section int // number of section headers read
	err     error
}

var _ capture.Reader = (*Reader)(nil)

// NewReader reads the first section header block from r and returns a reader
// for the blocks that follow; name is used in errors. Close closes r if it is
// an io.Closer. A bad or cut first block gives a *input.FormatError.
func NewReader(r io.Reader, name string) (*Reader, error) {
	pr := &Reader{name: name}
	if c, ok := r.(io.Closer); ok {
		pr.closer = c
	}
	pr.b.Init(r, blockbuf.DefaultSize)
	h, err := pr.b.Next(blockHeaderLen)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, pr.readError(0, 1, fmt.Sprintf("block header cut after %d of %d bytes", len(h), blockHeaderLen), err)
	}
	if !IsMagic(h) {
		return nil, &capture.FormatError{File: name, Record: 1,
			Reason: fmt.Sprintf("not a pcapng file: first block type %x", h[:4])}
	}
	if err := pr.sectionHeader(0, h); err != nil {
		return nil, err
	}
	return pr, nil
}

// Next reads the next packet into f, skipping blocks that are not packets.
// f.Data points into the reader's buffer and is valid until the next call. A
// simple packet block, which has no timestamp, gets the timestamp of the
// packet before it (0 if none). Next returns io.EOF after the last complete
// block and a *input.FormatError for a cut or corrupt block, whose Record is
// the 1-based block number in the file; the error repeats on later calls.
func (r *Reader) Next(f *capture.Frame) error {
	if r.err != nil {
		return r.err
	}
	for {
		off := r.b.Offset()
		h, err := r.b.Next(blockHeaderLen)
		if err != nil {
			if err == io.EOF {
				r.err = io.EOF
				return io.EOF
			}
			return r.fail(r.readError(off, r.blocks+1, fmt.Sprintf("block header cut after %d of %d bytes", len(h), blockHeaderLen), err))
		}
		typ := r.u32(h)
		if typ == BlockSectionHeader {
			if err := r.sectionHeader(off, h); err != nil {
				return r.fail(err)
			}
			continue
		}
		length := r.u32(h[4:])
		body, err := r.body(off, typ, length)
		if err != nil {
			return r.fail(err)
		}
		switch typ {
		case BlockEnhancedPacket:
			return r.enhancedPacket(off, body, f)
		case BlockSimplePacket:
			return r.simplePacket(off, body, f)
		case BlockObsoletePacket:
			return r.obsoletePacket(off, body, f)
		case BlockInterface:
			if err := r.interfaceDescription(off, body); err != nil {
				return r.fail(err)
			}
		}
	}
}

// body reads the rest of a block whose 8-byte header has been read, checks
// its lengths, and returns the block body without the trailing length.
func (r *Reader) body(off int64, typ, length uint32) ([]byte, error) {
	no := r.blocks + 1
	if err := r.checkLength(off, typ, length); err != nil {
		return nil, err
	}
	rest, err := r.b.Next(int(length) - blockHeaderLen)
	if err != nil {
		return nil, r.readError(off, no, fmt.Sprintf("block cut: %d of %d bytes", blockHeaderLen+len(rest), length), err)
	}
	if trail := r.u32(rest[len(rest)-4:]); trail != length {
		return nil, r.formatError(off, no, fmt.Sprintf("block type %#x: trailing length %d differs from length %d", typ, trail, length))
	}
	r.blocks++
	return rest[:len(rest)-4], nil
}

func (r *Reader) checkLength(off int64, typ, length uint32) error {
	no := r.blocks + 1
	var minLen uint32
	switch typ {
	case BlockSectionHeader:
		minLen = sectionHeaderMinLen
	case BlockInterface:
		minLen = interfaceMinLen
	case BlockEnhancedPacket:
		minLen = enhancedPacketMinLen
	case BlockObsoletePacket:
		minLen = obsoletePacketMinLen
	case BlockSimplePacket:
		minLen = simplePacketMinLen
	default:
		minLen = genericMinLen
	}
	switch {
	case length%4 != 0:
		return r.formatError(off, no, fmt.Sprintf("block type %#x: length %d is not a multiple of 4", typ, length))
	case length < minLen:
		return r.formatError(off, no, fmt.Sprintf("block type %#x: length %d is below the minimum of %d", typ, length, minLen))
	case length >= maxBlockLen:
		return r.formatError(off, no, fmt.Sprintf("block type %#x: impossible length %d", typ, length))
	}
	return nil
}

// sectionHeader reads a section header block whose first 8 bytes are h: it
// sets the byte order and forgets the interfaces of the previous section.
func (r *Reader) sectionHeader(off int64, h []byte) error {
	no := r.blocks + 1
	bom, err := r.b.Next(4)
	if err != nil {
		return r.readError(off, no, fmt.Sprintf("section header cut after %d of %d bytes", blockHeaderLen+len(bom), sectionHeaderMinLen), err)
	}
	switch {
	case binary.LittleEndian.Uint32(bom) == byteOrderMagic:
		r.be = false
	case binary.BigEndian.Uint32(bom) == byteOrderMagic:
		r.be = true
	default:
		return r.formatError(off, no, fmt.Sprintf("section header: bad byte-order magic %x", bom))
	}
	length := r.u32(h[4:])
	if err := r.checkLength(off, BlockSectionHeader, length); err != nil {
		return err
	}
	rest, err := r.b.Next(int(length) - blockHeaderLen - 4)
	if err != nil {
		return r.readError(off, no, fmt.Sprintf("block cut: %d of %d bytes", blockHeaderLen+4+len(rest), length), err)
	}
	if trail := r.u32(rest[len(rest)-4:]); trail != length {
		return r.formatError(off, no, fmt.Sprintf("section header: trailing length %d differs from length %d", trail, length))
	}
	major, minor := r.u16(rest), r.u16(rest[2:])
	if major != 1 {
		return r.formatError(off, no, fmt.Sprintf("unsupported pcapng version %d.%d", major, minor))
	}
	r.blocks++
	r.section++
	r.major, r.minor = major, minor
	r.ifaces = r.ifaces[:0]
	return nil
}

// interfaceDescription adds the interface described by an IDB body.
func (r *Reader) interfaceDescription(off int64, body []byte) error {
	no := r.blocks
	ifc := iface{
		linkType: r.u16(body),
		snapLen:  r.u32(body[4:]),
		mul:      1000,
		div:      1,
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code, olen := r.u16(opts), int(r.u16(opts[2:]))
		if code == optionEnd {
			break
		}
		padded := (olen + 3) &^ 3
		if 4+padded > len(opts) {
			return r.formatError(off, no, fmt.Sprintf("interface description: option %d of %d bytes overruns the block", code, olen))
		}
		val := opts[4 : 4+olen]
		switch {
		case code == optionTsResol && olen >= 1:
			if err := ifc.setResolution(val[0]); err != nil {
				return r.formatError(off, no, "interface description: "+err.Error())
			}
		case code == optionTsOffset && olen >= 8:
			secs := int64(r.u64(val))
			ifc.offset = secs * nanosecondsPerSecond
		}
		opts = opts[4+padded:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// setResolution applies an if_tsresol value: 10^-v seconds, or 2^-v when the
// top bit is set.
func (ifc *iface) setResolution(v byte) error {
	exp := uint(v & 0x7f)
	if v&0x80 != 0 {
		if exp > maxBinaryTsResolution {
			return fmt.Errorf("unsupported if_tsresol 2^-%d", exp)
		}
		ifc.shift, ifc.mul, ifc.div = exp, 1, 1
		if exp == 0 {
			ifc.mul = nanosecondsPerSecond
		}
		return nil
	}
	if exp > maxDecimalTsResolution {
		return fmt.Errorf("unsupported if_tsresol 10^-%d", exp)
	}
	ifc.shift, ifc.mul, ifc.div = 0, 1, 1
	for e := exp; e < nanosecondDecimalDigits; e++ {
		ifc.mul *= 10
	}
	for e := uint(nanosecondDecimalDigits); e < exp; e++ {
		ifc.div *= 10
	}
	return nil
}

func (r *Reader) enhancedPacket(off int64, body []byte, f *capture.Frame) error {
	ifID := r.u32(body)
	if ifID >= uint32(len(r.ifaces)) {
		return r.fail(r.badInterface(off, ifID))
	}
	capLen, origLen := r.u32(body[12:]), r.u32(body[16:])
	if uint64(capLen) > uint64(len(body)-20) {
		return r.fail(r.formatError(off, r.blocks, fmt.Sprintf("enhanced packet: captured length %d exceeds the %d bytes of the block", capLen, len(body)-20)))
	}
	ifc := &r.ifaces[ifID]
	ts := ifc.ns(uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:])))
	r.packet(f, ifc, ts, capLen, origLen, body[20:20+capLen])
	return nil
}

func (r *Reader) obsoletePacket(off int64, body []byte, f *capture.Frame) error {
	ifID := uint32(r.u16(body))
	if ifID >= uint32(len(r.ifaces)) {
		return r.fail(r.badInterface(off, ifID))
	}
	capLen, origLen := r.u32(body[12:]), r.u32(body[16:])
	if uint64(capLen) > uint64(len(body)-20) {
		return r.fail(r.formatError(off, r.blocks, fmt.Sprintf("packet block: captured length %d exceeds the %d bytes of the block", capLen, len(body)-20)))
	}
	ifc := &r.ifaces[ifID]
	ts := ifc.ns(uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:])))
	r.packet(f, ifc, ts, capLen, origLen, body[20:20+capLen])
	return nil
}

func (r *Reader) simplePacket(off int64, body []byte, f *capture.Frame) error {
	if len(r.ifaces) == 0 {
		return r.fail(r.formatError(off, r.blocks, "simple packet block before any interface description"))
	}
	ifc := &r.ifaces[0]
	origLen := r.u32(body)
	capLen := min(origLen, uint32(len(body)-4))
	if ifc.snapLen != 0 {
		capLen = min(capLen, ifc.snapLen)
	}
	r.packet(f, ifc, r.lastTs, capLen, origLen, body[4:4+capLen])
	return nil
}

func (r *Reader) packet(f *capture.Frame, ifc *iface, ts int64, capLen, origLen uint32, data []byte) {
	r.frames++
	r.lastTs = ts
	f.Ts = ts
	f.LinkType = ifc.linkType
	f.WireLen = max(origLen, capLen)
	f.CapLen = capLen
	f.Index = r.frames
	f.Data = data
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

// Interfaces returns the number of interfaces described so far in the
// current section.
func (r *Reader) Interfaces() int { return len(r.ifaces) }

// LinkType returns the link type of interface id of the current section and
// whether it is described.
func (r *Reader) LinkType(id int) (uint16, bool) {
	if id < 0 || id >= len(r.ifaces) {
		return 0, false
	}
	return r.ifaces[id].linkType, true
}

// Version returns the format version of the current section.
func (r *Reader) Version() (major, minor uint16) { return r.major, r.minor }

func (r *Reader) badInterface(off int64, id uint32) error {
	return r.formatError(off, r.blocks, fmt.Sprintf("packet on interface %d, but the section describes %d", id, len(r.ifaces)))
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

func (r *Reader) formatError(off int64, no uint64, reason string) error {
	return &capture.FormatError{File: r.name, Offset: off, Record: no, Reason: reason}
}

// readError describes a short read: the stream ended (the file is cut) or
// the underlying reader failed.
func (r *Reader) readError(off int64, no uint64, reason string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != io.ErrUnexpectedEOF {
		reason += ": " + err.Error()
	}
	return &capture.FormatError{File: r.name, Offset: off, Record: no, Reason: reason, Err: err}
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

func (r *Reader) u64(b []byte) uint64 {
	if r.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
