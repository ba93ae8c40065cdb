// The PDF canvas follows gonum.org/v1/plot/vg/vgpdf (Copyright ©2015 The
// Gonum Authors, BSD-style licence), call for call on go-pdf's document,
// but for how it sets text and fills circles (see pdfCanvas).

package static

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	stdfnt "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"

	"github.com/netlens/netlens/chart"
)

// pdfCanvas is a vector canvas that writes a PDF document of one page
// through go-pdf, as gonum's vgpdf does, with these differences:
//
//   - Its text is all set in one font size, scaled to the size asked for.
//     vgpdf handles each font as a font and a size: for every size a
//     figure uses, it writes the whole font file out of the parsed font
//     again (and the first time in a process makes the PDF's font data
//     from it). Drawn at pdfFontSize in a coordinate system scaled by
//     size/pdfFontSize around the text's origin, the text has the same
//     place and size, every length measured from the font (its bounds, its
//     baseline) being proportional to the size.
//   - The font's data is made once per process and added to each document
//     as it is, without the font file written out again first.
//   - A circle (a scatter's or a stem's glyph) is written as go-pdf writes
//     it, but from text made once per radius: the six curves of a circle
//     about its centre are the same for every circle of that radius, and a
//     figure of a few thousand packets formatted forty numbers each.
type pdfCanvas struct {
	doc   *fpdf.Fpdf
	w, h  vg.Length
	stack []pdfContext
	fonts map[font.Font]bool
	// images counts the images drawn, which are named by their number.
	images int
	// buf is where a circle's text is made.
	buf []byte
}

var _ vg.CanvasWriterTo = (*pdfCanvas)(nil)

// pdfContext is the state Push saves and Pop restores.
type pdfContext struct {
	width vg.Length
}

// pdfFontSize is the one font size of a PDF figure's text, in points.
const pdfFontSize = 10

// pdfDPI is the resolution of the canvas' lengths: points.
const pdfDPI = 72

func newPDFCanvas(size Size) *pdfCanvas {
	doc := fpdf.NewCustom(&fpdf.InitType{UnitStr: "pt", Size: fpdf.SizeType{Wd: size.Width.Points(), Ht: size.Height.Points()}})
	c := &pdfCanvas{doc: doc, w: size.Width, h: size.Height, stack: make([]pdfContext, 1), fonts: map[font.Font]bool{}}
	doc.SetMargins(0, 0, 0)
	doc.AddPage()
	c.Push()
	c.Translate(vg.Point{X: 0, Y: c.h})
	c.Scale(1, -1)
	vg.Initialize(c)
	return c
}

// Size implements vg.CanvasSizer.
func (c *pdfCanvas) Size() (w, h vg.Length) { return c.w, c.h }

func (c *pdfCanvas) context() *pdfContext { return &c.stack[len(c.stack)-1] }

// unit returns the length in the document's unit, the point.
func (c *pdfCanvas) unit(l vg.Length) float64 { return l.Dots(pdfDPI) }

func (c *pdfCanvas) point(pt vg.Point) (float64, float64) { return c.unit(pt.X), c.unit(pt.Y) }

// SetLineWidth implements vg.Canvas.
func (c *pdfCanvas) SetLineWidth(w vg.Length) {
	c.context().width = w
	c.doc.SetLineWidth(c.unit(w))
}

// SetLineDash implements vg.Canvas.
func (c *pdfCanvas) SetLineDash(dashes []vg.Length, offs vg.Length) {
	ds := make([]float64, len(dashes))
	for i, d := range dashes {
		ds[i] = c.unit(d)
	}
	c.doc.SetDashPattern(ds, c.unit(offs))
}

// SetColor implements vg.Canvas.
func (c *pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	r, g, b, a := clr.RGBA()
	ri, gi, bi := int(r>>8), int(g>>8), int(b>>8)
	c.doc.SetFillColor(ri, gi, bi)
	c.doc.SetDrawColor(ri, gi, bi)
	c.doc.SetTextColor(ri, gi, bi)
	c.doc.SetAlpha(float64(a)/math.MaxUint16, "Normal")
}

// Rotate implements vg.Canvas.
func (c *pdfCanvas) Rotate(r float64) { c.doc.TransformRotate(-r*180/math.Pi, 0, 0) }

// Translate implements vg.Canvas.
func (c *pdfCanvas) Translate(pt vg.Point) { c.doc.TransformTranslate(c.point(pt)) }

// Scale implements vg.Canvas.
func (c *pdfCanvas) Scale(x, y float64) { c.doc.TransformScale(x*100, y*100, 0, 0) }

// Push implements vg.Canvas.
func (c *pdfCanvas) Push() {
	c.stack = append(c.stack, *c.context())
	c.doc.TransformBegin()
}

// Pop implements vg.Canvas.
func (c *pdfCanvas) Pop() {
	c.doc.TransformEnd()
	c.stack = c.stack[:len(c.stack)-1]
}

// Stroke implements vg.Canvas.
func (c *pdfCanvas) Stroke(p vg.Path) {
	if c.context().width > 0 {
		c.path(p, "D")
	}
}

// Fill implements vg.Canvas.
func (c *pdfCanvas) Fill(p vg.Path) {
	if c.circle(p) {
		return
	}
	c.path(p, "F")
}

// FillString implements vg.Canvas, with the face set at pdfFontSize and
// the text scaled to its size.
func (c *pdfCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Font.Size == 0 {
		return
	}
	if f.Font.Size != pdfFontSize {
		k := float64(f.Font.Size / pdfFontSize)
		f.Font.Size = pdfFontSize
		c.Push()
		defer c.Pop()
		c.Translate(pt)
		c.Scale(k, k)
		pt = vg.Point{}
	}
	c.font(f)
	style := fontStyle(f)
	c.doc.SetFont(f.Name(), style, c.unit(f.Font.Size))
	c.Push()
	defer c.Pop()
	c.Translate(pt)
	c.Scale(1, -1) // go-pdf's origin is the top left corner
	// The text's bounds, as vgpdf's sbounds: left is 0.
	_, size := c.doc.GetFontSize()
	var top float64
	if d := c.doc.GetFontDesc(f.Name(), style); d.Ascent == 0 {
		top = 0.81 * size
	} else {
		top = -float64(d.Ascent) * size / float64(d.Ascent-d.Descent)
	}
	right, bottom := c.doc.GetStringWidth(str), top+size
	c.doc.MoveTo(-0-c.doc.GetCellMargin(), top)
	c.doc.CellFormat(right-0, bottom-top, str, "", 0, "BL", false, 0, "")
}

// fontStyle is go-pdf's style of f: "", "B", "I" or "BI".
func fontStyle(f font.Face) string {
	style := ""
	if f.Font.Weight == stdfnt.WeightBold {
		style += "B"
	}
	if f.Font.Style == stdfnt.StyleItalic {
		style += "I"
	}
	return style
}

// DrawImage implements vg.Canvas.
func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	opts := fpdf.ImageOptions{ImageType: "png", ReadDpi: true}
	c.images++
	name := fmt.Sprintf("image_%03d.png", c.images)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(fmt.Errorf("pdf image: %w", err))
	}
	c.doc.RegisterImageOptionsReader(name, opts, &buf)
	x, y := c.point(rect.Min)
	w, h := c.point(rect.Size())
	c.doc.ImageOptions(name, x, y, w, h, false, opts, 0, "")
}

// font adds f's font to the document the first time it is used.
func (c *pdfCanvas) font(f font.Face) {
	if c.fonts[f.Font] {
		return
	}
	d, err := pdfFontOf(f)
	if err != nil {
		panic(fmt.Errorf("pdf font %s: %w", f.Name(), err))
	}
	c.fonts[f.Font] = true
	c.doc.AddFontFromBytes(f.Name(), "", d.json, d.z)
}

// path writes p and fills or strokes it (style "F" or "D").
func (c *pdfCanvas) path(p vg.Path, style string) {
	var x0, y0 float64
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			x0, y0 = c.point(comp.Pos)
			c.doc.MoveTo(x0, y0)
		case vg.LineComp:
			c.doc.LineTo(c.point(comp.Pos))
		case vg.ArcComp:
			c.arc(comp, style)
		case vg.CurveComp:
			px, py := c.point(comp.Pos)
			switch len(comp.Control) {
			case 1:
				cx, cy := c.point(comp.Control[0])
				c.doc.CurveTo(cx, cy, px, py)
			case 2:
				cx, cy := c.point(comp.Control[0])
				dx, dy := c.point(comp.Control[1])
				c.doc.CurveBezierCubicTo(cx, cy, dx, dy, px, py)
			default:
				panic("pdf: invalid number of control points")
			}
		case vg.CloseComp:
			c.doc.LineTo(x0, y0)
			c.doc.ClosePath()
		default:
			panic(fmt.Sprintf("pdf: unknown path component type %d", comp.Type))
		}
	}
	c.doc.DrawPath(style)
}

// arc writes an arc of a path as go-pdf's Arc, which vgpdf asks to rotate
// it by its angle, and which fills or strokes it itself.
func (c *pdfCanvas) arc(comp vg.PathComp, style string) {
	x0 := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start))
	y0 := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start))
	c.doc.LineTo(c.unit(x0), c.unit(y0))
	const deg = 180 / math.Pi
	angle := comp.Angle * deg
	beg := comp.Start * deg
	r := c.unit(comp.Radius)
	c.doc.Arc(c.unit(comp.Pos.X), c.unit(comp.Pos.Y), r, r, angle, beg, beg+angle, style)
	x1 := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start+comp.Angle))
	y1 := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start+comp.Angle))
	c.doc.MoveTo(c.unit(x1), c.unit(y1))
}

// circle writes p and fills it when it is a whole circle alone, as
// draw.CircleGlyph makes it (a move to its rightmost point, an arc of 2π
// from there, a close), and reports whether it was. The text is path's,
// to the byte: the move, arc's line to its start, go-pdf's rotation by
// the arc's angle about the centre with its curves about it (the same
// for every circle of a radius: made once, circleText), the fill and "Q"
// that end it, arc's move to its end, the close and the path's fill.
func (c *pdfCanvas) circle(p vg.Path) bool {
	if len(p) != 3 || p[0].Type != vg.MoveComp || p[1].Type != vg.ArcComp || p[2].Type != vg.CloseComp {
		return false
	}
	a := p[1]
	if a.Start != 0 || a.Angle != 2*math.Pi || !(a.Radius > 0) || p[0].Pos != (vg.Point{X: a.Pos.X + a.Radius, Y: a.Pos.Y}) {
		return false
	}
	// go-pdf's coordinates: points (k = 1), y down from the top, h.
	_, h := c.doc.GetPageSize()
	x0, y0 := c.point(p[0].Pos)
	x1 := c.unit(a.Pos.X + a.Radius*vg.Length(math.Cos(a.Start+a.Angle)))
	y1 := c.unit(a.Pos.Y + a.Radius*vg.Length(math.Sin(a.Start+a.Angle)))
	rot, curves := circleText(c.unit(a.Radius), a.Angle, h)
	b := c.buf[:0]
	b = appendPair(b, x0, h-y0, 2, " m\n")
	b = appendPair(b, x0, h-y0, 2, " l\n")
	b = append(b, rot...)
	b = appendPair(b, c.unit(a.Pos.X), (h-c.unit(a.Pos.Y))*1, 5, " cm\n")
	b = append(b, curves...)
	b = append(b, "f\nQ\n"...)
	b = appendPair(b, x1, h-y1, 2, " m\n")
	b = appendPair(b, x0, h-y0, 2, " l\nh\nf")
	c.buf = b
	c.doc.RawWriteStr(string(b))
	return true
}

// appendPair appends x and y with prec decimals, then op.
func appendPair(b []byte, x, y float64, prec int, op string) []byte {
	b = strconv.AppendFloat(b, x, 'f', prec, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, y, 'f', prec, 64)
	return append(b, op...)
}

// circleText returns the text go-pdf's arc writes for a circle of radius
// r and angle (2π) on a page of height h, from vgpdf's call: its rotation
// up to the centre ("q" and the matrix' first four numbers), and the
// curves after "cm", about the centre. Both are made once per radius,
// angle and height.
func circleText(r, angle, h float64) (rot, curves string) {
	key := [3]float64{r, angle, h}
	circleTexts.Lock()
	defer circleTexts.Unlock()
	if t, ok := circleTexts.made[key]; ok {
		return t[0], t[1]
	}
	t := arcText(r, angle, h)
	if circleTexts.made == nil {
		circleTexts.made = map[[3]float64][2]string{}
	}
	circleTexts.made[key] = t
	return t[0], t[1]
}

// circleTexts keeps the texts circleText made.
var circleTexts struct {
	sync.Mutex
	made map[[3]float64][2]string
}

// arcText is circleText's texts, made as go-pdf's arc makes them (k = 1)
// for vgpdf's call: Arc(x, y, r, r, angle in degrees, 0, angle in degrees).
func arcText(r, angle, h float64) [2]string {
	const deg = 180 / math.Pi
	degRotate := angle * deg
	degStart, degEnd := 0*deg, 0*deg+degRotate
	segments := int(degEnd-degStart) / 60
	if segments < 2 {
		segments = 2
	}
	angleStart := degStart * math.Pi / 180
	angleEnd := degEnd * math.Pi / 180
	dt := (angleEnd - angleStart) / float64(segments)
	dtm := dt / 3
	sin, cos := math.Sincos(-degRotate * math.Pi / 180)
	var rot []byte
	rot = append(rot, "q "...)
	for _, v := range [4]float64{cos, -1 * sin, sin, cos} {
		rot = strconv.AppendFloat(rot, v, 'f', 5, 64)
		rot = append(rot, ' ')
	}
	// After the rotation its centre is (0, 0); a page point (x, y) is
	// written x and h - y, and y is h - (its height up from 0).
	up := func(v float64) float64 { return h - (h - v) }
	t := angleStart
	a0, b0 := r*math.Cos(t), r*math.Sin(t)
	c0, d0 := -r*math.Sin(t), r*math.Cos(t)
	var cur []byte
	cur = appendPair(cur, a0, up(b0), 2, " m\n")
	for j := 1; j <= segments; j++ {
		t = float64(j)*dt + angleStart
		a1, b1 := r*math.Cos(t), r*math.Sin(t)
		c1, d1 := -r*math.Sin(t), r*math.Cos(t)
		for k, v := range [6]float64{a0 + c0*dtm, up(b0 + d0*dtm), a1 - c1*dtm, up(b1 - d1*dtm), a1, up(b1)} {
			if k > 0 {
				cur = append(cur, ' ')
			}
			cur = strconv.AppendFloat(cur, v, 'f', 5, 64)
		}
		cur = append(cur, " c\n"...)
		a0, b0, c0, d0 = a1, b1, c1, d1
	}
	return [2]string{string(rot), string(cur)}
}

// WriteTo implements vg.CanvasWriterTo.
func (c *pdfCanvas) WriteTo(w io.Writer) (int64, error) {
	c.Pop()
	c.doc.Close()
	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	if err := c.doc.Output(bw); err != nil {
		return cw.n, err
	}
	err := bw.Flush()
	return cw.n, err
}

// pdfFont is the data of a font a PDF embeds: go-pdf's description of it
// (JSON) and its file, compressed.
type pdfFont struct {
	json, z []byte
}

// pdfFontEntry is the data of a font, made once.
type pdfFontEntry struct {
	once sync.Once
	font pdfFont
	err  error
}

// codePageEncoding maps the bytes of text in PDF figures to characters:
// Windows-1252, as vgpdf's.
//
//go:embed cp1252.map
var codePageEncoding []byte

// pdfFontCache keeps the data made for each font face.
var pdfFontCache sync.Map // font.Face's *sfnt.Font -> *pdfFontEntry

// pdfFontOf returns the data of f's font, made the first time (about 30
// ms: the font parsed and compressed by go-pdf's MakeFont).
func pdfFontOf(f font.Face) (pdfFont, error) {
	e, _ := pdfFontCache.LoadOrStore(f.Face, &pdfFontEntry{})
	entry := e.(*pdfFontEntry)
	entry.once.Do(func() { entry.font, entry.err = makePDFFont(f) })
	return entry.font, entry.err
}

// makePDFFont makes the data of f's font with go-pdf's MakeFont, which
// reads and writes files.
func makePDFFont(f font.Face) (pdfFont, error) {
	var raw bytes.Buffer
	if _, err := f.Face.WriteSourceTo(nil, &raw); err != nil {
		return pdfFont{}, err
	}
	dir, err := os.MkdirTemp("", "netlens-pdf-font-")
	if err != nil {
		return pdfFont{}, err
	}
	defer os.RemoveAll(dir)
	ttf, enc := filepath.Join(dir, "font.ttf"), filepath.Join(dir, "cp1252.map")
	if err := os.WriteFile(ttf, raw.Bytes(), 0o644); err != nil {
		return pdfFont{}, err
	}
	if err := os.WriteFile(enc, codePageEncoding, 0o644); err != nil {
		return pdfFont{}, err
	}
	if err := fpdf.MakeFont(ttf, enc, dir, io.Discard, true); err != nil {
		return pdfFont{}, err
	}
	var d pdfFont
	if d.z, err = os.ReadFile(filepath.Join(dir, "font.z")); err != nil {
		return pdfFont{}, err
	}
	if d.json, err = os.ReadFile(filepath.Join(dir, "font.json")); err != nil {
		return pdfFont{}, err
	}
	return d, nil
}

// PreparePDF makes what the first PDF figure of a process makes once for
// all of them: the data of the font (parsed, and compressed to be
// embedded), about 30 ms of processor time. A caller with a core to spare
// before its figures are drawn (a report while its engine opens) spends
// it then rather than beside them.
func PreparePDF() error {
	c := &chart.Chart{ID: "prepare", Kind: chart.KindHBar, Title: "netlens", Empty: "netlens"}
	if err := Render(io.Discard, c, PDF, Size{Width: vg.Inch, Height: vg.Inch}); err != nil {
		return fmt.Errorf("prepare pdf: %w", err)
	}
	return nil
}
