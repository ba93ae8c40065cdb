package input

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzSeedMax keeps seeds short: the fuzzer mutates and minimizes small
// inputs much faster, and the start of a file holds its headers.
const fuzzSeedMax = 4 << 10

// fuzzMaxDecompressed caps what FuzzOpen reads from a decompressed stream,
// so that decompression bombs cost time and memory in proportion to it.
const fuzzMaxDecompressed = 4 << 20

// FuzzOpen sniffs, decompresses and reads arbitrary bytes: it must never
// panic, and every error must be a FormatError or a wrapped read error.
// Seeds in testdata/fuzz/FuzzOpen hold cut and corrupted gzip, bzip2, zstd
// and xz streams.
func FuzzOpen(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), fuzzSeedMax)])
	}
	small := testdata(f, "http_get_cut_midrecord.pcap")
	f.Add(gzipBytes(f, small))
	f.Add(zstdBytes(f, small))
	f.Add(xzBytes(f, small))
	f.Add(gzipBytes(f, testdata(f, "ldap_issue-32.pcapng")))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFrames(t, data)
	})
}

// fuzzFrames opens data and reads it to its end, checking each frame and
// the error, and returns the frames and the error (nil at a clean end).
func fuzzFrames(t *testing.T, data []byte) ([]frameSum, error) {
	t.Helper()
	s, err := decompress(bytes.NewReader(data), "fuzz")
	if err != nil {
		checkFuzzError(t, err, len(data))
		return nil, err
	}
	s.r = io.LimitReader(s.r, fuzzMaxDecompressed)
	r, err := openFormat(s, "fuzz")
	if err != nil {
		checkFuzzError(t, err, len(data))
		return nil, err
	}
	defer r.Close()
	var (
		fr     Frame
		frames []frameSum
	)
	for n := uint32(1); ; n++ {
		err := r.Next(&fr)
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("frame %d: %v is not a FormatError", n, err)
			}
			checkFuzzError(t, err, len(data))
			return frames, err
		}
		if fr.Index != n || int(fr.CapLen) != len(fr.Data) || fr.WireLen < fr.CapLen {
			t.Fatalf("frame %d: bad frame %+v", n, fr)
		}
		frames = append(frames, sum(&fr))
	}
}

// checkFuzzError checks that a fault of a compressed stream of size bytes
// is a FormatError that says where it is.
func checkFuzzError(t *testing.T, err error, size int) {
	t.Helper()
	var ce *CompressionError
	if !errors.As(err, &ce) {
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%v: a CompressionError outside a FormatError", err)
	}
	if ce.Compression == "" || ce.Offset < 0 || ce.Offset > int64(size) || (ce.Cut && ce.Offset != int64(size)) {
		t.Fatalf("%v: bad CompressionError %+v for %d bytes", err, *ce, size)
	}
}

// isCorrupt reports whether err says a compressed stream is corrupt (not
// cut).
func isCorrupt(err error) bool {
	var ce *CompressionError
	return errors.As(err, &ce) && !ce.Cut
}

// FuzzOpenCut reads a capture and the same capture cut at cut bytes: the
// cut one must give a prefix of the frames of the whole one, and end in an
// error unless the whole one ends there. Seeds in testdata/fuzz/FuzzOpenCut
// are whole and corrupted gzip, bzip2, zstd and xz streams.
func FuzzOpenCut(f *testing.F) {
	small := testdata(f, "http_get.pcap")
	f.Add(small, uint16(len(small)/2))
	f.Add(gzipBytes(f, small), uint16(1000))
	f.Add(zstdBytes(f, small), uint16(2000))
	f.Add(xzBytes(f, small), uint16(2500))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		if int(cut) >= len(data) {
			return
		}
		whole, werr := fuzzFrames(t, data)
		part, err := fuzzFrames(t, data[:cut])
		// A corrupt whole stream may give fewer frames than a cut of it: a
		// decoder that meets the corruption while it reads ahead drops
		// what it decoded but did not hand over yet (xz does), while the
		// cut one stops before the corruption. Both give the same frames
		// as far as both go.
		common := min(len(part), len(whole))
		if !slices.Equal(part[:common], whole[:common]) || (len(part) > len(whole) && !isCorrupt(werr)) {
			t.Fatalf("cut at %d: %d frames, not a prefix of the %d frames of the whole", cut, len(part), len(whole))
		}
		if err == nil && len(part) < len(whole) {
			t.Fatalf("cut at %d: %d of %d frames and no error", cut, len(part), len(whole))
		}
	})
}
