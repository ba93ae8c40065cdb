package chart

import (
	"fmt"
	"image/color"
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

// SeriesColor returns the colour of the i-th series; the palette repeats.
func SeriesColor(i int) color.NRGBA {
	if i < 0 {
		i = -i
	}
	return seriesColors[i%len(seriesColors)]
}

// SeriesColors returns the series palette, in order.
func SeriesColors() []color.NRGBA { return append([]color.NRGBA(nil), seriesColors[:]...) }

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

// BandColor returns the translucent fill of bands (see Band).
func BandColor() color.NRGBA { return color.NRGBA{0xff, 0x7f, 0x0e, 0x38} }
