package catalog

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
)

// countingEngine counts the queries run on an engine, by their text.
type countingEngine struct {
	engine.Engine
	mu    sync.Mutex
	count map[string]int
}

// Keep counts the query a table is kept of, as Query counts the queries
// run: each is made once for all analyses.
func (e *countingEngine) Keep(ctx context.Context, name, q string) error {
	e.mu.Lock()
	e.count[strings.Join(strings.Fields(q), " ")]++
	e.mu.Unlock()
	return e.Engine.(engine.Keeper).Keep(ctx, name, q)
}

func (e *countingEngine) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	e.mu.Lock()
	e.count[strings.Join(strings.Fields(q), " ")]++
	e.mu.Unlock()
	return e.Engine.Query(ctx, q, args...)
}

// TestSharedQueries: the analyses that ask the same question of the
// dataset share one query, and get what they got alone.
func TestSharedQueries(t *testing.T) {
	base := envFor(t, sample)
	eng := &countingEngine{Engine: base.Engine, count: map[string]int{}}
	env := &analysis.Env{Engine: eng, Names: base.Names}
	for _, a := range All() {
		res, err := analysis.Run(context.Background(), a, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Alone: on an environment of its own.
		alone, err := analysis.Run(context.Background(), a, &analysis.Env{Engine: base.Engine, Names: base.Names}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(render(alone), render(res)); diff != "" {
			t.Errorf("%s alone and after the others (-alone +after):\n%s", a.Meta().Name, diff)
		}
	}
	for q, n := range eng.count {
		if n > 1 {
			t.Errorf("%d times: %s", n, q)
		}
	}
	// graph's edges give talkers their sums and timeline, stream and bursts
	// their top source; ports' sums give timeline its top ports.
	for _, want := range []string{edgesQuery(ipWhere(nil), payloadSQL(nil)), portsQuery(ipWhere(nil), payloadSQL(nil))} {
		if want = strings.Join(strings.Fields(want), " "); eng.count[want] != 1 {
			t.Errorf("%d times, want once: %s", eng.count[want], want)
		}
	}
}

// TestSharedAtOnce: callers that ask at the same time wait for one query.
func TestSharedAtOnce(t *testing.T) {
	base := envFor(t, sample)
	eng := &countingEngine{Engine: base.Engine, count: map[string]int{}}
	env := &analysis.Env{Engine: eng, Names: base.Names}
	const q = "SELECT dst, count(*) FROM packets GROUP BY dst ORDER BY dst"
	tables := make([]*engine.Table, 8)
	var wg sync.WaitGroup
	for i := range tables {
		wg.Go(func() {
			tab, err := env.Shared(context.Background(), q)
			if err != nil {
				t.Error(err)
			}
			tables[i] = tab
		})
	}
	wg.Wait()
	if n := eng.count[q]; n != 1 {
		t.Errorf("query ran %d times, want once", n)
	}
	for i, tab := range tables {
		if tab != tables[0] || tab == nil || len(tab.Rows) == 0 {
			t.Errorf("caller %d got table %p, caller 0 %p", i, tab, tables[0])
		}
	}
	// A query that fails is not kept: asked again, it runs again.
	const bad = "SELECT no_such_column FROM packets"
	for range 2 {
		if _, err := env.Shared(context.Background(), bad); err == nil {
			t.Error("a query of a missing column did not fail")
		}
	}
	if n := eng.count[bad]; n != 2 {
		t.Errorf("failing query ran %d times, want 2", n)
	}
}

// TestMeanPayload: the mean payload bursts takes from the edges is the
// engine's own mean of the packets, however payload is counted.
func TestMeanPayload(t *testing.T) {
	env := envFor(t, sample)
	for _, v := range []analysis.Values{nil, {"ip_version": int64(4)}, {"ip_version": int64(6)},
		{"payload": payloadScapy}, {"ip_version": int64(4), "payload": payloadScapy}} {
		where, expr := ipWhere(v), payloadSQL(v)
		got, err := meanPayload(context.Background(), env, where, expr)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := env.Query(context.Background(), "SELECT avg("+expr+") FROM packets WHERE "+where)
		if err != nil {
			t.Fatal(err)
		}
		want := analysis.AsFloat(tab.Rows[0][0])
		if got != want {
			t.Errorf("%s, %v: mean payload %v from the totals, %v from the engine", where, v, got, want)
		}
	}
}

// TestIATPercentiles: the percentiles of iat's strips, and the median and
// 95th percentile of its tables, are those of each address' gaps read one
// by one and counted here (analysis.Histogram), for the top addresses of
// both sides.
func TestIATPercentiles(t *testing.T) {
	env := envFor(t, sample)
	ctx := context.Background()
	a, _ := ByName("iat")
	res, err := analysis.Run(ctx, a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, side := range []struct{ key, gap, table, chart string }{
		{"dst", "dst_gap_ns", "iat_arrival", "iat_arrival"},
		{"src", "src_gap_ns", "iat_departure", "iat_departure"},
	} {
		gaps, err := env.Query(ctx, "SELECT "+side.key+", "+side.gap+" FROM packets WHERE "+ipWhere(nil)+" AND "+side.gap+" IS NOT NULL")
		if err != nil {
			t.Fatal(err)
		}
		hist := map[string]*analysis.Histogram{}
		for _, r := range gaps.Rows {
			addr := analysis.AsString(r[0])
			if hist[addr] == nil {
				hist[addr] = &analysis.Histogram{}
			}
			hist[addr].Add(analysis.AsInt(r[1]), 1)
		}
		byLabel := map[string][]float64{}
		for addr, h := range hist {
			byLabel[env.Label(addr)] = h.Quantiles(stripLevels, nsPerSecond)
		}
		for _, c := range res.Charts {
			if c.ID != side.chart {
				continue
			}
			for _, s := range c.Series {
				if diff := cmp.Diff(byLabel[s.Name], s.Values); diff != "" || len(s.Values) != len(stripLevels) {
					t.Errorf("%s strip of %s (-counted here +iat):\n%s", side.chart, s.Name, diff)
				}
				checked++
			}
		}
		for _, tab := range res.Tables {
			if tab.Name != side.table {
				continue
			}
			for _, r := range tab.Rows {
				q := hist[analysis.AsString(r[0])].Quantiles(stripLevels, nsPerSecond)
				if got := []float64{analysis.AsFloat(r[5]), analysis.AsFloat(r[6])}; !cmp.Equal(got, []float64{q[medianLevel], q[p95Level]}) {
					t.Errorf("%s %v: median and p95 %v, counted here %v", side.table, r[0], got, []float64{q[medianLevel], q[p95Level]})
				}
				checked++
			}
		}
	}
	if checked < 10 {
		t.Errorf("%d strips and rows checked, want 10 or more", checked)
	}
}
