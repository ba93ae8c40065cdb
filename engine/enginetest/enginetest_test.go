package enginetest

import (
	"context"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
)

// TestDuckDB runs the suite against a second DuckDB engine: every analysis
// must give the same tables on every run, ties in their order included.
func TestDuckDB(t *testing.T) {
	Run(t, func(t *testing.T, ds *dataset.Dataset) engine.Engine {
		e, err := duckdb.Open(context.Background(), ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	})
}
