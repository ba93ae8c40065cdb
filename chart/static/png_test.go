package static

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
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
	// Opaque but for one pixel in its last row, whose half is compressed
	// apart from the first.
	lastTranslucent := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for y := range 40 {
		for x := range 50 {
			lastTranslucent.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 6), 9, 0xff})
		}
	}
	lastTranslucent.Set(49, 39, color.RGBA{10, 20, 30, 0x80})
	// Rows the same as the row above, as most of a figure's are.
	repeated := image.NewRGBA(image.Rect(0, 0, 40, 30))
	repeatedAlpha := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			v := uint8(x + y/7*50)
			repeated.Set(x, y, color.RGBA{v, 0xff - v, v / 2, 0xff})
			repeatedAlpha.Set(x, y, color.RGBA{v / 2, v / 3, v / 4, v})
		}
	}
	for _, tt := range []struct {
		name      string
		img       *image.RGBA
		colorType byte
	}{
		{"opaque", opaque, 2},
		{"translucent", translucent, 6},
		{"sub-image", sub, 2},
		{"translucent in its last row", lastTranslucent, 6},
		{"repeated rows", repeated, 2},
		{"repeated translucent rows", repeatedAlpha, 6},
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

// BenchmarkEncodePNG encodes the pixels of the golden charts' figures.
func BenchmarkEncodePNG(b *testing.B) {
	for _, c := range Goldens(b) {
		pc := newPNGCanvas(DefaultSize())
		if err := drawChart(draw.New(pc), c); err != nil {
			b.Fatal(err)
		}
		img := pc.img
		b.Run(c.ID, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(img.Pix)))
			for b.Loop() {
				if err := encodePNG(io.Discard, img, DPI); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Goldens loads the example specs of package chart, one of every kind
// (exported for the tests of package static_test too).
func Goldens(tb testing.TB) []*chart.Chart {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no specs in ../testdata: %v", err)
	}
	var out []*chart.Chart
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		c := new(chart.Chart)
		if err := json.Unmarshal(raw, c); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		out = append(out, c)
	}
	return out
}

// TestAdler32Update: the checksum of bytes following others, eight at a
// time, is hash/adler32's, whatever the bytes, their length and the sum
// before them.
func TestAdler32Update(t *testing.T) {
	mixed := make([]byte, 300_000)
	for i := range mixed {
		mixed[i] = byte(i*131 + i/7)
	}
	ones := bytes.Repeat([]byte{0xff}, 200_000)
	for _, tt := range []struct {
		name   string
		before []byte
		p      []byte
	}{
		{"nothing", nil, nil},
		{"one byte", nil, []byte{7}},
		{"seven bytes", []byte("abc"), mixed[:7]},
		{"eight bytes", nil, mixed[:8]},
		{"a row", mixed[:5761], mixed[5761 : 2*5761]},
		{"more than a chunk", []byte("x"), mixed},
		{"0xff bytes", ones[:3], ones},
		{"after 0xff bytes", ones, mixed[:100_001]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := adler32Update(adler32.Checksum(tt.before), tt.p)
			if want := adler32.Checksum(append(slices.Clone(tt.before), tt.p...)); got != want {
				t.Errorf("%08x, want %08x", got, want)
			}
		})
	}
}

// TestAdler32Combine: the checksum of two byte strings one after the other,
// made from theirs, is that of the whole.
func TestAdler32Combine(t *testing.T) {
	whole := make([]byte, 200_000)
	for i := range whole {
		whole[i] = byte(i*7 + i/300)
	}
	for _, cut := range []int{0, 1, 100, 65_520, 65_521, 65_522, 131_042, 199_999, 200_000} {
		a, b := whole[:cut], whole[cut:]
		got := adler32Combine(adler32.Checksum(a), adler32.Checksum(b), int64(len(b)))
		if want := adler32.Checksum(whole); got != want {
			t.Errorf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
}
