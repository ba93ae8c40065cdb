package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/internal/browser"
)

// chartState is window.netlensCharts, set by the chart runtime.
type chartState struct {
	OK     int `json:"ok"`
	Errors []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"errors"`
}

// checkInBrowser opens the report in dir in Chromium and checks that it
// draws the charts with IDs ids, cleanly and offline, and that hostile
// strings are shown as text. It returns the page. How long the page takes
// is logged, not checked: bench/pageload measures it.
func checkInBrowser(t *testing.T, dir string, ids []string, hostile []string) *browser.Page {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	p := browser.Open(t, "file://"+abs)
	t.Logf("page loaded in %v", p.LoadTime().Round(time.Millisecond))
	for _, f := range p.Failures() {
		t.Errorf("page: %s", f)
	}
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("page fetched %s", u)
		}
	}
	drawn := p.WaitFor("window.netlensCharts && window.netlensCharts.done", 30*time.Second)
	t.Logf("every chart drawn %v after navigation start", drawn.Round(time.Millisecond))
	var st chartState
	p.Eval("window.netlensCharts", &st)
	if st.OK != len(ids) || len(st.Errors) != 0 {
		t.Errorf("window.netlensCharts = %+v, want %d charts drawn and no errors", st, len(ids))
	}
	if n := p.Count("[data-chart-id]"); n != len(ids) {
		t.Errorf("%d chart containers, want %d", n, len(ids))
	}
	for _, id := range ids {
		sel := `[data-chart-id="` + id + `"] canvas, [data-chart-id="` + id + `"] svg`
		// ECharts draws on one canvas, or on a few layered ones (heatmaps).
		if n := p.Count(sel); n < 1 || n > 3 {
			t.Errorf("chart %s has %d canvas or svg elements, want 1 to 3", id, n)
		}
	}
	var body string
	p.Eval("document.body.innerText", &body)
	for _, s := range hostile {
		if !strings.Contains(body, s) {
			t.Errorf("the page does not show %q as text", s)
		}
	}
	if n := p.Count("img"); n != 0 {
		t.Errorf("%d <img> elements, want none", n)
	}
	if n := p.Count(`img[src="x"]`); n != 0 {
		t.Errorf("%d <img src=x> elements", n)
	}
	return p
}

// screenshot takes a PNG of the whole page, and keeps it as name in the
// directory $NETLENS_SCREENSHOTS when that is set, to be looked at.
func screenshot(t *testing.T, p *browser.Page, name string) []byte {
	t.Helper()
	shot := p.Screenshot()
	if out := os.Getenv("NETLENS_SCREENSHOTS"); out != "" {
		if err := os.WriteFile(filepath.Join(out, name), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	return shot
}

func TestInBrowser(t *testing.T) {
	dir, _ := writeSample(t, Options{})
	p := checkInBrowser(t, dir, chartIDs, []string{hostileImg, hostileScript})
	img, err := png.Decode(bytes.NewReader(screenshot(t, p, "report.png")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The whole page: header, nine charts, two tables.
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() < 5000 {
		t.Errorf("screenshot is %v, want 1280 wide and the whole page", b.Size())
	}
	var rows int
	p.Eval(`document.querySelectorAll("#analysis-talkers table.preview tbody tr").length`, &rows)
	if diff := cmp.Diff(20, rows); diff != "" {
		t.Errorf("preview rows (-want +got):\n%s", diff)
	}
}
