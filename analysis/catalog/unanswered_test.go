package catalog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
)

// TestUnicast: unicast keeps the addresses that are neither multicast
// nor the IPv4 broadcast address, as a test of each first octet from 224
// to 239 does, on DuckDB and on ClickHouse, whatever else the text holds.
func TestUnicast(t *testing.T) {
	// What unicast stands for: no prefix ff, 224. to 239., and not
	// 255.255.255.255.
	want := func(s string) bool {
		if s == "255.255.255.255" || strings.HasPrefix(s, "ff") {
			return false
		}
		for o := 224; o <= 239; o++ {
			if strings.HasPrefix(s, fmt.Sprintf("%d.", o)) {
				return false
			}
		}
		return true
	}
	addrs := []string{
		"224.0.0.1", "224.", "229.255.0.1", "230.1.2.3", "239.255.255.250", "232.0.0.1",
		"223.255.255.255", "240.0.0.1", "22.1.2.3", "23.1.2.3", "2.2.2.2", "24.0.0.1",
		"220.1.1.1", "22:.1", "23:.1", "22a.1.1.1", "2245::1", "2300::1", "2240.1", "22.4.1.1",
		"2é.1", "22é.1", "ff02::1", "fe80::1", "255.255.255.255", "255.255.255.254", "", "2", "224", "2001:db8::1",
	}
	ctx := context.Background()
	engines := map[string]func(t *testing.T) engine.Engine{
		"duckdb": func(t *testing.T) engine.Engine {
			ds, err := dataset.OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ds.Close() })
			e, err := duckdb.Open(ctx, ds)
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
		"clickhouse": func(t *testing.T) engine.Engine {
			cfg, err := clickhouse.ParseDSN(testenv.ClickHouse(t))
			if err != nil {
				t.Fatal(err)
			}
			e, err := clickhouse.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
	}
	for _, name := range []string{"duckdb", "clickhouse"} {
		t.Run(name, func(t *testing.T) {
			eng := engines[name](t)
			defer eng.Close()
			for _, a := range addrs {
				rows, err := eng.Query(ctx, "SELECT CASE WHEN "+unicast("'"+a+"'")+" THEN 1 ELSE 0 END")
				if err != nil {
					t.Fatal(err)
				}
				tab, err := engine.Collect(rows, -1)
				if err != nil {
					t.Fatal(err)
				}
				if got := analysis.AsInt(tab.Rows[0][0]) == 1; got != want(a) {
					t.Errorf("unicast(%q) = %v, want %v", a, got, want(a))
				}
			}
		})
	}
}
