package static

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// The text of a PNG figure is drawn by pngCanvas itself where it can be:
// vgimg draws each glyph through golang.org/x/image/draw's bilinear
// transform, pixel by pixel through interfaces, even when the glyph only
// moves by whole pixels, as all unrotated text does. That was a sixth of
// the processor time of a report's figures. FillString below does the
// same arithmetic on the pixels directly, so that the pictures are the
// same to the bit; rotated text still goes to vgimg.

// SetColor implements vg.Canvas, keeping the colour text is drawn in.
func (c *pngCanvas) SetColor(clr color.Color) {
	c.Canvas.SetColor(clr)
	if clr == nil {
		clr = color.Black // as vgimg
	}
	c.colors[len(c.colors)-1] = clr
}

// Push implements vg.Canvas.
func (c *pngCanvas) Push() {
	c.Canvas.Push()
	c.colors = append(c.colors, c.colors[len(c.colors)-1])
}

// Pop implements vg.Canvas.
func (c *pngCanvas) Pop() {
	c.Canvas.Pop()
	if len(c.colors) > 1 {
		c.colors = c.colors[:len(c.colors)-1]
	}
}

// FillString implements vg.Canvas: as vgimg's, which it calls for text
// that is not moved by whole pixels only.
func (c *pngCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Font.Size == 0 {
		return
	}
	tx, ty, ok := c.textShift()
	if !ok {
		c.Canvas.FillString(f, pt, str)
		return
	}
	dpi := c.DPI()
	face := f.FontFace(dpi)
	defer face.Close()
	_, h := c.Size()
	// vgimg flips y and draws at (x, h-y), gg at the nearest 1/64 pixel.
	x, y := pt.X.Dots(dpi), h.Dots(dpi)-pt.Y.Dots(dpi)
	dot := fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}
	sr, sg, sb, sa := c.colors[len(c.colors)-1].RGBA()
	bounds := c.img.Bounds()
	prev := rune(-1)
	for _, r := range str {
		if prev >= 0 {
			dot.X += face.Kern(prev, r)
		}
		dr, mask, mp, advance, ok := face.Glyph(dot, r)
		if !ok {
			continue
		}
		shift := image.Point{X: tx, Y: ty}
		target := dr.Add(shift).Intersect(bounds)
		alpha, _ := mask.(*image.Alpha)
		for py := target.Min.Y; py < target.Max.Y; py++ {
			my := mp.Y + py - shift.Y - dr.Min.Y
			for px := target.Min.X; px < target.Max.X; px++ {
				mx := mp.X + px - shift.X - dr.Min.X
				var ma uint32
				if alpha != nil {
					ma = uint32(alpha.Pix[alpha.PixOffset(mx, my)]) * 0x101
				} else {
					_, _, _, ma = mask.At(mx, my).RGBA()
				}
				if ma == 0 {
					continue // the pixel stays as it is
				}
				// draw.BiLinear's Over of a uniform colour through a mask,
				// with every weight but one zero.
				pr, pg, pb, pa := sr*ma/0xffff, sg*ma/0xffff, sb*ma/0xffff, sa*ma/0xffff
				pa1 := 0xffff - pa
				d := c.img.Pix[c.img.PixOffset(px, py):][:4:4]
				d[0] = uint8(uint16(uint32(d[0])*0x101*pa1/0xffff+pr) >> 8)
				d[1] = uint8(uint16(uint32(d[1])*0x101*pa1/0xffff+pg) >> 8)
				d[2] = uint8(uint16(uint32(d[2])*0x101*pa1/0xffff+pb) >> 8)
				d[3] = uint8(uint16(uint32(d[3])*0x101*pa1/0xffff+pa) >> 8)
			}
		}
		dot.X += advance
		prev = r
	}
}

// textShift returns the whole pixels by which vgimg's FillString would
// move the glyphs it draws now: the transform of the canvas with the y
// axis flipped once more, as FillString flips it. ok is false when that
// transform is more than a move by whole pixels (rotated text).
func (c *pngCanvas) textShift() (tx, ty int, ok bool) {
	c.ctx.Push()
	defer c.ctx.Pop()
	c.ctx.InvertY()
	x0, y0 := c.ctx.TransformPoint(0, 0)
	x1, y1 := c.ctx.TransformPoint(1, 0)
	x2, y2 := c.ctx.TransformPoint(0, 1)
	if x1-x0 != 1 || y1 != y0 || x2 != x0 || y2-y0 != 1 ||
		x0 != math.Trunc(x0) || y0 != math.Trunc(y0) || math.Abs(x0) > 1<<20 || math.Abs(y0) > 1<<20 {
		return 0, 0, false
	}
	return int(x0), int(y0), true
}
