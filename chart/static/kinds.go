package static

import (
	"image/color"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// figure is a plot with its legend, drawn to the plot's right, and the
// labels of its bands, drawn in a lane above the plot.
type figure struct {
	plot   *plot.Plot
	legend *plot.Legend // nil for none
	bands  *bands       // nil for none
}

func (f figure) draw(dc draw.Canvas) error {
	title := f.plot.Title.Text
	f.plot.Title.Text = ""
	dc = drawTitle(dc, f.plot.Title.TextStyle, title)
	if f.legend != nil {
		r := f.legend.Rectangle(dc)
		lw := r.Max.X - r.Min.X
		if lw > 0 && lw < (dc.Max.X-dc.Min.X)/2 {
			f.legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw-2, 0, 0, 0))
			dc = draw.Crop(dc, 0, -lw-8, 0, 0)
		}
	}
	if f.bands == nil || !f.bands.labelled() {
		f.plot.Draw(dc)
		return nil
	}
	// The data area's left and right do not depend on the lane's height:
	// lay the labels out in a lane of the most rows, then keep the rows
	// they use.
	row := bandLabelStyle().Rectangle("0").Size().Y + 1
	data := f.plot.DataCanvas(draw.Crop(dc, 0, 0, 0, -row*maxLabelRows))
	labels, rows := f.bands.layoutLabels(f.plot, data)
	lane := row * vg.Length(rows)
	f.plot.Draw(draw.Crop(dc, 0, 0, 0, -lane))
	sty := bandLabelStyle()
	for _, l := range labels {
		y := data.Max.Y + row*vg.Length(maxLabelRows-rows) + row*vg.Length(l.row) + 1
		dc.FillText(sty, vg.Point{X: l.x, Y: y}, l.text)
	}
	return nil
}

// newLegend returns an empty legend in the figures' style, icons left,
// its lines apart by a fifth of their height.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(tickSize)
	l.Left = true
	l.Top = true
	l.ThumbnailWidth = 10
	l.Padding = tickSize / 5
	return &l
}

// addEntry adds series i of n to l: each series of its own colour gets an
// entry, and the tail drawn in one grey (see chart.SeriesColors) one entry
// that counts it.
func addEntry(l *plot.Legend, i, n int, name string, th plot.Thumbnailer) {
	from := chart.OthersFrom(n)
	switch {
	case i < from:
		l.Add(truncate(name, 36), th)
	case i == from:
		l.Add(chart.OthersLabel(n-from), th)
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

// hbarPlot draws bars on dc: its height sets the room of the categories'
// labels.
func hbarPlot(c *chart.Chart, dc draw.Canvas) figure {
	p := newPlot(c)
	setAxis(&p.X, c.X)
	log := isLog(c.X)
	k := len(c.Series)
	l := seriesLegend(k)
	colors := chart.SeriesColors(k)
	for j, s := range c.Series {
		b := &bars{values: s.Values, slot: j, slots: k, log: log, color: colors[j]}
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
	// The rows share the height below the title and above the value axis.
	avail := dc.Max.Y - dc.Min.Y - 0.75*vg.Inch
	setCategoryAxis(&p.Y, c.Y.Title, c.Categories, avail, true, 1)
	return figure{plot: p, legend: l}
}

// minBarLength is the shortest bar drawn for a value that is not zero, in
// points.
const minBarLength = 0.75

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
		if v != base && math.Abs(float64(x1-x0)) < minBarLength { // a bar that is not zero shows
			x1 = x0 + vg.Length(math.Copysign(minBarLength, float64(x1-x0)))
		}
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

// --- lines, scatter, stems, ECDF, stacked areas ------------------------------

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
	var bs *bands
	if len(c.Bands) > 0 {
		bs = &bands{bands: c.Bands, logX: logX}
		p.Add(bs)
	}
	k := len(c.Series)
	l := seriesLegend(k)
	colors := chart.SeriesColors(k)
	if c.Kind == chart.KindStackedArea {
		for j, a := range stack(c.Series, colors) {
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
		col := colors[j]
		var th plot.Thumbnailer
		switch c.Kind {
		case chart.KindScatter:
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				continue
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: translucent(col, 0xb0), Radius: 1.2, Shape: draw.CircleGlyph{}}
			p.Add(dotScatter{sc})
			th = sc
		case chart.KindStems:
			st := &stems{xys: xys, color: col, logY: logY}
			p.Add(st)
			th = st
		default:
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
	if (c.Kind == chart.KindStackedArea || c.Kind == chart.KindStems && !logY) && p.Y.Min > 0 {
		p.Y.Min = 0
	}
	return figure{plot: p, legend: l, bands: bs}
}

// stems draws one series of events (packets) as stems: a thin line from
// the baseline (zero, or the bottom of a log axis) up to a marker at each
// point. No line joins two points.
type stems struct {
	xys   plotter.XYs
	color color.NRGBA
	logY  bool
}

// Sizes of stems, in points.
const (
	stemWidth    = 0.5
	stemMarker   = 1.1
	stemMaxAlpha = 0xc0
)

func (s *stems) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := 0.0
	if s.logY || p.Y.Min > 0 {
		base = p.Y.Min
	}
	y0 := trY(math.Min(math.Max(base, p.Y.Min), p.Y.Max))
	line := draw.LineStyle{Color: translucent(s.color, stemMaxAlpha), Width: stemWidth}
	var d dots
	for _, xy := range s.xys {
		x, y := trX(xy.X), trY(xy.Y)
		if !c.ContainsX(x) || y == y0 || !d.take(x, y) {
			continue
		}
		c.StrokeLine2(line, x, y0, x, y)
	}
	glyph := draw.GlyphStyle{Color: s.color, Radius: stemMarker, Shape: draw.CircleGlyph{}}
	d = dots{}
	for _, xy := range s.xys {
		pt := vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
		if c.Contains(pt) && d.take(pt.X, pt.Y) {
			c.DrawGlyph(glyph, pt)
		}
	}
}

// dots counts the marks drawn on each dot of a figure (1/DPI inch, the
// pixel of the PNG) so that a chart of thousands of points draws each
// mark at most maxPerDot times on the same dot: the marks are translucent,
// and three on top of each other are 97% opaque, so that further ones
// change nothing one can see, but cost as much to draw. A series of
// packets (stems, scatter) often has hundreds of points on one dot.
type dots map[[2]int32]uint8

// maxPerDot is the most times a mark is drawn on one dot.
const maxPerDot = 3

// take tells whether a mark at (x, y) is still to be drawn, and counts it.
func (d *dots) take(x, y vg.Length) bool {
	if *d == nil {
		*d = dots{}
	}
	const dot = vg.Inch / DPI
	k := [2]int32{int32(math.Floor(float64(x / dot))), int32(math.Floor(float64(y / dot)))}
	if (*d)[k] >= maxPerDot {
		return false
	}
	(*d)[k]++
	return true
}

// dotScatter is a scatter that draws each glyph at most maxPerDot times on
// the same dot (see dots).
type dotScatter struct{ *plotter.Scatter }

// Plot draws the glyphs that change the figure.
func (s dotScatter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var d dots
	kept := make(plotter.XYs, 0, len(s.XYs))
	for _, xy := range s.XYs {
		if d.take(trX(xy.X), trY(xy.Y)) {
			kept = append(kept, xy)
		}
	}
	thin := *s.Scatter
	thin.XYs = kept
	thin.Plot(c, p)
}

// GlyphBoxes keeps the glyphs inside the plot (see extremeBoxes).
func (s dotScatter) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	return extremeBoxes(p, s.XYs, s.GlyphStyle.Radius)
}

func (s *stems) DataRange() (xmin, xmax, ymin, ymax float64) {
	return plotter.XYRange(s.xys)
}

// GlyphBoxes keeps the markers inside the plot (see extremeBoxes).
func (s *stems) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	return extremeBoxes(p, s.xys, stemMarker)
}

// extremeBoxes returns the boxes of the glyphs of radius r at xys that
// the plot keeps inside it: of the glyphs inside the axes' ranges, those
// furthest left, right, down and up.
//
// The plot pads its data area so that the box furthest out on each side
// is inside it, and asks for the boxes four times per figure: one box
// per point, all the same size, came to thousands of boxes each time,
// megabytes made and searched for a series of packets, while the four
// boxes at the ends decide the padding alone, the same.
func extremeBoxes(p *plot.Plot, xys plotter.XYs, r vg.Length) []plot.GlyphBox {
	ends := [4]int{-1, -1, -1, -1} // left, right, down, up
	var at [4]float64
	for i, xy := range xys {
		x, y := p.X.Norm(xy.X), p.Y.Norm(xy.Y)
		if !(x >= 0 && x <= 1 && y >= 0 && y <= 1) { // as the plot, which leaves out the rest
			continue
		}
		for k, v := range [4]float64{-x, x, -y, y} {
			if ends[k] < 0 || v > at[k] {
				ends[k], at[k] = i, v
			}
		}
	}
	boxes := make([]plot.GlyphBox, 0, len(ends))
	for k, i := range ends {
		if i < 0 || slices.Contains(ends[:k], i) {
			continue
		}
		boxes = append(boxes, plot.GlyphBox{X: p.X.Norm(xys[i].X), Y: p.Y.Norm(xys[i].Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}})
	}
	return boxes
}

func (s *stems) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	x := (r.Min.X + r.Max.X) / 2
	c.StrokeLine2(draw.LineStyle{Color: translucent(s.color, stemMaxAlpha), Width: stemWidth}, x, r.Min.Y, x, r.Max.Y-stemMarker)
	c.DrawGlyph(draw.GlyphStyle{Color: s.color, Radius: stemMarker, Shape: draw.CircleGlyph{}}, vg.Point{X: x, Y: r.Max.Y - stemMarker})
}

// area is one layer of a stacked area chart: the band between lower and
// upper.
type area struct {
	xs, lower, upper []float64
	color            color.NRGBA
}

// stack turns series (sharing X, as Validate ensures) into cumulated layers,
// the first series at the bottom, in the given colours.
func stack(series []chart.Series, colors []color.NRGBA) []*area {
	var out []*area
	var below []float64
	for j, s := range series {
		a := &area{color: translucent(colors[j], 0xd8)}
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

// bands shades intervals of X over the whole height of the plot, each at
// least minBandWidth wide; the figure writes their labels above the plot
// (see layoutLabels).
type bands struct {
	bands []chart.Band
	logX  bool
}

// minBandWidth is the narrowest band drawn, in points: a burst of a few
// milliseconds on an axis of minutes still shows.
const minBandWidth = 2

// maxLabelRows is how many rows of band labels a figure may stack above
// its plot; labels that fit in none are left out.
const maxLabelRows = 2

func bandLabelStyle() text.Style {
	sty := textStyle(smallSize)
	sty.Color = color.Gray{Y: 0x44}
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	return sty
}

// span returns the left and right of band on c, widened to minBandWidth
// about its middle and, at an edge of c, inward; ok is false when the band
// is not on c.
func (b *bands) span(band chart.Band, c draw.Canvas, trX func(float64) vg.Length) (x0, x1 vg.Length, ok bool) {
	if b.logX && !(band.Start > 0) {
		return 0, 0, false
	}
	x0, x1 = trX(band.Start), trX(band.End)
	if x1 < c.Min.X || x0 > c.Max.X {
		return 0, 0, false
	}
	if x1-x0 < minBandWidth {
		mid := (x0 + x1) / 2
		x0, x1 = mid-minBandWidth/2, mid+minBandWidth/2
	}
	x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
	if x1-x0 < minBandWidth {
		if x0 == c.Min.X {
			x1 = x0 + minBandWidth
		} else {
			x0 = x1 - minBandWidth
		}
	}
	return x0, x1, true
}

func (b *bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	fill := chart.BandColor()
	for _, band := range b.bands {
		x0, x1, ok := b.span(band, c, trX)
		if !ok {
			continue
		}
		c.FillPolygon(fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
}

func (b *bands) labelled() bool {
	for _, band := range b.bands {
		if band.Label != "" {
			return true
		}
	}
	return false
}

// bandLabel is a band's label placed in the lane above the plot: centred
// at x, in row (0 the lowest).
type bandLabel struct {
	text string
	x    vg.Length
	row  int
}

// layoutLabels places the labels of the bands over their middles on data,
// the plot's data area, in the lowest row where they overlap no other
// label, shifted to stay above the plot; a label that fits in no row is
// left out. It returns the labels and the rows used.
func (b *bands) layoutLabels(p *plot.Plot, data draw.Canvas) ([]bandLabel, int) {
	trX, _ := p.Transforms(&data)
	sty := bandLabelStyle()
	rows := make([]placer, maxLabelRows)
	for i := range rows {
		rows[i].bounds = vg.Rectangle{Min: vg.Point{X: data.Min.X, Y: -1}, Max: vg.Point{X: data.Max.X, Y: 1}}
	}
	var out []bandLabel
	used := 0
	for _, band := range b.bands {
		if band.Label == "" {
			continue
		}
		x0, x1, ok := b.span(band, data, trX)
		if !ok {
			continue
		}
		label := truncate(band.Label, 24)
		w := sty.Width(label)
		x := min(max((x0+x1)/2, data.Min.X+w/2), data.Max.X-w/2)
		box := vg.Rectangle{Min: vg.Point{X: x - w/2}, Max: vg.Point{X: x + w/2}}
		for r := range rows {
			if rows[r].fits(box) {
				rows[r].take(box)
				out = append(out, bandLabel{text: label, x: x, row: r})
				used = max(used, r+1)
				break
			}
		}
	}
	return out, used
}

// --- strips ------------------------------------------------------------------

// jitterSeed fixes the jitter of strip charts, so that figures are the same
// on every run.
const jitterSeed = 0x6e65746c656e73

// stripPlot draws strips on dc: its height sets the room of the rows'
// labels.
func stripPlot(c *chart.Chart, dc draw.Canvas) figure {
	p := newPlot(c)
	setAxis(&p.X, c.X)
	log := isLog(c.X)
	n := len(c.Series)
	colors := chart.SeriesColors(n)
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
		sc.GlyphStyle = draw.GlyphStyle{Color: translucent(colors[i], 0xa0), Radius: 1.4, Shape: draw.CircleGlyph{}}
		p.Add(sc)
	}
	fixRange(&p.X, log)
	setCategoryAxis(&p.Y, c.Y.Title, names, dc.Max.Y-dc.Min.Y-0.75*vg.Inch, true, 1)
	return figure{plot: p}
}
