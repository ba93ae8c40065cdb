package static

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/netlens/netlens/chart"
)

// DPI is the resolution of PNG output.
const DPI = 300

// Format is an output file format.
type Format int

// The output formats.
const (
	PNG Format = iota + 1 // raster, DPI dots per inch
	SVG                   // vector, text as text
	PDF                   // vector, fonts embedded
)

// String returns the format's file extension without the dot.
func (f Format) String() string {
	switch f {
	case PNG:
		return "png"
	case SVG:
		return "svg"
	case PDF:
		return "pdf"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrFormat is wrapped by the errors of ParseFormat and FormatOf.
var ErrFormat = errors.New("unknown figure format")

// ParseFormat reads a format name: png, svg or pdf, in any case, with or
// without a leading dot.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(s, ".")) {
	case "png":
		return PNG, nil
	case "svg":
		return SVG, nil
	case "pdf":
		return PDF, nil
	}
	return 0, fmt.Errorf("%w %q: want png, svg or pdf", ErrFormat, s)
}

// FormatOf returns the format named by a file's extension, as in
// "figures/talkers.pdf".
func FormatOf(path string) (Format, error) {
	f, err := ParseFormat(filepath.Ext(path))
	if err != nil {
		return 0, fmt.Errorf("figure %s: %w", path, err)
	}
	return f, nil
}

// Size is the size of a figure. The zero Size picks DefaultSize, made taller
// for graphs and for charts with many rows of categories.
type Size struct {
	Width, Height vg.Length
}

// DefaultSize is a figure for one column of a paper: 6.4 x 3.6 inches
// (1920 x 1080 pixels at 300 dpi).
func DefaultSize() Size { return Size{Width: 6.4 * vg.Inch, Height: 3.6 * vg.Inch} }

// maxSide bounds each side of a figure, and so a PNG's memory.
const maxSide = 20 * vg.Inch

// sizeFor returns the size to draw c at.
func sizeFor(c *chart.Chart, s Size) (Size, error) {
	if s == (Size{}) {
		s = DefaultSize()
		if c.Empty != "" {
			return s, nil
		}
		rows := 0
		switch c.Kind {
		case chart.KindGraph:
			s.Height = 4.8 * vg.Inch
		case chart.KindHBar:
			rows = len(c.Categories) * max(1, len(c.Series))
		case chart.KindStrip:
			rows = len(c.Series)
		case chart.KindHeatmap:
			rows = len(c.Heatmap.Rows)
		}
		// About 12 points per row of labels, up to 9 inches.
		s.Height = min(max(s.Height, vg.Inch+vg.Length(rows)*12), 9*vg.Inch)
	}
	if !(s.Width > 0 && s.Height > 0 && s.Width <= maxSide && s.Height <= maxSide) {
		return Size{}, fmt.Errorf("figure size %.4g x %.4g in: want each side above 0 and at most %g in",
			s.Width/vg.Inch, s.Height/vg.Inch, maxSide/vg.Inch)
	}
	return s, nil
}

// Render draws c as a figure of the given format and size (the zero Size
// for the default) and writes it to w.
func Render(w io.Writer, c *chart.Chart, f Format, size Size) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("render figure: %w", err)
	}
	size, err := sizeFor(c, size)
	if err != nil {
		return fmt.Errorf("render figure %s: %w", c.ID, err)
	}
	var cw vg.CanvasWriterTo
	switch f {
	case PNG:
		pc := newPNGCanvas(size)
		defer pc.release()
		cw = pc
	case SVG:
		cw = vgsvg.New(size.Width, size.Height)
	case PDF:
		cw = newPDFCanvas(size)
	default:
		return fmt.Errorf("render figure %s: %w %v", c.ID, ErrFormat, f)
	}
	if err := drawChart(draw.New(cw), c); err != nil {
		return fmt.Errorf("render figure %s: %w", c.ID, err)
	}
	if _, err := cw.WriteTo(w); err != nil {
		return fmt.Errorf("render figure %s: write %s: %w", c.ID, f, err)
	}
	return nil
}

// drawChart draws c on dc. The plotting library panics on some inputs it
// cannot draw; such a panic is returned as an error.
func drawChart(dc draw.Canvas, c *chart.Chart) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("draw %s chart: %v", c.Kind, r)
		}
	}()
	if _, painted := dc.Canvas.(*pngCanvas); !painted { // a raster canvas starts white
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	dc = draw.Crop(dc, 3, -3, 0, -1) // a margin, so that no label touches the edge
	dc = drawNote(dc, c.Note)
	if c.Empty != "" {
		drawEmpty(dc, c)
		return nil
	}
	switch c.Kind {
	case chart.KindHBar:
		return hbarPlot(c, dc).draw(dc)
	case chart.KindLines, chart.KindScatter, chart.KindStems, chart.KindECDF, chart.KindStackedArea:
		return xyPlot(c).draw(dc)
	case chart.KindStrip:
		return stripPlot(c, dc).draw(dc)
	case chart.KindHeatmap:
		return drawHeatmap(dc, c)
	case chart.KindGraph:
		return graphPlot(c, dc).draw(dc)
	}
	return fmt.Errorf("unknown kind %q", c.Kind)
}

// Text sizes, in points, for a figure in a column of a paper. No text is
// smaller than minTextSize: labels that would need less room are thinned
// or left out instead.
const (
	titleSize   = 10
	labelSize   = 8
	tickSize    = 7
	smallSize   = 6
	minTextSize = smallSize
)

func textFont(size vg.Length) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	return f
}

// titleText is the title of c's figure, its subtitle on a second line.
func titleText(c *chart.Chart) string {
	t := truncate(c.Title, 120)
	if c.Subtitle != "" {
		t += "\n" + truncate(c.Subtitle, 140)
	}
	return t
}

// drawNote writes note small at the bottom left of dc and returns the
// canvas left above it.
func drawNote(dc draw.Canvas, note string) draw.Canvas {
	if note == "" {
		return dc
	}
	sty := textStyle(smallSize)
	sty.Color = color.Gray{Y: 0x55}
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	note = fitWidth(sty, truncate(note, 160), dc.Max.X-dc.Min.X-4)
	h := sty.Rectangle(note).Size().Y
	dc.FillText(sty, vg.Point{X: dc.Min.X + 4, Y: dc.Min.Y + 3}, note)
	return draw.Crop(dc, 0, 0, h+6, 0)
}

// drawEmpty draws a chart without data: its title at the top and, in the
// middle of the figure, the message that says why there is nothing to
// draw.
func drawEmpty(dc draw.Canvas, c *chart.Chart) {
	below := drawTitle(dc, textStyle(titleSize), titleText(c))
	msg := textStyle(labelSize)
	msg.Color = color.Gray{Y: 0x55}
	msg.XAlign, msg.YAlign = draw.XCenter, draw.YCenter
	mid := vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: (below.Min.Y + below.Max.Y) / 2}
	dc.FillText(msg, mid, fitWidth(msg, truncate(c.Empty, 160), dc.Max.X-dc.Min.X))
}

// truncate shortens s to at most n runes, ending it with an ellipsis when
// cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
