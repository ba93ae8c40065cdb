package static

import (
	"image"
	"image/color"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TestDots: a mark is drawn at most maxPerDot times on one dot of the
// figure (1/DPI inch), and always on another dot.
func TestDots(t *testing.T) {
	const dot = vg.Inch / DPI
	const at = 41*dot + dot/4 // a quarter into dot 41
	var d dots
	for _, tc := range []struct {
		x, y vg.Length
		want bool
	}{
		{at, at, true},
		{at + dot/3, at, true}, // the same dot
		{at, at + dot/3, true},
		{at, at, false},
		{at + dot, at, true}, // the next dot
		{at, at + dot, true},
		{at, at, false},
	} {
		if got := d.take(tc.x, tc.y); got != tc.want {
			t.Errorf("take(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

// allBoxes is a plotter of one glyph box per point, as gonum's scatter
// gives: the boxes extremeBoxes stands for.
type allBoxes struct {
	xys plotter.XYs
	r   vg.Length
}

func (a allBoxes) Plot(draw.Canvas, *plot.Plot) {}

func (a allBoxes) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	boxes := make([]plot.GlyphBox, len(a.xys))
	for i, xy := range a.xys {
		boxes[i] = plot.GlyphBox{X: p.X.Norm(xy.X), Y: p.Y.Norm(xy.Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -a.r, Y: -a.r}, Max: vg.Point{X: a.r, Y: a.r}}}
	}
	return boxes
}

// TestExtremeBoxes: the data area of a plot padded for the boxes
// extremeBoxes gives is the one padded for every point's box, with points
// inside the axes' ranges, outside them and on their ends, beside a series
// of larger glyphs.
func TestExtremeBoxes(t *testing.T) {
	var many plotter.XYs
	for i := range 5000 {
		many = append(many, plotter.XY{X: float64(i%97) * 1.5, Y: float64(i%89) - 3})
	}
	for _, tt := range []struct {
		name       string
		xys        plotter.XYs
		xmin, xmax float64 // the axes' ranges; the data's when equal
		ymin, ymax float64
	}{
		{"one point", plotter.XYs{{X: 1, Y: 1}}, 0, 0, 0, 0},
		{"thousands", many, 0, 0, 0, 0},
		{"some outside the axes", many, 10, 100, 0, 50},
		{"all outside the axes", plotter.XYs{{X: -5, Y: 1}, {X: 5, Y: -1}}, 0, 1, 0, 1},
		{"ties at the ends", plotter.XYs{{X: 0, Y: 0}, {X: 0, Y: 1}, {X: 1, Y: 1}, {X: 1, Y: 0}, {X: 0.5, Y: 1}}, 0, 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			area := func(g plot.GlyphBoxer) vg.Rectangle {
				p := plot.New()
				p.Add(g.(plot.Plotter))
				// Beside a series of other, larger glyphs in the middle.
				p.Add(allBoxes{xys: plotter.XYs{{X: tt.xys[0].X, Y: tt.xys[0].Y}}, r: 3})
				p.X.Min, p.X.Max = tt.xmin, tt.xmax
				p.Y.Min, p.Y.Max = tt.ymin, tt.ymax
				if tt.xmin == tt.xmax {
					p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = plotter.XYRange(tt.xys)
				}
				c := draw.New(nopCanvas{w: 6 * vg.Inch, h: 4 * vg.Inch})
				return p.DataCanvas(c).Rectangle
			}
			want := area(allBoxes{xys: tt.xys, r: stemMarker})
			if got := area(&stems{xys: tt.xys}); got != want {
				t.Errorf("stems: data area %v, want %v", got, want)
			}
			sc, err := plotter.NewScatter(tt.xys)
			if err != nil {
				t.Fatal(err)
			}
			sc.GlyphStyle.Radius = stemMarker
			if got := area(dotScatter{sc}); got != want {
				t.Errorf("scatter: data area %v, want %v", got, want)
			}
		})
	}
}

// nopCanvas is a canvas of a size that draws nothing.
type nopCanvas struct{ w, h vg.Length }

func (nopCanvas) SetLineWidth(vg.Length)                 {}
func (nopCanvas) SetLineDash([]vg.Length, vg.Length)     {}
func (nopCanvas) SetColor(color.Color)                   {}
func (nopCanvas) Rotate(float64)                         {}
func (nopCanvas) Translate(vg.Point)                     {}
func (nopCanvas) Scale(float64, float64)                 {}
func (nopCanvas) Push()                                  {}
func (nopCanvas) Pop()                                   {}
func (nopCanvas) Stroke(vg.Path)                         {}
func (nopCanvas) Fill(vg.Path)                           {}
func (nopCanvas) FillString(font.Face, vg.Point, string) {}
func (nopCanvas) DrawImage(vg.Rectangle, image.Image)    {}
func (c nopCanvas) Size() (vg.Length, vg.Length)         { return c.w, c.h }
