package catalog

import (
	"context"
	"math"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
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

// TestIATGaplessAddresses: when most (address, gap) pairs are addresses
// that sent a single packet, as a scan's senders, the pairs are read again
// without them and still make histograms; the statistics are the same as
// when all pairs fit, on DuckDB, a ClickHouse server and a cluster (GLOBAL
// IN).
func TestIATGaplessAddresses(t *testing.T) {
	ds, _ := smallScan(t)
	ctx := context.Background()
	for _, name := range scanEngines {
		t.Run(name, func(t *testing.T) {
			eng := openEngine(t, ds, name)
			defer eng.Close()
			env, err := analysis.NewEnv(ctx, eng)
			if err != nil {
				t.Fatal(err)
			}
			where := "ip_version IN (4, 6)"
			want, wantAll, err := addressGaps(ctx, env, "src", "src_gap_ns", where)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 3 || want[0].packets != 14 || want[0].n != 13 {
				t.Fatalf("statistics %+v: want 3 senders with gaps, the first of 14 packets", want)
			}
			all, gapless, err := gapPairs(ctx, env, "src", "src_gap_ns", where, "")
			if err != nil {
				t.Fatal(err)
			}
			if gapless != 2003 || len(all) < 2006 {
				t.Fatalf("%d pairs, %d of them without a gap: want 2,003 senders' first packets and the 3 senders' gaps", len(all), gapless)
			}
			defer func(n int) { maxAddrHistogram = n }(maxAddrHistogram)
			maxAddrHistogram = len(all) - 2000 // the pairs of the 3 senders with gaps
			got, gotAll, err := addressGaps(ctx, env, "src", "src_gap_ns", where)
			if err != nil {
				t.Fatal(err)
			}
			if gotAll == nil {
				t.Fatal("the engine sorted the gaps: want the pairs read again without the senders of one packet")
			}
			opts := cmp.Options{cmp.AllowUnexported(addrGaps{}), cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("statistics (-all pairs +pairs with a gap):\n%s", diff)
			}
			levels := analysis.Percentiles(100)
			if diff := cmp.Diff(wantAll.Quantiles(levels, 1), gotAll.Quantiles(levels, 1)); diff != "" {
				t.Errorf("distribution over all senders (-all pairs +pairs with a gap):\n%s", diff)
			}

			// A sample of the first pairs, each one packet, says there are
			// too many before the end: the same statistics again.
			defer func(n, m int) { sampleRows, maxHistogram = n, m }(sampleRows, maxHistogram)
			sampleRows, maxAddrHistogram = 100, 1000
			got, gotAll, err = addressGaps(ctx, env, "src", "src_gap_ns", where)
			if err != nil {
				t.Fatal(err)
			}
			if gotAll == nil {
				t.Fatal("the engine sorted the gaps: want the pairs read again without the senders of one packet")
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("statistics (-all pairs +sampled):\n%s", diff)
			}
			// The 3 senders' gaps are about 40 values of one packet each:
			// past a limit of 20 by the sample of 5, the engine computes
			// the same percentiles.
			wantQ, err := allPercentiles(ctx, env, "src_gap_ns", where, levels)
			if err != nil {
				t.Fatal(err)
			}
			sampleRows, maxHistogram = 5, 20
			gotQ, err := allPercentiles(ctx, env, "src_gap_ns", where, levels)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantQ, gotQ); diff != "" || len(wantQ) != len(levels) {
				t.Errorf("percentiles of all gaps (-histogram +engine):\n%s", diff)
			}
		})
	}
}

// TestCountSample: countSample stops at the sample when the rows counted
// so far, of one packet each, say there are more than the limit, and
// reads to the limit when they hold more packets each.
func TestCountSample(t *testing.T) {
	ds, pkts := smallScan(t)
	ctx := context.Background()
	env := duckdbEnv(t, ds)
	defer func(n int) { sampleRows = n }(sampleRows)
	sampleRows = 100
	for _, c := range []struct {
		packets  int64 // of each row
		rows     int64 // counted when the reading stops
		estimate int64
	}{
		{1, 100, int64(len(pkts))},        // stopped by the estimate
		{10, 1000, int64(len(pkts)) / 10}, // read to the limit
	} {
		s := countSample{env: env, where: "ip_version IN (4, 6)", limit: 1000}
		var err error
		for err == nil {
			err = s.add(ctx, c.packets)
		}
		if err != errTooMany || s.rows != c.rows || s.estimate != c.estimate {
			t.Errorf("rows of %d packets: %v after %d rows, estimate %d; want errTooMany after %d, estimate %d",
				c.packets, err, s.rows, s.estimate, c.rows, c.estimate)
		}
	}
}

// loadClickHouse opens the ClickHouse engine of dsn (on cluster, when not
// empty) and loads the dataset into it.
func loadClickHouse(t *testing.T, ds *dataset.Dataset, dsn, cluster string) engine.Engine {
	t.Helper()
	cfg, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cluster = cluster
	e, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(context.Background(), ds, nil); err != nil {
		e.Close()
		t.Fatal(err)
	}
	return e
}
