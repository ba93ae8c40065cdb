package static

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"

	"github.com/netlens/netlens/chart"
)

// pdfCanvas is a PDF canvas whose text is all set in one font size,
// scaled to the size asked for.
//
// vgpdf handles each font as a font and a size: for every size a figure
// uses, it writes the whole font file out of the parsed font again, and
// the first time in a process it also makes the PDF's font data from it
// (parsing the font and compressing it). A figure's text has four sizes,
// so every PDF serialised the font four times, and the first figures of a
// process made its data four times. Drawn at pdfFontSize in a coordinate
// system scaled by size/pdfFontSize around the text's origin, the text
// has the same place and size, every length vgpdf measures from the font
// (its bounds, its baseline) being proportional to the size, while the
// font is written and made once.
type pdfCanvas struct {
	*vgpdf.Canvas
}

var _ vg.CanvasWriterTo = pdfCanvas{}

// pdfFontSize is the one font size of a PDF figure's text, in points.
const pdfFontSize = 10

func newPDFCanvas(size Size) pdfCanvas {
	return pdfCanvas{vgpdf.New(size.Width, size.Height)}
}

// FillString implements vg.Canvas: as vgpdf's, with the face set at
// pdfFontSize and the text scaled to its size.
func (c pdfCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Font.Size == 0 || f.Font.Size == pdfFontSize {
		c.Canvas.FillString(f, pt, str)
		return
	}
	k := float64(f.Font.Size / pdfFontSize)
	f.Font.Size = pdfFontSize
	c.Push()
	defer c.Pop()
	c.Translate(pt)
	c.Scale(k, k)
	c.Canvas.FillString(f, vg.Point{}, str)
}

// PreparePDF makes what the first PDF figure of a process makes once for
// all of them: vgpdf's data of the font (the font parsed, and compressed
// to be embedded), about 30 ms of processor time. A caller with a core to
// spare before its figures are drawn (a report while its engine opens)
// spends it then rather than beside them.
func PreparePDF() error {
	c := &chart.Chart{ID: "prepare", Kind: chart.KindHBar, Title: "netlens", Empty: "netlens"}
	if err := Render(io.Discard, c, PDF, Size{Width: vg.Inch, Height: vg.Inch}); err != nil {
		return fmt.Errorf("prepare pdf: %w", err)
	}
	return nil
}
