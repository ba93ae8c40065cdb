package static

import (
	"cmp"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlens/netlens/chart"
)

// Graphs with more nodes than this are laid out on a circle: the force
// layout costs time quadratic in the nodes.
const maxForceNodes = 1500

// graphPlot lays the graph out in a box of the canvas' aspect ratio and
// draws it without axes.
func graphPlot(c *chart.Chart, dc draw.Canvas) figure {
	p := newPlot(c)
	p.HideAxes()
	aspect := float64((dc.Max.X - dc.Min.X) / (dc.Max.Y - dc.Min.Y))
	if !(aspect > 0) || math.IsInf(aspect, 0) {
		aspect = 1
	}
	g := c.Graph
	pos := layouts.of(g, aspect)
	p.Add(&graphDrawing{g: g, pos: pos})
	p.X.Min, p.X.Max = -0.04*aspect, 1.04*aspect
	p.Y.Min, p.Y.Max = -0.04, 1.04
	return figure{plot: p}
}

// layouts keeps the last few graph layouts: a report draws each graph
// in three formats, each time with the same nodes, edges and aspect, and
// the force layout is most of the time of drawing a graph.
var layouts = &layoutCache{}

// layoutCache remembers the layouts of the last graphs laid out, by what
// layout reads of them: the aspect, the nodes' ids and the edges' ends. A
// layout asked for while it is computed is waited for, not computed twice.
type layoutCache struct {
	mu     sync.Mutex
	recent []*cachedLayout // the last first
}

type cachedLayout struct {
	key  string
	done chan struct{}
	pos  []vg.Point // read only
}

// keptLayouts is the number of layouts a layoutCache keeps.
const keptLayouts = 4

// of returns layout(g, aspect), computed once for the same graph and aspect.
// The points must not be modified.
func (c *layoutCache) of(g *chart.Graph, aspect float64) []vg.Point {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(math.Float64bits(aspect), 16))
	for _, nd := range g.Nodes {
		b.WriteByte(0)
		b.WriteString(nd.ID)
	}
	b.WriteByte(1)
	for _, e := range g.Edges {
		b.WriteString(e.Source)
		b.WriteByte(0)
		b.WriteString(e.Target)
		b.WriteByte(0)
	}
	key := b.String()
	c.mu.Lock()
	for _, l := range c.recent {
		if l.key == key {
			c.mu.Unlock()
			<-l.done
			return l.pos
		}
	}
	l := &cachedLayout{key: key, done: make(chan struct{})}
	c.recent = append([]*cachedLayout{l}, c.recent[:min(len(c.recent), keptLayouts-1)]...)
	c.mu.Unlock()
	defer close(l.done) // also when layout panics: drawChart recovers
	l.pos = layout(g, aspect)
	return l.pos
}

// layout places the nodes of g in [0, aspect] x [0, 1]: a force-directed
// layout (Fruchterman and Reingold, with gravity toward the centre so that
// components stay together) started from a circle, or the circle alone for
// big graphs. It is deterministic: the same graph gives the same picture.
func layout(g *chart.Graph, aspect float64) []vg.Point {
	n := len(g.Nodes)
	idx := make(map[string]int, n)
	for i, nd := range g.Nodes {
		idx[nd.ID] = i
	}
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(max(n, 1))
		r := 0.35 + 0.1*float64(i%3)/3
		x[i], y[i] = 0.5*aspect+r*aspect*math.Cos(a), 0.5+r*math.Sin(a)
	}
	type link struct{ a, b int }
	var links []link
	seen := map[link]bool{}
	for _, e := range g.Edges {
		a, b := idx[e.Source], idx[e.Target]
		if a == b {
			continue
		}
		l := link{min(a, b), max(a, b)}
		if !seen[l] {
			seen[l] = true
			links = append(links, l)
		}
	}
	if n > 1 && n <= maxForceNodes {
		area := aspect
		k := math.Sqrt(area / float64(n))
		iters := 300
		if n > 300 {
			iters = 100
		}
		dx, dy := make([]float64, n), make([]float64, n)
		temp := 0.1 * aspect
		for it := range iters {
			clear(dx)
			clear(dy)
			for i := range n {
				for j := i + 1; j < n; j++ {
					ddx, ddy := x[i]-x[j], y[i]-y[j]
					d2 := ddx*ddx + ddy*ddy
					if d2 < 1e-12 {
						// Coincident nodes: push apart along a fixed direction.
						ddx, ddy, d2 = 1e-3*float64(1+(i+j)%7), 1e-3, 2e-6
					}
					f := k * k / d2
					dx[i] += ddx * f
					dy[i] += ddy * f
					dx[j] -= ddx * f
					dy[j] -= ddy * f
				}
			}
			for _, l := range links {
				ddx, ddy := x[l.a]-x[l.b], y[l.a]-y[l.b]
				d := math.Hypot(ddx, ddy)
				f := d / k
				dx[l.a] -= ddx * f
				dy[l.a] -= ddy * f
				dx[l.b] += ddx * f
				dy[l.b] += ddy * f
			}
			for i := range n {
				// Gravity toward the centre.
				dx[i] -= 0.8 * k * (x[i] - 0.5*aspect) / k
				dy[i] -= 0.8 * k * (y[i] - 0.5) / k
				d := math.Hypot(dx[i], dy[i])
				if d > 0 {
					s := math.Min(d, temp) / d
					x[i] += dx[i] * s
					y[i] += dy[i] * s
				}
			}
			temp = 0.1 * aspect * (1 - float64(it+1)/float64(iters))
		}
	}
	// Fit the layout to the box.
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range n {
		minX, maxX = math.Min(minX, x[i]), math.Max(maxX, x[i])
		minY, maxY = math.Min(minY, y[i]), math.Max(maxY, y[i])
	}
	pos := make([]vg.Point, n)
	for i := range n {
		px, py := 0.5*aspect, 0.5
		if maxX > minX {
			px = 0.05*aspect + 0.9*aspect*(x[i]-minX)/(maxX-minX)
		}
		if maxY > minY {
			py = 0.05 + 0.9*(y[i]-minY)/(maxY-minY)
		}
		pos[i] = vg.Point{X: vg.Length(px), Y: vg.Length(py)}
	}
	return pos
}

// graphDrawing draws a laid out graph: edges with widths by weight and
// arrows, nodes sized by value, and labels of the biggest nodes.
type graphDrawing struct {
	g   *chart.Graph
	pos []vg.Point // data coordinates
}

// Sizes of graph drawings, in points.
const (
	minNodeRadius = 1.5
	maxNodeRadius = 9.0
	minEdgeWidth  = 0.3
	maxEdgeWidth  = 3.0
	// labelNodes is how many nodes, biggest first, get a label; edge
	// labels are drawn when there are at most labelEdges edges.
	labelNodes = 25
	labelEdges = 30
)

func (d *graphDrawing) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	g := d.g
	idx := make(map[string]int, len(g.Nodes))
	maxV, maxW := 0.0, 0.0
	for i, nd := range g.Nodes {
		idx[nd.ID] = i
		maxV = math.Max(maxV, nd.Value)
	}
	for _, e := range g.Edges {
		maxW = math.Max(maxW, e.Weight)
	}
	pt := func(i int) vg.Point { return vg.Point{X: trX(float64(d.pos[i].X)), Y: trY(float64(d.pos[i].Y))} }
	// Crowded graphs get smaller nodes and thinner edges.
	maxR := math.Max(minNodeRadius+1, maxNodeRadius*math.Min(1, math.Sqrt(30/float64(len(g.Nodes)))))
	maxE := math.Max(minEdgeWidth+0.5, maxEdgeWidth*math.Min(1, math.Sqrt(30/float64(max(1, len(g.Edges))))))
	radius := func(i int) vg.Length {
		if maxV <= 0 {
			return minNodeRadius
		}
		return vg.Length(minNodeRadius + (maxR-minNodeRadius)*math.Sqrt(g.Nodes[i].Value/maxV))
	}
	width := func(w float64) vg.Length {
		if maxW <= 0 {
			return minEdgeWidth
		}
		return vg.Length(minEdgeWidth + (maxE-minEdgeWidth)*math.Sqrt(w/maxW))
	}
	type pair struct{ a, b string }
	has := make(map[pair]bool, len(g.Edges))
	for _, e := range g.Edges {
		has[pair{e.Source, e.Target}] = true
	}

	// Labels: the biggest nodes first, each right or left of its node
	// (pointing away from the middle first), above or below it, or left
	// out; then the edges' labels at their middles, or left out. No label
	// covers a node or another label, and all stay on the page.
	type label struct {
		sty  text.Style
		at   vg.Point
		text string
	}
	var labels []label
	pl := placer{bounds: c.Rectangle}
	for i := range g.Nodes {
		r := radius(i)
		at := pt(i)
		pl.take(vg.Rectangle{Min: vg.Point{X: at.X - r, Y: at.Y - r}, Max: vg.Point{X: at.X + r, Y: at.Y + r}})
	}
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g.Nodes[b].Value, g.Nodes[a].Value) })
	nodeSty := textStyle(smallSize)
	mid := (c.Min.X + c.Max.X) / 2
	for _, i := range order[:min(len(order), labelNodes)] {
		name := g.Nodes[i].Label
		if name == "" {
			name = g.Nodes[i].ID
		}
		name = truncate(name, 40)
		at, r := pt(i), radius(i)+1.5
		right, left, above, below := nodeSty, nodeSty, nodeSty, nodeSty
		right.XAlign, right.YAlign = draw.XLeft, draw.YCenter
		left.XAlign, left.YAlign = draw.XRight, draw.YCenter
		above.XAlign, above.YAlign = draw.XCenter, draw.YBottom
		below.XAlign, below.YAlign = draw.XCenter, draw.YTop
		cands := []label{
			{sty: right, at: vg.Point{X: at.X + r, Y: at.Y}, text: name},
			{sty: left, at: vg.Point{X: at.X - r, Y: at.Y}, text: name},
			{sty: above, at: vg.Point{X: at.X, Y: at.Y + r}, text: name},
			{sty: below, at: vg.Point{X: at.X, Y: at.Y - r}, text: name},
		}
		if at.X > mid+(c.Max.X-mid)/3 { // right of the middle: left first
			cands[0], cands[1] = cands[1], cands[0]
		}
		boxes := make([]vg.Rectangle, len(cands))
		for k, l := range cands {
			boxes[k] = textBox(l.sty, l.at, l.text)
		}
		if k := pl.place(boxes...); k >= 0 {
			labels = append(labels, cands[k])
		}
	}

	edgeColor := color.NRGBA{0x55, 0x55, 0x55, 0x99}
	edgeSty := textStyle(smallSize)
	edgeSty.Color = color.Gray{Y: 0x44}
	edgeSty.XAlign, edgeSty.YAlign = draw.XCenter, draw.YCenter
	for _, e := range g.Edges {
		a, b := idx[e.Source], idx[e.Target]
		if a == b {
			continue
		}
		p0, p1 := pt(a), pt(b)
		vx, vy := float64(p1.X-p0.X), float64(p1.Y-p0.Y)
		length := math.Hypot(vx, vy)
		if length < 1e-6 {
			continue
		}
		ux, uy := vx/length, vy/length
		w := width(e.Weight)
		// A pair of opposite edges is drawn as two parallel lines.
		var off vg.Length
		if has[pair{e.Target, e.Source}] {
			off = w/2 + 0.8
		}
		ox, oy := vg.Length(-uy)*off, vg.Length(ux)*off
		head := 2.5 + 1.5*w
		end := vg.Length(length) - radius(b) - 0.5
		if end <= head {
			continue
		}
		start := vg.Point{X: p0.X + ox, Y: p0.Y + oy}
		tip := vg.Point{X: p0.X + ox + vg.Length(ux)*end, Y: p0.Y + oy + vg.Length(uy)*end}
		base := vg.Point{X: tip.X - vg.Length(ux)*head, Y: tip.Y - vg.Length(uy)*head}
		c.StrokeLine2(draw.LineStyle{Color: edgeColor, Width: w}, start.X, start.Y, base.X, base.Y)
		half := head * 0.45
		c.FillPolygon(edgeColor, []vg.Point{
			tip,
			{X: base.X - vg.Length(uy)*half, Y: base.Y + vg.Length(ux)*half},
			{X: base.X + vg.Length(uy)*half, Y: base.Y - vg.Length(ux)*half},
		})
		if e.Label != "" && len(g.Edges) <= labelEdges {
			// At the middle of the edge.
			at := vg.Point{X: (start.X + base.X) / 2, Y: (start.Y + base.Y) / 2}
			name := truncate(e.Label, 20)
			if pl.place(textBox(edgeSty, at, name)) >= 0 {
				labels = append(labels, label{sty: edgeSty, at: at, text: name})
			}
		}
	}

	nodeColor := chart.Palette()[0]
	for i := range g.Nodes {
		r := radius(i)
		c.DrawGlyphNoClip(draw.GlyphStyle{Color: nodeColor, Radius: r, Shape: draw.CircleGlyph{}}, pt(i))
		c.DrawGlyphNoClip(draw.GlyphStyle{Color: color.White, Radius: r, Shape: draw.RingGlyph{}}, pt(i))
	}
	for _, l := range labels {
		// On a white patch, so that no edge crosses the text.
		box := textBox(l.sty, l.at, l.text)
		c.FillPolygon(color.NRGBA{0xff, 0xff, 0xff, 0xd0}, []vg.Point{box.Min, {X: box.Max.X, Y: box.Min.Y}, box.Max, {X: box.Min.X, Y: box.Max.Y}})
		c.FillText(l.sty, l.at, l.text)
	}
}

func (d *graphDrawing) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range d.pos {
		xmin, xmax = math.Min(xmin, float64(p.X)), math.Max(xmax, float64(p.X))
		ymin, ymax = math.Min(ymin, float64(p.Y)), math.Max(ymax, float64(p.Y))
	}
	return
}
