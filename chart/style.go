package chart

import (
	"fmt"
	"image/color"
	"strconv"
)

// seriesColors is the series palette of both renderers (Tableau 10, the
// default of matplotlib, familiar from papers).
var seriesColors = [...]color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

// rampColors are evenly spaced stops of the heatmap colour ramp (viridis,
// readable in grey and by colour-blind readers), from low to high.
var rampColors = [...]color.NRGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x48, 0x24, 0x75, 0xff}, {0x41, 0x44, 0x87, 0xff},
	{0x35, 0x5f, 0x8d, 0xff}, {0x2a, 0x78, 0x8e, 0xff}, {0x21, 0x91, 0x8c, 0xff},
	{0x22, 0xa8, 0x84, 0xff}, {0x44, 0xbf, 0x70, 0xff}, {0x7a, 0xd1, 0x51, 0xff},
	{0xbd, 0xdf, 0x26, 0xff}, {0xfd, 0xe7, 0x25, 0xff},
}

// othersGrey is the index in seriesColors of the grey that a chart of more
// series than colours draws its tail in.
const othersGrey = 7

// Palette returns the series palette, in order: ten colours, pairwise
// distinct. Draw a chart's series in the colours of SeriesColors, not by
// cycling through these.
func Palette() []color.NRGBA { return append([]color.NRGBA(nil), seriesColors[:]...) }

// SeriesColors returns the colours of the n series of one chart, in order,
// so that no two series look alike. Up to ten series get the ten colours of
// the palette. A chart of more series gives its first nine the palette's
// colours other than grey, and the rest (its tail, from OthersFrom(n) on)
// that grey: a legend names the tail once, with OthersLabel. Series should
// come most important first.
func SeriesColors(n int) []color.NRGBA {
	out := make([]color.NRGBA, 0, max(n, 0))
	if n <= len(seriesColors) {
		return append(out, seriesColors[:max(n, 0)]...)
	}
	for i, c := range seriesColors {
		if i != othersGrey {
			out = append(out, c)
		}
	}
	for len(out) < n {
		out = append(out, seriesColors[othersGrey])
	}
	return out
}

// OthersFrom returns the index of the first series of a chart of n series
// that is drawn as one of the "others" (see SeriesColors), or n when every
// series has a colour of its own.
func OthersFrom(n int) int {
	if n <= len(seriesColors) {
		return n
	}
	return len(seriesColors) - 1
}

// OthersLabel is the legend entry of the k series of a chart's tail, drawn
// in one colour: "others (k)".
func OthersLabel(k int) string { return "others (" + strconv.Itoa(k) + ")" }

// RampColors returns the evenly spaced stops of the heatmap colour ramp,
// from low to high values.
func RampColors() []color.NRGBA { return append([]color.NRGBA(nil), rampColors[:]...) }

// RampColor returns the colour of the heatmap ramp at t in [0, 1] (clamped),
// interpolated linearly between the stops of RampColors.
func RampColor(t float64) color.NRGBA {
	if !(t > 0) {
		return rampColors[0]
	}
	if t >= 1 {
		return rampColors[len(rampColors)-1]
	}
	f := t * float64(len(rampColors)-1)
	i := int(f)
	f -= float64(i)
	a, b := rampColors[i], rampColors[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*f + 0.5) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// Hex writes c as a CSS colour: #rrggbb when opaque, else rgba(r,g,b,a).
func Hex(c color.NRGBA) string {
	if c.A == 0xff {
		return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	return fmt.Sprintf("rgba(%d,%d,%d,%.3g)", c.R, c.G, c.B, float64(c.A)/255)
}

// BandColor returns the translucent fill of bands (see Band): an orange
// that a band a few points wide still shows, and that lets the series
// behind it through.
func BandColor() color.NRGBA { return color.NRGBA{0xff, 0x7f, 0x0e, 0x5c} }
