package web

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/internal/browser"
)

// flowStarts reads the start of every flow of the dataset in dir with a
// DuckDB of the test, in nanoseconds.
func flowStarts(t *testing.T, dir string) []int64 {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT epoch_ns(start) FROM read_parquet('" + filepath.Join(dir, "flows") + "/**/*.parquet')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var ns int64
		if err := rows.Scan(&ns); err != nil {
			t.Fatal(err)
		}
		out = append(out, ns)
	}
	return out
}

// TestTimeline: the histogram of the dataset counts its flows by start in
// bins of equal width from the first start, the last start in the last
// bin; and the catalogue says which analyses take its range.
func TestTimeline(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	starts := flowStarts(t, s.Dir)
	first, last := starts[0], starts[0]
	for _, ns := range starts {
		first, last = min(first, ns), max(last, ns)
	}
	for _, bins := range []int{1, 7, 200} {
		width := (last-first)/int64(bins) + 1
		want := make([]int64, bins)
		for _, ns := range starts {
			want[(ns-first)/width]++
		}
		_, body := get(t, fmt.Sprintf("%s/api/timeline?bins=%d", s.URL, bins))
		tl := decode[timelineJSON](t, body)
		if tl.Table != "flows" || tl.Column != "start" || tl.Total != int64(len(starts)) {
			t.Errorf("bins=%d: %s.%s, %d flows; want flows.start, %d", bins, tl.Table, tl.Column, tl.Total, len(starts))
		}
		if diff := cmp.Diff(want, tl.Counts); diff != "" {
			t.Errorf("bins=%d: counts (-want +got):\n%s", bins, diff)
		}
		if tl.From != time.Unix(0, first).UTC().Format(time.RFC3339Nano) || tl.BinMs != float64(width)/1e6 {
			t.Errorf("bins=%d: from %s, bins of %v ms", bins, tl.From, tl.BinMs)
		}
	}
	for _, q := range []string{"bins=0", "bins=x", "bins=2001"} {
		if code, body := get(t, s.URL+"/api/timeline?"+q); code != 400 || !strings.Contains(body, "want a whole number from 1 to 2000") {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	_, body := get(t, s.URL+"/api/analyses")
	for _, a := range decode[[]analysisJSON](t, body) {
		has := map[string]bool{}
		for _, p := range a.Params {
			has[p.Name] = true
		}
		if a.TimeRange != (has["from"] && has["to"]) {
			t.Errorf("%s: time_range %v with parameters %v", a.Name, a.TimeRange, has)
		}
	}
}

// TestBrowserTimeRange: a range brushed on the histogram goes into the
// address by name and into the analysis' from and to; an analysis without
// them says the range does not apply; the catalogue carries the range.
func TestBrowserTimeRange(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	p := browser.Open(t, s.URL+"/analysis/unanswered?top=5")
	waitView(p, 1)
	p.WaitFor(`!!document.querySelector('#timeline-svg')`, wait)
	_, body := get(t, s.URL+"/api/timeline?bins=120")
	tl := decode[timelineJSON](t, body)
	// Drag from a quarter to three quarters of the histogram's width.
	var x [2]float64
	p.Eval(`(() => { const s = document.querySelector('#timeline-svg'), b = s.getBoundingClientRect();
		const at = f => b.left + b.width * f, y = b.top + b.height / 2;
		s.dispatchEvent(new PointerEvent('pointerdown', {clientX: at(0.25), clientY: y, bubbles: true, pointerId: 1}));
		s.dispatchEvent(new PointerEvent('pointermove', {clientX: at(0.75), clientY: y, bubbles: true, pointerId: 1}));
		s.dispatchEvent(new PointerEvent('pointerup', {clientX: at(0.75), clientY: y, bubbles: true, pointerId: 1}));
		return [(at(0.25) - b.left) / b.width, (at(0.75) - b.left) / b.width] })()`, &x)
	waitView(p, 2)
	var loc string
	p.Eval(`location.search`, &loc)
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
	span := tl.ToMs - tl.FromMs
	for i, k := range []string{"from", "to"} {
		got, err := time.Parse(time.RFC3339Nano, q.Get(k))
		want := tl.FromMs + x[i]*span
		if d := float64(got.UnixNano())/1e6 - want; err != nil || d < -1 || d > 1 {
			t.Errorf("%s=%q, want %.3f ms since the epoch: %v", k, q.Get(k), want, err)
		}
		var val string
		p.Eval(fmt.Sprintf(`document.querySelector('#param-%s').value`, k), &val)
		if val != q.Get(k) {
			t.Errorf("the field %s holds %q, the address %q", k, val, q.Get(k))
		}
	}
	if q.Get("top") != "5" || p.Count(`#unknown-params`) != 0 || p.Count(`#range-na`) != 0 {
		t.Errorf("address %q; unknown parameters shown: %d", loc, p.Count(`#unknown-params`))
	}
	// The view ran with the range: as /api/view answers for it.
	_, body = get(t, s.URL+"/api/view/unanswered"+loc)
	v := decode[viewJSON](t, body)
	if v.Settings["from"] != q.Get("from") || v.Settings["to"] != q.Get("to") || len(v.Invalid) != 0 {
		t.Errorf("view with the range: %+v", v)
	}
	healthy(t, p, "brushed")

	// An analysis without from and to says so, and does not list them as
	// unknown; the catalogue links carry the range.
	p.Eval(fmt.Sprintf(`(() => { history.pushState(null, '', %q); dispatchEvent(new PopStateEvent('popstate')); return true })()`, "/analysis/talkers"+loc), nil)
	waitView(p, 3)
	if !strings.Contains(text(p, "#range-na"), "does not apply to talkers") || p.Count("#unknown-params") != 0 {
		t.Errorf("talkers with a range: %q, %d unknown", text(p, "#range-na"), p.Count("#unknown-params"))
	}
	var back string
	p.Eval(`document.querySelector('main p.muted a[data-nav]').getAttribute('href')`, &back)
	want := "/?" + (url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}}).Encode()
	if back != want {
		t.Errorf("the way back to the catalogue %q, want %q", back, want)
	}
	p.Eval(fmt.Sprintf(`(() => { history.pushState(null, '', %q); dispatchEvent(new PopStateEvent('popstate')); return true })()`, "/?"+url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}}.Encode()), nil)
	waitView(p, 4)
	ranged := 0
	for _, a := range catalog.All() {
		for _, prm := range a.Meta().Params {
			if prm.Name == "from" {
				ranged++
			}
		}
	}
	if n := p.Count(`.card a[href*="from="][href*="to="]`); n != len(catalog.All()) {
		t.Errorf("%d catalogue links carry the range, want %d", n, len(catalog.All()))
	}
	if n := p.Count(`.card .range-na`); n != len(catalog.All())-ranged {
		t.Errorf("%d analyses say the range does not apply, want %d", n, len(catalog.All())-ranged)
	}
	// Clearing the range.
	click(t, p, "#timeline-clear")
	waitView(p, 5)
	p.Eval(`location.search`, &loc)
	if loc != "" {
		t.Errorf("address after clearing: %q", loc)
	}
	healthy(t, p, "catalogue with a range")
}
