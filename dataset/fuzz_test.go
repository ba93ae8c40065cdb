package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzOpen opens a dataset whose manifest.json holds arbitrary bytes: Open
// either fails with an error or returns a manifest that survives a write
// and a second read unchanged, with every file path inside its table.
func FuzzOpen(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "manifest-*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := OpenWrite(dir)
		if err != nil {
			return
		}
		m := d.Manifest()
		for table, tf := range m.Tables {
			for _, file := range tf.Files {
				abs := filepath.Join(d.Dir(), filepath.FromSlash(file.Path))
				rel, err := filepath.Rel(filepath.Join(d.Dir(), table), abs)
				if err != nil || !filepath.IsLocal(rel) {
					t.Fatalf("file %q escapes table %s", file.Path, table)
				}
			}
		}
		if err := writeManifest(dir, m); err != nil {
			t.Fatal(err)
		}
		again, err := readManifest(dir)
		if err != nil {
			t.Fatalf("rewritten manifest unreadable: %v", err)
		}
		if diff := cmp.Diff(m, again); diff != "" {
			t.Fatalf("manifest changed by a write (-first +second):\n%s", diff)
		}
	})
}
