package browser

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fileURL writes html to a file and returns its file:// URL.
func fileURL(t *testing.T, html string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

func TestCleanPage(t *testing.T) {
	url := fileURL(t, `<!DOCTYPE html><html><head><title>ok</title></head><body>
<ul><li>one</li><li>two</li><li class="x">three</li></ul>
<script>console.log("fine"); console.warn("only a warning"); window.result = {n: 3, name: "<b>"};</script>
</body></html>`)
	p := Open(t, url)
	if f := p.Failures(); len(f) != 0 {
		t.Errorf("failures: %q", f)
	}
	var got struct {
		N    int    `json:"n"`
		Name string `json:"name"`
	}
	p.Eval("window.result", &got)
	if got.N != 3 || got.Name != "<b>" {
		t.Errorf("window.result = %+v", got)
	}
	counts := map[string]int{"li": p.Count("li"), "li.x": p.Count("li.x"), "img": p.Count("img"), `a[href="x"]`: p.Count(`a[href="x"]`)}
	if diff := cmp.Diff(map[string]int{"li": 3, "li.x": 1, "img": 0, `a[href="x"]`: 0}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if d := p.LoadTime(); d <= 0 || d > Timeout {
		t.Errorf("load time %v", d)
	}
	t.Logf("load time %v", p.LoadTime())
	if diff := cmp.Diff([]string{url}, p.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	shot := p.Screenshot()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 1280 {
		t.Errorf("screenshot width %d, want 1280", w)
	}
}

func TestBrokenPage(t *testing.T) {
	url := fileURL(t, `<!DOCTYPE html><html><body>
<img src="missing.png">
<script>console.error("bad", 42); console.assert(1 === 2, "asserted");</script>
<script>alert("hi"); confirm("sure?");</script>
<script>null.f();</script>
<script>setTimeout(() => { throw new Error("later") }, 0);</script>
</body></html>`)
	p := Open(t, url)
	// The timer's exception comes after the load event.
	p.Eval(`new Promise(r => setTimeout(r, 50)).then(() => 1)`, nil)

	// The image fails to load while the scripts run: the order between
	// them is not fixed.
	console := p.ConsoleErrors()
	slices.Sort(console)
	wantConsole := []string{
		"console.assert: asserted",
		"console.error: bad 42",
		"network: Failed to load resource: net::ERR_FILE_NOT_FOUND (" + strings.TrimSuffix(url, "page.html") + "missing.png)",
	}
	if diff := cmp.Diff(wantConsole, console); diff != "" {
		t.Errorf("console errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"alert: hi", "confirm: sure?"}, p.Dialogs()); diff != "" {
		t.Errorf("dialogs (-want +got):\n%s", diff)
	}
	exc := p.Exceptions()
	if len(exc) != 2 || !strings.Contains(exc[0], "TypeError") || !strings.Contains(exc[1], "Error: later") {
		t.Errorf("exceptions = %q", exc)
	}
	if n := len(p.Failures()); n != 7 {
		t.Errorf("%d failures, want 7: %q", n, p.Failures())
	}
}
