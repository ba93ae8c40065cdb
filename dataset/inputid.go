package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FingerprintSpan is the length of the head and of the tail of a file that
// its fingerprint covers.
const FingerprintSpan = 64 << 10

// Fingerprint returns the fingerprint id of the file of size bytes that r
// reads: the first 16 hex digits of the sha256 of the size (8 bytes,
// big-endian), the first FingerprintSpan bytes and the last FingerprintSpan
// bytes of the file. A file of at most 2*FingerprintSpan bytes is hashed
// whole, once. The fingerprint is the capture id of an input unless another
// input of the dataset already holds it (see HashIDs), so that the id is
// known after reading 128 KiB, long before the sha256 of a large capture.
func Fingerprint(r io.ReaderAt, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("fingerprint: negative size %d", size)
	}
	h := sha256.New()
	var sz [8]byte
	binary.BigEndian.PutUint64(sz[:], uint64(size))
	h.Write(sz[:])
	var parts [2]struct{ off, n int64 }
	if size <= 2*FingerprintSpan {
		parts[0] = struct{ off, n int64 }{0, size}
	} else {
		parts[0] = struct{ off, n int64 }{0, FingerprintSpan}
		parts[1] = struct{ off, n int64 }{size - FingerprintSpan, FingerprintSpan}
	}
	buf := make([]byte, 2*FingerprintSpan)
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		b := buf[:p.n]
		if _, err := r.ReadAt(b, p.off); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // shorter than its size: it changed
			}
			return "", fmt.Errorf("fingerprint: read %d bytes at %d: %w", p.n, p.off, err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// HashIDs returns the ids an input takes, first free first, when its
// fingerprint id is held by another input (same size, same head and tail,
// different content): the four 16-digit pieces of its sha256 (hex), in
// order. Only inputs that share their size with another input can need
// them, and those are fully hashed before they are read anyway.
func HashIDs(sha256 string) []string {
	s := strings.ToLower(sha256)
	var ids []string
	for len(s) >= 16 {
		ids = append(ids, s[:16])
		s = s[16:]
	}
	return ids
}
