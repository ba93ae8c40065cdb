package static

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// colorBarWidth is the room kept right of a heatmap for its colour bar.
const colorBarWidth = 0.95 * vg.Inch

// drawHeatmap draws the cells of c.Heatmap and, to their right, a colour bar
// with the value scale.
func drawHeatmap(dc draw.Canvas, c *chart.Chart) error {
	h := c.Heatmap
	log := h.Value.Log
	cl := &cells{rows: len(h.Rows), cols: len(h.Columns), lo: math.Inf(1), hi: math.Inf(-1)}
	for _, cell := range h.Cells {
		v := cell.Value
		if log {
			if !(v > 0) {
				continue
			}
			v = math.Log10(v)
		}
		cl.cells = append(cl.cells, chart.Cell{Col: cell.Col, Row: cell.Row, Value: v})
		cl.lo, cl.hi = math.Min(cl.lo, v), math.Max(cl.hi, v)
	}
	if len(cl.cells) == 0 {
		cl.lo, cl.hi = 0, 1
	}
	if cl.hi == cl.lo {
		cl.lo, cl.hi = cl.lo-0.5, cl.hi+0.5
	}

	p := newPlot(c)
	p.Add(cl)
	title := p.Title.Text
	p.Title.Text = ""
	dc = drawTitle(dc, p.Title.TextStyle, title)
	setCategoryAxis(&p.Y, c.Y.Title, h.Rows, dc.Max.Y-dc.Min.Y-0.75*vg.Inch, true, 1)
	// Many columns get labels turned by 30 degrees: along the axis, each
	// then needs twice its line height.
	turned := len(h.Columns) > 6
	spacing := 1.0
	if turned {
		spacing = 2
	}
	setCategoryAxis(&p.X, c.X.Title, h.Columns, dc.Max.X-dc.Min.X-colorBarWidth-1.5*vg.Inch, false, spacing)
	if turned {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}

	main := draw.Crop(dc, 0, -colorBarWidth, 0, 0)
	p.Draw(main)
	data := p.DataCanvas(main)

	bar := plot.New()
	bar.BackgroundColor = nil // as newPlot's
	bar.HideX()
	bar.Add(&colorBar{lo: cl.lo, hi: cl.hi})
	bar.Y.Min, bar.Y.Max = cl.lo, cl.hi
	bar.Y.Label.Text = truncate(h.Value.Title, 40)
	bar.Y.Label.TextStyle.Font = p.Y.Label.TextStyle.Font
	bar.Y.Tick.Label.Font = font.From(textFont(tickSize), tickSize)
	bar.Y.Tick.Length = 3
	bar.Y.Padding = 0
	bar.X.Padding = 0
	bar.Y.Tick.Marker = ticker{unit: h.Value.Unit}
	if log {
		bar.Y.Tick.Marker = expTicker{unit: h.Value.Unit}
	}
	left := data.Max.X - dc.Min.X + 0.3*vg.Inch
	bar.Draw(draw.Crop(dc, left, -0.05*vg.Inch, data.Min.Y-dc.Min.Y, -(dc.Max.Y - data.Max.Y)))
	return nil
}

// cells draws the cells of a heatmap (values already on the colour scale).
// Row i sits at y = rows-1-i, so that the first row is on top.
type cells struct {
	rows, cols int
	cells      []chart.Cell
	lo, hi     float64
}

func (h *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, cell := range h.cells {
		x, y := float64(cell.Col), float64(h.rows-1-cell.Row)
		col := chart.RampColor((cell.Value - h.lo) / (h.hi - h.lo))
		x0, x1 := trX(x-0.5), trX(x+0.5)
		y0, y1 := trY(y-0.5), trY(y+0.5)
		c.FillPolygon(col, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
}

func (h *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(h.cols) - 0.5, -0.5, float64(h.rows) - 0.5
}

// colorBar draws the colour ramp from lo (bottom) to hi (top) over the whole
// width of its plot.
type colorBar struct{ lo, hi float64 }

func (b *colorBar) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	const steps = 64
	for i := range steps {
		v0 := b.lo + (b.hi-b.lo)*float64(i)/steps
		v1 := b.lo + (b.hi-b.lo)*float64(i+1)/steps
		y0, y1 := trY(v0), trY(v1)+0.3 // overlap, so no seams show
		col := chart.RampColor((float64(i) + 0.5) / steps)
		c.FillPolygon(col, []vg.Point{{X: c.Min.X, Y: y0}, {X: c.Max.X, Y: y0}, {X: c.Max.X, Y: y1}, {X: c.Min.X, Y: y1}})
	}
}

func (b *colorBar) DataRange() (xmin, xmax, ymin, ymax float64) { return 0, 1, b.lo, b.hi }

// expTicker labels an axis of log10 values with the values themselves.
type expTicker struct{ unit chart.Unit }

func (t expTicker) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(hi > lo) {
		return ticks
	}
	step := math.Max(1, math.Ceil((hi-lo)/6))
	for e := math.Ceil(lo); e <= hi; e += step {
		ticks = append(ticks, plot.Tick{Value: e, Label: chart.FormatValue(math.Pow(10, e), t.unit)})
	}
	if len(ticks) < 2 {
		ticks = nil
		for _, v := range []float64{lo, hi} {
			ticks = append(ticks, plot.Tick{Value: v, Label: chart.FormatValue(math.Pow(10, v), t.unit)})
		}
	}
	return ticks
}
