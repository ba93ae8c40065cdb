package catalog

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/internal/testcapture"
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

// TestIATWays: however gapsOf computes the statistics of the addresses
// (from every (address, gap) pair, from the pairs of the addresses with a
// gap, or with each address' gaps sorted by the engine) and the
// percentiles of all gaps (from their histogram, or picked out by the
// engine), they are the same, on DuckDB, a ClickHouse server and a cluster
// (GLOBAL IN). The limits of the histograms are lowered to the sizes of a
// small scan whose packets come at irregular times, so that nearly all its
// gaps are distinct: 2,000 senders of one packet each and 3 of 14, to 256
// destinations.
func TestIATWays(t *testing.T) {
	var pkts []testcapture.DarknetPacket
	at := testcapture.DarknetStart
	for i := range 2000 {
		at = at.Add(time.Duration(1000+(i*7919)%997) * time.Microsecond)
		pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("10.%d.%d.1", i/200, i%200), Dport: 23, Proto: 6})
		if i%50 == 0 {
			pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("192.0.2.%d", i%3), Dport: 445, Proto: 6})
		}
	}
	ds := ingestDarknet(t, pkts)
	ctx := context.Background()
	levels := analysis.Percentiles(100)
	where := "ip_version IN (4, 6)"
	opts := cmp.Options{cmp.AllowUnexported(addrGaps{}), cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })}
	for _, name := range scanEngines {
		t.Run(name, func(t *testing.T) {
			env := engineEnv(t, ds, name)
			counts, err := env.Query(ctx, "SELECT count(*), count(src_gap_ns), count(dst_gap_ns) FROM packets")
			if err != nil {
				t.Fatal(err)
			}
			n := map[string]gapCounts{}
			for i, key := range []string{"src", "dst"} {
				n[key] = gapCounts{packets: analysis.AsInt(counts.Rows[0][0]), gaps: analysis.AsInt(counts.Rows[0][1+i])}
			}
			want := map[string]sideGaps{}
			for _, key := range []string{"src", "dst"} {
				w := gapsOf(ctx, env, key, key+"_gap_ns", where, levels, n[key])
				if w.err != nil || w.way != fromPairs || w.picked {
					t.Fatalf("%s: %v, way %d: want every pair counted", key, w.err, w.way)
				}
				if len(w.all) != len(levels) {
					t.Fatalf("%s: %d percentiles of all gaps, want %d", key, len(w.all), len(levels))
				}
				want[key] = w
			}
			for _, c := range []struct {
				key, name         string
				maxPairs, maxGaps int
				way               gapWay
				picked            bool // the percentiles of all gaps picked out by the engine
			}{
				// 2 x 2,003 senders' first packets are more than the limit,
				// the 3 senders' pairs with a gap are fewer.
				{"src", "senders of one packet", 2100, maxHistogram, fromGapPairs, false},
				{"src", "senders of one packet, too many pairs left", 20, maxHistogram, fromEngine, false},
				{"src", "too many pairs, too many distinct gaps", 20, 10, fromEngine, true},
				// 1,784 arrivals, 7 to each of 256 destinations, nearly
				// all distinct: more than the limit of 600 alone.
				{"dst", "few gaps per address", 600, 500, fromEngine, true},
				{"dst", "too many pairs, too many distinct gaps", 20, 10, fromEngine, true},
			} {
				func() {
					defer func(n, m int) { maxAddrHistogram, maxHistogram = n, m }(maxAddrHistogram, maxHistogram)
					maxAddrHistogram, maxHistogram = c.maxPairs, c.maxGaps
					got := gapsOf(ctx, env, c.key, c.key+"_gap_ns", where, levels, n[c.key])
					if got.err != nil {
						t.Fatal(got.err)
					}
					if got.way != c.way || got.picked != c.picked {
						t.Errorf("%s, %s: way %d, percentiles picked %v; want %d, %v", c.key, c.name, got.way, got.picked, c.way, c.picked)
					}
					if diff := cmp.Diff(want[c.key].stats, got.stats, opts); diff != "" {
						t.Errorf("%s, %s: statistics (-every pair +this way):\n%s", c.key, c.name, diff)
					}
					if diff := cmp.Diff(want[c.key].all, got.all); diff != "" {
						t.Errorf("%s, %s: percentiles of all gaps (-every pair +this way):\n%s", c.key, c.name, diff)
					}
				}()
			}
		})
	}
}

// TestCountSample: countSample stops at the sample when the rows counted
// so far, of one packet each, say there are more than the limit, from the
// packets of where counted or given, and reads to the limit when they hold
// more packets each.
func TestCountSample(t *testing.T) {
	ds, pkts := smallScan(t)
	ctx := context.Background()
	env := duckdbEnv(t, ds)
	defer func(n int) { sampleRows = n }(sampleRows)
	sampleRows = 100
	for _, c := range []struct {
		packets  int64 // of each row
		total    int64 // of where, when known
		rows     int64 // counted when the reading stops
		estimate int64
	}{
		{1, 0, 100, int64(len(pkts))},        // stopped by the estimate
		{10, 0, 1000, int64(len(pkts)) / 10}, // read to the limit
		{1, 5000, 100, 5000},                 // the total given, not counted
	} {
		s := countSample{env: env, where: "ip_version IN (4, 6)", total: c.total, limit: 1000}
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
