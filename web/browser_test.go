package web

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/internal/browser"
	"github.com/netlens/netlens/internal/testcapture"
)

// wait is how long a step of the application may take in the browser.
const wait = 30 * time.Second

// settled is true once the application shows a view and its charts are
// drawn.
const settled = `window.netlensApp && !window.netlensApp.busy && window.netlensApp.views >= %d &&
	(!window.netlensCharts || window.netlensCharts.done) && !document.querySelector('[data-loading]')`

func waitView(p *browser.Page, n int) {
	p.WaitFor(fmt.Sprintf(settled, n), wait)
}

func views(p *browser.Page) int {
	var n int
	p.Eval(`window.netlensApp.views`, &n)
	return n
}

// click clicks the first element that matches selector.
func click(t *testing.T, p *browser.Page, selector string) {
	t.Helper()
	var ok bool
	p.Eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true })()`, selector), &ok)
	if !ok {
		t.Fatalf("nothing to click at %s", selector)
	}
}

func text(p *browser.Page, selector string) string {
	var s string
	p.Eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : '' })()`, selector), &s)
	return s
}

func healthy(t *testing.T, p *browser.Page, where string) {
	t.Helper()
	if f := p.Failures(); len(f) > 0 {
		t.Errorf("%s: the page reports:\n%s", where, strings.Join(f, "\n"))
	}
}

// TestBrowserWalk walks through the application in Chromium as a user
// would: the catalogue; bursts, whose chart redraws when a parameter
// changes, with a bad value shown in place; an address followed to its host
// page; a SQL query paged through; and a shared link opened afresh.
func TestBrowserWalk(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	p := browser.Open(t, s.URL+"/")
	waitView(p, 1)
	if n, want := p.Count(".card[data-analysis]"), len(catalog.All()); n != want {
		t.Errorf("catalogue shows %d analyses, want %d", n, want)
	}
	healthy(t, p, "catalogue")

	// bursts: the chart, then again with another min_size.
	click(t, p, `a[href="/analysis/bursts"]`)
	waitView(p, 2)
	p.WaitFor(`window.netlensCharts.ok >= 1 && document.querySelectorAll('#results .netlens-chart').length >= 1`, wait)
	specOf := `[...document.querySelectorAll('#results script[data-netlens-chart]')].map(s => s.textContent).join('')`
	var before string
	p.Eval(specOf, &before)
	drawn := 0
	p.Eval(`window.netlensCharts.ok`, &drawn)
	p.Eval(`(() => { const i = document.querySelector('#param-min_size'); i.value = '300'; document.querySelector('#run').click(); return true })()`, nil)
	waitView(p, 3)
	p.WaitFor(fmt.Sprintf(`window.netlensCharts.ok > %d`, drawn), wait)
	var after, loc string
	p.Eval(specOf, &after)
	p.Eval(`location.pathname + location.search`, &loc)
	if after == before || after == "" {
		t.Error("the bursts chart did not change with min_size=300")
	}
	if loc != "/analysis/bursts?min_size=300" {
		t.Errorf("address %q, want /analysis/bursts?min_size=300", loc)
	}
	var boxes int
	p.Eval(`[...document.querySelectorAll('#results .netlens-chart')].filter(b => echarts.getInstanceByDom(b)).length`, &boxes)
	if boxes != p.Count("#results .netlens-chart") || boxes == 0 {
		t.Errorf("%d of %d charts drawn", boxes, p.Count("#results .netlens-chart"))
	}
	healthy(t, p, "bursts")

	// A bad value is shown in place, with the message of the command line.
	p.Eval(`(() => { document.querySelector('#param-gap').value = 'soon'; document.querySelector('#run').click(); return true })()`, nil)
	waitView(p, 4)
	if got, want := text(p, "#param-gap-error"), `bursts: parameter gap="soon": not a duration like 300ms, 2s or 1h`; got != want {
		t.Errorf("gap error in place: %q, want %q", got, want)
	}
	if p.Count(`.field[data-param="gap"].invalid`) != 1 || p.Count("#results .netlens-chart") != 0 {
		t.Error("the bad gap is not marked, or charts are drawn anyway")
	}

	// talkers: follow the top address to its host page.
	click(t, p, `a.brand`)
	waitView(p, 5)
	click(t, p, `a[href="/analysis/talkers"]`)
	waitView(p, 6)
	addr := text(p, `[data-table-block="talkers_sent"] a.addr`)
	if addr == "" {
		t.Fatal("no address in the talkers table")
	}
	click(t, p, `[data-table-block="talkers_sent"] a.addr`)
	waitView(p, 7)
	p.Eval(`location.pathname`, &loc)
	if !strings.HasPrefix(loc, "/host/10.10.10.37") || !strings.HasPrefix(text(p, "#host-label"), "10.10.10.37") {
		t.Errorf("host page %q, label %q", loc, text(p, "#host-label"))
	}
	if n := p.Count(`[data-table-block="host_partners"] tbody tr`); n == 0 {
		t.Error("no partners on the host page")
	}
	if p.Count(`a[href^="/analysis/timeline?src=10.10.10.37"]`) != 1 {
		t.Error("no link to the timeline of the host")
	}
	healthy(t, p, "host page")

	// SQL: 250 rows, paged by 100.
	click(t, p, `a[href="/sql"]`)
	waitView(p, 8)
	p.WaitFor(`document.querySelectorAll('[data-schema-table]').length >= 3`, wait)
	if !strings.Contains(text(p, `[data-schema-table="packets"]`), "624 rows") {
		t.Errorf("schema of packets: %q", text(p, `[data-schema-table="packets"]`))
	}
	p.Eval(`(() => { document.querySelector('#sql').value = 'SELECT range AS i FROM range(250)'; document.querySelector('#sql-run').click(); return true })()`, nil)
	p.WaitFor(`document.querySelectorAll('#sql-result tbody tr').length === 100 && !document.querySelector('[data-loading]')`, wait)
	if got := text(p, "#sql-result .range"); got != "rows 1–100 of 250" {
		t.Errorf("first page: %q", got)
	}
	click(t, p, `#sql-result [data-page="next"]`)
	p.WaitFor(`(document.querySelector('#sql-result tbody td') || {}).textContent === '100'`, wait)
	click(t, p, `#sql-result [data-page="last"]`)
	p.WaitFor(`(document.querySelector('#sql-result .range') || {}).textContent === 'rows 201–250 of 250'`, wait)
	click(t, p, `#sql-result th [data-sort="i"]`)
	click(t, p, `#sql-result th [data-sort="i"]`)
	p.WaitFor(`(document.querySelector('#sql-result tbody td') || {}).textContent === '249'`, wait)
	p.Eval(`location.search`, &loc)
	if !strings.Contains(loc, "q=SELECT") {
		t.Errorf("the query is not in the address: %q", loc)
	}
	healthy(t, p, "SQL")

	// The dataset page.
	click(t, p, `a[href="/dataset"]`)
	p.WaitFor(`document.querySelectorAll('table[data-table="inputs"] tbody tr').length === 1`, wait)
	if !strings.Contains(text(p, `table[data-table="inputs"]`), "dlink-camera-setup.pcap") {
		t.Error("the input is not on the dataset page")
	}
	healthy(t, p, "dataset")

	// A shared link, opened afresh: the parameters it sets, and one this
	// version does not know, shown and kept.
	q := browser.Open(t, s.URL+"/analysis/bursts?min_size=300&retired=7")
	waitView(q, 1)
	q.WaitFor(`window.netlensCharts.ok >= 1`, wait)
	var val string
	q.Eval(`document.querySelector('#param-min_size').value`, &val)
	if val != "300" || !strings.Contains(text(q, "#unknown-params"), "retired=7") {
		t.Errorf("shared link: min_size %q, unknown %q", val, text(q, "#unknown-params"))
	}
	var after2 string
	q.Eval(specOf, &after2)
	if after2 != after {
		t.Error("the shared link draws another chart than the page it was taken from")
	}
	q.Eval(`(() => { document.querySelector('#run').click(); return true })()`, nil)
	waitView(q, 2)
	q.Eval(`location.search`, &loc)
	if !strings.Contains(loc, "retired=7") {
		t.Errorf("the unknown parameter was dropped: %q", loc)
	}
	healthy(t, q, "shared link")
	if os.Getenv("NETLENS_SCREENSHOT") != "" {
		os.WriteFile(os.Getenv("NETLENS_SCREENSHOT"), q.Screenshot(), 0o644)
	}
}

// TestBrowserHostile opens every view of a capture whose DNS names are
// markup: nothing runs (no dialog, no exception, no image), no request
// leaves the server, and the names are shown as text.
func TestBrowserHostile(t *testing.T) {
	s := start(t, hostileDataset(t), DefaultConfig(), nil)
	pages := []string{"/", "/host/203.0.113.7", "/host/203.0.113.8", "/host/203.0.113.9", "/dataset",
		"/sql?q=" + strings.ReplaceAll("SELECT query, answer FROM dns", " ", "+")}
	for _, a := range catalog.All() {
		pages = append(pages, "/analysis/"+a.Meta().Name)
	}
	p := browser.Open(t, s.URL+"/")
	waitView(p, 1)
	for i, path := range pages {
		b, _ := json.Marshal(path)
		p.Eval(fmt.Sprintf(`(() => { history.pushState(null, '', %s); dispatchEvent(new PopStateEvent('popstate')); return true })()`, b), nil)
		waitView(p, i+2)
		if path == pages[len(pages)-1] || strings.HasPrefix(path, "/sql") {
			p.WaitFor(`!document.querySelector('[data-loading]')`, wait)
		}
		// Hover every chart's series, so that tooltips are built.
		p.Eval(`(() => { document.querySelectorAll('.netlens-chart').forEach(b => { const c = echarts.getInstanceByDom(b); if (!c) return;
			const o = c.getOption(); (o.series || []).forEach((s, si) => { for (let k = 0; k < 5; k++) c.dispatchAction({type: 'showTip', seriesIndex: si, dataIndex: k}); }); }); return true })()`, nil)
		time.Sleep(100 * time.Millisecond)
		if n := p.Count(`img, iframe, object, embed, main script:not([type="application/json"])`); n > 0 {
			t.Errorf("%s: %d elements made of data", path, n)
		}
		var errs []string
		p.Eval(`window.netlensCharts ? window.netlensCharts.errors.map(e => e.id + ': ' + e.message) : []`, &errs)
		if len(errs) > 0 {
			t.Errorf("%s: charts not drawn: %v", path, errs)
		}
	}
	if d := p.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs: %v", d)
	}
	healthy(t, p, "hostile")
	for _, r := range p.Requests() {
		if !strings.HasPrefix(r, s.URL+"/") && !strings.HasPrefix(r, "data:") && !strings.HasPrefix(r, "blob:") {
			t.Errorf("a request left the server: %s", r)
		}
	}
	// The names are there, as text.
	p.Eval(`(() => { history.pushState(null, '', '/host/203.0.113.9'); dispatchEvent(new PopStateEvent('popstate')); return true })()`, nil)
	waitView(p, len(pages)+2)
	want := "203.0.113.9 (" + testcapture.HostileNames["203.0.113.9"] + ")"
	if got := text(p, "#host-label"); got != want {
		t.Errorf("host label %q, want %q", got, want)
	}
	p.WaitFor(`!document.querySelector('[data-loading]')`, wait)
	if got := text(p, `[data-table-block="host_names"] tbody td`); got != testcapture.HostileNames["203.0.113.9"] {
		t.Errorf("first name of 203.0.113.9 %q", got)
	}
}
