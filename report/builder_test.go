package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/chart/static"
)

// TestBuilderAsWrite: a report built section by section, its pieces written
// while later sections are still to come, is the report Write writes at
// once, file for file and byte for byte.
func TestBuilderAsWrite(t *testing.T) {
	ctx := context.Background()
	opts := Options{Figures: true, Formats: []static.Format{static.PNG, static.SVG}, Workers: 3}
	whole := t.TempDir()
	if err := Write(ctx, whole, sampleReport(t), opts); err != nil {
		t.Fatal(err)
	}
	parts := t.TempDir()
	b, err := NewBuilder(ctx, parts, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReport(t)
	for _, s := range r.Sections {
		b.Add(s)
	}
	head := *r
	head.Sections = nil // Finish reads the sections added, not these
	if err := b.Finish(&head); err != nil {
		t.Fatal(err)
	}
	files := listDir(t, whole)
	if diff := cmp.Diff(files, listDir(t, parts)); diff != "" {
		t.Fatalf("files (-Write +Builder):\n%s", diff)
	}
	for _, f := range files {
		w, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		p, err := os.ReadFile(filepath.Join(parts, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w, p) {
			t.Errorf("%s differs", f)
		}
	}
}

// TestBuilderAbort: a report given up leaves the one before as it was, and
// nothing of its own.
func TestBuilderAbort(t *testing.T) {
	ctx := context.Background()
	dir, _ := writeSample(t, Options{})
	before := listDir(t, dir)
	index, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(ctx, dir, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sampleReport(t).Sections {
		b.Add(s)
	}
	b.Abort()
	b.Abort() // twice is harmless
	if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
		t.Errorf("files after an aborted report (-want +got):\n%s", diff)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, IndexName)); !bytes.Equal(index, after) {
		t.Error("index.html changed")
	}
}
