package dataset

import (
	"encoding/binary"
	"errors"

	"github.com/klauspost/compress/huff0"
)

// A literals frame is a zstd frame whose blocks hold only literals,
// Huffman-coded, and no sequences: what zstd makes of bytes in which it
// finds no repeats worth a match, without the search for them. A page of
// a scan's source addresses as PLAIN texts (random numbers) is such bytes:
// zstd's fastest level spends most of its time looking for matches there
// and gains from them little more than its Huffman coding of the digits
// gains alone. Any zstd decoder reads the frame.

// Sizes of the zstd format.
const (
	zstdMagic     = 0xFD2FB528
	zstdMaxBlock  = 128 << 10 // Block_Maximum_Size
	litMinHuffman = 1 << 10   // smaller blocks are stored raw (4 streams need some bytes)
)

// Block types of a zstd block header.
const (
	blockRaw        = 0
	blockRLE        = 1
	blockCompressed = 2
)

// appendLiteralsFrame appends to dst a single-segment zstd frame of src
// made of literals-only blocks (raw where Huffman coding saves nothing)
// and returns it. s is kept from call to call.
func appendLiteralsFrame(dst, src []byte, s *huff0.Scratch) ([]byte, error) {
	dst = binary.LittleEndian.AppendUint32(dst, zstdMagic)
	// Frame_Header_Descriptor: Single_Segment_flag, Frame_Content_Size in
	// 1, 2 (less 256), 4 or 8 bytes; no checksum, no dictionary.
	n := uint64(len(src))
	switch {
	case n < 256:
		dst = append(dst, 0<<6|1<<5, byte(n))
	case n < 65536+256:
		dst = append(dst, 1<<6|1<<5)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n-256))
	case n < 1<<32:
		dst = append(dst, 2<<6|1<<5)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, 3<<6|1<<5)
		dst = binary.LittleEndian.AppendUint64(dst, n)
	}
	if len(src) == 0 {
		return appendBlockHeader(dst, true, blockRaw, 0), nil
	}
	for len(src) > 0 {
		b := src[:min(len(src), zstdMaxBlock)]
		src = src[len(b):]
		var err error
		if dst, err = appendLiteralsBlock(dst, b, len(src) == 0, s); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// appendLiteralsBlock appends a block of the literals lits, the frame's
// last when last is set.
func appendLiteralsBlock(dst, lits []byte, last bool, s *huff0.Scratch) ([]byte, error) {
	if len(lits) < litMinHuffman {
		return append(appendBlockHeader(dst, last, blockRaw, len(lits)), lits...), nil
	}
	s.Reuse = huff0.ReusePolicyNone // each block has its own table: no Treeless literals
	out, _, err := huff0.Compress4X(lits, s)
	switch {
	case errors.Is(err, huff0.ErrUseRLE):
		return append(appendBlockHeader(dst, last, blockRLE, len(lits)), lits[0]), nil
	case errors.Is(err, huff0.ErrIncompressible):
		return append(appendBlockHeader(dst, last, blockRaw, len(lits)), lits...), nil
	case err != nil:
		return nil, err
	}
	// Literals_Section_Header of a Compressed_Literals_Block in 4 streams:
	// Size_Format 1, 2 or 3 for sizes of 10, 14 or 18 bits.
	var hdr [5]byte
	hlen, bits := 3, 10
	switch {
	case len(lits) >= 1<<14 || len(out) >= 1<<14:
		hlen, bits = 5, 18
	case len(lits) >= 1<<10 || len(out) >= 1<<10:
		hlen, bits = 4, 14
	}
	size := hlen + len(out) + 1 // and the sequences section: 0 sequences
	if size >= len(lits) {
		return append(appendBlockHeader(dst, last, blockRaw, len(lits)), lits...), nil
	}
	sizeFormat := uint64(hlen - 2) // 1, 2 or 3
	v := uint64(2) | sizeFormat<<2 | uint64(len(lits))<<4 | uint64(len(out))<<(4+bits)
	for i := range hlen {
		hdr[i] = byte(v >> (8 * i))
	}
	dst = appendBlockHeader(dst, last, blockCompressed, size)
	dst = append(dst, hdr[:hlen]...)
	dst = append(dst, out...)
	return append(dst, 0), nil
}

// appendBlockHeader appends the 3-byte header of a block of type typ whose
// Block_Size is size.
func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	v := uint32(typ)<<1 | uint32(size)<<3
	if last {
		v |= 1
	}
	return append(dst, byte(v), byte(v>>8), byte(v>>16))
}
