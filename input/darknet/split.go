package darknet

import (
	"encoding/binary"
	"math/bits"
)

// Masks of the word-at-a-time search for a byte in eight bytes.
const (
	ones = 0x0101010101010101
	low7 = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit of each byte of x that is zero set, and no
// other bit; exact, with no carry from one byte into the next.
func zeroBytes(x uint64) uint64 { return ^((x&low7 + low7) | x | low7) }

// splitPlain splits a line with no quote at sep, appending the fields to
// dst: textrec.SplitCSV's result for such a line, found eight bytes at a
// time rather than a search per field. ok is false when the line holds a
// quote, for SplitCSV to read.
func splitPlain(line []byte, sep byte, dst [][]byte) (fields [][]byte, ok bool) {
	seps, quotes := uint64(sep)*ones, uint64('"')*ones
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		if zeroBytes(w^quotes) != 0 {
			return dst, false
		}
		for m := zeroBytes(w ^ seps); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			dst = append(dst, line[start:j])
			start = j + 1
		}
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			return dst, false
		case sep:
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	return append(dst, line[start:]), true
}
