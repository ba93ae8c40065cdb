package static

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEncodePNG: what encodePNG writes decodes, with image/png, to the
// very pixels image/png's own encoder gives, opaque or not, and says 300 dpi.
func TestEncodePNG(t *testing.T) {
	opaque := image.NewRGBA(image.Rect(0, 0, 301, 7))
	translucent := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 301 {
			c := color.RGBA{uint8(x), uint8(y * 4), uint8(x ^ y), 0xff}
			opaque.Set(x, y, c)
			a := uint8(x * 4) // 0, transparent, to 252
			translucent.Set(x, y, color.RGBA{uint8(y) * a / 255, uint8(x) * a / 255, a / 2, a})
		}
	}
	// A sub-image starts inside its pixels.
	sub := opaque.SubImage(image.Rect(5, 2, 205, 6)).(*image.RGBA)
	for _, tt := range []struct {
		name      string
		img       *image.RGBA
		colorType byte
	}{
		{"opaque", opaque, 2},
		{"translucent", translucent, 6},
		{"sub-image", sub, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got, want bytes.Buffer
			if err := encodePNG(&got, tt.img, 300); err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(&want, tt.img); err != nil {
				t.Fatal(err)
			}
			g, err := png.Decode(bytes.NewReader(got.Bytes()))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			w, err := png.Decode(bytes.NewReader(want.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w.Bounds(), g.Bounds()); diff != "" {
				t.Fatalf("bounds (-want +got):\n%s", diff)
			}
			b := w.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if wc, gc := color.NRGBAModel.Convert(w.At(x, y)), color.NRGBAModel.Convert(g.At(x, y)); wc != gc {
						t.Fatalf("pixel %d,%d: %v, want %v", x, y, gc, wc)
					}
				}
			}
			data := got.Bytes()
			if ct := data[8+8+9]; ct != tt.colorType {
				t.Errorf("colour type %d, want %d", ct, tt.colorType)
			}
			i := bytes.Index(data, []byte("pHYs"))
			if i < 0 {
				t.Fatal("no pHYs chunk")
			}
			x, y, unit := binary.BigEndian.Uint32(data[i+4:]), binary.BigEndian.Uint32(data[i+8:]), data[i+12]
			if x != 11811 || y != 11811 || unit != 1 {
				t.Errorf("pHYs %d x %d per unit %d, want 11811 per metre (300 dpi)", x, y, unit)
			}
		})
	}
}
