package pcapng_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/input/pcapng"
)

// fuzzSeedMax keeps seeds short: the fuzzer mutates and minimizes small
// inputs much faster, and the start of a file holds its headers.
const fuzzSeedMax = 4 << 10

// FuzzPcapng reads arbitrary bytes as a pcapng file: it must never panic, and
// every frame and error must be well formed.
func FuzzPcapng(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.pcapng"))
	if err != nil {
		f.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "*.pcapng"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), fuzzSeedMax)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapng.NewReader(bytes.NewReader(data), "fuzz.pcapng")
		if err != nil {
			var fe *input.FormatError
			if !errors.As(err, &fe) || fe.Record != 1 || fe.Offset != 0 {
				t.Fatalf("NewReader: bad error %#v", err)
			}
			return
		}
		var fr input.Frame
		for n := uint32(1); ; n++ {
			err := r.Next(&fr)
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *input.FormatError
				if !errors.As(err, &fe) || fe.Record < 2 || fe.Offset < 28 || fe.Offset >= int64(len(data)) {
					t.Fatalf("frame %d: bad error %#v", n, err)
				}
				return
			}
			if fr.Index != n || int(fr.CapLen) != len(fr.Data) || fr.WireLen < fr.CapLen {
				t.Fatalf("frame %d: bad frame %+v", n, fr)
			}
		}
	})
}
