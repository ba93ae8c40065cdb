package static

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// The tests of this file draw figures on a canvas that records what is
// drawn where (every text with its box, every path with its colour) and
// check what a reviewer would: no text outside the figure, no two texts
// on top of each other, no text too small to read, UTC said once per time
// axis, legend entries in pairwise distinct colours, bands wide enough to
// see, and packets drawn as marks, not as a line through them.

// mark is one drawing operation on a recorder, in figure coordinates
// (points, origin at the bottom left).
type mark struct {
	op    string // "stroke", "fill" or "text"
	color color.NRGBA
	box   vg.Rectangle
	// stroke and fill: the vertices of the path's lines, and its number
	// of arcs (glyphs are circles).
	pts  []vg.Point
	arcs int
	// text, and the quad its glyphs cover (from the descent below the
	// baseline to the cap height above it, turned as the text is).
	text string
	size vg.Length
	quad [4]vg.Point
}

// affine is a 2D transform: x' = a x + c y + e, y' = b x + d y + f.
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(p vg.Point) vg.Point {
	x, y := float64(p.X), float64(p.Y)
	return vg.Point{X: vg.Length(m.a*x + m.c*y + m.e), Y: vg.Length(m.b*x + m.d*y + m.f)}
}

func (m affine) then(n affine) affine { // m applied after n: m * n
	return affine{
		a: m.a*n.a + m.c*n.b, b: m.b*n.a + m.d*n.b,
		c: m.a*n.c + m.c*n.d, d: m.b*n.c + m.d*n.d,
		e: m.a*n.e + m.c*n.f + m.e, f: m.b*n.e + m.d*n.f + m.f,
	}
}

type recState struct {
	m     affine
	color color.NRGBA
}

// recorder is a vg.Canvas that keeps what is drawn on it.
type recorder struct {
	size  Size
	cur   recState
	stack []recState
	marks []mark
}

var _ vg.CanvasSizer = (*recorder)(nil)

func newRecorder(s Size) *recorder {
	return &recorder{size: s, cur: recState{m: affine{a: 1, d: 1}, color: color.NRGBA{A: 0xff}}}
}

func (r *recorder) Size() (vg.Length, vg.Length)       { return r.size.Width, r.size.Height }
func (r *recorder) SetLineWidth(vg.Length)             {}
func (r *recorder) SetLineDash([]vg.Length, vg.Length) {}
func (r *recorder) SetColor(c color.Color) {
	if c == nil {
		c = color.Black
	}
	r.cur.color = color.NRGBAModel.Convert(c).(color.NRGBA)
}
func (r *recorder) Rotate(rad float64) {
	s, c := math.Sincos(rad)
	r.cur.m = r.cur.m.then(affine{a: c, b: s, c: -s, d: c})
}
func (r *recorder) Translate(p vg.Point) {
	r.cur.m = r.cur.m.then(affine{a: 1, d: 1, e: float64(p.X), f: float64(p.Y)})
}
func (r *recorder) Scale(x, y float64) { r.cur.m = r.cur.m.then(affine{a: x, d: y}) }
func (r *recorder) Push()              { r.stack = append(r.stack, r.cur) }
func (r *recorder) Pop() {
	r.cur = r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
}
func (r *recorder) Stroke(p vg.Path) { r.path("stroke", p) }
func (r *recorder) Fill(p vg.Path)   { r.path("fill", p) }

func (r *recorder) path(op string, p vg.Path) {
	m := mark{op: op, color: r.cur.color}
	var corners []vg.Point
	for _, c := range p {
		switch c.Type {
		case vg.MoveComp, vg.LineComp:
			q := r.cur.m.apply(c.Pos)
			m.pts = append(m.pts, q)
			corners = append(corners, q)
		case vg.ArcComp:
			m.arcs++
			for _, d := range []vg.Point{{X: -c.Radius, Y: -c.Radius}, {X: c.Radius, Y: c.Radius}} {
				corners = append(corners, r.cur.m.apply(c.Pos.Add(d)))
			}
		case vg.CurveComp:
			corners = append(corners, r.cur.m.apply(c.Pos))
		}
	}
	if len(corners) == 0 {
		return
	}
	m.box = bounds(corners)
	r.marks = append(r.marks, m)
}

func (r *recorder) FillString(f font.Face, p vg.Point, text string) {
	ext := f.Extents()
	w := f.Width(text)
	corners := []vg.Point{
		{X: p.X, Y: p.Y - ext.Descent}, {X: p.X + w, Y: p.Y - ext.Descent},
		{X: p.X, Y: p.Y + ext.Ascent}, {X: p.X + w, Y: p.Y + ext.Ascent},
	}
	for i := range corners {
		corners[i] = r.cur.m.apply(corners[i])
	}
	cap := 0.75 * f.Font.Size
	var quad [4]vg.Point
	for i, q := range []vg.Point{{X: p.X, Y: p.Y - ext.Descent}, {X: p.X + w, Y: p.Y - ext.Descent}, {X: p.X + w, Y: p.Y + cap}, {X: p.X, Y: p.Y + cap}} {
		quad[i] = r.cur.m.apply(q)
	}
	r.marks = append(r.marks, mark{op: "text", color: r.cur.color, box: bounds(corners), text: text, size: f.Font.Size, quad: quad})
}

func (r *recorder) DrawImage(rect vg.Rectangle, img image.Image) {}

func bounds(pts []vg.Point) vg.Rectangle {
	b := vg.Rectangle{Min: pts[0], Max: pts[0]}
	for _, p := range pts[1:] {
		b.Min.X, b.Min.Y = min(b.Min.X, p.X), min(b.Min.Y, p.Y)
		b.Max.X, b.Max.Y = max(b.Max.X, p.X), max(b.Max.Y, p.Y)
	}
	return b
}

// layoutOf draws c at its default size on a recorder.
func layoutOf(t *testing.T, c *chart.Chart) *recorder {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	size, err := sizeFor(c, Size{})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(size)
	if err := drawChart(draw.New(rec), c); err != nil {
		t.Fatalf("draw: %v", err)
	}
	return rec
}

func (r *recorder) texts() []mark {
	var out []mark
	for _, m := range r.marks {
		if m.op == "text" && strings.TrimSpace(m.text) != "" {
			out = append(out, m)
		}
	}
	return out
}

// layoutCharts are the example specs of package chart (one of every kind,
// among them packets with bursts and more series than colours) and
// figures that are hard to lay out.
func layoutCharts(t *testing.T) []*chart.Chart {
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
	return append(out, hardCharts()...)
}

// hardCharts are figures that crowd their text: long titles, many rows and
// columns of categories, a graph with long names, many series.
func hardCharts() []*chart.Chart {
	t0 := 1460732918.0
	long := "Payload sent by 2001:db8:85a3:1234:5678:8a2e:370:7334 (a-very-long-host-name.eu-west-1.compute.example.amazonaws.com) over time"
	var pts []chart.Point
	for i := range 50 {
		pts = append(pts, chart.Point{X: t0 + float64(i*3), Y: float64(i * 31 % 1500)})
	}
	title := chart.NewScatter("long_title", long, chart.Series{Name: "a", Points: pts})
	title.Subtitle = "top 10 of 2481 destinations, 7 days of traffic, payload of every packet of the capture set"
	title.X = chart.Axis{Title: "time", Unit: chart.UnitTime}

	var rows []string
	var bars []float64
	for i := range 60 {
		rows = append(rows, chart.AddrLabel(fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf("host-%d.example.org", i)))
		bars = append(bars, float64(1+i*i*37))
	}
	hbar := chart.NewHBar("many_rows", "Payload received per destination address", rows, chart.Bars("payload", bars))
	hbar.X = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}

	h := &chart.Heatmap{Value: chart.Axis{Title: "packets", Log: true}}
	for i := range 40 {
		for j := range 24 {
			if (i+j)%3 == 0 {
				h.Add(fmt.Sprintf("service-%02d/tcp", i), fmt.Sprintf("class %d", j), float64(1+i*j))
			}
		}
	}
	heat := chart.NewHeatmap("many_columns", "Services hit by each class", h)
	heat.X = chart.Axis{Title: "service"}
	heat.Y = chart.Axis{Title: "class"}

	g := &chart.Graph{}
	hub := chart.AddrLabel("10.10.10.37", "dcs-935l-b0c554255b0e.local")
	for i := range 14 {
		peer := chart.AddrLabel(fmt.Sprintf("54.%d.64.81", 200+i), "mp-eu-signal.auto.mydlink.com")
		g.AddEdge(hub, peer, float64(10+i*7), fmt.Sprintf("%d", 10+i*7))
		g.AddEdge(peer, hub, float64(8+i*5), fmt.Sprintf("%d", 8+i*5))
	}
	graph := chart.NewGraph("crowded_graph", "Who talks to whom (edges weighted by packets)", g)

	var series []chart.Series
	for i := range 14 {
		var s []chart.Point
		for j := range 20 {
			s = append(s, chart.Point{X: t0 + float64(j), Y: float64((i + 1) * (j + 3))})
		}
		series = append(series, chart.Series{Name: fmt.Sprintf("port %d", 40000+i), Points: s})
	}
	lines := chart.NewLines("many_lines", "Payload per port", series...)
	lines.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	lines.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}

	strips := make([]chart.Series, 14)
	for i := range strips {
		strips[i] = chart.Samples(fmt.Sprintf("10.0.0.%d", i), []float64{1e-5 * float64(i+1), 0.01, 0.3 * float64(i+1)})
	}
	strip := chart.NewStrip("many_strips", "Inter-arrival time per destination", strips...)
	strip.X = chart.Axis{Title: "time to the previous packet", Unit: chart.UnitSeconds, Log: true}

	return []*chart.Chart{title, hbar, heat, graph, lines, strip}
}

// minTextSize is the smallest text a figure may hold, in points at its
// print size.
const minText = 6

// TestLayoutText: every text of every figure lies inside the figure, is
// at least minText points, and overlaps no other text. With
// $NETLENS_FIGURES set to a directory, it keeps each figure there as a
// PNG, to be looked at.
func TestLayoutText(t *testing.T) {
	for _, c := range layoutCharts(t) {
		t.Run(c.ID, func(t *testing.T) {
			if dir := os.Getenv("NETLENS_FIGURES"); dir != "" {
				var b bytes.Buffer
				if err := Render(&b, c, PNG, Size{}); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, c.ID+".png"), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rec := layoutOf(t, c)
			fig := vg.Rectangle{Max: vg.Point{X: rec.size.Width, Y: rec.size.Height}}
			texts := rec.texts()
			if len(texts) == 0 {
				t.Fatal("no text drawn")
			}
			var errs errorList
			for _, m := range texts {
				if m.box.Min.X < fig.Min.X-0.01 || m.box.Min.Y < fig.Min.Y-0.01 || m.box.Max.X > fig.Max.X+0.01 || m.box.Max.Y > fig.Max.Y+0.01 {
					errs.add("cut by the edge of the figure", "%q at %.4g", m.text, m.box)
				}
				if m.size < minText {
					errs.add("too small", "%q is %.3g pt, want at least %d pt", m.text, m.size, minText)
				}
			}
			for i, a := range texts {
				for _, b := range texts[i+1:] {
					if overlap(a.quad, b.quad) {
						errs.add("overlapping texts", "%q at %.4g and %q at %.4g", a.text, a.box, b.text, b.box)
					}
				}
			}
			errs.report(t)
		})
	}
}

// errorList gathers a test's errors by kind, to report a few of each and
// count the rest.
type errorList struct {
	kinds  []string
	byKind map[string][]string
}

func (l *errorList) add(kind, format string, args ...any) {
	if l.byKind == nil {
		l.byKind = map[string][]string{}
	}
	if _, ok := l.byKind[kind]; !ok {
		l.kinds = append(l.kinds, kind)
	}
	l.byKind[kind] = append(l.byKind[kind], fmt.Sprintf(format, args...))
}

func (l *errorList) report(t *testing.T) {
	t.Helper()
	for _, k := range l.kinds {
		errs := l.byKind[k]
		for _, e := range errs[:min(4, len(errs))] {
			t.Errorf("%s: %s", k, e)
		}
		if len(errs) > 4 {
			t.Errorf("%s: %d more", k, len(errs)-4)
		}
	}
}

// overlap reports whether two convex quads overlap by more than a third of
// a point (separating axis theorem).
func overlap(a, b [4]vg.Point) bool {
	for _, q := range [][4]vg.Point{a, b} {
		for i := range 4 {
			e := q[(i+1)%4].Sub(q[i])
			nx, ny := -float64(e.Y), float64(e.X)
			if n := math.Hypot(nx, ny); n > 0 {
				nx, ny = nx/n, ny/n
			} else {
				continue
			}
			loA, hiA := project(a, nx, ny)
			loB, hiB := project(b, nx, ny)
			if min(hiA, hiB)-max(loA, loB) <= 0.33 {
				return false
			}
		}
	}
	return true
}

func project(q [4]vg.Point, nx, ny float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range q {
		v := float64(p.X)*nx + float64(p.Y)*ny
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// TestLayoutTimeAxis: a time axis names UTC once, its title as the
// analyses write it ("time (UTC)") or not.
func TestLayoutTimeAxis(t *testing.T) {
	for _, c := range layoutCharts(t) {
		if c.X.Unit != chart.UnitTime || c.Empty != "" {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			n := 0
			for _, m := range layoutOf(t, c).texts() {
				if k := strings.Count(m.text, "UTC"); k > 0 {
					n++
					if k > 1 {
						t.Errorf("axis title %q says UTC %d times", m.text, k)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d texts say UTC, want the time axis' title alone", n)
			}
		})
	}
}

// TestLayoutLegendColors: the entries of a legend are drawn in pairwise
// distinct colours; a tail of series beyond the colours is one entry that
// says "others".
func TestLayoutLegendColors(t *testing.T) {
	checked := 0
	for _, c := range layoutCharts(t) {
		if len(c.Series) < 2 || c.Kind == chart.KindStrip {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			checked++
			names := map[string]bool{}
			for _, s := range c.Series {
				names[truncate(s.Name, 36)] = true
			}
			rec := layoutOf(t, c)
			var entries []string
			seen := map[[3]uint8]string{}
			for i, m := range rec.marks {
				if m.op != "text" || !names[m.text] && !strings.HasPrefix(m.text, "others (") {
					continue
				}
				// The thumbnail: the last mark drawn before the entry's
				// text, left of it on its line.
				var thumb *mark
				for j := i - 1; j >= 0 && rec.marks[j].op != "text"; j-- {
					o := rec.marks[j]
					if o.box.Max.X <= m.box.Min.X+0.5 && o.box.Max.Y > m.box.Min.Y && o.box.Min.Y < m.box.Max.Y {
						thumb = &rec.marks[j]
						break
					}
				}
				if thumb == nil {
					t.Errorf("legend entry %q has no thumbnail", m.text)
					continue
				}
				rgb := [3]uint8{thumb.color.R, thumb.color.G, thumb.color.B}
				if other, ok := seen[rgb]; ok {
					t.Errorf("legend entries %q and %q are both #%02x%02x%02x", other, m.text, rgb[0], rgb[1], rgb[2])
				}
				seen[rgb] = m.text
				entries = append(entries, m.text)
			}
			want := min(len(c.Series), len(chart.Palette()))
			if len(entries) != want {
				t.Errorf("legend entries %q, want %d", entries, want)
			}
			if len(c.Series) > len(chart.Palette()) {
				if last := entries[len(entries)-1]; last != chart.OthersLabel(len(c.Series)-len(chart.Palette())+1) {
					t.Errorf("last legend entry %q, want the others", last)
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no chart with a legend")
	}
}

// TestLayoutBands: every band in range is shaded at least minBand points
// wide over the height of the plot, however short it is.
func TestLayoutBands(t *testing.T) {
	const minBand = 2
	band := chart.BandColor()
	for _, c := range layoutCharts(t) {
		if len(c.Bands) == 0 {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			rec := layoutOf(t, c)
			n := 0
			for _, m := range rec.marks {
				if m.op != "fill" || m.color.R != band.R || m.color.G != band.G || m.color.B != band.B || m.color.A == 0xff {
					continue
				}
				if m.box.Max.Y-m.box.Min.Y < rec.size.Height/2 { // a translucent orange dot, not a band
					continue
				}
				n++
				if w := m.box.Max.X - m.box.Min.X; w < minBand {
					t.Errorf("band at x %.4g is %.3g pt wide, want at least %d", m.box.Min.X, w, minBand)
				}
			}
			if n != len(c.Bands) {
				t.Errorf("%d bands shaded, want %d", n, len(c.Bands))
			}
		})
	}
}

// TestLayoutPackets: a series of packets (a stems chart) is drawn as one
// marker per packet, and no line joins two packets.
func TestLayoutPackets(t *testing.T) {
	checked := 0
	for _, c := range layoutCharts(t) {
		if c.ID != "bursts" {
			continue
		}
		checked++
		rec := layoutOf(t, c)
		col := chart.SeriesColors(1)[0]
		markers := 0
		for _, m := range rec.marks {
			if m.color.R != col.R || m.color.G != col.G || m.color.B != col.B {
				continue
			}
			if m.arcs > 0 {
				markers++
			}
			for i := 1; i < len(m.pts); i++ {
				if dx := m.pts[i].X - m.pts[i-1].X; m.op == "stroke" && math.Abs(float64(dx)) > 0.01 {
					t.Fatalf("a line joins packets: from %v to %v", m.pts[i-1], m.pts[i])
				}
			}
		}
		if want := len(c.Series[0].Points); markers != want {
			t.Errorf("%d markers for %d packets", markers, want)
		}
	}
	if checked == 0 {
		t.Fatal("no bursts example")
	}
}
