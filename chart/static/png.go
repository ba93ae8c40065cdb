package static

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"sync"

	"git.sr.ht/~sbinet/gg"
	"github.com/golang/freetype/raster"
	"github.com/klauspost/compress/flate"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/netlens/netlens/internal/hugepages"
)

// pngCanvas is a raster canvas of DPI dots per inch, written as PNG by
// encodePNG.
type pngCanvas struct {
	*vgimg.Canvas
	img *image.RGBA
	ctx *gg.Context
	// colors is the colour of gg's context and of those Push saved: the
	// colour text is drawn in (see FillString) and shapes filled (Fill).
	colors []color.Color
	// raster and path are those of Fill, made once per figure.
	raster *raster.Rasterizer
	path   raster.Path
}

var _ vg.CanvasWriterTo = (*pngCanvas)(nil)

// images keeps the pixels of a few figures drawn before for the next ones:
// a figure is megabytes, and fresh memory costs more to fault in than to
// clear. Unlike a sync.Pool, it keeps them across garbage collections.
var images = make(chan *image.RGBA, 4)

// newPNGCanvas returns a white canvas of size, to be released once written.
func newPNGCanvas(size Size) *pngCanvas {
	w := int(size.Width/vg.Inch*DPI + 0.5)
	h := int(size.Height/vg.Inch*DPI + 0.5)
	var img *image.RGBA
	select {
	case img = <-images:
	default:
	}
	if n := 4 * w * h; img == nil || cap(img.Pix) < n {
		// Megabytes touched at once, first by the white background: in
		// huge pages, a few page faults rather than one every 4 KiB.
		img = &image.RGBA{Pix: hugepages.Make[uint8](n), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	} else {
		img.Pix, img.Stride, img.Rect = img.Pix[:n], 4*w, image.Rect(0, 0, w, h)
	}
	// As vgimg.NewWith sets up a context of its own, without copying the
	// image; it paints the background.
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	// vgimg.NewWith starts the canvas black (vg.Initialize).
	return &pngCanvas{Canvas: vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(DPI)), img: img, ctx: ctx,
		colors: []color.Color{color.Black}}
}

// release hands the canvas' pixels on to the next figure.
func (c *pngCanvas) release() {
	if c.img != nil {
		select {
		case images <- c.img:
		default:
		}
		c.img = nil
	}
}

// WriteTo implements vg.CanvasWriterTo.
func (c *pngCanvas) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := encodePNG(cw, c.img, DPI)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// encodePNG writes img as a PNG of 8-bit RGB (RGBA when img has
// transparent pixels) that says it is dpi dots per inch.
//
// A figure is mostly flat colour: rows written as they are (PNG filter
// None) and compressed fast come out smaller than image/png's adaptive
// filters at its default level, several times faster. The compressor is
// klauspost/compress' at level 1. Its level 3, which takes 40% of the
// processor time of the standard library's fastest level on a report's
// figures for files 15% larger (PNG filters, tried on them, make them
// larger still), made the figures of the mix capture's report 4% smaller
// than level 1 does, for 40% more time (their 21 PNGs on one core: 150 to
// 210 ms; the golden charts' figures, about the same time).
// Images other than *image.RGBA go to image/png.
func encodePNG(w io.Writer, img image.Image, dpi int) error {
	rgba, ok := img.(*image.RGBA)
	if !ok {
		return png.Encode(w, img)
	}
	b := rgba.Bounds()
	width, height := b.Dx(), b.Dy()
	if width <= 0 || height <= 0 || width > math.MaxInt32/4 || height > math.MaxInt32 {
		return png.Encode(w, img) // its error for an empty or huge image
	}
	// The rows are compressed into memory first: whether the image is
	// opaque (written as RGB) or not (RGBA) is found while they are, and a
	// figure compresses to a few hundred kilobytes.
	var z *bytes.Buffer
	select {
	case z = <-compressed:
		z.Reset()
	default:
		z = bytes.NewBuffer(make([]byte, 0, 1<<20))
	}
	defer func() {
		select {
		case compressed <- z:
		default:
		}
	}()
	opaque, err := compressRows(z, rgba, true)
	if err != nil {
		return err
	}
	colorType := byte(2) // RGB
	if !opaque {
		z.Reset()
		if _, err := compressRows(z, rgba, false); err != nil {
			return err
		}
		colorType = 6 // RGBA
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, colorType // bit depth; compression, filter and interlace 0
	if err := writeChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	var phys [9]byte
	ppm := uint32(math.Round(float64(dpi) / 0.0254)) // pixels per metre
	binary.BigEndian.PutUint32(phys[0:], ppm)
	binary.BigEndian.PutUint32(phys[4:], ppm)
	phys[8] = 1 // the unit is the metre
	if err := writeChunk(bw, "pHYs", phys[:]); err != nil {
		return err
	}
	for data := z.Bytes(); len(data) > 0; {
		n := min(len(data), idatSize)
		if err := writeChunk(bw, "IDAT", data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// idatSize is the most compressed bytes in one IDAT chunk.
const idatSize = 64 << 10

// compressed keeps the buffers of a few compressed images for the next
// ones, as images keeps their pixels.
var compressed = make(chan *bytes.Buffer, 4)

// compressRows writes the rows of img, each with its filter type (0,
// None), as a zlib stream to z: as RGB when rgb, else as RGBA. As RGB it
// stops at the first pixel that is not opaque and returns false.
//
// The two halves of a figure's rows are compressed at the same time, each
// on its own (the first ends with a sync flush, and the stream's checksum
// is the two halves' combined): the last figure of a report is drawn
// while the other core has nothing left to do.
func compressRows(z *bytes.Buffer, img *image.RGBA, rgb bool) (ok bool, err error) {
	b := img.Bounds()
	mid := b.Max.Y
	if b.Dy() >= splitRows {
		mid = b.Min.Y + b.Dy()/2
	}
	z.WriteString("\x78\x01") // deflate with a 32 KiB window, "fastest" (level 1)
	split := mid < b.Max.Y
	var second struct {
		buf  *bytes.Buffer
		sum  uint32
		n    int64
		ok   bool
		err  error
		done chan struct{}
	}
	if split {
		second.done = make(chan struct{})
		second.buf = deflated.Get().(*bytes.Buffer)
		second.buf.Reset()
		defer deflated.Put(second.buf)
		go func() {
			defer close(second.done)
			second.sum, second.n, second.ok, second.err = deflateRows(second.buf, img, mid, b.Max.Y, rgb, true)
		}()
	}
	sum, _, ok, err := deflateRows(z, img, b.Min.Y, mid, rgb, !split)
	if split {
		<-second.done
		if err == nil {
			err = second.err
		}
		ok = ok && second.ok
		if err == nil && ok {
			z.Write(second.buf.Bytes())
			sum = adler32Combine(sum, second.sum, second.n)
		}
	}
	if err != nil || !ok {
		return false, err
	}
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], sum)
	z.Write(tail[:])
	return true, nil
}

// splitRows is the least number of rows whose halves compressRows
// compresses at the same time.
const splitRows = 16

// deflateRows compresses rows y0 to y1 of img as a raw deflate stream to
// w, ended as the last part of a stream (final) or with a sync flush, and
// returns the Adler-32 checksum and the length of the bytes compressed.
// As RGB it stops at the first pixel that is not opaque and returns false.
func deflateRows(w io.Writer, img *image.RGBA, y0, y1 int, rgb, final bool) (sum uint32, n int64, ok bool, err error) {
	width := img.Bounds().Dx()
	bpp := 4
	if rgb {
		bpp = 3
	}
	fw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(fw)
	fw.Reset(w)
	sum = 1 // the checksum of no bytes
	// The filter type (0), then the pixels; as RGB, two pixels are written
	// as 8 bytes whose last two the next pixels overwrite, hence two spare
	// bytes.
	row := make([]byte, 1+bpp*width+2)
	var last []byte   // the pixels row holds, converted
	var rowSum uint32 // the checksum of row alone
	for y := y0; y < y1; y++ {
		pix := img.Pix[img.PixOffset(img.Rect.Min.X, y):][:4*width]
		out := row[:1+bpp*width]
		switch {
		case bytes.Equal(pix, last):
			// Half the rows of a figure are the row above them again
			// (white margins, the plot between its marks): row holds
			// them already, and its checksum is known.
		case rgb:
			x, o := 0, 1
			for ; x+8 <= len(pix); x, o = x+8, o+6 {
				v := binary.LittleEndian.Uint64(pix[x:])
				if v&0xff000000_ff000000 != 0xff000000_ff000000 {
					return 0, 0, false, nil
				}
				binary.LittleEndian.PutUint64(row[o:], v&0xffffff|v>>8&0xffffff_000000)
			}
			if x < len(pix) { // an odd width's last pixel
				v := binary.LittleEndian.Uint32(pix[x:])
				if v>>24 != 0xff {
					return 0, 0, false, nil
				}
				binary.LittleEndian.PutUint32(row[o:], v)
			}
			rowSum = adler32Update(1, out)
		default:
			// PNG's colours are not premultiplied by alpha; this converts
			// as image/png does.
			for x := 0; x < len(pix); x += 4 {
				d, s := row[1+x:5+x], pix[x:x+4]
				switch s[3] {
				case 0:
					d[0], d[1], d[2], d[3] = 0, 0, 0, 0
				case 0xff:
					copy(d, s)
				default:
					const m = 0x101 * 0xffff
					a := uint32(s[3]) * 0x101
					d[0] = uint8((uint32(s[0]) * m / a) >> 8)
					d[1] = uint8((uint32(s[1]) * m / a) >> 8)
					d[2] = uint8((uint32(s[2]) * m / a) >> 8)
					d[3] = s[3]
				}
			}
			rowSum = adler32Update(1, out)
		}
		last = pix
		sum = adler32Combine(sum, rowSum, int64(len(out)))
		n += int64(len(out))
		if _, err := fw.Write(out); err != nil {
			return 0, 0, false, err
		}
	}
	if final {
		err = fw.Close()
	} else {
		err = fw.Flush()
	}
	return sum, n, err == nil, err
}

// adler32Update returns the Adler-32 checksum of the bytes summed in sum
// followed by p, as hash/adler32 computes it, eight bytes at a time: of
// each eight, the sum of the bytes and the sum weighted by their distance
// from the end, each made with one multiplication of their 16-bit lanes.
func adler32Update(sum uint32, p []byte) uint32 {
	const (
		mod   = 65521
		chunk = 1 << 16 // bytes summed before the sums are reduced: s2 stays far below 2^64
	)
	s1, s2 := uint64(sum&0xffff), uint64(sum>>16)
	for len(p) > 0 {
		q := p[:min(len(p), chunk)]
		p = p[len(q):]
		for ; len(q) >= 8; q = q[8:] {
			v := binary.LittleEndian.Uint64(q)
			even := v & 0x00ff00ff_00ff00ff // bytes 0, 2, 4 and 6, a lane each
			odd := v >> 8 & 0x00ff00ff_00ff00ff
			// The top lane of each product is the sum of the lanes
			// weighted by the other factor's lanes taken in reverse.
			s2 += 8*s1 + (even*0x0008_0006_0004_0002)>>48 + (odd*0x0007_0005_0003_0001)>>48
			s1 += ((even + odd) * 0x0001_0001_0001_0001) >> 48
		}
		for _, b := range q {
			s1 += uint64(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return uint32(s2<<16 | s1)
}

// adler32Combine returns the Adler-32 checksum of two byte strings
// one after the other from the checksum of each and the length of the
// second (zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, len2 int64) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	sum1 := a1 & 0xffff
	sum2 := rem * sum1 % base
	sum1 += a2&0xffff + base - 1
	sum2 += a1>>16 + a2>>16 + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum1 | sum2<<16
}

// flateWriters keeps compressors for reuse: each holds a few hundred
// kilobytes of tables.
var flateWriters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(io.Discard, pngLevel)
	return fw
}}

// deflated keeps the buffers of the second halves of compressed images.
var deflated = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 512<<10)) }}

// pngLevel is the compression level of PNG figures (see encodePNG).
const pngLevel = 1

// writeChunk writes a PNG chunk: length, type, data and CRC.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
