package static

import (
	"gonum.org/v1/plot/vg"

	"github.com/netlens/netlens/chart"
)

// Cost estimates the processor time Render takes to draw c in format f at
// its default size, in milliseconds of one core of the machine the
// figures were measured on. It is a guess to order work by, not a
// measure: a PNG costs about 8 ms per million pixels (drawing, converting
// and compressing them) plus what its marks cost, a PDF or an SVG mostly
// what its marks cost.
func Cost(c *chart.Chart, f Format) float64 {
	if c == nil {
		return 0
	}
	marks := 0
	for _, s := range c.Series {
		marks += len(s.Points) + len(s.Values)
	}
	if c.Graph != nil {
		marks += 4 * (len(c.Graph.Nodes) + len(c.Graph.Edges)) // a label or an arrow each
	}
	if c.Heatmap != nil {
		marks += len(c.Heatmap.Cells)
	}
	switch f {
	case PNG:
		s, err := sizeFor(c, Size{})
		if err != nil {
			return 0
		}
		mpix := float64(s.Width/vg.Inch*DPI) * float64(s.Height/vg.Inch*DPI) / 1e6
		return 8*mpix + 0.01*float64(marks)
	case PDF:
		return 1.5 + 0.012*float64(marks)
	case SVG:
		return 0.3 + 0.004*float64(marks)
	}
	return 0
}
