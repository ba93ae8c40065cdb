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

// TestBuilderCostliestFirst: of the pieces waiting for a worker, the
// costliest is written first, and of those that cost the same the first
// that came.
func TestBuilderCostliestFirst(t *testing.T) {
	b, err := NewBuilder(context.Background(), t.TempDir(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	var got []string
	hold, held := make(chan struct{}), make(chan struct{})
	b.spawn(0, func() { close(held); <-hold }) // the one worker is busy meanwhile
	<-held
	for _, p := range []struct {
		name string
		cost float64
	}{{"svg", 0.3}, {"png", 20}, {"table", 0.5}, {"pdf", 3}, {"png 2", 20}, {"stream", unknownCost}} {
		b.spawn(p.cost, func() { got = append(got, p.name) })
	}
	close(hold)
	b.wg.Wait()
	want := []string{"stream", "png", "png 2", "pdf", "table", "svg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
