package static

import (
	"image/color"
	"math"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// figure is a plot with its legend, drawn to the plot's right.
type figure struct {
	plot   *plot.Plot
	legend *plot.Legend // nil for none
}

// legendEntries caps a legend; the rest are counted in one last line.
const legendEntries = 12

func (f figure) draw(dc draw.Canvas) error {
	if f.legend != nil {
		r := f.legend.Rectangle(dc)
		lw := r.Max.X - r.Min.X
		if lw > 0 && lw < (dc.Max.X-dc.Min.X)/2 {
			top := f.plot.Title.TextStyle.Rectangle(f.plot.Title.Text).Size().Y + f.plot.Title.Padding
			f.legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw-2, 0, 0, -top-2))
			dc = draw.Crop(dc, 0, -lw-8, 0, 0)
		}
	}
	f.plot.Draw(dc)
	return nil
}

// newLegend returns an empty legend in the figures' style, icons left.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(tickSize)
	l.Left = true
	l.Top = true
	l.ThumbnailWidth = 10
	return &l
}

// addEntry adds a series to l, at most legendEntries of them.
func addEntry(l *plot.Legend, i, n int, name string, th plot.Thumbnailer) {
	switch {
	case i < legendEntries || n == legendEntries+1:
		l.Add(truncate(name, 36), th)
	case i == legendEntries:
		l.Add("… " + chart.FormatNumber(float64(n-legendEntries)) + " more")
	}
}

// seriesLegend returns a legend when there is more than one series.
func seriesLegend(n int) *plot.Legend {
	if n < 2 {
		return nil
	}
	return newLegend()
}

func translucent(c color.NRGBA, a uint8) color.NRGBA {
	c.A = a
	return c
}

// --- horizontal bars ---------------------------------------------------------

func hbarPlot(c *chart.Chart) figure {
	p := newPlot(c)
	setAxis(&p.X, c.X)
	log := isLog(c.X)
	k := len(c.Series)
	l := seriesLegend(k)
	for j, s := range c.Series {
		b := &bars{values: s.Values, slot: j, slots: k, log: log, color: chart.SeriesColor(j)}
		p.Add(b)
		if l != nil {
			addEntry(l, j, k, s.Name, b)
		}
	}
	if log {
		// Start below the smallest bar, at a power of ten, so that it shows.
		if lo := p.X.Min; lo > 0 && !math.IsInf(lo, 0) {
			p.X.Min = math.Pow(10, math.Ceil(math.Log10(lo))-1)
		}
	} else {
		p.X.Min = math.Min(p.X.Min, 0)
	}
	fixRange(&p.X, log)
	setCategoryAxis(&p.Y, c.Y.Title, c.Categories, 3*vg.Inch, true)
	return figure{plot: p, legend: l}
}

// bars draws one series of horizontal bars; several series share each row,
// series j taking slot j of slots.
type bars struct {
	values      []float64
	slot, slots int
	log         bool
	color       color.NRGBA
}

func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(b.values)
	h := 0.8 / float64(b.slots)
	for i, v := range b.values {
		if b.log && !(v > 0) {
			continue
		}
		base := 0.0
		if b.log {
			base = p.X.Min
		}
		y0 := float64(n-1-i) + 0.4 - float64(b.slot+1)*h
		x0, x1 := trX(base), trX(v)
		pts := []vg.Point{{X: x0, Y: trY(y0)}, {X: x1, Y: trY(y0)}, {X: x1, Y: trY(y0 + h*0.92)}, {X: x0, Y: trY(y0 + h*0.92)}}
		c.FillPolygon(b.color, c.ClipPolygonXY(pts))
	}
}

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, v := range b.values {
		if b.log && !(v > 0) {
			continue
		}
		xmin, xmax = math.Min(xmin, v), math.Max(xmax, v)
	}
	return xmin, xmax, -0.5, float64(len(b.values)) - 0.5
}

func (b *bars) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(b.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// --- lines, scatter, ECDF, stacked areas -------------------------------------

func xyPlot(c *chart.Chart) figure {
	p := newPlot(c)
	setAxis(&p.X, c.X)
	setAxis(&p.Y, c.Y)
	logX, logY := isLog(c.X), isLog(c.Y)
	if c.Kind == chart.KindStackedArea {
		logY = false
		p.Y.Scale = plot.LinearScale{}
		p.Y.Tick.Marker = ticker{unit: c.Y.Unit}
	}
	if len(c.Bands) > 0 {
		p.Add(&bands{bands: c.Bands, logX: logX})
	}
	k := len(c.Series)
	l := seriesLegend(k)
	if c.Kind == chart.KindStackedArea {
		for j, a := range stack(c.Series) {
			p.Add(a)
			if l != nil {
				addEntry(l, j, k, c.Series[j].Name, a)
			}
		}
	}
	for j, s := range c.Series {
		if c.Kind == chart.KindStackedArea {
			break
		}
		xys := make(plotter.XYs, 0, len(s.Points))
		for _, pt := range s.Points {
			if (logX && !(pt.X > 0)) || (logY && !(pt.Y > 0)) {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
		}
		if len(xys) == 0 {
			continue
		}
		col := chart.SeriesColor(j)
		var th plot.Thumbnailer
		if c.Kind == chart.KindScatter {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				continue
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: translucent(col, 0xb0), Radius: 1.2, Shape: draw.CircleGlyph{}}
			p.Add(sc)
			th = sc
		} else {
			ln, err := plotter.NewLine(xys)
			if err != nil {
				continue
			}
			ln.LineStyle = draw.LineStyle{Color: col, Width: 0.9}
			if c.Kind == chart.KindECDF {
				ln.StepStyle = plotter.PostStep
			}
			p.Add(ln)
			th = ln
		}
		if l != nil {
			addEntry(l, j, k, s.Name, th)
		}
	}
	fixRange(&p.X, logX)
	fixRange(&p.Y, logY)
	timeAxisDate(&p.X, c.X)
	if c.Kind == chart.KindECDF {
		p.Y.Min, p.Y.Max = 0, 1
		if logY {
			p.Y.Min = math.Min(0.01, p.Y.Min)
			fixRange(&p.Y, true)
		}
	}
	if c.Kind == chart.KindStackedArea && p.Y.Min > 0 {
		p.Y.Min = 0
	}
	return figure{plot: p, legend: l}
}

// area is one layer of a stacked area chart: the band between lower and
// upper.
type area struct {
	xs, lower, upper []float64
	color            color.NRGBA
}

// stack turns series (sharing X, as Validate ensures) into cumulated layers,
// the first series at the bottom.
func stack(series []chart.Series) []*area {
	var out []*area
	var below []float64
	for j, s := range series {
		a := &area{color: translucent(chart.SeriesColor(j), 0xd8)}
		for i, pt := range s.Points {
			lo := 0.0
			if below != nil {
				lo = below[i]
			}
			a.xs = append(a.xs, pt.X)
			a.lower = append(a.lower, lo)
			a.upper = append(a.upper, lo+pt.Y)
		}
		below = a.upper
		out = append(out, a)
	}
	return out
}

func (a *area) Plot(c draw.Canvas, p *plot.Plot) {
	if len(a.xs) == 0 {
		return
	}
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, 0, 2*len(a.xs))
	for i, x := range a.xs {
		pts = append(pts, vg.Point{X: trX(x), Y: trY(a.upper[i])})
	}
	for i := len(a.xs) - 1; i >= 0; i-- {
		pts = append(pts, vg.Point{X: trX(a.xs[i]), Y: trY(a.lower[i])})
	}
	c.FillPolygon(a.color, c.ClipPolygonXY(pts))
}

func (a *area) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, x := range a.xs {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin = math.Min(ymin, math.Min(a.lower[i], a.upper[i]))
		ymax = math.Max(ymax, math.Max(a.lower[i], a.upper[i]))
	}
	return
}

func (a *area) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(a.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// bands shades intervals of X over the whole height of the plot.
type bands struct {
	bands []chart.Band
	logX  bool
}

func (b *bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	fill := chart.BandColor()
	sty := textStyle(smallSize)
	sty.Color = color.Gray{Y: 0x44}
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	for _, band := range b.bands {
		if b.logX && !(band.Start > 0) {
			continue
		}
		x0, x1 := trX(band.Start), trX(band.End)
		if x1-x0 < 0.5 {
			mid := (x0 + x1) / 2
			x0, x1 = mid-0.25, mid+0.25
		}
		pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}
		pts = c.ClipPolygonX(pts)
		if len(pts) == 0 {
			continue
		}
		c.FillPolygon(fill, pts)
		if band.Label != "" {
			mid := vg.Point{X: (x0 + x1) / 2, Y: c.Max.Y - 1}
			if c.ContainsX(mid.X) {
				c.FillText(sty, mid, truncate(band.Label, 24))
			}
		}
	}
}

// --- strips ------------------------------------------------------------------

// jitterSeed fixes the jitter of strip charts, so that figures are the same
// on every run.
const jitterSeed = 0x6e65746c656e73

func stripPlot(c *chart.Chart) figure {
	p := newPlot(c)
	setAxis(&p.X, c.X)
	log := isLog(c.X)
	n := len(c.Series)
	names := make([]string, n)
	for i, s := range c.Series {
		names[i] = s.Name
		rng := rand.New(rand.NewPCG(jitterSeed, uint64(i)))
		xys := make(plotter.XYs, 0, len(s.Values))
		for _, v := range s.Values {
			j := (rng.Float64() - 0.5) * 0.6
			if log && !(v > 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: v, Y: float64(n-1-i) + j})
		}
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			continue
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: translucent(chart.SeriesColor(i), 0xa0), Radius: 1.4, Shape: draw.CircleGlyph{}}
		p.Add(sc)
	}
	fixRange(&p.X, log)
	setCategoryAxis(&p.Y, c.Y.Title, names, 3*vg.Inch, true)
	return figure{plot: p}
}
