package report

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
)

// TestEndToEnd ingests a capture with hostile DNS names, runs the whole
// catalogue on DuckDB, writes the report and opens it in Chromium.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	pcap := filepath.Join(tmp, "hostile.pcap")
	testcapture.Hostile(t, pcap)

	ds, err := dataset.OpenWrite(filepath.Join(tmp, "dataset"))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := ingest.Run(ctx, ds, []string{pcap}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Packets != 131 || stats.DNS != 3 {
		t.Errorf("ingested %d packets and %d DNS answers, want 131 and 3", stats.Packets, stats.DNS)
	}
	eng, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		t.Fatal(err)
	}
	for addr, name := range testcapture.HostileNames {
		if env.Names[addr] != name {
			t.Errorf("name of %s = %q, want %q", addr, env.Names[addr], name)
		}
	}

	r := &Report{
		Title: "hostile.pcap", Created: time.Now().UTC(), Version: "test", Engine: eng.Name(),
		Inputs: ds.Manifest().Inputs,
		Summary: []Fact{
			{"packets", strconv.FormatInt(stats.Packets, 10)},
			{"flows", strconv.FormatInt(stats.Flows, 10)},
			{"DNS answers", strconv.FormatInt(stats.DNS, 10)},
		},
	}
	charts := 0
	for _, a := range catalog.All() {
		m := a.Meta()
		if missing := analysis.Requires(m, eng.Tables()); len(missing) > 0 {
			r.Skipped = append(r.Skipped, Skip{Name: m.Name, Title: m.Title, Reason: "needs " + strings.Join(missing, ", ")})
			continue
		}
		start := time.Now()
		res, err := analysis.Run(ctx, a, env, nil)
		r.Sections = append(r.Sections, Section{Meta: m, Result: res, Err: err, Elapsed: time.Since(start)})
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		charts += len(res.Charts)
	}
	if len(r.Sections) != len(catalog.All()) {
		t.Errorf("%d analyses ran, want all %d; skipped: %+v", len(r.Sections), len(catalog.All()), r.Skipped)
	}

	dir := filepath.Join(tmp, "report")
	start := time.Now()
	if err := Write(ctx, dir, r, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	t.Logf("report of %d analyses with %d charts written in %v", len(r.Sections), charts, time.Since(start).Round(time.Millisecond))

	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range testcapture.HostileNames {
		if strings.Contains(string(b), name) {
			t.Errorf("index.html holds %q raw", name)
		}
	}
	doc := parsePage(t, dir)
	var ids []string
	for _, n := range find(doc, byClass("div", "netlens-chart")) {
		id, _ := attr(n, "data-chart-id")
		ids = append(ids, id)
	}
	if len(ids) != charts {
		t.Errorf("%d chart containers, want %d", len(ids), charts)
	}
	if errs := texts(find(doc, byClass("p", "error"))); len(errs) != 0 {
		t.Errorf("errors in the page: %q", errs)
	}
	for _, a := range find(doc, byTag("a")) {
		if href, _ := attr(a, "href"); !strings.HasPrefix(href, "#") {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(href))); err != nil {
				t.Errorf("link %q: %v", href, err)
			}
		}
	}
	var shown []string
	for _, name := range testcapture.HostileNames {
		shown = append(shown, name)
	}
	p := checkInBrowser(t, dir, ids, shown)
	screenshot(t, p, "e2e.png")
}
