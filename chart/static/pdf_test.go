package static

import (
	"bytes"
	"regexp"
	"testing"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgpdf"
)

// TestPreparePDF: preparing the PDF font leaves figures as they were: a
// PDF drawn after it is the one drawn before, but for its dates.
func TestPreparePDF(t *testing.T) {
	for _, c := range Goldens(t)[:2] {
		var before, after bytes.Buffer
		if err := Render(&before, c, PDF, Size{}); err != nil {
			t.Fatal(err)
		}
		if err := PreparePDF(); err != nil {
			t.Fatal(err)
		}
		if err := Render(&after, c, PDF, Size{}); err != nil {
			t.Fatal(err)
		}
		if before.Len() != after.Len() || !bytes.HasPrefix(after.Bytes(), []byte("%PDF")) {
			t.Errorf("%s: %d bytes before, %d after", c.ID, before.Len(), after.Len())
		}
	}
}

// pdfDates are the dates a PDF says it was made and changed.
var pdfDates = regexp.MustCompile(`\(D:[0-9]{14}\)`)

// vgpdfCanvas is gonum's PDF canvas with every text set at pdfFontSize
// and scaled, as pdfCanvas sets it: the PDFs pdfCanvas writes are to be
// these, to the byte.
type vgpdfCanvas struct{ *vgpdf.Canvas }

func (c vgpdfCanvas) FillString(f font.Face, pt vg.Point, str string) {
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

// TestPDFCanvas: every chart's PDF is the one gonum's PDF canvas writes
// (but for the dates), drawn twice in a row (the font's data and the
// circles' curves made once, then reused), and embeds its font.
func TestPDFCanvas(t *testing.T) {
	for _, c := range Goldens(t) {
		t.Run(c.ID, func(t *testing.T) {
			size, err := sizeFor(c, Size{})
			if err != nil {
				t.Fatal(err)
			}
			ref := vgpdfCanvas{vgpdf.New(size.Width, size.Height)}
			if err := drawChart(draw.New(ref), c); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if _, err := ref.WriteTo(&want); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				var b bytes.Buffer
				if err := Render(&b, c, PDF, Size{}); err != nil {
					t.Fatal(err)
				}
				got := b.Bytes()
				if !bytes.Equal(pdfDates.ReplaceAll(got, nil), pdfDates.ReplaceAll(want.Bytes(), nil)) {
					t.Fatalf("drawing %d: %d bytes, not gonum's %d", i+1, len(got), want.Len())
				}
				if !bytes.Contains(got, []byte("/FontFile2")) {
					t.Fatalf("drawing %d: no font embedded", i+1)
				}
			}
		})
	}
}
