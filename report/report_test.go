package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/html"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/static"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Strings that would run script if they reached the page unescaped.
const (
	hostileImg    = `<img src=x onerror=alert(1)>`
	hostileScript = `</script><script>alert(1)</script>`
)

// loadChart reads one of the example charts of package chart (one per kind,
// several with hostile labels).
func loadChart(t testing.TB, name string) *chart.Chart {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "charts", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c chart.Chart
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &c
}

// bigLines is a line chart with more points than a page draws.
func bigLines(n int) *chart.Chart {
	pts := make([]chart.Point, n)
	for i := range pts {
		pts[i] = chart.Point{X: 1.7e9 + float64(i), Y: float64(i % 97)}
	}
	c := chart.NewLines("timeline", "Payload over time "+hostileScript, chart.Series{Name: hostileImg, Points: pts})
	c.X.Unit = chart.UnitTime
	c.Y.Unit = chart.UnitBytes
	return c
}

// talkersTable has 25 rows, the first two with hostile addresses.
func talkersTable() *engine.Table {
	t := &engine.Table{
		Columns: []string{"addr", "bytes", "share", "first"},
		Types:   []string{"VARCHAR", "BIGINT", "DOUBLE", "TIMESTAMP_NS"},
	}
	for i := range 25 {
		addr := fmt.Sprintf("192.0.2.%d", i)
		switch i {
		case 0:
			addr = hostileImg
		case 1:
			addr = hostileScript
		}
		var first any = time.Date(2025, 1, 2, 3, 4, i, 500, time.UTC)
		if i == 3 {
			first = nil
		}
		t.Rows = append(t.Rows, []any{addr, int64(1000 - i), float64(25-i) / 100, first})
	}
	return t
}

// sampleReport has three sections (one failed), one skipped analysis, every
// chart kind, and hostile strings wherever data can reach the page.
func sampleReport(t testing.TB) *Report {
	t.Helper()
	return &Report{
		Title:   "capture " + hostileImg,
		Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Version: "v0.1.0-test",
		Engine:  "duckdb",
		Inputs: []dataset.Input{
			{ID: "abababababababab", Name: "cap.pcap", Path: "/data/" + hostileScript + ".pcap", SHA256: strings.Repeat("ab", 32), Size: 123456, Frames: 42, Ingest: 1},
			{ID: "cdcdcdcdcdcdcdcd", Name: "bad.pcap", Path: "bad.pcap", SHA256: strings.Repeat("cd", 32), Size: 10, Error: "read pcap header: " + hostileImg, Ingest: 1},
		},
		Summary: []Fact{{"packets", "42"}, {"time span", "2025-01-02 03:04:05 – 03:04:29"}, {hostileImg, hostileScript}, {"spec", `"spec": null`}},
		Sections: []Section{
			{
				Meta: analysis.Meta{
					Name: "talkers", Group: "capture", Title: "Top talkers " + hostileImg,
					Doc:    "Payload bytes sent per source address. " + hostileScript,
					Tables: []string{"packets"},
					Params: []analysis.Param{
						{Name: "top", Kind: analysis.Int, Default: "10", Doc: "how many addresses " + hostileImg},
						{Name: "gap", Kind: analysis.Duration, Default: "300ms", Doc: "gap between bursts"},
						{Name: "src", Kind: analysis.Addr, Doc: "source address"},
					},
				},
				Settings: map[string]string{"top": "20"},
				Result: &analysis.Result{
					Tables: []analysis.Table{analysis.Table{Name: "talkers_sent", Title: "Bytes sent " + hostileImg, Table: talkersTable()}.WithUnit("share", output.Share)},
					Charts: []*chart.Chart{loadChart(t, "talkers"), loadChart(t, "graph"), loadChart(t, "iat"), loadChart(t, "class_services")},
					Notes:  []string{"top source is " + hostileImg, hostileScript},
					Files:  map[string][]byte{"graph.graphml": []byte("<graphml/>\n")},
				},
				Elapsed: 1500 * time.Millisecond,
			},
			{
				Meta:    analysis.Meta{Name: "iat", Group: "capture", Title: "Inter-arrival times", Doc: "Gaps between packets."},
				Err:     errors.New("iat: query: " + hostileImg),
				Elapsed: 20 * time.Millisecond,
			},
			{
				Meta: analysis.Meta{Name: "timeline", Group: "capture", Title: "Timeline", Doc: "Payload over time."},
				Result: &analysis.Result{
					Tables: []analysis.Table{{Name: "timeline", Title: "Payload per second", Table: &engine.Table{
						Columns: []string{"second", "payload"},
						Rows:    [][]any{{int64(0), int64(10)}, {int64(1), nil}, {int64(2), int64(30)}},
					}}},
					Charts: []*chart.Chart{loadChart(t, "timeline"), loadChart(t, "activity"), loadChart(t, "local_external"), loadChart(t, "sender_filter"), bigLines(12000)},
				},
				Elapsed: 250 * time.Millisecond,
			},
		},
		Skipped: []Skip{{Name: "peer_traffic", Title: "Traffic per peer", Reason: "needs table peer_messages, which the dataset lacks"}},
	}
}

// chartIDs are the IDs the sample report's charts get: the second
// "timeline" is renamed.
var chartIDs = []string{"talkers", "graph", "iat", "class_services", "timeline", "activity", "local_external", "sender_filter", "timeline_2"}

func writeSample(t testing.TB, opts Options) (string, *Report) {
	t.Helper()
	dir := t.TempDir()
	r := sampleReport(t)
	start := time.Now()
	if err := Write(context.Background(), dir, r, opts); err != nil {
		t.Fatal(err)
	}
	t.Logf("report written in %v", time.Since(start).Round(time.Millisecond))
	return dir, r
}

func parsePage(t testing.TB, dir string) *html.Node {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// find returns the elements below n for which match is true, in order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func byClass(tag, class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag && hasClass(n, class) }
}

// text is the text of n and its descendants, elements separated by a
// space, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				b.WriteByte(' ')
			}
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func texts(ns []*html.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = text(n)
	}
	return out
}

func attrs(ns []*html.Node, key string) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i], _ = attr(n, key)
	}
	return out
}

func TestPageStructure(t *testing.T) {
	dir, _ := writeSample(t, DefaultOptions())
	doc := parsePage(t, dir)

	sections := find(doc, byClass("section", "analysis"))
	if diff := cmp.Diff([]string{"analysis-talkers", "analysis-iat", "analysis-timeline"}, attrs(sections, "id")); diff != "" {
		t.Errorf("section ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"talkers", "iat", "timeline"}, attrs(sections, "data-analysis")); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Top talkers " + hostileImg + " talkers", "Inter-arrival times iat", "Timeline timeline"}, texts(find(doc, func(n *html.Node) bool {
		return n.Data == "h2" && n.Parent != nil && hasClass(n.Parent, "analysis")
	}))); diff != "" {
		t.Errorf("section titles (-want +got):\n%s", diff)
	}

	// The table of contents points at sections that exist.
	ids := map[string]bool{}
	for _, n := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "id"); return ok }) {
		id, _ := attr(n, "id")
		ids[id] = true
	}
	toc := find(find(doc, byTag("nav"))[0], byTag("a"))
	wantTOC := []string{"#analysis-talkers", "#analysis-iat", "#analysis-timeline", "#skipped", "#inputs"}
	if diff := cmp.Diff(wantTOC, attrs(toc, "href")); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	for _, h := range wantTOC {
		if !ids[h[1:]] {
			t.Errorf("contents link %s has no target", h)
		}
	}
	if got := texts(find(find(doc, byTag("nav"))[0], byTag("li"))); got[1] != "Inter-arrival times failed" {
		t.Errorf("contents entry of the failed analysis = %q", got[1])
	}

	// Every other link is relative and names a file of the report.
	var files []string
	for _, a := range find(doc, byTag("a")) {
		href, _ := attr(a, "href")
		if strings.HasPrefix(href, "#") {
			continue
		}
		files = append(files, href)
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(href))); err != nil {
			t.Errorf("link %q: %v", href, err)
		}
	}
	var want []string
	for _, id := range chartIDs[:4] {
		want = append(want, "figures/"+id+".png", "figures/"+id+".svg", "figures/"+id+".pdf")
	}
	want = append(want, "tables/talkers_sent.csv", "tables/talkers_sent.parquet", "tables/graph.graphml")
	for _, id := range chartIDs[4:] {
		want = append(want, "figures/"+id+".png", "figures/"+id+".svg", "figures/"+id+".pdf")
	}
	want = append(want, "tables/timeline.csv", "tables/timeline.parquet", "report.json")
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("file links (-want +got):\n%s", diff)
	}

	// Nothing is fetched: no element has a src, no style sheet is linked.
	if n := find(doc, func(n *html.Node) bool { _, ok := attr(n, "src"); return ok || n.Data == "link" }); len(n) != 0 {
		t.Errorf("%d elements load something, e.g. <%s>", len(n), n[0].Data)
	}

	// One container per chart, in order.
	if diff := cmp.Diff(chartIDs, attrs(find(doc, byClass("div", "netlens-chart")), "data-chart-id")); diff != "" {
		t.Errorf("charts (-want +got):\n%s", diff)
	}
	notes := texts(find(doc, byClass("p", "netlens-chart-note")))
	if got, want := notes[len(notes)-1], "showing 5000 of 12000 points (min/max per bucket)"; got != want {
		t.Errorf("note of the thinned chart = %q, want %q", got, want)
	}

	// Tables: a preview of 20 rows and its count line.
	tables := find(doc, byClass("div", "result-table"))
	if diff := cmp.Diff([]string{"talkers_sent", "timeline"}, attrs(tables, "data-table")); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	rows := find(find(tables[0], byTag("tbody"))[0], byTag("tr"))
	if len(rows) != 20 {
		t.Errorf("talkers_sent preview has %d rows, want 20", len(rows))
	}
	// The share column reads as percentages; its file keeps the numbers.
	wantCells := []string{"192.0.2.3", "997", "22.00 %", ""}
	if diff := cmp.Diff(wantCells, texts(find(rows[3], byTag("td")))); diff != "" {
		t.Errorf("row 4 (-want +got):\n%s", diff)
	}
	if csv, err := os.ReadFile(filepath.Join(dir, "tables", "talkers_sent.csv")); err != nil || !strings.Contains(string(csv), "\n192.0.2.3,997,0.22,\n") {
		t.Errorf("talkers_sent.csv does not keep the share 0.22 (%v):\n%s", err, csv)
	}
	if diff := cmp.Diff([]string{"", "num", "num", ""}, attrs(find(rows[3], byTag("td")), "class")); diff != "" {
		t.Errorf("cell alignment (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"showing 20 of 25 rows", "showing 3 of 3 rows"}, texts(find(doc, byClass("p", "count")))); diff != "" {
		t.Errorf("row counts (-want +got):\n%s", diff)
	}

	// The failed analysis shows its error; the others render.
	errs := find(sections[1], byClass("p", "analysis-error"))
	if diff := cmp.Diff([]string{"This analysis failed: iat: query: " + hostileImg}, texts(errs)); diff != "" {
		t.Errorf("failed section (-want +got):\n%s", diff)
	}
	if n := len(find(doc, byClass("p", "error"))); n != 1 {
		t.Errorf("%d errors in the page, want 1", n)
	}

	// Parameters: the value used, marked when it was set.
	params := texts(find(find(sections[0], byClass("table", "params"))[0], byTag("tr")))
	wantParams := []string{"name value default meaning", "top 20 set 10 how many addresses " + hostileImg, "gap 300ms 300ms gap between bursts", "src source address"}
	if diff := cmp.Diff(wantParams, params); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}

	inputs := texts(find(find(doc, byClass("table", "inputs"))[0], byTag("tr")))
	wantInputs := []string{
		"file path sha256 size frames error",
		"cap.pcap /data/" + hostileScript + ".pcap " + strings.Repeat("ab", 32) + " 123 kB 42",
		"bad.pcap bad.pcap " + strings.Repeat("cd", 32) + " 10 B 0 read pcap header: " + hostileImg,
	}
	if diff := cmp.Diff(wantInputs, inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}

	// The figures exist and are what their names say.
	magic := map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".pdf": "%PDF"}
	for _, f := range want {
		if !strings.HasPrefix(f, "figures/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.HasPrefix(b, []byte(magic[filepath.Ext(f)])) {
			t.Errorf("%s: %v, starts %q", f, err, b[:min(len(b), 8)])
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "tables", "graph.graphml"))
	if err != nil || string(b) != "<graphml/>\n" {
		t.Errorf("graph.graphml = %q, %v", b, err)
	}
	b, err = os.ReadFile(filepath.Join(dir, "tables", "talkers_sent.csv"))
	if err != nil || !strings.HasPrefix(string(b), "addr,bytes,share,first\n"+hostileImg+",1000,0.25,2025-01-02T03:04:00.0000005Z\n") || strings.Count(string(b), "\n") != 26 {
		t.Errorf("talkers_sent.csv = %q, %v", b, err)
	}
}

func TestEscaping(t *testing.T) {
	dir, _ := writeSample(t, Options{})
	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{hostileImg, hostileScript} {
		if i := bytes.Index(b, []byte(s)); i >= 0 {
			t.Errorf("index.html holds %q raw at byte %d: %q", s, i, b[max(0, i-80):min(len(b), i+80)])
		}
	}
	doc := parsePage(t, dir)
	if n := find(doc, func(n *html.Node) bool {
		if n.Data == "img" || n.Data == "iframe" || n.Data == "object" {
			return true
		}
		return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return strings.HasPrefix(a.Key, "on") })
	}); len(n) != 0 {
		t.Errorf("%d hostile elements, e.g. <%s %v>", len(n), n[0].Data, n[0].Attr)
	}
	// Scripts: ECharts in the head, then per chart its spec (JSON data) and
	// the call that draws it. No script holds the hostile code.
	scripts := find(doc, byTag("script"))
	if len(scripts) != 1+2*len(chartIDs) {
		t.Errorf("%d scripts, want %d", len(scripts), 1+2*len(chartIDs))
	}
	for i, s := range scripts[1:] {
		typ, _ := attr(s, "type")
		body := text(s)
		if i%2 == 0 && typ != "application/json" || i%2 == 1 && body != "window.netlensDraw && window.netlensDraw();" {
			t.Errorf("script %d: type %q: %.80s", i+1, typ, body)
		}
	}
	// The hostile strings are still there, as text.
	if got := text(find(doc, byTag("h1"))[0]); got != "capture "+hostileImg {
		t.Errorf("title = %q", got)
	}
	if got := text(find(doc, byTag("title"))[0]); got != "capture "+hostileImg {
		t.Errorf("<title> = %q", got)
	}
	notes := texts(find(doc, byTag("li")))
	if !slices.Contains(notes, "top source is "+hostileImg) || !slices.Contains(notes, hostileScript) {
		t.Errorf("notes missing from %q", notes)
	}
	cells := texts(find(doc, byTag("td")))
	if !slices.Contains(cells, hostileImg) || !slices.Contains(cells, hostileScript) {
		t.Errorf("hostile table cells are not shown as text")
	}
}

func TestReportJSON(t *testing.T) {
	dir, _ := writeSample(t, Options{Figures: true, Formats: []static.Format{static.SVG}})
	got, err := os.ReadFile(filepath.Join(dir, JSONName))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	path := filepath.Join("testdata", "report.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("report.json (-want +got):\n%s", diff)
	}
}

// TestReportJSONVolatile checks that the time fields come from the report:
// with another creation time and run times only those fields change.
func TestReportJSONVolatile(t *testing.T) {
	r := sampleReport(t)
	r.Created = time.Date(2030, 6, 7, 8, 9, 10, 11, time.UTC)
	for i := range r.Sections {
		r.Sections[i].Elapsed = time.Duration(i+1) * time.Second
	}
	dir := t.TempDir()
	if err := Write(context.Background(), dir, r, Options{}); err != nil {
		t.Fatal(err)
	}
	read := func(path string) map[string]any {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, want := read(filepath.Join(dir, JSONName)), read(filepath.Join("testdata", "report.json"))
	if got["created"] != "2030-06-07T08:09:10.000000011Z" {
		t.Errorf("created = %v", got["created"])
	}
	var elapsed []any
	for k, m := range []map[string]any{got, want} {
		m["created"] = "normalised"
		for _, a := range m["analyses"].([]any) {
			a := a.(map[string]any)
			if k == 0 {
				elapsed = append(elapsed, a["elapsed_seconds"])
			}
			a["elapsed_seconds"] = 0
			for _, c := range a["charts"].([]any) {
				c.(map[string]any)["figures"] = nil // no figures here
			}
		}
	}
	if diff := cmp.Diff([]any{1.0, 2.0, 3.0}, elapsed); diff != "" {
		t.Errorf("elapsed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report.json after normalising (-want +got):\n%s", diff)
	}
}

// listDir returns the files below dir, relative and sorted.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := Write(ctx, dir, sampleReport(t), Options{Figures: true, Formats: []static.Format{static.SVG}}); err != nil {
		t.Fatal(err)
	}
	// A file of the user's, and what an interrupted write left behind.
	for _, p := range []string{"notes.txt", ".report-tmp-123/index.html", ".report-old-456/tables/x.csv"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	second := &Report{
		Title: "second", Created: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
		Sections: []Section{{
			Meta: analysis.Meta{Name: "overview", Title: "Overview"},
			Result: &analysis.Result{
				Tables: []analysis.Table{{Name: "layers", Table: &engine.Table{Columns: []string{"layer", "packets"}, Rows: [][]any{{"ip", int64(3)}}}}},
			},
		}},
	}
	// notes.txt is not the report's: the report is refused, without --force.
	before := listDir(t, dir)
	if err := Write(ctx, dir, second, Options{}); !errors.Is(err, ErrForeignFiles) || !strings.Contains(err.Error(), "(notes.txt)") {
		t.Fatalf("got %v, want ErrForeignFiles naming notes.txt only", err)
	}
	if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
		t.Errorf("files after a refused report (-want +got):\n%s", diff)
	}
	if err := Write(ctx, dir, second, Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	want := []string{".netlens-report", "index.html", "notes.txt", "report.json", "tables/layers.csv", "tables/layers.parquet"}
	if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
		t.Errorf("files after the second report (-want +got):\n%s", diff)
	}
	doc := parsePage(t, dir)
	if got := text(find(doc, byTag("h1"))[0]); got != "second" {
		t.Errorf("title %q", got)
	}
	if got := attrs(find(doc, byClass("section", "analysis")), "id"); !cmp.Equal(got, []string{"analysis-overview"}) {
		t.Errorf("sections %q", got)
	}
}

func TestWriteCanceled(t *testing.T) {
	dir := t.TempDir()
	if err := Write(context.Background(), dir, &Report{Title: "first"}, Options{}); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, dir)
	index, _ := os.ReadFile(filepath.Join(dir, IndexName))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Write(ctx, dir, sampleReport(t), DefaultOptions())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
		t.Errorf("files after a canceled write (-want +got):\n%s", diff)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, IndexName)); !bytes.Equal(index, after) {
		t.Error("index.html changed")
	}
}

// TestBadResults writes results that cannot all be written: the report
// still comes out, with each problem shown where it happened.
func TestBadResults(t *testing.T) {
	ok := &engine.Table{Columns: []string{"n"}, Rows: [][]any{{int64(1)}}}
	nan := chart.NewLines("nan", "NaN", chart.Series{Name: "s", Points: []chart.Point{{X: 0, Y: 1}, {X: 1, Y: math.NaN()}}})
	r := &Report{Title: "bad", Sections: []Section{{
		Meta: analysis.Meta{Name: "bad"},
		Result: &analysis.Result{
			Tables: []analysis.Table{
				{Name: "../evil", Table: ok},
				{Name: "../evil", Table: ok},
				{Name: "short", Table: &engine.Table{Columns: []string{"a", "b"}, Rows: [][]any{{int64(1)}}}},
				{Name: "none"},
			},
			Charts: []*chart.Chart{nan, nil},
			Files:  map[string][]byte{"../../escape.txt": []byte("x")},
		},
	}}}
	dir := t.TempDir()
	if err := Write(context.Background(), dir, r, Options{Figures: true, Formats: []static.Format{static.SVG}}); err != nil {
		t.Fatal(err)
	}
	want := []string{".netlens-report", "index.html", "report.json", "tables/_.._escape.txt", "tables/_evil.csv", "tables/_evil.parquet", "tables/_evil_2.csv", "tables/_evil_2.parquet"}
	if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	doc := parsePage(t, dir)
	wantErrs := []string{
		`This chart could not be drawn: render chart: invalid chart "nan": series 0: point 1 is (1, NaN)`,
		`Figure svg: render figure: invalid chart "nan": series 0: point 1 is (1, NaN)`,
		`This chart could not be drawn: render chart: invalid chart "chart": unknown kind ""`,
		`Figure svg: render figure: invalid chart "chart": unknown kind ""`,
		"tables/short.csv: write csv: row 1 has 1 values for 2 columns",
		"tables/short.parquet: write parquet: row 1 has 1 values for 2 columns",
		"preview: write csv: row 1 has 1 values for 2 columns",
		"the analysis returned no table",
	}
	if diff := cmp.Diff(wantErrs, texts(find(doc, byClass("p", "error")))); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// writeFiles creates files (relative path -> content) below dir.
func writeFilesIn(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFiles fails unless the files below dir hold the given contents.
func checkFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
}

// TestForeignFiles: a report never replaces nor removes a file netlens did
// not write. A directory that holds one is refused, with or without
// figures/ and tables/ of its own, unless Force; with Force the report is
// written beside them, and a later report replaces exactly the files of
// the earlier one. A report that would replace a foreign file fails even
// with Force, leaving the earlier report as it was.
func TestForeignFiles(t *testing.T) {
	ctx := context.Background()
	paper := map[string]string{"figures/fig1.pdf": "%PDF my figure", "tables/results.csv": "my,results\n", "paper.tex": "\\section{}"}
	first := &Report{Title: "first", Sections: []Section{{
		Meta: analysis.Meta{Name: "overview"},
		Result: &analysis.Result{Tables: []analysis.Table{
			{Name: "layers", Table: &engine.Table{Columns: []string{"n"}, Rows: [][]any{{int64(1)}}}},
			{Name: "span", Table: &engine.Table{Columns: []string{"n"}, Rows: [][]any{{int64(2)}}}},
		}},
	}}}
	second := &Report{Title: "second", Sections: []Section{{
		Meta:   analysis.Meta{Name: "overview"},
		Result: &analysis.Result{Tables: []analysis.Table{{Name: "layers", Table: &engine.Table{Columns: []string{"n"}, Rows: [][]any{{int64(3)}}}}}},
	}}}
	opts := Options{Figures: true, Formats: []static.Format{static.SVG}}

	dir := t.TempDir()
	writeFilesIn(t, dir, paper)
	err := Write(ctx, dir, first, opts)
	var fe *ForeignFilesError
	if !errors.As(err, &fe) || !errors.Is(err, ErrForeignFiles) {
		t.Fatalf("got %v, want a ForeignFilesError", err)
	}
	if diff := cmp.Diff([]string{"figures/fig1.pdf", "paper.tex", "tables/results.csv"}, fe.Files); diff != "" {
		t.Errorf("foreign files named (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"figures/fig1.pdf", "paper.tex", "tables/results.csv"}, listDir(t, dir)); diff != "" {
		t.Errorf("files after a refused report (-want +got):\n%s", diff)
	}

	opts.Force = true
	if err := Write(ctx, dir, first, opts); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paper)
	wantFirst := []string{".netlens-report", "figures/fig1.pdf", "index.html", "paper.tex", "report.json",
		"tables/layers.csv", "tables/layers.parquet", "tables/results.csv", "tables/span.csv", "tables/span.parquet"}
	if diff := cmp.Diff(wantFirst, listDir(t, dir)); diff != "" {
		t.Errorf("files after the first report (-want +got):\n%s", diff)
	}
	list, _ := os.ReadFile(filepath.Join(dir, ListName))
	wantList := "# The files of this netlens report: a later report replaces these, and no other file.\n" +
		"index.html\nreport.json\ntables/layers.csv\ntables/layers.parquet\ntables/span.csv\ntables/span.parquet\n"
	if diff := cmp.Diff(wantList, string(list)); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	// The second report replaces the first: span is gone, the paper stays.
	if err := Write(ctx, dir, second, opts); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paper)
	checkFiles(t, dir, map[string]string{"tables/layers.csv": "n\n3\n"})
	wantSecond := []string{".netlens-report", "figures/fig1.pdf", "index.html", "paper.tex", "report.json",
		"tables/layers.csv", "tables/layers.parquet", "tables/results.csv"}
	if diff := cmp.Diff(wantSecond, listDir(t, dir)); diff != "" {
		t.Errorf("files after the second report (-want +got):\n%s", diff)
	}

	// A file of the user's where the report would write: refused even with
	// Force, and the second report stays as it was.
	writeFilesIn(t, dir, map[string]string{"tables/span.csv": "mine\n"})
	index, _ := os.ReadFile(filepath.Join(dir, IndexName))
	err = Write(ctx, dir, first, opts)
	if !errors.As(err, &fe) || !fe.Replace || !cmp.Equal(fe.Files, []string{"tables/span.csv"}) {
		t.Fatalf("got %v, want a refusal to replace tables/span.csv", err)
	}
	checkFiles(t, dir, paper)
	checkFiles(t, dir, map[string]string{"tables/span.csv": "mine\n", "tables/layers.csv": "n\n3\n", IndexName: string(index)})
	if diff := cmp.Diff(append(wantSecond, "tables/span.csv"), listDir(t, dir), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("files after a refused report (-want +got):\n%s", diff)
	}
}

// TestForeignFilesOldReport: a report written before reports had a list
// of their files is known by its report.json, and replaced without Force;
// a dataset in the directory is netlens' too.
func TestForeignFilesOldReport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := Write(ctx, dir, sampleReport(t), Options{Figures: true, Formats: []static.Format{static.SVG}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, ListName)); err != nil {
		t.Fatal(err)
	}
	writeFilesIn(t, dir, map[string]string{"dataset/" + dataset.ManifestName: "{}", "dataset/packets/x.parquet": "PAR1"})
	if err := CheckDir(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, dir, &Report{Title: "again"}, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{".netlens-report", "dataset/manifest.json", "dataset/packets/x.parquet", "index.html", "report.json"}
	if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
