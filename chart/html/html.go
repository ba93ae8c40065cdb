package html

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"

	"github.com/netlens/netlens/chart"
)

//go:generate sh gen.sh

// echartsJS is the minified ECharts build of the npm package pinned in
// package-lock.json, committed; gen.sh (make assets) updates it.
//
//go:embed assets/echarts.min.js
var echartsJS []byte

// runtimeJS turns chart specs into ECharts options and draws them.
//
//go:embed assets/netlens.js
var runtimeJS []byte

// Asset returns the ECharts library that the charts are drawn with (the
// minified build of the npm package pinned in package.json).
func Asset() []byte { return echartsJS }

// Script returns the JavaScript a page needs once, before or after its
// charts: ECharts followed by the netlens runtime that draws every chart that
// Render wrote. It is safe to inline in a <script> element.
func Script() template.JS {
	var b bytes.Buffer
	b.Grow(len(echartsJS) + len(runtimeJS) + 3)
	b.Write(echartsJS)
	// The library may end without a semicolon: keep the runtime's leading
	// parenthesis from calling it.
	b.WriteString("\n;\n")
	b.Write(runtimeJS)
	return template.JS(scriptEnd.ReplaceAllString(b.String(), `<\/$1`))
}

// scriptEnd finds what would close an inline <script> element early.
var scriptEnd = regexp.MustCompile(`(?i)</(script)`)

// Options sets the size of a chart's container.
type Options struct {
	// Width is a CSS length; "" means 100%.
	Width string
	// Height is a CSS length; "" picks one from the chart: 420px, taller for
	// graphs and for bar, strip and heatmap charts with many rows.
	Height string
}

// cssLength accepts the CSS lengths that Options may hold.
var cssLength = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(px|%|em|rem|vh|vw)$`)

func (o Options) size(c *chart.Chart) (w, h string, err error) {
	w, h = o.Width, o.Height
	if w == "" {
		w = "100%"
	}
	if h == "" {
		h = strconv.Itoa(defaultHeight(c)) + "px"
	}
	if !cssLength.MatchString(w) {
		return "", "", fmt.Errorf("chart width %q: want a CSS length such as 100%% or 640px", w)
	}
	if !cssLength.MatchString(h) {
		return "", "", fmt.Errorf("chart height %q: want a CSS length such as 420px", h)
	}
	return w, h, nil
}

// defaultHeight gives rows of categories room to be read, and a chart
// without data the room of its message.
func defaultHeight(c *chart.Chart) int {
	if c.Empty != "" {
		return 240
	}
	rows := 0
	switch c.Kind {
	case chart.KindGraph:
		return 600
	case chart.KindHBar:
		rows = len(c.Categories) * max(1, len(c.Series))
		rows = min(rows, 30*max(1, len(c.Series)))
	case chart.KindStrip:
		rows = len(c.Series)
	case chart.KindHeatmap:
		if c.Heatmap != nil {
			rows = len(c.Heatmap.Rows)
		}
	}
	return min(900, max(420, 150+22*rows))
}

// envelope is the JSON a container's spec element holds.
type envelope struct {
	Chart *chart.Chart `json:"chart"`
	Style style        `json:"style"`
}

// style carries the look that both renderers share, from package chart:
// the palette, the colour of each series of the chart (pairwise distinct,
// the tail from OthersFrom on in one grey that the legend names Others),
// the heatmap ramp and the band fill.
type style struct {
	Palette    []string `json:"palette"`
	Colors     []string `json:"colors"`
	OthersFrom int      `json:"others_from"`
	Others     string   `json:"others,omitempty"`
	Ramp       []string `json:"ramp"`
	Band       string   `json:"band"`
}

func styleOf(c *chart.Chart) style {
	var s style
	for _, c := range chart.Palette() {
		s.Palette = append(s.Palette, chart.Hex(c))
	}
	n := len(c.Series)
	s.Colors = []string{}
	for _, c := range chart.SeriesColors(n) {
		s.Colors = append(s.Colors, chart.Hex(c))
	}
	s.OthersFrom = chart.OthersFrom(n)
	if s.OthersFrom < n {
		s.Others = chart.OthersLabel(n - s.OthersFrom)
	}
	for _, c := range chart.RampColors() {
		s.Ramp = append(s.Ramp, chart.Hex(c))
	}
	s.Band = chart.Hex(chart.BandColor())
	return s
}

// Render writes c as an HTML fragment: a container <div class="netlens-chart"
// data-chart-id="ID">, the spec as JSON in a <script type="application/json">
// element, the chart's note as text, and a <script> that draws it once the
// page has loaded Script. All text from the chart is escaped: the JSON is
// encoded with HTML escaping (no "<", ">" or "&" survive), and the runtime
// hands strings to ECharts as text, never as HTML.
func Render(w io.Writer, c *chart.Chart, opts Options) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("render chart: %w", err)
	}
	width, height, err := opts.size(c)
	if err != nil {
		return fmt.Errorf("render chart %s: %w", c.ID, err)
	}
	var spec bytes.Buffer
	enc := json.NewEncoder(&spec)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(envelope{Chart: c, Style: styleOf(c)}); err != nil {
		return fmt.Errorf("render chart %s: encode spec: %w", c.ID, err)
	}
	if err := fragment.Execute(w, fragmentData{
		ID:    c.ID,
		Style: template.CSS("width:" + width + ";height:" + height),
		Spec:  template.JS(bytes.TrimSpace(spec.Bytes())),
		Note:  c.Note,
	}); err != nil {
		return fmt.Errorf("render chart %s: %w", c.ID, err)
	}
	return nil
}

type fragmentData struct {
	ID    string
	Style template.CSS
	Spec  template.JS
	Note  string
}

// fragment is one chart. The spec is JSON with "<", ">" and "&" escaped, so
// it cannot end its element; html/template escapes the rest.
var fragment = template.Must(template.New("chart").Parse(`<div class="netlens-chart" data-chart-id="{{.ID}}" style="{{.Style}}"></div>
<script type="application/json" data-netlens-chart>{{.Spec}}</script>
{{- with .Note}}
<p class="netlens-chart-note">{{.}}</p>
{{- end}}
<script>window.netlensDraw && window.netlensDraw();</script>
`))

// Page writes a complete standalone HTML page with the given title and
// charts, ECharts inlined: it opens offline, from a file.
func Page(w io.Writer, title string, charts ...*chart.Chart) error {
	var body bytes.Buffer
	for _, c := range charts {
		body.WriteString(`<section class="netlens-figure">` + "\n")
		if err := Render(&body, c, Options{}); err != nil {
			return fmt.Errorf("page: %w", err)
		}
		body.WriteString("</section>\n")
	}
	err := page.Execute(w, pageData{
		Title:  title,
		Script: Script(),
		Body:   template.HTML(body.String()),
	})
	if err != nil {
		return fmt.Errorf("page: %w", err)
	}
	return nil
}

type pageData struct {
	Title  string
	Script template.JS
	Body   template.HTML
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; font-weight: 600; }
.netlens-figure { margin: 0 0 2.5rem; }
.netlens-chart-note { color: #666; font-size: 0.85rem; margin: 0.25rem 0 0; }
</style>
<script>{{.Script}}</script>
</head>
<body>
<h1>{{.Title}}</h1>
{{.Body}}</body>
</html>
`))
