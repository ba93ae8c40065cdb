package zeek

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
)

// fuzzSeeds adds the logs of testdata whose names match pattern.
func fuzzSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fuzzRead reads data with r to its end: it must never panic, return
// only RowErrors and io.EOF, stop at the first error that ends the input,
// and give records whose addresses and times hold together.
func fuzzRead(t *testing.T, r record.Reader, data []byte) {
	var f record.Flow
	for i := 0; i <= bytes.Count(data, []byte{'\n'})+1; i++ {
		err := r.Next(&f)
		if err == io.EOF {
			return
		}
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a RowError", err)
			}
			if re.Line < 1 {
				t.Fatalf("%v: line %d", err, re.Line)
			}
			if re.Fatal {
				if err2 := r.Next(&f); err2 != err {
					t.Fatalf("after a fatal error %v, Next returned %v", err, err2)
				}
				return
			}
			continue
		}
		if f.A != f.AAddr.String() || f.B != f.BAddr.String() || f.AAddr.Is4() != f.BAddr.Is4() {
			t.Fatalf("line %d: addresses %q %q (%v %v)", f.Line, f.A, f.B, f.AAddr, f.BAddr)
		}
		if f.End < f.Start || f.Duration < 0 || f.Line < 1 {
			t.Fatalf("line %d: times %d..%d (%g s)", f.Line, f.Start, f.End, f.Duration)
		}
	}
	t.Fatalf("more records and errors than lines")
}

// FuzzTSV reads arbitrary bytes as a conn.log in Zeek's ASCII format.
func FuzzTSV(f *testing.F) {
	fuzzSeeds(f, "*.conn.log")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, NewTSV(bytes.NewReader(data), "fuzz"), data)
	})
}

// FuzzJSON reads arbitrary bytes as a conn.log of JSON lines.
func FuzzJSON(f *testing.F) {
	fuzzSeeds(f, "*.json.log")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, NewJSON(bytes.NewReader(data), "fuzz"), data)
	})
}
