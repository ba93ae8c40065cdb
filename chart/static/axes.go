package static

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// textStyle returns the figures' text style at size points.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(textFont(size), size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the chart's title and the figures' fonts.
func newPlot(c *chart.Chart) *plot.Plot {
	p := plot.New()
	// The canvas is white before anything is drawn (drawChart): a plot
	// painting its own white background over it would change no pixel, but
	// costs a fill of its whole area, most of a raster figure's drawing.
	p.BackgroundColor = nil
	p.Title.Text = titleText(c)
	p.Title.TextStyle = textStyle(titleSize)
	p.Title.Padding = titlePadding
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(textFont(labelSize), labelSize)
		a.Tick.Label.Font = font.From(textFont(tickSize), tickSize)
		a.Tick.Length = 4
		a.Padding = 2
	}
	p.Legend.TextStyle.Font = font.From(textFont(tickSize), tickSize)
	return p
}

// setAxis gives a numeric axis its title, scale and ticks. Log is ignored on
// time axes.
func setAxis(a *plot.Axis, ax chart.Axis) {
	a.Label.Text = truncate(ax.Label(""), 80)
	log := isLog(ax)
	if log {
		a.Scale = plot.LogScale{}
	}
	a.Tick.Marker = ticker{unit: ax.Unit, log: log}
}

func isLog(ax chart.Axis) bool { return ax.Log && ax.Unit != chart.UnitTime }

// fixRange makes an axis' range drawable: finite, not empty, and above zero
// on a log scale. It runs after every plotter has been added.
func fixRange(a *plot.Axis, log bool) {
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) || math.IsNaN(a.Min) || math.IsNaN(a.Max) {
		a.Min, a.Max = 0, 1
		if log {
			a.Min, a.Max = 1, 10
		}
	}
	if log {
		if a.Min <= 0 {
			a.Min = math.Min(1, a.Max/10)
		}
		if a.Max <= a.Min {
			a.Min, a.Max = a.Min/10, a.Min*10
		}
		return
	}
	if a.Max <= a.Min {
		d := math.Max(math.Abs(a.Min)*0.1, 1)
		a.Min, a.Max = a.Min-d, a.Max+d
	}
}

// ticker places and labels the ticks of a numeric axis by unit: SI byte
// sizes, durations, UTC times, percentages or plain numbers, on a linear or
// log scale.
type ticker struct {
	unit chart.Unit
	log  bool
}

func (t ticker) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return []plot.Tick{{Value: lo, Label: chart.FormatValue(lo, t.unit)}}
	}
	switch {
	case t.unit == chart.UnitTime:
		return timeTicks(lo, hi)
	case t.log && lo > 0:
		return t.logTicks(lo, hi)
	}
	return linearTicks(lo, hi, t.unit)
}

// linearTicks labels about five round values (1, 2, 2.5 or 5 times a power
// of ten apart), with a minor tick halfway between labels.
func linearTicks(lo, hi float64, unit chart.Unit) []plot.Tick {
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	minor := step / 2
	first := math.Ceil(lo/minor) * minor
	for i := 0; i < 100; i++ {
		v := first + float64(i)*minor
		if v > hi+minor*1e-9 {
			break
		}
		if math.Abs(v) < minor*1e-9 {
			v = 0
		}
		tk := plot.Tick{Value: v}
		if r := math.Remainder(v, step); math.Abs(r) < minor*1e-6 {
			tk.Label = chart.FormatValue(v, unit)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// logTicks labels each power of ten in range, with minor ticks between;
// ranges within one decade label 1, 2 and 5 times the powers too.
func (t ticker) logTicks(lo, hi float64) []plot.Tick {
	first, last := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	if last-first > 60 {
		first = last - 60
	}
	step := 1
	if last-first > 8 {
		step = (last - first + 7) / 8
	}
	labelled := map[int]bool{1: true}
	if last-first <= 1 {
		labelled[2], labelled[5] = true, true
	}
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		base := math.Pow10(e)
		for m := 1; m <= 9; m++ {
			v := base * float64(m)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			tk := plot.Tick{Value: v}
			if labelled[m] && (m != 1 || (e-first)%step == 0) {
				tk.Label = chart.FormatValue(v, t.unit)
			}
			if m == 1 || last-first <= 8 {
				ticks = append(ticks, tk)
			}
		}
	}
	return ticks
}

// timeSteps are the spacings of time ticks, in seconds.
var timeSteps = []float64{
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
	1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400, 364 * 86400,
}

// timeTicks labels round UTC times, at most about five of them.
func timeTicks(lo, hi float64) []plot.Tick {
	span := hi - lo
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s <= 5 {
			step = s
			break
		}
	}
	for span/step > 5 {
		step *= 2
	}
	layout := timeLayout(step, span)
	var ticks []plot.Tick
	first := math.Ceil(lo/step) * step
	for i := 0; i < 100; i++ {
		v := first + float64(i)*step
		if v > hi {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: chart.FormatTime(v, layout)})
	}
	return ticks
}

// timeLayout writes only what changes between ticks step seconds apart on
// an axis spanning span seconds.
func timeLayout(step, span float64) string {
	switch {
	case step >= 86400:
		return "2006-01-02"
	case step >= 60 && span >= 86400:
		return "01-02 15:04"
	case step >= 60:
		return "15:04"
	case step >= 1:
		return "15:04:05"
	default:
		return "15:04:05.000"
	}
}

// timeAxisDate adds the date to a time axis' label when the ticks show only
// times of day.
func timeAxisDate(a *plot.Axis, ax chart.Axis) {
	if ax.Unit != chart.UnitTime || a.Max-a.Min >= 86400 || chart.FormatTime(a.Min, "2006-01-02") != chart.FormatTime(a.Max, "2006-01-02") {
		return
	}
	a.Label.Text = truncate(ax.Label(chart.FormatTime(a.Min, "2006-01-02")), 80)
}

// categoryTicks labels categories: name i sits at i, or at n-1-i when
// topDown (so that the first row is on top). Only every step-th name is
// written, from the first on.
func categoryTicks(names []string, maxRunes int, topDown bool, step int) plot.ConstantTicks {
	n := len(names)
	ticks := make(plot.ConstantTicks, n)
	for i, name := range names {
		v := float64(i)
		if topDown {
			v = float64(n - 1 - i)
		}
		ticks[i] = plot.Tick{Value: v}
		if i%step == 0 {
			ticks[i].Label = truncate(name, maxRunes)
		}
	}
	return ticks
}

// setCategoryAxis makes a an axis of categories (rows top to bottom when
// topDown, else columns left to right) whose labels share avail points
// along the axis, each taking its line height times spacing (more than 1
// for labels turned across the axis). Labels get smaller to fit, down to
// minTextSize; beyond that only every second, third, ... is written.
func setCategoryAxis(a *plot.Axis, title string, names []string, avail vg.Length, topDown bool, spacing float64) {
	a.Label.Text = truncate(title, 80)
	a.Min, a.Max = -0.5, float64(len(names))-0.5
	a.Tick.Length = 0
	size := vg.Length(tickSize)
	step := 1
	if n := len(names); n > 0 && avail > 0 {
		// A line of text takes about 1.2 times its size.
		per := avail / vg.Length(n) / vg.Length(1.2*spacing)
		size = min(size, max(minTextSize, per))
		if per < minTextSize {
			step = int(math.Ceil(float64(minTextSize / per)))
		}
	}
	a.Tick.Marker = categoryTicks(names, 48, topDown, step)
	a.Tick.Label.Font = font.From(textFont(size), size)
}
