package input

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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
		s, err := decompress(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		s.r = io.LimitReader(s.r, fuzzMaxDecompressed)
		r, err := openFormat(s, "fuzz")
		if err != nil {
			return
		}
		defer r.Close()
		var fr Frame
		for n := uint32(1); ; n++ {
			err := r.Next(&fr)
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("frame %d: %v is not a FormatError", n, err)
				}
				return
			}
			if fr.Index != n || int(fr.CapLen) != len(fr.Data) || fr.WireLen < fr.CapLen {
				t.Fatalf("frame %d: bad frame %+v", n, fr)
			}
		}
	})
}
