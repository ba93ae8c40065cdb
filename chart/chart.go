package chart

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind says how a Chart is drawn and which of its fields hold the data.
type Kind string

// The kinds of chart. The comment of each says where its data lives.
const (
	// KindHBar draws horizontal bars: one bar per entry of Chart.Categories
	// (top to bottom, in order) for each series, whose Values are aligned
	// with the categories. Several series are drawn as grouped bars. X is the
	// value axis, Y the category axis.
	KindHBar Kind = "hbar"
	// KindLines draws each series' Points as a line, in X order.
	KindLines Kind = "lines"
	// KindScatter draws each series' Points as dots.
	KindScatter Kind = "scatter"
	// KindStems draws each series' Points as stems: a vertical line from
	// the baseline (zero, or the bottom of a log axis) up to a marker at the
	// point. It is for discrete events such as packets, where a line would
	// invent values between them and a gap would look like a slope. Y
	// starts at zero unless it is Log.
	KindStems Kind = "stems"
	// KindStrip draws one row per series (top to bottom), named by the series,
	// with each of its Values as a jittered dot along X. X is the value axis
	// (often Log), Y the category axis.
	KindStrip Kind = "strip"
	// KindStackedArea stacks the series' Points as filled areas, the first
	// series at the bottom. Every series has the same X values. Stacks start
	// at zero, so Y is linear: Y.Log is ignored.
	KindStackedArea Kind = "stacked_area"
	// KindHeatmap draws Chart.Heatmap: coloured cells on a grid of column
	// (X) and row (Y) categories.
	KindHeatmap Kind = "heatmap"
	// KindECDF draws each series' Points (from ECDFPoints) as a step line; Y
	// runs from 0 to 1.
	KindECDF Kind = "ecdf"
	// KindGraph draws Chart.Graph: a directed graph with a force-directed
	// layout, arrows, edge widths by weight and labels.
	KindGraph Kind = "graph"
)

// Kinds lists every Kind, in the order of the constants.
func Kinds() []Kind {
	return []Kind{KindHBar, KindLines, KindScatter, KindStems, KindStrip, KindStackedArea, KindHeatmap, KindECDF, KindGraph}
}

// Unit says what an axis' values measure, and so how its tick labels and
// tooltips are written.
type Unit string

// The units of an axis.
const (
	// UnitNone writes values as plain numbers.
	UnitNone Unit = ""
	// UnitBytes writes values as SI byte sizes: 1.5 kB, 2 MB.
	UnitBytes Unit = "bytes"
	// UnitSeconds writes values as durations: 300 ms, 2.5 s, 4 min.
	UnitSeconds Unit = "seconds"
	// UnitTime reads values as Unix time in seconds (see UnixSeconds) and
	// writes them as UTC dates and times.
	UnitTime Unit = "time"
	// UnitShare reads values as fractions of a whole and writes them as
	// percentages: 0.25 is 25%.
	UnitShare Unit = "share"
)

// Axis describes one axis of a chart.
type Axis struct {
	// Title names the axis, e.g. "payload bytes".
	Title string `json:"title,omitempty"`
	// Log asks for a logarithmic scale. Values that are not positive cannot
	// be placed on it and are left out of the drawing. Log is ignored on
	// UnitTime axes.
	Log bool `json:"log,omitempty"`
	// Unit says how values are written.
	Unit Unit `json:"unit,omitempty"`
}

// Label returns the axis' title as the renderers write it, naming the unit
// of a UnitTime axis once: "time" becomes "time (UTC)", or "time (UTC,
// 2016-04-15)" given the date of an axis whose ticks show only times of that
// day. A title that says UTC already ("time (UTC)", "UTC hour") is not told
// again; an untitled time axis is "time (UTC)".
func (a Axis) Label(date string) string {
	if a.Unit != UnitTime {
		return a.Title
	}
	t := strings.TrimSpace(strings.ReplaceAll(a.Title, "(UTC)", ""))
	t = strings.Join(strings.Fields(t), " ")
	switch {
	case t == "" || t == "UTC":
		t = "time"
	case saysUTC(t):
		if date != "" {
			t += " (" + date + ")"
		}
		return t
	}
	if date != "" {
		return t + " (UTC, " + date + ")"
	}
	return t + " (UTC)"
}

// saysUTC reports whether s holds the word UTC.
func saysUTC(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if w == "UTC" {
			return true
		}
	}
	return false
}

// Point is one (X, Y) observation. In JSON it is the two-element array [x, y].
type Point struct {
	X, Y float64
}

// MarshalJSON writes p as [x, y].
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]float64{p.X, p.Y})
}

// UnmarshalJSON reads p from [x, y].
func (p *Point) UnmarshalJSON(b []byte) error {
	var xy []float64
	if err := json.Unmarshal(b, &xy); err != nil {
		return fmt.Errorf("chart point: %w", err)
	}
	if len(xy) != 2 {
		return fmt.Errorf("chart point: want [x, y], got %d numbers", len(xy))
	}
	p.X, p.Y = xy[0], xy[1]
	return nil
}

// Series is one named set of data. Which field is used depends on the
// chart's Kind: Values for KindHBar (one per category) and KindStrip (the
// observations of its row), Points for the others.
type Series struct {
	Name   string    `json:"name"`
	Points []Point   `json:"points,omitempty"`
	Values []float64 `json:"values,omitempty"`
}

// Band is a shaded interval [Start, End] of X, drawn behind the series of a
// KindLines, KindScatter, KindStems or KindStackedArea chart (bursts over a
// payload series, for example). Renderers draw a band at least a few
// points wide, however short, and its Label above the plot, leaving out
// labels that would overlap others.
type Band struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Label string  `json:"label,omitempty"`
}

// Heatmap holds the data of a KindHeatmap chart: a sparse grid of cells over
// column (X) and row (Y) categories. Cells that are absent are drawn blank.
type Heatmap struct {
	Columns []string `json:"columns"`
	Rows    []string `json:"rows"`
	Cells   []Cell   `json:"cells"`
	// Value describes the colour scale: its title, unit and whether colours
	// follow the logarithm of the values.
	Value Axis `json:"value,omitzero"`
}

// Cell is one value of a Heatmap, at indexes into its Columns and Rows.
type Cell struct {
	Col   int     `json:"col"`
	Row   int     `json:"row"`
	Value float64 `json:"value"`
}

// Add sets the cell at the named column and row, appending the names to
// Columns and Rows the first time they are seen (so their order is the order
// of first appearance). Adding the same cell twice keeps both, which
// Validate rejects.
func (h *Heatmap) Add(column, row string, v float64) {
	h.Cells = append(h.Cells, Cell{Col: indexOf(&h.Columns, column), Row: indexOf(&h.Rows, row), Value: v})
}

// indexOf returns the index of s in *list, appending it when absent.
func indexOf(list *[]string, s string) int {
	for i, v := range *list {
		if v == s {
			return i
		}
	}
	*list = append(*list, s)
	return len(*list) - 1
}

// Graph holds the data of a KindGraph chart: a directed graph.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a vertex of a Graph. Its size follows Value; Tooltip is shown on
// hover (lines separated by "\n").
type Node struct {
	ID      string  `json:"id"`
	Label   string  `json:"label,omitempty"`
	Value   float64 `json:"value,omitempty"`
	Tooltip string  `json:"tooltip,omitempty"`
}

// Edge is a directed edge of a Graph from the node with ID Source to the
// node with ID Target. Its width follows Weight.
type Edge struct {
	Source string  `json:"source"`
	Target string  `json:"target"`
	Weight float64 `json:"weight"`
	Label  string  `json:"label,omitempty"`
}

// AddEdge appends the edge source -> target, first adding either node when
// the graph lacks it (with its ID as label). The weight is added to the
// Value of both ends, so that node sizes follow their traffic.
func (g *Graph) AddEdge(source, target string, weight float64, label string) {
	g.node(source).Value += weight
	if target != source {
		g.node(target).Value += weight
	}
	g.Edges = append(g.Edges, Edge{Source: source, Target: target, Weight: weight, Label: label})
}

// node returns the node with the given ID, adding it when absent.
func (g *Graph) node(id string) *Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	g.Nodes = append(g.Nodes, Node{ID: id, Label: id})
	return &g.Nodes[len(g.Nodes)-1]
}

// Chart is one renderer-neutral chart: what to draw, not how.
type Chart struct {
	// ID names the chart within a report: letters, digits, '_', '-' and '.'.
	ID       string `json:"id"`
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
	Kind     Kind   `json:"kind"`
	X        Axis   `json:"x,omitzero"`
	Y        Axis   `json:"y,omitzero"`
	// Categories are the bar labels of a KindHBar chart, top to bottom.
	Categories []string `json:"categories,omitempty"`
	Series     []Series `json:"series,omitempty"`
	Bands      []Band   `json:"bands,omitempty"`
	Graph      *Graph   `json:"graph,omitempty"`
	Heatmap    *Heatmap `json:"heatmap,omitempty"`
	// Note tells the reader what was left out, e.g. "showing top 200 of
	// 5000 edges".
	Note string `json:"note,omitempty"`
	// Empty, when set, says why the chart has nothing to draw, e.g. "no
	// TCP packets": an empty answer is an answer. The chart then holds no
	// data (see HasData), and the renderers draw its title and this
	// message in place of the plot.
	Empty string `json:"empty,omitempty"`
}

// HasData reports whether c holds anything to draw: categories, a point
// or value in a series, a band, a graph node or a heatmap cell.
func (c *Chart) HasData() bool {
	if len(c.Categories) > 0 || len(c.Bands) > 0 {
		return true
	}
	for _, s := range c.Series {
		if len(s.Points) > 0 || len(s.Values) > 0 {
			return true
		}
	}
	if c.Graph != nil && len(c.Graph.Nodes)+len(c.Graph.Edges) > 0 {
		return true
	}
	return c.Heatmap != nil && len(c.Heatmap.Cells) > 0
}

// OrEmpty turns c into an empty chart that says why, when it holds no
// data: it drops the series, categories and rows without data and sets
// Empty. A chart with data is left as it is. It returns c.
func (c *Chart) OrEmpty(why string) *Chart {
	if c.HasData() {
		return c
	}
	c.Categories, c.Series, c.Bands = nil, nil, nil
	if c.Graph != nil {
		c.Graph = &Graph{}
	}
	if c.Heatmap != nil {
		c.Heatmap = &Heatmap{Value: c.Heatmap.Value}
	}
	c.Empty = why
	return c
}

// NewHBar returns a horizontal bar chart of the given categories (top to
// bottom); each series holds one value per category.
func NewHBar(id, title string, categories []string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindHBar, Categories: categories, Series: series}
}

// NewLines returns a line chart of the series' Points.
func NewLines(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindLines, Series: series}
}

// NewScatter returns a scatter chart of the series' Points.
func NewScatter(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindScatter, Series: series}
}

// NewStems returns a chart of the series' Points as stems: one per event,
// such as a packet.
func NewStems(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindStems, Series: series}
}

// NewStrip returns a strip chart with one row per series, each dot one of
// the series' Values along X.
func NewStrip(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindStrip, Series: series}
}

// NewStackedArea returns a stacked area chart; all series share the same X
// values.
func NewStackedArea(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindStackedArea, Series: series}
}

// NewECDF returns an ECDF chart; build each series with ECDFSeries.
func NewECDF(id, title string, series ...Series) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindECDF, Series: series, Y: Axis{Title: "fraction"}}
}

// NewHeatmap returns a heatmap chart of h.
func NewHeatmap(id, title string, h *Heatmap) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindHeatmap, Heatmap: h}
}

// NewGraph returns a directed graph chart of g.
func NewGraph(id, title string, g *Graph) *Chart {
	return &Chart{ID: id, Title: title, Kind: KindGraph, Graph: g}
}

// Bars returns a series of bar values, one per category of a KindHBar chart.
func Bars(name string, values []float64) Series {
	return Series{Name: name, Values: values}
}

// Samples returns a series of observations: one row of a KindStrip chart.
func Samples(name string, values []float64) Series {
	return Series{Name: name, Values: values}
}

// ECDFSeries returns a series of the empirical cumulative distribution of
// samples, as computed by ECDFPoints.
func ECDFSeries(name string, samples []float64) Series {
	return Series{Name: name, Points: ECDFPoints(samples)}
}

// UnixSeconds converts nanoseconds since the Unix epoch (the dataset's
// timestamps) to the seconds that a UnitTime axis holds, keeping sub-second
// precision.
func UnixSeconds(ns int64) float64 {
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}

// AddrLabel returns the label of an address with its name, as in
// "18.197.187.162 (fw.example.com)", or the bare address when name is empty.
func AddrLabel(addr, name string) string {
	if name == "" {
		return addr
	}
	return addr + " (" + name + ")"
}
