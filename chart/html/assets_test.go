package html

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// The committed ECharts build is the version pinned in package-lock.json:
// its banner names the version, and where npm has installed the package
// the bytes are those of its dist/echarts.min.js.
func TestEChartsPinned(t *testing.T) {
	b, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	pinned := lock.Packages["node_modules/echarts"].Version
	if pinned == "" {
		t.Fatal("package-lock.json pins no echarts version")
	}
	if !bytes.Contains(echartsJS, []byte(`version="`+pinned+`"`)) {
		t.Errorf("assets/echarts.min.js is not ECharts %s, the version package-lock.json pins: run make assets", pinned)
	}
	for _, name := range []string{"assets/echarts.LICENSE", "assets/echarts.NOTICE"} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("licence notice beside the build: %v", err)
		}
	}
	installed, err := os.ReadFile("node_modules/echarts/dist/echarts.min.js")
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(installed, echartsJS) {
		t.Error("assets/echarts.min.js differs from node_modules/echarts/dist/echarts.min.js: run make assets and commit it")
	}
}
