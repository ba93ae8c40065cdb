package darknet

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/schema"
)

// FuzzReader reads arbitrary bytes as a darknet log: it must never panic,
// return only RowErrors and io.EOF, stop at the first error that ends the
// input, and give rows with a source and a line number within the input.
func FuzzReader(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range files {
		if filepath.Ext(p) == ".golden" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) || !re.Fatal {
				t.Fatalf("NewReader: %v is not a fatal RowError", err)
			}
			return
		}
		lines := int64(bytes.Count(data, []byte{'\n'})) + 1
		var p schema.Packet
		for range lines + 1 {
			err := r.Next(&p)
			if err == io.EOF {
				return
			}
			if err != nil {
				var re *record.RowError
				if !errors.As(err, &re) || re.Line < 2 || re.Line > lines {
					t.Fatalf("%v: not a RowError within lines 2..%d", err, lines)
				}
				if re.Fatal {
					if err2 := r.Next(&p); err2 != err {
						t.Fatalf("after a fatal error %v, Next returned %v", err, err2)
					}
					return
				}
				continue
			}
			if p.Src == "" || int64(p.Frame) < 1 || int64(p.Frame) >= lines || p.LinkType != 1 {
				t.Fatalf("row %+v", p)
			}
		}
		t.Fatalf("more rows and errors than lines")
	})
}
