package html_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/html"
)

const (
	hostileImg    = "<img src=x onerror=alert(1)>"
	hostileScript = "</script><script>alert(1)</script>"
)

// goldens loads the example specs of package chart, one of every kind.
func goldens(t *testing.T) []*chart.Chart {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no specs in ../testdata: %v", err)
	}
	var out []*chart.Chart
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := new(chart.Chart)
		if err := json.Unmarshal(b, c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, c)
	}
	return out
}

// hostile returns a bar chart with hostile text in every string it has.
func hostile() *chart.Chart {
	c := chart.NewHBar("hostile", hostileImg,
		[]string{chart.AddrLabel("18.197.187.162", hostileImg), chart.AddrLabel("10.0.0.1", hostileScript)},
		chart.Bars(hostileScript, []float64{1500, 20}))
	c.Subtitle = hostileScript
	c.X = chart.Axis{Title: hostileImg, Unit: chart.UnitBytes}
	c.Y = chart.Axis{Title: hostileScript}
	c.Note = hostileImg + hostileScript
	return c
}

// empties returns a chart of every kind with nothing to draw, with hostile
// text in its title and its message.
func empties() []*chart.Chart {
	var out []*chart.Chart
	for _, k := range chart.Kinds() {
		out = append(out, &chart.Chart{ID: "empty_" + string(k), Title: "TCP ports " + hostileImg, Kind: k, Empty: "no TCP packets " + hostileScript})
	}
	return out
}

var specRE = regexp.MustCompile(`(?s)<script type="application/json" data-netlens-chart>(.*?)</script>`)

// specs returns the chart specs embedded in out, decoded.
func specs(t *testing.T, out string) []*chart.Chart {
	t.Helper()
	var cs []*chart.Chart
	for _, m := range specRE.FindAllStringSubmatch(out, -1) {
		var env struct {
			Chart *chart.Chart `json:"chart"`
		}
		if err := json.Unmarshal([]byte(m[1]), &env); err != nil {
			t.Fatalf("embedded spec: %v", err)
		}
		cs = append(cs, env.Chart)
	}
	return cs
}

func TestRenderEscapes(t *testing.T) {
	c := hostile()
	var b bytes.Buffer
	if err := html.Render(&b, c, html.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<img", "</script><script>", "<script>alert", "onerror=alert(1)>"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%s", bad, out)
		}
	}
	if got, want := strings.Count(out, "<script"), 2; got != want {
		t.Errorf("%d <script tags, want %d (spec and draw call)", got, want)
	}
	if got, want := strings.Count(out, "</script>"), 2; got != want {
		t.Errorf("%d </script> tags, want %d", got, want)
	}
	wantNote := `<p class="netlens-chart-note">&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`
	if !strings.Contains(out, wantNote) {
		t.Errorf("note not escaped as text; want %s in:\n%s", wantNote, out)
	}
	got := specs(t, out)
	if diff := cmp.Diff([]*chart.Chart{c}, got); diff != "" {
		t.Errorf("embedded spec differs (-want +got):\n%s", diff)
	}
}

func TestRenderKinds(t *testing.T) {
	for _, c := range goldens(t) {
		t.Run(c.ID, func(t *testing.T) {
			var b bytes.Buffer
			if err := html.Render(&b, c, html.Options{}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			wantDiv := `<div class="netlens-chart" data-chart-id="` + c.ID + `" style="width:100%;height:`
			if !strings.HasPrefix(out, wantDiv) {
				t.Errorf("output starts %.120q, want %q", out, wantDiv)
			}
			if strings.Contains(out, "<img") || strings.Contains(out, "</script><script>") {
				t.Errorf("unescaped data in output:\n%s", out)
			}
			if diff := cmp.Diff([]*chart.Chart{c}, specs(t, out)); diff != "" {
				t.Errorf("embedded spec differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderEmpty: a chart of any kind with nothing to draw renders, its
// message escaped in the spec, in a container of 240 pixels.
func TestRenderEmpty(t *testing.T) {
	for _, c := range empties() {
		var b bytes.Buffer
		if err := html.Render(&b, c, html.Options{}); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		out := b.String()
		if want := `data-chart-id="` + c.ID + `" style="width:100%;height:240px"`; !strings.Contains(out, want) {
			t.Errorf("%s: no %s in %s", c.ID, want, out)
		}
		if strings.Contains(out, "<img") || strings.Contains(out, "</script><script>") {
			t.Errorf("%s: unescaped data in output:\n%s", c.ID, out)
		}
		if diff := cmp.Diff([]*chart.Chart{c}, specs(t, out)); diff != "" {
			t.Errorf("%s: embedded spec differs (-want +got):\n%s", c.ID, diff)
		}
	}
}

func TestRenderSize(t *testing.T) {
	bars := chart.NewHBar("b", "t", make([]string, 40), chart.Bars("x", make([]float64, 40)))
	tests := []struct {
		name string
		c    *chart.Chart
		opts html.Options
		want string // the style attribute, or the error
	}{
		{"default", hostile(), html.Options{}, "width:100%;height:420px"},
		{"many bars", bars, html.Options{}, "width:100%;height:810px"},
		{"graph", chart.NewGraph("g", "t", &chart.Graph{}), html.Options{}, "width:100%;height:600px"},
		{"given", hostile(), html.Options{Width: "640px", Height: "50vh"}, "width:640px;height:50vh"},
		{"css injection", hostile(), html.Options{Height: "1px;background:url(x)"},
			`render chart hostile: chart height "1px;background:url(x)": want a CSS length such as 420px`},
		{"bad width", hostile(), html.Options{Width: `100%"><script>`},
			`render chart hostile: chart width "100%\"><script>": want a CSS length such as 100% or 640px`},
	}
	styleRE := regexp.MustCompile(`style="([^"]*)"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			got := ""
			if err := html.Render(&b, tt.c, tt.opts); err != nil {
				got = err.Error()
			} else if m := styleRE.FindStringSubmatch(b.String()); m != nil {
				got = m[1]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderInvalid(t *testing.T) {
	var b bytes.Buffer
	err := html.Render(&b, chart.NewLines("x", "t"), html.Options{})
	if diff := cmp.Diff(`render chart: invalid chart "x": no series (a chart with nothing to show sets Empty to say why)`, errText(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes for an invalid chart", b.Len())
	}
}

func TestPage(t *testing.T) {
	cs := append(goldens(t), hostile())
	var b bytes.Buffer
	if err := html.Page(&b, "capture "+hostileScript, cs...); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "<!DOCTYPE html>\n<html lang=\"en\">") || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("not a complete page: %.60q ... %q", out, out[max(0, len(out)-20):])
	}
	// ECharts itself holds "<img" (its save-as-image view): look past it.
	_, body, ok := strings.Cut(out, "</head>")
	if !ok {
		t.Fatal("page has no </head>")
	}
	if strings.Contains(body, "<img") || strings.Contains(out, "</script><script>") {
		t.Error("unescaped data in page")
	}
	if !strings.Contains(out, "<title>capture &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>") {
		t.Error("title not escaped")
	}
	// One script element for ECharts and the runtime, two per chart.
	if got, want := strings.Count(out, "</script>"), 1+2*len(cs); got != want {
		t.Errorf("%d </script> tags, want %d", got, want)
	}
	if got, want := strings.Count(out, `data-chart-id="`), len(cs); got != want {
		t.Errorf("%d chart containers, want %d", got, want)
	}
	if !strings.Contains(out, "window.netlensCharts") {
		t.Error("runtime missing from page")
	}
	if strings.Contains(out, "src=\"http") || strings.Contains(out, "href=\"http") {
		t.Error("page loads something from the network")
	}
	if diff := cmp.Diff(cs, specs(t, out)); diff != "" {
		t.Errorf("embedded specs differ (-want +got):\n%s", diff)
	}

	err := html.Page(&b, "t", chart.NewLines("bad", "t"))
	if diff := cmp.Diff(`page: render chart: invalid chart "bad": no series (a chart with nothing to show sets Empty to say why)`, errText(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestScript(t *testing.T) {
	pkg, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(pkg, &p); err != nil {
		t.Fatal(err)
	}
	pinned := p.Dependencies["echarts"]
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(pinned) {
		t.Fatalf("echarts version %q in package.json is not exact", pinned)
	}
	if !bytes.Contains(html.Asset(), []byte(`version="`+pinned+`"`)) {
		t.Errorf("assets/echarts.min.js is not echarts %s: run chart/html/gen.sh", pinned)
	}
	s := string(html.Script())
	if regexp.MustCompile(`(?i)</script`).MatchString(s) || strings.Contains(s, "<!--") {
		t.Error("Script would end or confuse an inline <script> element")
	}
	if !strings.HasPrefix(s, string(html.Asset()[:200])) || !strings.Contains(s, "window.netlensDraw = draw;") {
		t.Error("Script is not ECharts followed by the runtime")
	}
}

// ssrResult is what testdata/ssr.js prints for one chart.
type ssrResult struct {
	ID       string     `json:"id"`
	OK       bool       `json:"ok"`
	Error    string     `json:"error"`
	SVG      string     `json:"svg"`
	Tooltips []string   `json:"tooltips"`
	Layout   *ssrLayout `json:"layout"`
}

// ssrLayout is what a chart drew in Node, in pixels of a 900 x 560 chart.
type ssrLayout struct {
	XName  string `json:"x_name"`
	YName  string `json:"y_name"`
	Series []struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Color string `json:"color"`
		Items int    `json:"items"`
	} `json:"series"`
	Texts []struct {
		Text string `json:"text"`
		ssrBox
	} `json:"texts"`
	Bands   []ssrBox `json:"bands"`
	Circles int      `json:"circles"`
}

type ssrBox struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// drawInNode draws the charts with the embedded ECharts and the runtime in
// Node (server-side SVG rendering), one result per chart.
func drawInNode(t *testing.T, cs []*chart.Chart) []ssrResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is needed in CI to test the chart runtime")
		}
		t.Skip("node not installed")
	}
	var in bytes.Buffer
	for _, c := range cs {
		var b bytes.Buffer
		if err := html.Render(&b, c, html.Options{}); err != nil {
			t.Fatal(err)
		}
		m := specRE.FindStringSubmatch(b.String())
		in.WriteString(m[1] + "\n")
	}
	cmd := exec.Command(node, filepath.Join("testdata", "ssr.js"))
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got []ssrResult
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var r ssrResult
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != len(cs) {
		t.Fatalf("%d results for %d charts", len(got), len(cs))
	}
	return got
}

// TestRuntime draws every kind with the embedded ECharts and the runtime in
// Node (server-side SVG rendering) and checks the tooltips they build.
func TestRuntime(t *testing.T) {
	cs := append(goldens(t), hostile())
	cs = append(cs, empties()...)
	got := drawInNode(t, cs)
	// Tooltips: one per data item (graph: nodes then edges); the first of each.
	wantTips := map[string]struct {
		n     int
		first string
	}{
		"activity":       {60, "2023-11-14 22:13:20.000 UTC<br>" + mark("#1f77b4") + "senders: 0"},
		"bursts":         {72, "2016-04-15 15:08:38.400 UTC<br>" + mark("#1f77b4") + "payload: 40 B"},
		"destinations":   {110, "2016-04-15 15:08:38.000 UTC<br>" + mark("#1f77b4") + "10.0.0.1: 0 B"},
		"class_services": {6, "mirai<br>ssh: 61%"},
		"graph":          {12, "192.168.0.20<br>value: 2.19k"},
		"iat":            {13, mark("#1f77b4") + "18.197.187.162 (fw.example.com): 1.2 ms"},
		"local_external": {24, "2023-11-13 00:00:00.000 UTC<br>" + mark("#1f77b4") + "local servers: 2 GB"},
		"sender_filter":  {11, "1<br>" + mark("#1f77b4") + "all days: 0.3"},
		"talkers":        {8, "18.197.187.162 (fw.example.com)<br>" + mark("#1f77b4") + "sent: 1.52 MB"},
		"timeline":       {60, "2023-11-14 22:13:20.000 UTC<br>" + mark("#1f77b4") + "18.197.187.162 (fw.example.com): 100 B"},
		"hostile":        {2, "18.197.187.162 (&lt;img src=x onerror=alert(1)&gt;)<br>" + mark("#1f77b4") + "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;: 1.5 kB"},
	}
	for _, c := range empties() {
		wantTips[c.ID] = struct {
			n     int
			first string
		}{}
	}
	for _, r := range got {
		if !r.OK {
			t.Errorf("%s: not drawn: %s", r.ID, r.Error)
			continue
		}
		if strings.HasPrefix(r.ID, "empty_") {
			// The title and the message, drawn as text.
			for _, want := range []string{"TCP ports &lt;img src=x onerror=alert(1)&gt;", "no TCP packets &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"} {
				if !strings.Contains(r.SVG, want) {
					t.Errorf("%s: %q not drawn in %s", r.ID, want, r.SVG)
				}
			}
		} else if !strings.HasPrefix(r.SVG, "<svg") || len(r.SVG) < 2000 {
			t.Errorf("%s: SVG of %d bytes starts %.40q", r.ID, len(r.SVG), r.SVG)
		}
		if strings.Contains(r.SVG, "<img") || strings.Contains(r.SVG, "<script") {
			t.Errorf("%s: SVG holds markup from data", r.ID)
		}
		for _, tip := range r.Tooltips {
			if strings.Contains(tip, "<img") || strings.Contains(tip, "<script") || strings.Contains(tip, "</script") {
				t.Errorf("%s: tooltip holds markup from data: %s", r.ID, tip)
			}
		}
		w, ok := wantTips[r.ID]
		if !ok {
			t.Errorf("unexpected chart %s", r.ID)
			continue
		}
		if len(r.Tooltips) != w.n {
			t.Errorf("%s: %d tooltips, want %d", r.ID, len(r.Tooltips), w.n)
		}
		if len(r.Tooltips) > 0 && r.Tooltips[0] != w.first {
			t.Errorf("%s: first tooltip\n got %s\nwant %s", r.ID, r.Tooltips[0], w.first)
		}
	}
	// The hostile names are drawn, as text.
	for _, r := range got {
		if r.ID == "hostile" && !strings.Contains(r.SVG, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Error("hostile: title not drawn as text")
		}
	}
}

func mark(color string) string {
	return `<span style="display:inline-block;margin-right:4px;border-radius:5px;width:10px;height:10px;background-color:` + color + `;"></span>`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestRuntimeLayout draws the example charts in Node and checks what a
// reviewer would: texts shown inside the chart and none on top of
// another, a time axis that names UTC once, series in pairwise distinct
// colours (a tail of more series than colours in one grey, named once as
// "others" in the legend and by its own name in tooltips), bands at least
// 3 pixels wide however short, and packets drawn as stems with a marker
// each, never as a line.
func TestRuntimeLayout(t *testing.T) {
	cs := goldens(t)
	got := drawInNode(t, cs)
	for i, r := range got {
		c := cs[i]
		t.Run(c.ID, func(t *testing.T) {
			if !r.OK || r.Layout == nil {
				t.Fatalf("not drawn: %s", r.Error)
			}
			l := r.Layout
			packets := c.ID == "bursts" // the example of a series of packets
			for i, a := range l.Texts {
				if a.X < -0.5 || a.Y < -0.5 || a.X+a.Width > 900.5 || a.Y+a.Height > 560.5 {
					t.Errorf("text %q at %+v is cut by the edge of the chart", a.Text, a.ssrBox)
				}
				for _, b := range l.Texts[i+1:] {
					w := min(a.X+a.Width, b.X+b.Width) - max(a.X, b.X)
					h := min(a.Y+a.Height, b.Y+b.Height) - max(a.Y, b.Y)
					if w > 1 && h > 0.25*min(a.Height, b.Height) {
						t.Errorf("texts %q at %+v and %q at %+v overlap", a.Text, a.ssrBox, b.Text, b.ssrBox)
					}
				}
			}
			if c.X.Unit == chart.UnitTime {
				if n := strings.Count(l.XName, "UTC"); n != 1 {
					t.Errorf("x axis name %q says UTC %d times, want once", l.XName, n)
				}
			}
			// The spec's series come first; bands are drawn by one more.
			if len(l.Series) < len(c.Series) {
				t.Fatalf("%d series drawn for %d", len(l.Series), len(c.Series))
			}
			from := chart.OthersFrom(len(c.Series))
			colorOf := map[string]string{} // legend name -> colour
			nameOf := map[string]string{}  // colour -> legend name
			for j, s := range l.Series[:len(c.Series)] {
				want := c.Series[j].Name
				if j >= from {
					want = chart.OthersLabel(len(c.Series) - from)
				}
				if c.Kind != chart.KindStrip && s.Name != want {
					t.Errorf("series %d is named %q in the legend, want %q", j, s.Name, want)
				}
				if other, ok := nameOf[s.Color]; ok && other != s.Name {
					t.Errorf("series %q and %q are both %s", other, s.Name, s.Color)
				}
				if col, ok := colorOf[s.Name]; ok && col != s.Color {
					t.Errorf("series of legend entry %q in %s and %s", s.Name, col, s.Color)
				}
				colorOf[s.Name], nameOf[s.Color] = s.Color, s.Name
				if packets && s.Type == "line" {
					t.Errorf("series %q of packets is drawn as a line", s.Name)
				}
			}
			if packets {
				points := 0
				for _, s := range c.Series {
					points += len(s.Points)
				}
				if l.Circles < points {
					t.Errorf("%d markers for %d packets", l.Circles, points)
				}
			}
			if len(c.Bands) > 0 {
				if len(l.Bands) != len(c.Bands) {
					t.Errorf("%d bands drawn, want %d", len(l.Bands), len(c.Bands))
				}
				for _, b := range l.Bands {
					if b.Width < 3 {
						t.Errorf("band at x %.1f is %.2f px wide, want at least 3", b.X, b.Width)
					}
				}
			}
		})
	}
}
