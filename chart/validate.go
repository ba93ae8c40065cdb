package chart

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalid is wrapped by every error that Validate returns.
var ErrInvalid = errors.New("invalid chart")

// Validate reports whether c can be drawn and stored: a valid ID and Kind,
// the data its Kind needs (or none at all, with Empty saying why) and no
// data it ignores, finite numbers only (JSON
// has no NaN), X in order where lines join points, and graph edges and
// heatmap cells that point at existing nodes and categories. The error
// wraps ErrInvalid and names the first problem found.
func (c *Chart) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: nil chart", ErrInvalid)
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalid, c.ID, err)
	}
	return nil
}

func (c *Chart) validate() error {
	if !validID(c.ID) {
		return errors.New("id must be 1 to 128 letters, digits, '_', '-' or '.'")
	}
	for _, a := range []struct {
		name string
		ax   Axis
	}{{"x", c.X}, {"y", c.Y}} {
		if !validUnit(a.ax.Unit) {
			return fmt.Errorf("%s axis: unknown unit %q", a.name, a.ax.Unit)
		}
	}
	if c.Kind != KindHBar && len(c.Categories) > 0 {
		return fmt.Errorf("categories are for %s charts only", KindHBar)
	}
	if c.Kind != KindGraph && c.Graph != nil {
		return fmt.Errorf("graph data is for %s charts only", KindGraph)
	}
	if c.Kind != KindHeatmap && c.Heatmap != nil {
		return fmt.Errorf("heatmap data is for %s charts only", KindHeatmap)
	}
	switch c.Kind {
	case KindLines, KindScatter, KindStems, KindStackedArea:
	default:
		if len(c.Bands) > 0 {
			return fmt.Errorf("bands are for %s, %s, %s and %s charts only", KindLines, KindScatter, KindStems, KindStackedArea)
		}
	}
	for i, b := range c.Bands {
		if !finite(b.Start) || !finite(b.End) || b.Start > b.End {
			return fmt.Errorf("band %d: want finite start <= end, got [%v, %v]", i, b.Start, b.End)
		}
	}
	if c.Empty != "" {
		if c.HasData() {
			return errors.New("an empty chart holds no data: drop it or the empty message")
		}
		switch c.Kind {
		case KindHBar, KindLines, KindScatter, KindStems, KindECDF, KindStackedArea, KindStrip, KindHeatmap, KindGraph:
			return nil
		}
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
	switch c.Kind {
	case KindHBar:
		return c.validateHBar()
	case KindLines, KindScatter, KindStems, KindECDF, KindStackedArea:
		return c.validatePoints()
	case KindStrip:
		return c.validateStrip()
	case KindHeatmap:
		return c.validateHeatmap()
	case KindGraph:
		return c.validateGraph()
	default:
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
}

func (c *Chart) validateHBar() error {
	if len(c.Categories) == 0 {
		return errNoData("categories")
	}
	if len(c.Series) == 0 {
		return errNoData("series")
	}
	for i, s := range c.Series {
		if len(s.Points) > 0 {
			return fmt.Errorf("series %d: bars take values, not points", i)
		}
		if len(s.Values) != len(c.Categories) {
			return fmt.Errorf("series %d: %d values for %d categories", i, len(s.Values), len(c.Categories))
		}
		if j := firstNonFinite(s.Values); j >= 0 {
			return fmt.Errorf("series %d: value %d is %v", i, j, s.Values[j])
		}
	}
	return nil
}

func (c *Chart) validatePoints() error {
	if len(c.Series) == 0 {
		return errNoData("series")
	}
	ordered := c.Kind != KindScatter && c.Kind != KindStems
	for i, s := range c.Series {
		if len(s.Values) > 0 {
			return fmt.Errorf("series %d: %s charts take points, not values", i, c.Kind)
		}
		for j, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				return fmt.Errorf("series %d: point %d is (%v, %v)", i, j, p.X, p.Y)
			}
			if ordered && j > 0 && p.X < s.Points[j-1].X {
				return fmt.Errorf("series %d: point %d: x %v before %v, want x in order", i, j, p.X, s.Points[j-1].X)
			}
		}
		if c.Kind == KindECDF {
			for j, p := range s.Points {
				if p.Y < 0 || p.Y > 1 {
					return fmt.Errorf("series %d: point %d: fraction %v outside [0, 1]", i, j, p.Y)
				}
			}
		}
	}
	if c.Kind == KindStackedArea {
		first := c.Series[0].Points
		for i, s := range c.Series[1:] {
			if len(s.Points) != len(first) {
				return fmt.Errorf("series %d: %d points, series 0 has %d; stacked series share X", i+1, len(s.Points), len(first))
			}
			for j, p := range s.Points {
				if p.X != first[j].X {
					return fmt.Errorf("series %d: point %d: x %v, series 0 has %v; stacked series share X", i+1, j, p.X, first[j].X)
				}
			}
		}
	}
	return nil
}

func (c *Chart) validateStrip() error {
	if len(c.Series) == 0 {
		return errNoData("series")
	}
	for i, s := range c.Series {
		if len(s.Points) > 0 {
			return fmt.Errorf("series %d: strips take values, not points", i)
		}
		if j := firstNonFinite(s.Values); j >= 0 {
			return fmt.Errorf("series %d: value %d is %v", i, j, s.Values[j])
		}
	}
	return nil
}

func (c *Chart) validateHeatmap() error {
	h := c.Heatmap
	if h == nil {
		return errors.New("no heatmap data")
	}
	if len(c.Series) > 0 {
		return errors.New("heatmap charts take heatmap data, not series")
	}
	if !validUnit(h.Value.Unit) {
		return fmt.Errorf("heatmap value: unknown unit %q", h.Value.Unit)
	}
	seen := make(map[[2]int]bool, len(h.Cells))
	for i, cell := range h.Cells {
		if cell.Col < 0 || cell.Col >= len(h.Columns) || cell.Row < 0 || cell.Row >= len(h.Rows) {
			return fmt.Errorf("cell %d: (%d, %d) outside %d columns x %d rows", i, cell.Col, cell.Row, len(h.Columns), len(h.Rows))
		}
		if !finite(cell.Value) {
			return fmt.Errorf("cell %d: value is %v", i, cell.Value)
		}
		k := [2]int{cell.Col, cell.Row}
		if seen[k] {
			return fmt.Errorf("cell %d: (%d, %d) given twice", i, cell.Col, cell.Row)
		}
		seen[k] = true
	}
	return nil
}

func (c *Chart) validateGraph() error {
	g := c.Graph
	if g == nil {
		return errors.New("no graph data")
	}
	if len(c.Series) > 0 {
		return errors.New("graph charts take graph data, not series")
	}
	ids := make(map[string]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if n.ID == "" {
			return fmt.Errorf("node %d: empty id", i)
		}
		if ids[n.ID] {
			return fmt.Errorf("node %d: id %q given twice", i, n.ID)
		}
		ids[n.ID] = true
		if !finite(n.Value) || n.Value < 0 {
			return fmt.Errorf("node %d: value %v, want finite and >= 0", i, n.Value)
		}
	}
	for i, e := range g.Edges {
		if !ids[e.Source] {
			return fmt.Errorf("edge %d: unknown source %q", i, e.Source)
		}
		if !ids[e.Target] {
			return fmt.Errorf("edge %d: unknown target %q", i, e.Target)
		}
		if !finite(e.Weight) || e.Weight < 0 {
			return fmt.Errorf("edge %d: weight %v, want finite and >= 0", i, e.Weight)
		}
	}
	return nil
}

// errNoData says what a chart lacks, and how a chart with nothing to show
// is made.
func errNoData(what string) error {
	return fmt.Errorf("no %s (a chart with nothing to show sets Empty to say why)", what)
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

func validUnit(u Unit) bool {
	switch u {
	case UnitNone, UnitBytes, UnitSeconds, UnitTime, UnitShare:
		return true
	}
	return false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func firstNonFinite(vs []float64) int {
	for i, v := range vs {
		if !finite(v) {
			return i
		}
	}
	return -1
}
