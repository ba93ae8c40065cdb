package static

import (
	"bytes"
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// TestFillStringAsVgimg: text drawn by pngCanvas is, pixel for pixel, the
// text vgimg draws, in any colour, cut at the edges, moved, rotated.
func TestFillStringAsVgimg(t *testing.T) {
	size := Size{Width: 2 * vg.Inch, Height: vg.Inch}
	for _, tt := range []struct {
		name  string
		text  string
		at    vg.Point
		size  vg.Length
		color color.Color
		// slow: vgimg draws the text (it is not moved by whole pixels).
		slow bool
		// before draws on the canvas first (a move, a rotation).
		before func(c interface {
			Translate(vg.Point)
			Rotate(float64)
		})
	}{
		{name: "black", text: "Payload over time (UTC) 0123456789", at: vg.Point{X: 10, Y: 30}, size: labelSize, color: color.Black},
		{name: "grey, small", text: "showing the 10 busiest of 2,345 addresses", at: vg.Point{X: 3.3, Y: 4.71}, size: smallSize, color: color.Gray{Y: 0x55}},
		{name: "translucent", text: "AVAWij", at: vg.Point{X: 20.1, Y: 40.9}, size: titleSize, color: color.NRGBA{R: 200, G: 30, B: 90, A: 100}},
		{name: "no colour set", text: "black", at: vg.Point{X: 20, Y: 20}, size: titleSize},
		{name: "cut at the edges", text: "cut cut cut cut cut cut cut cut cut cut", at: vg.Point{X: -7.5, Y: 68}, size: titleSize, color: color.Black},
		{name: "whole points away", text: "moved", at: vg.Point{X: 5, Y: 5}, size: tickSize, color: color.Black,
			before: func(c interface {
				Translate(vg.Point)
				Rotate(float64)
			}) {
				c.Translate(vg.Point{X: 24, Y: 12})
			}},
		{name: "a fraction of a pixel away", text: "moved", at: vg.Point{X: 5, Y: 5}, size: tickSize, color: color.Black, slow: true,
			before: func(c interface {
				Translate(vg.Point)
				Rotate(float64)
			}) {
				c.Translate(vg.Point{X: 0.1, Y: 0.07})
			}},
		{name: "rotated", text: "turned by 30 degrees", at: vg.Point{X: 60, Y: 10}, size: tickSize, color: color.Black, slow: true,
			before: func(c interface {
				Translate(vg.Point)
				Rotate(float64)
			}) {
				c.Rotate(math.Pi / 6)
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := font.DefaultCache.Lookup(textStyle(tt.size).Font, tt.size)
			got, want := newPNGCanvas(size), newPNGCanvas(size)
			defer got.release()
			defer want.release()
			got.Push()
			want.Canvas.Push()
			if tt.color != nil {
				got.SetColor(tt.color)
				want.Canvas.SetColor(tt.color)
			}
			if tt.before != nil {
				tt.before(got)
				tt.before(want.Canvas)
			}
			if _, _, fast := got.textShift(); fast == tt.slow {
				t.Errorf("drawn by pngCanvas itself: %v, want %v", fast, !tt.slow)
			}
			got.FillString(f, tt.at, tt.text)
			want.Canvas.FillString(f, tt.at, tt.text)
			got.Pop()
			want.Canvas.Pop()
			if n := differing(got.img.Pix, want.img.Pix); n > 0 {
				t.Fatalf("%d bytes of the pixels differ from vgimg's", n)
			}
			if bytes.Count(got.img.Pix, []byte{0xff}) == len(got.img.Pix) {
				t.Error("nothing drawn")
			}
		})
	}
}

// differing counts the bytes of a that differ from b's, of the same
// length.
func differing(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
