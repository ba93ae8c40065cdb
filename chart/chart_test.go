package chart_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/netlens/netlens/chart"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Hostile strings, as DNS names or labels in captures may hold them. The
// golden specs carry them so that the renderers' tests see them.
const (
	hostileImg    = "<img src=x onerror=alert(1)>"
	hostileScript = "</script><script>alert(1)</script>"
)

// examples returns one chart of every kind, as an analysis would build it.
// They are stored as testdata/<id>.json, which the renderers' tests draw.
func examples() []*chart.Chart {
	t0 := 1700000000.0 // 2023-11-14 22:13:20 UTC

	talkers := chart.NewHBar("talkers", "Payload bytes per address",
		[]string{
			chart.AddrLabel("18.197.187.162", "fw.example.com"),
			chart.AddrLabel("192.168.0.20", ""),
			chart.AddrLabel("52.28.1.9", hostileImg),
			chart.AddrLabel("10.0.0.1", hostileScript),
		},
		chart.Bars("sent", []float64{1_523_400, 88_000, 4_200, 0}),
		chart.Bars("received", []float64{92_100, 2_750_000, 610, 17}),
	)
	talkers.Subtitle = "top 4 of 31 addresses"
	talkers.X = chart.Axis{Title: "payload", Unit: chart.UnitBytes}
	talkers.Y = chart.Axis{Title: "address"}
	talkers.Note = "showing top 4 of 31 addresses"

	var a, b []chart.Point
	for i := range 40 {
		x := t0 + float64(i)*0.25
		a = append(a, chart.Point{X: x, Y: float64(100 + (i*37)%900)})
		if i%2 == 0 {
			b = append(b, chart.Point{X: x, Y: float64(60 + (i*53)%400)})
		}
	}
	timeline := chart.NewLines("timeline", "Payload from 192.168.0.20 to each destination",
		chart.Series{Name: "18.197.187.162 (fw.example.com)", Points: a},
		chart.Series{Name: hostileImg, Points: b},
	)
	timeline.X = chart.Axis{Title: "time", Unit: chart.UnitTime}
	timeline.Y = chart.Axis{Title: "payload", Unit: chart.UnitBytes}
	timeline.Bands = []chart.Band{{Start: t0 + 1, End: t0 + 2.5, Label: "burst 1"}, {Start: t0 + 6, End: t0 + 7.25, Label: "burst 2"}}

	var act []chart.Point
	for i := range 60 {
		act = append(act, chart.Point{X: t0 + float64(i*90), Y: float64((i * 7) % 13)})
	}
	activity := chart.NewScatter("activity", "Sender activity", chart.Series{Name: "senders", Points: act})
	activity.X = chart.Axis{Title: "time", Unit: chart.UnitTime}
	activity.Y = chart.Axis{Title: "sender rank"}
	activity.Bands = []chart.Band{{Start: t0 + 900, End: t0 + 1800, Label: "scan"}}

	iat := chart.NewStrip("iat", "Inter-arrival time per destination",
		chart.Samples("18.197.187.162 (fw.example.com)", []float64{0.0012, 0.0031, 0.25, 0.3, 1.7, 12}),
		chart.Samples("224.0.0.251", []float64{1, 1.02, 0.98, 60, 61}),
		chart.Samples(hostileScript, []float64{0.000004, 0.0005, 0}),
	)
	iat.X = chart.Axis{Title: "inter-arrival time", Unit: chart.UnitSeconds, Log: true}
	iat.Y = chart.Axis{Title: "destination"}

	week := 7 * 86400.0
	var up, down, p2p []chart.Point
	for i := range 8 {
		x := 1699833600 + float64(i)*week
		up = append(up, chart.Point{X: x, Y: float64(2e9 + int64(i)*3e8)})
		down = append(down, chart.Point{X: x, Y: float64(9e9 - int64(i)*4e8)})
		p2p = append(p2p, chart.Point{X: x, Y: float64(int64(i%3) * 5e8)})
	}
	localExt := chart.NewStackedArea("local_external", "Traffic by destination",
		chart.Series{Name: "local servers", Points: up},
		chart.Series{Name: "external", Points: down},
		chart.Series{Name: "user to user", Points: p2p},
	)
	localExt.X = chart.Axis{Title: "week", Unit: chart.UnitTime}
	localExt.Y = chart.Axis{Title: "bytes", Unit: chart.UnitBytes}

	h := &chart.Heatmap{Value: chart.Axis{Title: "share of packets", Unit: chart.UnitShare}}
	h.Add("ssh", "mirai", 0.61)
	h.Add("telnet", "mirai", 0.35)
	h.Add("http", "censys", 0.4)
	h.Add("https", "censys", 0.45)
	h.Add("ssh", "censys", 0.15)
	h.Add("telnet", hostileImg, 1)
	services := chart.NewHeatmap("class_services", "Services hit by each class", h)
	services.X = chart.Axis{Title: "service"}
	services.Y = chart.Axis{Title: "class"}

	senders := chart.NewECDF("sender_filter", "Packets per sender",
		chart.ECDFSeries("all days", []float64{1, 1, 1, 2, 3, 3, 10, 12, 150, 4000}),
		chart.ECDFSeries("last day", []float64{1, 2, 2, 5, 80}),
	)
	senders.X = chart.Axis{Title: "packets", Log: true}

	g := &chart.Graph{}
	g.AddEdge("192.168.0.20", "18.197.187.162", 1200, "tcp/443")
	g.AddEdge("18.197.187.162", "192.168.0.20", 900, "")
	g.AddEdge("192.168.0.20", "192.168.0.1", 40, "udp/53")
	g.AddEdge("192.168.0.1", "192.168.0.20", 38, "")
	g.AddEdge("192.168.0.20", "224.0.0.251", 12, "udp/5353")
	g.AddEdge("192.168.0.33", "192.168.0.1", 5, hostileScript)
	g.AddEdge("192.168.0.33", "192.168.0.33", 1, "")
	g.Nodes[1].Label = chart.AddrLabel("18.197.187.162", "fw.example.com")
	g.Nodes[1].Tooltip = "18.197.187.162\nname: fw.example.com\nAS16509"
	g.Nodes[4].Label = chart.AddrLabel("192.168.0.33", hostileImg)
	graph := chart.NewGraph("graph", "Who talks to whom", g)
	graph.Note = "showing top 7 of 7 edges"

	// Packets of one stream: sparse, in clusters, with bursts that are
	// milliseconds long on an axis of two minutes, several close together,
	// and an axis title that says UTC already, as the analyses write it.
	t1 := 1460732918.0 // 2016-04-15 15:08:38 UTC
	var pkts []chart.Point
	var bursts []chart.Band
	for i, at := range []float64{0.4, 0.5, 6, 6.3, 45, 45.2, 45.9, 50, 50.05, 58, 60, 61, 62, 70, 90, 110} {
		n := 2 + i%4
		start := t1 + at
		for j := range n {
			pkts = append(pkts, chart.Point{X: start + float64(j)*0.004, Y: float64(40 + (i*97+j*61)%330)})
		}
		bursts = append(bursts, chart.Band{Start: start, End: start + float64(n-1)*0.004, Label: fmt.Sprintf("burst %d", i+1)})
		pkts = append(pkts, chart.Point{X: start + 1.5, Y: 0})
	}
	slices.SortFunc(pkts, func(a, b chart.Point) int { return int(math.Copysign(1, a.X-b.X)) })
	burstChart := chart.NewStems("bursts", "Bursts from 10.10.10.37 to 224.0.0.251", chart.Series{Name: "payload", Points: pkts})
	burstChart.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	burstChart.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	burstChart.Bands = bursts

	// Eleven destinations: more series than colours.
	var dests []chart.Series
	for i := range 11 {
		var pts []chart.Point
		for j := range 5 + i {
			pts = append(pts, chart.Point{X: t1 + float64(j*7+i), Y: float64((i*131 + j*47) % 1400)})
		}
		dests = append(dests, chart.Series{Name: fmt.Sprintf("10.0.0.%d", i+1), Points: pts})
	}
	dests[3].Name = chart.AddrLabel("54.229.64.81", "mp-eu-signal.auto.mydlink.com")
	destinations := chart.NewScatter("destinations", "Payload sent by 10.10.10.37 over time", dests...)
	destinations.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	destinations.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}

	return []*chart.Chart{talkers, timeline, activity, iat, localExt, services, senders, graph, burstChart, destinations}
}

func TestGolden(t *testing.T) {
	for _, c := range examples() {
		t.Run(c.ID, func(t *testing.T) {
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", c.ID+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test -update): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("JSON differs from %s (-want +got):\n%s", path, diff)
			}
			var back chart.Chart
			if err := json.Unmarshal(want, &back); err != nil {
				t.Fatalf("unmarshal golden: %v", err)
			}
			if diff := cmp.Diff(c, &back); diff != "" {
				t.Errorf("round trip differs (-built +decoded):\n%s", diff)
			}
		})
	}
}

func TestKindsHaveExamples(t *testing.T) {
	got := map[chart.Kind]bool{}
	for _, c := range examples() {
		got[c.Kind] = true
	}
	for _, k := range chart.Kinds() {
		if !got[k] {
			t.Errorf("no example of kind %s", k)
		}
	}
}

func TestPointJSON(t *testing.T) {
	b, err := json.Marshal([]chart.Point{{X: 1.5, Y: -2}, {X: 1700000000.25, Y: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`[[1.5,-2],[1700000000.25,0]]`, string(b)); diff != "" {
		t.Errorf("marshal (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`[1]`, `[1,2,3]`, `{"x":1}`, `["a","b"]`} {
		var p chart.Point
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("unmarshal %s: no error", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	pts := []chart.Point{{X: 1, Y: 1}, {X: 2, Y: 2}}
	ok := func() *chart.Chart { return chart.NewLines("ok", "t", chart.Series{Name: "a", Points: pts}) }
	tests := []struct {
		name string
		c    *chart.Chart
		want string // error text; "" for valid
	}{
		{"valid", ok(), ""},
		{"nil", nil, "invalid chart: nil chart"},
		{"empty id", func() *chart.Chart { c := ok(); c.ID = ""; return c }(),
			`invalid chart "": id must be 1 to 128 letters, digits, '_', '-' or '.'`},
		{"id with markup", func() *chart.Chart { c := ok(); c.ID = `a"><b`; return c }(),
			`invalid chart "a\"><b": id must be 1 to 128 letters, digits, '_', '-' or '.'`},
		{"unknown kind", &chart.Chart{ID: "k", Kind: "pie"}, `invalid chart "k": unknown kind "pie"`},
		{"unknown unit", func() *chart.Chart { c := ok(); c.Y.Unit = "parsecs"; return c }(),
			`invalid chart "ok": y axis: unknown unit "parsecs"`},
		{"nan point", chart.NewLines("n", "t", chart.Series{Points: []chart.Point{{X: 1, Y: nan()}}}),
			`invalid chart "n": series 0: point 0 is (1, NaN)`},
		{"lines out of order", chart.NewLines("o", "t", chart.Series{Points: []chart.Point{{X: 2}, {X: 1}}}),
			`invalid chart "o": series 0: point 1: x 1 before 2, want x in order`},
		{"scatter any order", chart.NewScatter("s", "t", chart.Series{Points: []chart.Point{{X: 2}, {X: 1}}}), ""},
		{"no series", chart.NewLines("e", "t"), `invalid chart "e": no series (a chart with nothing to show sets Empty to say why)`},
		{"empty lines", func() *chart.Chart { c := chart.NewLines("e", "t"); c.Empty = "no packets"; return c }(), ""},
		{"empty hbar", chart.NewHBar("h", "t", nil).OrEmpty("no TCP packets"), ""},
		{"empty heatmap without data", &chart.Chart{ID: "h", Kind: chart.KindHeatmap, Empty: "none"}, ""},
		{"empty graph", chart.NewGraph("g", "t", &chart.Graph{}).OrEmpty("no IP packets"), ""},
		{"empty with data", func() *chart.Chart { c := ok(); c.Empty = "none"; return c }(),
			`invalid chart "ok": an empty chart holds no data: drop it or the empty message`},
		{"empty of unknown kind", &chart.Chart{ID: "k", Kind: "pie", Empty: "none"}, `invalid chart "k": unknown kind "pie"`},
		{"hbar length", chart.NewHBar("h", "t", []string{"a", "b"}, chart.Bars("x", []float64{1})),
			`invalid chart "h": series 0: 1 values for 2 categories`},
		{"hbar inf", chart.NewHBar("h", "t", []string{"a"}, chart.Bars("x", []float64{inf()})),
			`invalid chart "h": series 0: value 0 is +Inf`},
		{"hbar no categories", chart.NewHBar("h", "t", nil, chart.Bars("x", nil)), `invalid chart "h": no categories (a chart with nothing to show sets Empty to say why)`},
		{"categories on lines", func() *chart.Chart { c := ok(); c.Categories = []string{"a"}; return c }(),
			`invalid chart "ok": categories are for hbar charts only`},
		{"bands on strip", func() *chart.Chart {
			c := chart.NewStrip("s", "t", chart.Samples("a", []float64{1}))
			c.Bands = []chart.Band{{Start: 1, End: 2}}
			return c
		}(), `invalid chart "s": bands are for lines, scatter, stems and stacked_area charts only`},
		{"stems any order", func() *chart.Chart {
			c := chart.NewStems("s", "t", chart.Series{Points: []chart.Point{{X: 2}, {X: 1}}})
			c.Bands = []chart.Band{{Start: 1, End: 1}}
			return c
		}(), ""},
		{"stems values", chart.NewStems("s", "t", chart.Series{Values: []float64{1}}),
			`invalid chart "s": series 0: stems charts take points, not values`},
		{"band reversed", func() *chart.Chart { c := ok(); c.Bands = []chart.Band{{Start: 3, End: 2}}; return c }(),
			`invalid chart "ok": band 0: want finite start <= end, got [3, 2]`},
		{"stacked x differ", chart.NewStackedArea("st", "t",
			chart.Series{Points: pts}, chart.Series{Points: []chart.Point{{X: 1}, {X: 3}}}),
			`invalid chart "st": series 1: point 1: x 3, series 0 has 2; stacked series share X`},
		{"stacked length", chart.NewStackedArea("st", "t", chart.Series{Points: pts}, chart.Series{Points: pts[:1]}),
			`invalid chart "st": series 1: 1 points, series 0 has 2; stacked series share X`},
		{"ecdf above one", chart.NewECDF("e", "t", chart.Series{Points: []chart.Point{{X: 1, Y: 1.5}}}),
			`invalid chart "e": series 0: point 0: fraction 1.5 outside [0, 1]`},
		{"strip points", chart.NewStrip("s", "t", chart.Series{Points: pts}),
			`invalid chart "s": series 0: strips take values, not points`},
		{"heatmap missing", &chart.Chart{ID: "h", Kind: chart.KindHeatmap}, `invalid chart "h": no heatmap data`},
		{"heatmap cell outside", chart.NewHeatmap("h", "t", &chart.Heatmap{Columns: []string{"a"}, Rows: []string{"b"},
			Cells: []chart.Cell{{Col: 1, Row: 0, Value: 1}}}),
			`invalid chart "h": cell 0: (1, 0) outside 1 columns x 1 rows`},
		{"heatmap duplicate", func() *chart.Chart {
			h := &chart.Heatmap{}
			h.Add("a", "b", 1)
			h.Add("a", "b", 2)
			return chart.NewHeatmap("h", "t", h)
		}(), `invalid chart "h": cell 1: (0, 0) given twice`},
		{"graph unknown target", chart.NewGraph("g", "t", &chart.Graph{Nodes: []chart.Node{{ID: "a"}},
			Edges: []chart.Edge{{Source: "a", Target: "b", Weight: 1}}}),
			`invalid chart "g": edge 0: unknown target "b"`},
		{"graph duplicate node", chart.NewGraph("g", "t", &chart.Graph{Nodes: []chart.Node{{ID: "a"}, {ID: "a"}}}),
			`invalid chart "g": node 1: id "a" given twice`},
		{"graph negative weight", func() *chart.Chart {
			g := &chart.Graph{}
			g.AddEdge("a", "b", -1, "")
			return chart.NewGraph("g", "t", g)
		}(), `invalid chart "g": node 0: value -1, want finite and >= 0`},
		{"graph with series", func() *chart.Chart {
			c := chart.NewGraph("g", "t", &chart.Graph{})
			c.Series = []chart.Series{{Name: "x"}}
			return c
		}(), `invalid chart "g": graph charts take graph data, not series`},
		{"graph data on lines", func() *chart.Chart { c := ok(); c.Graph = &chart.Graph{}; return c }(),
			`invalid chart "ok": graph data is for graph charts only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if err != nil && !errorsIs(err) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

// TestOrEmpty: a chart without data becomes an empty chart that says why;
// one with data is left alone.
func TestOrEmpty(t *testing.T) {
	with := chart.NewHBar("h", "t", []string{"a"}, chart.Bars("x", []float64{1}))
	if got := with.OrEmpty("none"); got != with || got.Empty != "" || len(got.Categories) != 1 {
		t.Errorf("chart with data changed: %+v", got)
	}
	tests := []struct {
		c    *chart.Chart
		want *chart.Chart
	}{
		{chart.NewHBar("h", "t", nil, chart.Bars("x", nil)), &chart.Chart{ID: "h", Title: "t", Kind: chart.KindHBar, Empty: "no TCP packets"}},
		{chart.NewScatter("s", "t", chart.Series{Name: "a"}), &chart.Chart{ID: "s", Title: "t", Kind: chart.KindScatter, Empty: "no TCP packets"}},
		{chart.NewStrip("s", "t", chart.Samples("a", nil)), &chart.Chart{ID: "s", Title: "t", Kind: chart.KindStrip, Empty: "no TCP packets"}},
		{chart.NewECDF("e", "t"), &chart.Chart{ID: "e", Title: "t", Kind: chart.KindECDF, Y: chart.Axis{Title: "fraction"}, Empty: "no TCP packets"}},
		{chart.NewGraph("g", "t", &chart.Graph{}), &chart.Chart{ID: "g", Title: "t", Kind: chart.KindGraph, Graph: &chart.Graph{}, Empty: "no TCP packets"}},
		{chart.NewHeatmap("m", "t", &chart.Heatmap{Columns: []string{"a"}, Value: chart.Axis{Title: "v"}}),
			&chart.Chart{ID: "m", Title: "t", Kind: chart.KindHeatmap, Heatmap: &chart.Heatmap{Value: chart.Axis{Title: "v"}}, Empty: "no TCP packets"}},
	}
	for _, tt := range tests {
		got := tt.c.OrEmpty("no TCP packets")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.c.ID, diff)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", tt.c.ID, err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back chart.Chart
		if err := json.Unmarshal(b, &back); err != nil || back.Empty != "no TCP packets" {
			t.Errorf("%s: round trip %s: %+v, %v", tt.c.ID, b, back, err)
		}
	}
}

func TestDownsample(t *testing.T) {
	ys := []float64{5, 1, 9, 3, 3, 7, 0, 8, 2, 6, 4, 5}
	var pts []chart.Point
	for i, y := range ys {
		pts = append(pts, chart.Point{X: float64(i), Y: y})
	}
	p := func(xs ...int) []chart.Point {
		var out []chart.Point
		for _, x := range xs {
			out = append(out, pts[x])
		}
		return out
	}
	tests := []struct {
		limit int
		want  []chart.Point
	}{
		{0, pts},
		{12, pts},
		{100, pts},
		{1, p(0)},
		{2, p(0, 11)},
		{3, p(0, 11)},
		// inner points 1..10 in 1 bucket: min 0 at x=6, max 9 at x=2.
		{4, p(0, 2, 6, 11)},
		// 2 buckets: x 1..5 (min 1@1, max 9@2), x 6..10 (min 0@6, max 8@7).
		{6, p(0, 1, 2, 6, 7, 11)},
		// 4 buckets: x 1..2, 3..5 (min 3@3, max 7@5), 6..7, 8..10 (min 2@8, max 6@9).
		{11, p(0, 1, 2, 3, 5, 6, 7, 8, 9, 11)},
	}
	for _, tt := range tests {
		got := chart.Downsample(pts, tt.limit)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Downsample(%d) (-want +got):\n%s", tt.limit, diff)
		}
		if tt.limit > 0 && len(got) > tt.limit {
			t.Errorf("Downsample(%d) gave %d points", tt.limit, len(got))
		}
	}
}

func TestChartDownsample(t *testing.T) {
	var pts []chart.Point
	for i := range 1000 {
		pts = append(pts, chart.Point{X: float64(i), Y: float64(i % 17)})
	}
	c := chart.NewLines("l", "t", chart.Series{Name: "a", Points: pts}, chart.Series{Name: "b", Points: pts[:50]})
	c.Note = "top source only"
	c.Downsample(100)
	if got := len(c.Series[0].Points); got != 100 {
		t.Errorf("series a: %d points, want 100", got)
	}
	if got := len(c.Series[1].Points); got != 50 {
		t.Errorf("series b: %d points, want 50", got)
	}
	if diff := cmp.Diff("top source only; showing 150 of 1050 points (min/max per bucket)", c.Note); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	st := chart.NewStems("s", "t", chart.Series{Name: "a", Points: pts})
	st.Downsample(100)
	if got := len(st.Series[0].Points); got != 100 {
		t.Errorf("stems: %d points, want 100", got)
	}
	h := chart.NewHBar("h", "t", []string{"a"}, chart.Bars("x", []float64{1}))
	h.Downsample(1)
	if h.Note != "" {
		t.Errorf("hbar note = %q, want none", h.Note)
	}
}

func TestECDFPoints(t *testing.T) {
	got := chart.ECDFPoints([]float64{3, 1, 2, 2, nan(), 10, inf()})
	want := []chart.Point{{X: 1, Y: 0.2}, {X: 2, Y: 0.6}, {X: 3, Y: 0.8}, {X: 10, Y: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ECDFPoints (-want +got):\n%s", diff)
	}
	if got := chart.ECDFPoints(nil); got != nil {
		t.Errorf("ECDFPoints(nil) = %v", got)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    float64
		u    chart.Unit
		want string
	}{
		{0, chart.UnitBytes, "0 B"},
		{512, chart.UnitBytes, "512 B"},
		{1500, chart.UnitBytes, "1.5 kB"},
		{2e6, chart.UnitBytes, "2 MB"},
		{999_999, chart.UnitBytes, "1 MB"},
		{1_523_400, chart.UnitBytes, "1.52 MB"},
		{2.5e9, chart.UnitBytes, "2.5 GB"},
		{-3000, chart.UnitBytes, "-3 kB"},
		{0, chart.UnitSeconds, "0 s"},
		{0.000004, chart.UnitSeconds, "4 µs"},
		{2.5e-7, chart.UnitSeconds, "250 ns"},
		{0.3, chart.UnitSeconds, "300 ms"},
		{0.9999, chart.UnitSeconds, "1 s"},
		{2.5, chart.UnitSeconds, "2.5 s"},
		{240, chart.UnitSeconds, "4 min"},
		{5400, chart.UnitSeconds, "1.5 h"},
		{3 * 86400, chart.UnitSeconds, "3 d"},
		{0.125, chart.UnitShare, "12.5%"},
		{1, chart.UnitShare, "100%"},
		{950, chart.UnitNone, "950"},
		{1500, chart.UnitNone, "1.5k"},
		{12_345_678, chart.UnitNone, "12.35M"},
		{0.1 + 0.2, chart.UnitNone, "0.3"},
		{1700000000.5, chart.UnitTime, "2023-11-14 22:13:20.500"},
	}
	for _, tt := range tests {
		if got := chart.FormatValue(tt.v, tt.u); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.u, got, tt.want)
		}
	}
	layouts := []struct {
		span float64
		want string
	}{
		{30 * 86400, "2023-11-14"},
		{2 * 86400, "11-14 22:13"},
		{3600, "22:13"},
		{60, "22:13:20"},
		{2, "22:13:20.500"},
	}
	for _, l := range layouts {
		if got := chart.FormatTime(1700000000.5, chart.TimeLayout(l.span)); got != l.want {
			t.Errorf("span %v: %q, want %q", l.span, got, l.want)
		}
	}
}

func TestUnixSeconds(t *testing.T) {
	if got, want := chart.UnixSeconds(1700000000_250000000), 1700000000.25; got != want {
		t.Errorf("UnixSeconds = %v, want %v", got, want)
	}
	if got, want := chart.UnixSeconds(-1_500000000), -1.5; got != want {
		t.Errorf("UnixSeconds = %v, want %v", got, want)
	}
}

func TestBuilders(t *testing.T) {
	h := &chart.Heatmap{}
	h.Add("ssh", "mirai", 1)
	h.Add("http", "censys", 2)
	h.Add("ssh", "censys", 3)
	want := &chart.Heatmap{
		Columns: []string{"ssh", "http"},
		Rows:    []string{"mirai", "censys"},
		Cells:   []chart.Cell{{Col: 0, Row: 0, Value: 1}, {Col: 1, Row: 1, Value: 2}, {Col: 0, Row: 1, Value: 3}},
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Heatmap.Add (-want +got):\n%s", diff)
	}
	g := &chart.Graph{}
	g.AddEdge("a", "b", 10, "x")
	g.AddEdge("b", "a", 5, "")
	g.AddEdge("c", "c", 1, "")
	wantG := &chart.Graph{
		Nodes: []chart.Node{{ID: "a", Label: "a", Value: 15}, {ID: "b", Label: "b", Value: 15}, {ID: "c", Label: "c", Value: 1}},
		Edges: []chart.Edge{{Source: "a", Target: "b", Weight: 10, Label: "x"}, {Source: "b", Target: "a", Weight: 5}, {Source: "c", Target: "c", Weight: 1}},
	}
	if diff := cmp.Diff(wantG, g); diff != "" {
		t.Errorf("Graph.AddEdge (-want +got):\n%s", diff)
	}
}

// FuzzJSON decodes arbitrary specs: a spec that decodes and validates must
// encode and decode again to the same chart.
func FuzzJSON(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c chart.Chart
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		if c.Validate() != nil {
			return
		}
		out, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("marshal valid chart: %v", err)
		}
		var back chart.Chart
		if err := json.NewDecoder(bytes.NewReader(out)).Decode(&back); err != nil {
			t.Fatalf("decode own output: %v", err)
		}
		if diff := cmp.Diff(&c, &back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

func errorsIs(err error) bool { return errors.Is(err, chart.ErrInvalid) }

func BenchmarkDownsample(b *testing.B) {
	pts := make([]chart.Point, 1_000_000)
	for i := range pts {
		pts[i] = chart.Point{X: float64(i), Y: float64((i * 7919) % 1000)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := chart.Downsample(pts, 2000); len(got) != 2000 {
			b.Fatalf("%d points", len(got))
		}
	}
}

// TestSeriesColors: the series of one chart never share a colour, except
// the tail of a chart with more series than colours, which is drawn in one
// grey that no other series has and named once, as "others".
func TestSeriesColors(t *testing.T) {
	palette := chart.Palette()
	for n := range 30 {
		cs := chart.SeriesColors(n)
		if len(cs) != n {
			t.Fatalf("SeriesColors(%d) gives %d colours", n, len(cs))
		}
		from := chart.OthersFrom(n)
		if n <= len(palette) {
			if from != n {
				t.Errorf("OthersFrom(%d) = %d, want %d: no tail", n, from, n)
			}
			if diff := cmp.Diff(palette[:n], cs); diff != "" {
				t.Errorf("SeriesColors(%d) is not the palette (-want +got):\n%s", n, diff)
			}
		} else if from != len(palette)-1 {
			t.Errorf("OthersFrom(%d) = %d, want %d", n, from, len(palette)-1)
		}
		// Pairwise distinct, the tail counting as one.
		seen := map[string]int{}
		for i, c := range cs[:from] {
			if j, ok := seen[chart.Hex(c)]; ok {
				t.Errorf("SeriesColors(%d): series %d and %d are both %s", n, j, i, chart.Hex(c))
			}
			seen[chart.Hex(c)] = i
		}
		for i := from; i < n; i++ {
			if cs[i] != cs[from] {
				t.Errorf("SeriesColors(%d): tail series %d is %s, series %d %s", n, i, chart.Hex(cs[i]), from, chart.Hex(cs[from]))
			}
			if j, ok := seen[chart.Hex(cs[i])]; ok {
				t.Errorf("SeriesColors(%d): tail colour %s is series %d's too", n, chart.Hex(cs[i]), j)
			}
		}
	}
	if diff := cmp.Diff("others (3)", chart.OthersLabel(3)); diff != "" {
		t.Errorf("OthersLabel (-want +got):\n%s", diff)
	}
}

// TestAxisLabel: a time axis says UTC once, whatever its title says.
func TestAxisLabel(t *testing.T) {
	tests := []struct {
		ax   chart.Axis
		date string
		want string
	}{
		{chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}, "", "payload bytes"},
		{chart.Axis{Title: "time", Unit: chart.UnitTime}, "", "time (UTC)"},
		{chart.Axis{Title: "time", Unit: chart.UnitTime}, "2016-04-15", "time (UTC, 2016-04-15)"},
		{chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}, "", "time (UTC)"},
		{chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}, "2016-04-15", "time (UTC, 2016-04-15)"},
		{chart.Axis{Title: "UTC hour", Unit: chart.UnitTime}, "2016-04-15", "UTC hour (2016-04-15)"},
		{chart.Axis{Title: "UTC", Unit: chart.UnitTime}, "", "time (UTC)"},
		{chart.Axis{Unit: chart.UnitTime}, "2016-04-15", "time (UTC, 2016-04-15)"},
		{chart.Axis{Title: "week (UTC) ", Unit: chart.UnitTime}, "", "week (UTC)"},
		{chart.Axis{Title: "UTCish", Unit: chart.UnitTime}, "", "UTCish (UTC)"},
	}
	for _, tt := range tests {
		if got := tt.ax.Label(tt.date); got != tt.want {
			t.Errorf("%+v.Label(%q) = %q, want %q", tt.ax, tt.date, got, tt.want)
		}
	}
}
