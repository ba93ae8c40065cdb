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

// TestMeanPayload: the mean payload bursts takes from the totals is the
// engine's own mean of the packets, however payload is counted.
func TestMeanPayload(t *testing.T) {
	env := envFor(t, sample)
	for _, v := range []analysis.Values{nil, {"ip_version": int64(4)}, {"ip_version": int64(6)},
		{"payload": payloadScapy}, {"ip_version": int64(4), "payload": payloadScapy}} {
		where, expr := ipWhere(v), payloadSQL(v)
		sent, err := perAddress(context.Background(), env, where, expr, bySource)
		if err != nil {
			t.Fatal(err)
		}
		var payload, packets int64
		for _, s := range sent {
			payload, packets = payload+s.payload, packets+s.packets
		}
		tab, err := env.Query(context.Background(), "SELECT avg("+expr+") FROM packets WHERE "+where)
		if err != nil {
			t.Fatal(err)
		}
		want := analysis.AsFloat(tab.Rows[0][0])
		got := 0.0
		if packets > 0 {
			got = float64(payload) / float64(packets)
		}
		if got != want {
			t.Errorf("%s, %v: mean payload %v from the totals, %v from the engine", where, v, got, want)
		}
	}
}

// TestStripPercentiles: the percentiles of the addresses a strip shows,
// asked for apart, are those of a query over every address; an address
// without gaps is an error.
func TestStripPercentiles(t *testing.T) {
	env := envFor(t, sample)
	ctx := context.Background()
	where := ipWhere(nil)
	want := map[string][]float64{}
	tab, err := env.Query(ctx, "SELECT dst, count(dst_gap_ns), "+env.Dialect().QuantileBounds("dst_gap_ns", stripLevels)+" FROM packets WHERE "+where+" GROUP BY dst")
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, r := range tab.Rows {
		q, err := analysis.QuantilesOf(r[2], analysis.AsInt(r[1]), stripLevels, nsPerSecond)
		if err != nil {
			t.Fatal(err)
		}
		if q != nil {
			want[analysis.AsString(r[0])] = q
			shown = append(shown, analysis.AsString(r[0]))
		}
	}
	if len(shown) < 5 {
		t.Fatalf("%d destinations with gaps, want 5 or more", len(shown))
	}
	shown = shown[:5]
	strip, err := stripPercentiles(ctx, env, "dst", "dst_gap_ns", where, shown)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range shown {
		if diff := cmp.Diff(want[a], strip[a]); diff != "" || len(strip[a]) != len(stripLevels) {
			t.Errorf("%s (-every address +apart):\n%s", a, diff)
		}
	}
	if len(strip) != len(shown) {
		t.Errorf("%d addresses, want %d", len(strip), len(shown))
	}
	if _, err := stripPercentiles(ctx, env, "dst", "dst_gap_ns", where, []string{"192.0.2.99"}); err == nil {
		t.Error("an address without packets got percentiles")
	}
}
