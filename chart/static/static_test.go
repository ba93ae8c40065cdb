package static_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg"

	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/chart/static"
)

func render(t *testing.T, c *chart.Chart, f static.Format, s static.Size) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := static.Render(&b, c, f, s); err != nil {
		t.Fatalf("Render %s %s: %v", c.ID, f, err)
	}
	return b.Bytes()
}

// colourful counts the pixels that are not grey: drawn data, not text,
// axes or background.
func colourful(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				n++
			}
		}
	}
	return n
}

func TestPNG(t *testing.T) {
	// Default sizes at 300 dpi: 6.4 x 3.6 in, graphs 6.4 x 4.8 in.
	want := map[string]image.Point{
		"activity":       {1920, 1080},
		"bursts":         {1920, 1080},
		"destinations":   {1920, 1080},
		"class_services": {1920, 1080},
		"graph":          {1920, 1440},
		"iat":            {1920, 1080},
		"local_external": {1920, 1080},
		"sender_filter":  {1920, 1080},
		"talkers":        {1920, 1080},
		"timeline":       {1920, 1080},
	}
	for _, c := range static.Goldens(t) {
		t.Run(c.ID, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(render(t, c, static.PNG, static.Size{})))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(want[c.ID], img.Bounds().Size()); diff != "" {
				t.Errorf("pixel size (-want +got):\n%s", diff)
			}
			// At least a thousand pixels of data (about 0.1 % of the figure).
			if n := colourful(img); n < 1000 {
				t.Errorf("only %d coloured pixels: nothing drawn", n)
			}
		})
	}
}

func TestPNGSize(t *testing.T) {
	c := static.Goldens(t)[0]
	img, err := png.Decode(bytes.NewReader(render(t, c, static.PNG, static.Size{Width: 3.5 * vg.Inch, Height: 2.5 * vg.Inch})))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(image.Point{X: 1050, Y: 750}, img.Bounds().Size()); diff != "" {
		t.Errorf("pixel size (-want +got):\n%s", diff)
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = chart.AddrLabel("192.0.2.1", "host.example.org")
	}
	bars := chart.NewHBar("bars", "Many bars", many, chart.Bars("bytes", make([]float64, 40)))
	img, err = png.Decode(bytes.NewReader(render(t, bars, static.PNG, static.Size{})))
	if err != nil {
		t.Fatal(err)
	}
	// 40 rows of 12 points plus an inch: 552 pt = 7.67 in = 2300 px.
	if diff := cmp.Diff(image.Point{X: 1920, Y: 2300}, img.Bounds().Size()); diff != "" {
		t.Errorf("pixel size of 40 bars (-want +got):\n%s", diff)
	}
}

func TestSVG(t *testing.T) {
	for _, c := range static.Goldens(t) {
		t.Run(c.ID, func(t *testing.T) {
			dec := xml.NewDecoder(bytes.NewReader(render(t, c, static.SVG, static.Size{})))
			var root string
			var texts []string
			var attrs []xml.Attr
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("SVG is not XML: %v", err)
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					if root == "" {
						root, attrs = tok.Name.Local, tok.Attr
					}
				case xml.CharData:
					if s := strings.TrimSpace(string(tok)); s != "" {
						texts = append(texts, s)
					}
				}
			}
			if root != "svg" {
				t.Errorf("root element %q, want svg", root)
			}
			height := "259.2pt"
			if c.Kind == chart.KindGraph {
				height = "345.6pt"
			}
			wantAttrs := map[string]string{"width": "460.8pt", "height": height}
			for _, a := range attrs {
				if w, ok := wantAttrs[a.Name.Local]; ok && a.Value != w {
					t.Errorf("%s=%q, want %q", a.Name.Local, a.Value, w)
				}
			}
			// The title is drawn as text.
			if !contains(texts, c.Title) {
				t.Errorf("title %q not among the texts %q", c.Title, texts)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSVGHostile checks that hostile names are drawn as text: the SVG stays
// well-formed XML and holds them as character data.
func TestSVGHostile(t *testing.T) {
	for _, c := range static.Goldens(t) {
		if c.ID != "talkers" {
			continue
		}
		dec := xml.NewDecoder(bytes.NewReader(render(t, c, static.SVG, static.Size{})))
		var texts []string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if cd, ok := tok.(xml.CharData); ok {
				texts = append(texts, strings.TrimSpace(string(cd)))
			}
		}
		for _, want := range []string{"52.28.1.9 (<img src=x onerror=alert(1)>)", "10.0.0.1 (</script><script>alert(1)</script>)"} {
			if !contains(texts, want) {
				t.Errorf("%q not drawn as text", want)
			}
		}
		return
	}
	t.Fatal("no talkers example")
}

func TestPDF(t *testing.T) {
	for _, c := range static.Goldens(t) {
		t.Run(c.ID, func(t *testing.T) {
			b := render(t, c, static.PDF, static.Size{})
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("starts %q, want %%PDF-", b[:min(len(b), 8)])
			}
			if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
				t.Errorf("ends %q, want %%%%EOF", b[max(0, len(b)-8):])
			}
			box := "/MediaBox [0 0 460.80 259.20]"
			if c.Kind == chart.KindGraph {
				box = "/MediaBox [0 0 460.80 345.60]"
			}
			if !bytes.Contains(b, []byte(box)) {
				t.Errorf("no %s", box)
			}
			if !bytes.Contains(b, []byte("/FontFile")) {
				t.Error("fonts not embedded")
			}
		})
	}
}

// TestOddCharts draws charts at the edges of what is valid: each must give
// a figure, not an error or a panic.
func TestOddCharts(t *testing.T) {
	logX := chart.Axis{Log: true}
	tests := []*chart.Chart{
		func() *chart.Chart {
			c := chart.NewLines("log_nonpositive", "t", chart.Series{Points: []chart.Point{{X: 0, Y: -1}, {X: 1, Y: 0}}})
			c.Y.Log = true
			return c
		}(),
		chart.NewLines("one_point", "t", chart.Series{Points: []chart.Point{{X: 5, Y: 5}}}),
		chart.NewLines("empty_series", "t", chart.Series{Name: "none"}),
		func() *chart.Chart {
			c := chart.NewScatter("huge", "t", chart.Series{Points: []chart.Point{{X: -1e300, Y: 1e300}, {X: 1e300, Y: -1e300}}})
			c.X.Unit = chart.UnitTime
			return c
		}(),
		func() *chart.Chart {
			c := chart.NewStrip("strip_log_zero", "t", chart.Samples("a", []float64{0, -3}), chart.Samples("b", nil))
			c.X = logX
			return c
		}(),
		func() *chart.Chart {
			c := chart.NewHBar("hbar_log", "t", []string{"a", "b"}, chart.Bars("x", []float64{0, 0}))
			c.X = logX
			return c
		}(),
		chart.NewHBar("hbar_negative", "t", []string{"a", "b"}, chart.Bars("x", []float64{-5, 3})),
		chart.NewHeatmap("heatmap_empty", "t", &chart.Heatmap{}),
		chart.NewHeatmap("heatmap_one", "t", &chart.Heatmap{Columns: []string{"a"}, Rows: []string{"b"}, Cells: []chart.Cell{{Value: 3}}}),
		chart.NewHeatmap("heatmap_log", "t", &chart.Heatmap{Columns: []string{"a", "b"}, Rows: []string{"r"},
			Cells: []chart.Cell{{Col: 0, Value: 0}, {Col: 1, Value: 1e9}}, Value: chart.Axis{Log: true, Unit: chart.UnitBytes}}),
		chart.NewGraph("graph_empty", "t", &chart.Graph{}),
		chart.NewGraph("graph_one", "t", &chart.Graph{Nodes: []chart.Node{{ID: "a"}}}),
		func() *chart.Chart {
			g := &chart.Graph{}
			g.AddEdge("a", "a", 0, "")
			g.AddEdge("b", "c", 0, "")
			return chart.NewGraph("graph_zero", "t", g)
		}(),
		func() *chart.Chart {
			c := chart.NewLines("bands_outside", "t", chart.Series{Points: []chart.Point{{X: 1, Y: 1}, {X: 2, Y: 2}}})
			c.Bands = []chart.Band{{Start: -10, End: -5}, {Start: 1.5, End: 1.5}, {Start: 0, End: 100}}
			c.X.Log = true
			return c
		}(),
		chart.NewECDF("ecdf_empty", "t", chart.Series{Name: "none"}),
		chart.NewStackedArea("stack_flat", "t", chart.Series{Points: []chart.Point{{X: 1}, {X: 2}}}),
	}
	for _, c := range tests {
		t.Run(c.ID, func(t *testing.T) {
			for _, f := range []static.Format{static.PNG, static.SVG, static.PDF} {
				var b bytes.Buffer
				if err := static.Render(&b, c, f, static.Size{Width: 2 * vg.Inch, Height: 1.5 * vg.Inch}); err != nil {
					t.Errorf("%s: %v", f, err)
				}
				if b.Len() < 100 {
					t.Errorf("%s: %d bytes", f, b.Len())
				}
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	ok := static.Goldens(t)[0]
	tests := []struct {
		name string
		c    *chart.Chart
		f    static.Format
		size static.Size
		want string
	}{
		{"invalid", chart.NewLines("bad", "t"), static.PNG, static.Size{}, `render figure: invalid chart "bad": no series (a chart with nothing to show sets Empty to say why)`},
		{"format", ok, static.Format(9), static.Size{}, "render figure activity: unknown figure format Format(9)"},
		{"negative", ok, static.PNG, static.Size{Width: -1, Height: 10}, "render figure activity: figure size -0.01389 x 0.1389 in: want each side above 0 and at most 20 in"},
		{"huge", ok, static.PDF, static.Size{Width: 30 * vg.Inch, Height: 10 * vg.Inch}, "render figure activity: figure size 30 x 10 in: want each side above 0 and at most 20 in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := static.Render(&b, tt.c, tt.f, tt.size)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		in   string
		want static.Format
		err  string
	}{
		{"png", static.PNG, ""},
		{".SVG", static.SVG, ""},
		{"Pdf", static.PDF, ""},
		{"jpeg", 0, `unknown figure format "jpeg": want png, svg or pdf`},
		{"", 0, `unknown figure format "": want png, svg or pdf`},
	}
	for _, tt := range tests {
		got, err := static.ParseFormat(tt.in)
		if got != tt.want || errString(err) != tt.err {
			t.Errorf("ParseFormat(%q) = %v, %q; want %v, %q", tt.in, got, errString(err), tt.want, tt.err)
		}
	}
	f, err := static.FormatOf("figures/talkers.pdf")
	if f != static.PDF || err != nil {
		t.Errorf("FormatOf(talkers.pdf) = %v, %v", f, err)
	}
	_, err = static.FormatOf("figure.gif")
	if diff := cmp.Diff(`figure figure.gif: unknown figure format ".gif": want png, svg or pdf`, errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !errors.Is(err, static.ErrFormat) {
		t.Error("error does not wrap ErrFormat")
	}
	if got := []string{static.PNG.String(), static.SVG.String(), static.PDF.String()}; !cmp.Equal(got, []string{"png", "svg", "pdf"}) {
		t.Errorf("String = %q", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzRender draws arbitrary valid specs: none may fail or panic.
func FuzzRender(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c chart.Chart
		if json.Unmarshal(b, &c) != nil || c.Validate() != nil {
			return
		}
		if c.Graph != nil && len(c.Graph.Nodes) > 200 {
			return
		}
		for _, f := range []static.Format{static.PNG, static.SVG} {
			if err := static.Render(io.Discard, &c, f, static.Size{Width: vg.Inch, Height: vg.Inch}); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	})
}

func BenchmarkRender(b *testing.B) {
	for _, c := range static.Goldens(b) {
		for _, f := range []static.Format{static.PNG, static.SVG, static.PDF} {
			b.Run(c.ID+"/"+f.String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := static.Render(io.Discard, c, f, static.Size{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestEmpty: a chart of any kind with nothing to draw comes out in every
// format, sized as a default figure, with its title and the message that
// says why it is empty drawn as text.
func TestEmpty(t *testing.T) {
	for _, k := range chart.Kinds() {
		c := &chart.Chart{ID: "empty_" + string(k), Title: "TCP ports <img src=x onerror=alert(1)>", Kind: k, Empty: "no TCP packets </script><script>alert(1)</script>"}
		t.Run(c.ID, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(render(t, c, static.PNG, static.Size{})))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(image.Point{X: 1920, Y: 1080}, img.Bounds().Size()); diff != "" {
				t.Errorf("pixel size (-want +got):\n%s", diff)
			}
			var texts []string
			dec := xml.NewDecoder(bytes.NewReader(render(t, c, static.SVG, static.Size{})))
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("SVG is not XML: %v", err)
				}
				if cd, ok := tok.(xml.CharData); ok {
					if s := strings.TrimSpace(string(cd)); s != "" {
						texts = append(texts, s)
					}
				}
			}
			if diff := cmp.Diff([]string{c.Title, c.Empty}, texts); diff != "" {
				t.Errorf("texts (-want +got):\n%s", diff)
			}
			if pdf := render(t, c, static.PDF, static.Size{}); !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Errorf("PDF starts %q", pdf[:min(len(pdf), 8)])
			}
		})
	}
}

// TestCost: a figure with more pixels or more marks is guessed to cost
// more to draw, a PNG more than its PDF and its SVG.
func TestCost(t *testing.T) {
	bars := func(n int) *chart.Chart {
		cats := make([]string, n)
		vals := make([]float64, n)
		for i := range cats {
			cats[i], vals[i] = strconv.Itoa(i), float64(i)
		}
		return chart.NewHBar("bars", "bars", cats, chart.Bars("n", vals))
	}
	dots := func(n int) *chart.Chart {
		pts := make([]chart.Point, n)
		for i := range pts {
			pts[i] = chart.Point{X: float64(i), Y: float64(i % 7)}
		}
		return chart.NewScatter("dots", "dots", chart.Series{Name: "a", Points: pts})
	}
	for _, tt := range []struct {
		name         string
		less, more   *chart.Chart
		lessF, moreF static.Format
	}{
		{"taller PNG", bars(5), bars(60), static.PNG, static.PNG},
		{"more dots in a PNG", dots(10), dots(5000), static.PNG, static.PNG},
		{"more dots in a PDF", dots(10), dots(5000), static.PDF, static.PDF},
		{"more dots in an SVG", dots(10), dots(5000), static.SVG, static.SVG},
		{"PDF and PNG", dots(100), dots(100), static.PDF, static.PNG},
		{"SVG and PDF", dots(100), dots(100), static.SVG, static.PDF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if l, m := static.Cost(tt.less, tt.lessF), static.Cost(tt.more, tt.moreF); !(0 < l && l < m) {
				t.Errorf("costs %g and %g, want 0 < the first < the second", l, m)
			}
		})
	}
	if c := static.Cost(nil, static.PNG); c != 0 {
		t.Errorf("no chart costs %g, want 0", c)
	}
}
