package static

import (
	"strings"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// placer lays labels out so that none overlaps another or an obstacle
// and all stay inside bounds: a label that fits nowhere is left out.
type placer struct {
	bounds vg.Rectangle
	taken  []vg.Rectangle
}

// labelGap keeps placed labels this far apart, in points.
const labelGap = 1.5

// fits reports whether r lies inside the bounds and clear of every box
// taken.
func (p *placer) fits(r vg.Rectangle) bool {
	if r.Min.X < p.bounds.Min.X || r.Min.Y < p.bounds.Min.Y || r.Max.X > p.bounds.Max.X || r.Max.Y > p.bounds.Max.Y {
		return false
	}
	for _, t := range p.taken {
		if r.Min.X < t.Max.X+labelGap && t.Min.X < r.Max.X+labelGap && r.Min.Y < t.Max.Y+labelGap && t.Min.Y < r.Max.Y+labelGap {
			return false
		}
	}
	return true
}

// take marks r as used.
func (p *placer) take(r vg.Rectangle) { p.taken = append(p.taken, r) }

// place takes the first of the candidate boxes that fits and returns its
// index, or -1 when none does.
func (p *placer) place(candidates ...vg.Rectangle) int {
	for i, r := range candidates {
		if p.fits(r) {
			p.take(r)
			return i
		}
	}
	return -1
}

// textBox returns the box that s covers when drawn with sty (aligned by
// sty.XAlign and sty.YAlign) at pt.
func textBox(sty text.Style, pt vg.Point, s string) vg.Rectangle {
	r := sty.Rectangle(s)
	return vg.Rectangle{Min: pt.Add(r.Min), Max: pt.Add(r.Max)}
}

// titlePadding is the room between a figure's title and what is below it.
const titlePadding = 4

// drawTitle writes title (lines separated by "\n") centred at the top of
// dc, each line wrapped at spaces to the width of dc (and cut with an
// ellipsis when a word is wider), and returns the canvas left below it.
func drawTitle(dc draw.Canvas, sty text.Style, title string) draw.Canvas {
	if title == "" {
		return dc
	}
	width := dc.Max.X - dc.Min.X
	var lines []string
	for _, l := range strings.Split(title, "\n") {
		lines = append(lines, wrap(sty, l, width)...)
	}
	title = strings.Join(lines, "\n")
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	top := vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y}
	dc.FillText(sty, top, title)
	h := sty.Rectangle(title).Size().Y
	return draw.Crop(dc, 0, 0, 0, -h-titlePadding)
}

// wrap breaks s at spaces into lines no wider than width; a word wider
// than width is cut to fit, with an ellipsis.
func wrap(sty text.Style, s string, width vg.Length) []string {
	if sty.Width(s) <= width {
		return []string{s}
	}
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		next := w
		if line != "" {
			next = line + " " + w
		}
		if sty.Width(next) <= width || line == "" {
			line = next
			continue
		}
		lines = append(lines, line)
		line = w
	}
	if line != "" {
		lines = append(lines, line)
	}
	for i, l := range lines {
		lines[i] = fitWidth(sty, l, width)
	}
	return lines
}

// fitWidth cuts s, ending it with an ellipsis, until it is no wider than
// width.
func fitWidth(sty text.Style, s string, width vg.Length) string {
	if sty.Width(s) <= width {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // the longest prefix that fits with "…"
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sty.Width(string(r[:mid])+"…") <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}
