package output

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedLines adds each line of the golden files as a seed.
func seedLines(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "types.*"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range names {
		file, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		file.Close()
	}
	f.Add("a\x00b\x1b[2J\xff\u202e\u2028")
}

// FuzzJSONString checks that any text encodes as a valid JSON string that
// decodes to the same text (invalid UTF-8 bytes become U+FFFD).
func FuzzJSONString(f *testing.F) {
	seedLines(f)
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %q for %q", b, s)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, r := range s {
			want.WriteRune(r)
		}
		if got != want.String() {
			t.Fatalf("round trip of %q = %q", s, got)
		}
	})
}

// FuzzSanitize checks that sanitized text has no control characters,
// bidirectional overrides or invalid UTF-8, and that clean text is kept.
func FuzzSanitize(f *testing.F) {
	seedLines(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitize(s)
		if !utf8.ValidString(got) {
			t.Fatalf("sanitize(%q) = %q: invalid UTF-8", s, got)
		}
		clean := true
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("sanitize(%q) = %q: keeps %U", s, got, r)
			}
		}
		for _, r := range s {
			if unsafeRune(r) {
				clean = false
			}
		}
		if clean && got != s {
			t.Fatalf("sanitize changed clean text %q to %q", s, got)
		}
	})
}
