package analysis_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
)

// counting is a DuckDB engine that counts the tables it is asked to keep.
type counting struct {
	*duckdb.Engine
	keeps atomic.Int64
}

func (c *counting) Keep(ctx context.Context, name, query string) error {
	c.keeps.Add(1)
	return c.Engine.Keep(ctx, name, query)
}

// plain hides that its engine can keep results.
type plain struct{ engine.Engine }

func openDuckDB(t *testing.T) *duckdb.Engine {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	e, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestKept: analyses asking at once for the same result get one table,
// made once, that holds it; a query that fails is tried again when asked
// again; an engine that cannot keep results gets the query back.
func TestKept(t *testing.T) {
	ctx := context.Background()
	eng := &counting{Engine: openDuckDB(t)}
	env := &analysis.Env{Engine: eng}
	const q = "SELECT range AS n FROM range(5)"
	names := make([]string, 8)
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			name, err := env.Kept(ctx, q)
			if err != nil {
				t.Error(err)
			}
			names[i] = name
		})
	}
	wg.Wait()
	if n := eng.keeps.Load(); n != 1 {
		t.Errorf("%d tables made, want 1", n)
	}
	for _, name := range names[1:] {
		if name != names[0] {
			t.Fatalf("names %v: want one", names)
		}
	}
	if !strings.HasPrefix(names[0], "netlens_kept_") {
		t.Errorf("name %q", names[0])
	}
	tab, err := env.Query(ctx, "SELECT count(*), sum(n) FROM "+names[0])
	if err != nil {
		t.Fatal(err)
	}
	// 0 + 1 + 2 + 3 + 4.
	if got := analysis.AsInt(tab.Rows[0][0]); got != 5 {
		t.Errorf("%d rows, want 5", got)
	}
	if got := analysis.AsInt(tab.Rows[0][1]); got != 10 {
		t.Errorf("sum %d, want 10", got)
	}

	const bad = "SELECT no_such_column FROM range(1)"
	for range 2 {
		if _, err := env.Kept(ctx, bad); err == nil || !strings.Contains(err.Error(), "no_such_column") {
			t.Errorf("bad query: error %v, want one naming no_such_column", err)
		}
	}
	if n := eng.keeps.Load(); n != 3 {
		t.Errorf("%d tables asked for, want 3 (the failed one twice)", n)
	}

	other := &analysis.Env{Engine: plain{eng}}
	rel, err := other.Kept(ctx, q)
	if err != nil || rel != "("+q+")" {
		t.Errorf("without Keep: %q, %v; want the query in parentheses", rel, err)
	}
}
