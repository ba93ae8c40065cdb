package static

import (
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestFill: a shape filled by pngCanvas has the pixels vgimg gives it,
// whether pngCanvas rasterizes it (straight lines, an opaque colour) or
// hands it to vgimg, moved, scaled or turned, whole pixels or not.
func TestFill(t *testing.T) {
	rect := func(x0, y0, x1, y1 vg.Length) vg.Path {
		var p vg.Path
		p.Move(vg.Point{X: x0, Y: y0})
		p.Line(vg.Point{X: x1, Y: y0})
		p.Line(vg.Point{X: x1, Y: y1})
		p.Line(vg.Point{X: x0, Y: y1})
		p.Close()
		return p
	}
	var star vg.Path
	for i := range 10 {
		r := vg.Length(40)
		if i%2 == 1 {
			r = 15
		}
		a := float64(i) * math.Pi / 5
		pt := vg.Point{X: 100 + r*vg.Length(math.Cos(a)), Y: 80 + r*vg.Length(math.Sin(a))}
		if i == 0 {
			star.Move(pt)
		} else {
			star.Line(pt)
		}
	}
	var open vg.Path // not closed, with a second outline, starting with a line
	open.Line(vg.Point{X: 10, Y: 10})
	open.Line(vg.Point{X: 60.3, Y: 12.7})
	open.Line(vg.Point{X: 30.1, Y: 70.9})
	open.Move(vg.Point{X: 200, Y: 10})
	open.Line(vg.Point{X: 250, Y: 10})
	open.Line(vg.Point{X: 250, Y: 60})
	var round vg.Path
	round.Move(vg.Point{X: 150, Y: 150})
	round.Arc(vg.Point{X: 150, Y: 150}, 20, 0, 2*math.Pi)
	round.Close()
	shapes := []struct {
		name string
		path vg.Path
	}{
		{"whole pixels", rect(24, 24, 120, 72)},
		{"fractions of pixels", rect(10.13, 20.77, 200.41, 21.9)},
		{"past the edges", rect(-30, -30, 500, 40.5)},
		{"one pixel", rect(50, 50, 50.24, 50.24)},
		{"star", star},
		{"open, two outlines", open},
		{"arc", round},
	}
	colors := []color.Color{
		color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.Black,
		color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xa0},
	}
	moves := []struct {
		name string
		do   func(c vg.Canvas)
	}{
		{"as it is", func(vg.Canvas) {}},
		{"moved", func(c vg.Canvas) { c.Translate(vg.Point{X: 3.3, Y: -7.1}) }},
		{"scaled", func(c vg.Canvas) { c.Scale(1.7, 0.6) }},
		{"turned", func(c vg.Canvas) { c.Rotate(0.3) }},
	}
	size := Size{Width: 4 * vg.Inch, Height: 3 * vg.Inch}
	for _, sh := range shapes {
		for _, mv := range moves {
			t.Run(sh.name+"/"+mv.name, func(t *testing.T) {
				got, want := newPNGCanvas(size), newPNGCanvas(size)
				defer got.release()
				defer want.release()
				for _, pc := range []*pngCanvas{got, want} {
					pc.Push()
					mv.do(pc)
				}
				for _, clr := range colors {
					got.SetColor(clr)
					got.Fill(sh.path)
					want.SetColor(clr)
					want.Canvas.Fill(sh.path)
				}
				if n := differing(got.img.Pix, want.img.Pix); n > 0 {
					t.Errorf("%d bytes of the pixels differ", n)
				}
			})
		}
	}
}
