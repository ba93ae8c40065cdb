package catalog

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/internal/testenv"
)

// TestIATStatistics checks iat's per-address statistics, computed in Go
// from the engine's integers, against DuckDB's own float aggregates over
// the gaps: mean (avg), sample standard deviation (stddev_samp; NULL for a
// single gap, as pandas gives NaN), median and 95th percentile
// (quantile_cont), equal up to the last bits, in which DuckDB's float sums
// differ. The second capture has addresses with a single gap.
func TestIATStatistics(t *testing.T) {
	a, _ := ByName("iat")
	singles := 0
	for _, path := range []string{sample, filepath.Join(testenv.Corpus(t), "pcaps", "zeek", "icmp_icmp-ping.pcap")} {
		env := envFor(t, path)
		res, err := analysis.Run(context.Background(), a, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, side := range []struct{ key, gap string }{{"dst", "dst_gap_ns"}, {"src", "src_gap_ns"}} {
			tab := res.Tables[i]
			want, err := env.Query(context.Background(), `SELECT `+side.key+`, count(`+side.gap+`), avg(`+side.gap+`) / 1e9,
				stddev_samp(`+side.gap+`) / 1e9, quantile_cont(`+side.gap+`, 0.5) / 1e9, quantile_cont(`+side.gap+`, 0.95) / 1e9
				FROM packets WHERE ip_version IN (4, 6) GROUP BY `+side.key+` HAVING count(`+side.gap+`) > 0`)
			if err != nil {
				t.Fatal(err)
			}
			byAddr := map[string][]any{}
			for _, r := range want.Rows {
				byAddr[analysis.AsString(r[0])] = r
			}
			col := map[string]int{}
			for j, c := range tab.Columns {
				col[c] = j
			}
			if len(tab.Rows) != len(byAddr) {
				t.Errorf("%s %s: %d addresses, DuckDB %d", filepath.Base(path), tab.Name, len(tab.Rows), len(byAddr))
			}
			for _, r := range tab.Rows {
				addr := analysis.AsString(r[0])
				w := byAddr[addr]
				if w == nil {
					t.Errorf("%s %s: %s has no gaps in DuckDB", filepath.Base(path), tab.Name, addr)
					continue
				}
				if analysis.AsInt(w[1]) == 1 {
					singles++
				}
				for _, c := range []struct {
					name string
					want any
				}{{"mean_s", w[2]}, {"std_s", w[3]}, {"median_s", w[4]}, {"p95_s", w[5]}} {
					got := r[col[c.name]]
					if (got == nil) != (c.want == nil) || got != nil && !closeTo(got.(float64), analysis.AsFloat(c.want), 1e-12) {
						t.Errorf("%s %s %s %s: %v, DuckDB %v", filepath.Base(path), tab.Name, addr, c.name, got, c.want)
					}
				}
			}
		}
	}
	if singles == 0 {
		t.Error("no address with a single gap: the NULL standard deviation was not checked")
	}
}

// closeTo reports whether a and b differ by at most tol relative to the
// larger.
func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}
