package catalog

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
)

// TestScanEngines: on a scan of one day, the analyses whose sums a
// report keeps (the edges, the sums per address, per host and service
// and per sender) give the same tables on DuckDB, which keeps them, as
// on a ClickHouse server and a cluster, which compute them in each query.
func TestScanEngines(t *testing.T) {
	ds, _ := smallScan(t)
	ctx := context.Background()
	runs := []struct {
		name string
		set  map[string]string
	}{
		{"graph", nil},
		{"talkers", nil},
		{"unanswered", nil},
		{"darknet_stats", nil},
		{"sender_filter", map[string]string{"min_pkts": "2"}},
		{"daily_senders", nil},
		{"port_rank", nil},
		{"activity", map[string]string{"points": "300"}},
		{"activity", nil},
	}
	tables := func(t *testing.T, eng engine.Engine) [][][]any {
		defer eng.Close()
		env, err := analysis.NewEnv(ctx, eng)
		if err != nil {
			t.Fatal(err)
		}
		var out [][][]any
		for _, r := range runs {
			res := runDarknet(t, env, r.name, r.set)
			for _, tab := range res.Tables {
				out = append(out, tab.Rows)
			}
		}
		return out
	}
	want := tables(t, openEngine(t, ds, scanEngines[0]))
	if n := len(want[0]); n != 2040 {
		t.Fatalf("%d edges, want 2,040", n)
	}
	for _, name := range scanEngines[1:] {
		t.Run(name, func(t *testing.T) {
			got := tables(t, openEngine(t, ds, name))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tables (-duckdb +%s):\n%s", name, diff)
			}
		})
	}
}
