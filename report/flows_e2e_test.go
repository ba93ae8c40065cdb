package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testflows"
)

// TestFlowsInBrowser writes the report of the flows analyses on a
// generated community network with its labels, one of which is markup,
// and opens it in Chromium: every chart draws (stacked areas, scatters, the
// heatmap of pairs of users), and the hostile label is text.
func TestFlowsInBrowser(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	ds := testflows.Generate(1).Dataset(t, tmp, "user", "org", "category")
	eng, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Title: "community", Created: time.Now().UTC(), Version: "test", Engine: eng.Name()}
	var ids []string
	for _, a := range catalog.All() {
		m := a.Meta()
		if m.Group != "flows" {
			continue
		}
		res, err := analysis.Run(ctx, a, env, nil)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		r.Sections = append(r.Sections, Section{Meta: m, Result: res})
		for _, c := range res.Charts {
			ids = append(ids, c.ID)
		}
	}
	dir := filepath.Join(tmp, "report")
	if err := Write(ctx, dir, r, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	const hostile = "<img src=x onerror=alert(1)>"
	if strings.Contains(string(b), hostile) {
		t.Errorf("index.html holds %q raw", hostile)
	}
	p := checkInBrowser(t, dir, ids, []string{hostile})
	screenshot(t, p, "flows.png")
}
