package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"testing"
)

// TestFingerprint checks the fingerprint against the sha256 of what it is
// defined to cover, and which changes of a file change it.
func TestFingerprint(t *testing.T) {
	const span = FingerprintSpan
	content := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i>>9)
		}
		return b
	}
	// want hashes the size and the given parts, as FORMAT.md says.
	want := func(size int, parts ...[]byte) string {
		h := sha256.New()
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(size)))
		for _, p := range parts {
			h.Write(p)
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}
	fp := func(b []byte) string {
		t.Helper()
		id, err := Fingerprint(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for _, n := range []int{0, 1, span, 2 * span, 2*span + 1, 5*span + 123} {
		b := content(n)
		w := want(n, b)
		if n > 2*span {
			w = want(n, b[:span], b[n-span:])
		}
		if got := fp(b); got != w {
			t.Errorf("size %d: fingerprint %s, want %s", n, got, w)
		}
	}

	big := content(5*span + 123)
	base := fp(big)
	changed := func(off int) string {
		b := bytes.Clone(big)
		b[off] ^= 1
		return fp(b)
	}
	tests := []struct {
		name string
		id   string
		same bool
	}{
		{"first byte changed", changed(0), false},
		{"last byte of the head changed", changed(span - 1), false},
		{"middle changed", changed(2 * span), true},
		{"first byte of the tail changed", changed(len(big) - span), false},
		{"last byte changed", changed(len(big) - 1), false},
		{"one byte longer", fp(append(bytes.Clone(big[:len(big)-span]), append([]byte{0}, big[len(big)-span:]...)...)), false},
	}
	for _, tt := range tests {
		if (tt.id == base) != tt.same {
			t.Errorf("%s: fingerprint %s, unchanged %s: same = %v, want %v", tt.name, tt.id, base, tt.id == base, tt.same)
		}
	}

	// A file shorter than its size (it changed since) is an error.
	if _, err := Fingerprint(bytes.NewReader(big[:3*span]), int64(len(big))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("file cut after its size was taken: err %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestHashIDs(t *testing.T) {
	sum := "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
	want := []string{"9f86d081884c7d65", "9a2feaa0c55ad015", "a3bf4f1b2b0b822c", "d15d6c15b0f00a08"}
	got := HashIDs(sum)
	if !slices.Equal(got, want) {
		t.Errorf("HashIDs = %v, want %v", got, want)
	}
	if InputID(sum) != want[0] {
		t.Errorf("InputID = %s, want %s", InputID(sum), want[0])
	}
}
