package pcap_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/input/pcap"
)

// fuzzSeedMax keeps seeds short: the fuzzer mutates and minimizes small
// inputs much faster, and the start of a file holds its headers.
const fuzzSeedMax = 4 << 10

// FuzzPcap reads arbitrary bytes as a pcap file: it must never panic, and
// every frame and error must be well formed.
func FuzzPcap(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.pcap"))
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
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcap.NewReader(bytes.NewReader(data), "fuzz.pcap")
		if err != nil {
			var fe *input.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader error %v is not a FormatError", err)
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
				if !errors.As(err, &fe) || fe.Record != uint64(n) || fe.Offset < 24 || fe.Offset >= int64(len(data)) {
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
