package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/labels"
)

type classes struct{}

func (classes) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "classes", Group: darknetGroup, Title: "Ground-truth classes on the last day",
		Doc: `Per ground-truth class (labels of kind class, loaded with 'netlens label --kind class'), on the ` +
			`last day of the range, of the senders the filter keeps (see sender_filter): senders, packets, ` +
			`distinct port/proto pairs and the top 5 pairs with their share of the class' packets, written ` +
			`as the seed writes them ("23/tcp(50.1%), 2323/tcp(12.0%)"). Senders without a class, and those ` +
			`of the classes of fold, are unknown. Classes come by senders, most first.`,
		Tables: []string{"packets"},
		Labels: []string{labels.Class},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, minPktsParam, windowParam, foldParam},
	}
}

// classPairs is the packets and senders of each class per port/proto pair
// on the last day, folded, and the senders of each class.
type classPairs struct {
	pairs   map[string][]ppCount // by class
	packets map[string]int64
	senders map[string]int64
}

// lastDayClasses reads the shared queries of classes and class_services.
func lastDayClasses(ctx context.Context, env *analysis.Env, r dnRange, v analysis.Values) (*classPairs, error) {
	keys, err := classKeys(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	snd, err := classSenders(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	fold := folded(v)
	cp := &classPairs{pairs: map[string][]ppCount{}, packets: map[string]int64{}, senders: map[string]int64{}}
	merged := map[string]map[int64]*ppCount{}
	for _, row := range keys.Rows {
		class := classOf(analysis.AsString(row[0]), fold)
		k, n, s := analysis.AsInt(row[1]), analysis.AsInt(row[2]), analysis.AsInt(row[3])
		if merged[class] == nil {
			merged[class] = map[int64]*ppCount{}
		}
		p := merged[class][k]
		if p == nil {
			p = &ppCount{key: k}
			merged[class][k] = p
		}
		p.packets += n
		p.senders += s // senders of a pair within a class: only the top list's order uses them
		cp.packets[class] += n
	}
	for class, m := range merged {
		for _, p := range m {
			cp.pairs[class] = append(cp.pairs[class], *p)
		}
		cp.pairs[class] = rankPairs(cp.pairs[class])
	}
	for _, row := range snd.Rows {
		cp.senders[classOf(analysis.AsString(row[0]), fold)] += analysis.AsInt(row[1])
	}
	return cp, nil
}

// byClassSenders returns the classes of cp, most senders first, then by name.
func (cp *classPairs) byClassSenders() []string {
	var out []string
	for c := range cp.senders {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(cp.senders[b], cp.senders[a]), cmp.Compare(a, b)) })
	return out
}

// top5 writes the top five pairs of a class as the seed does: each with
// its share of the class' packets in percent, rounded to one decimal as
// Python's round(x, 1) rounds a float (the nearest, ties to even) and
// printed as Python prints it (50.0, 12.3).
func top5(pairs []ppCount, packets int64) string {
	var parts []string
	for _, p := range pairs[:min(5, len(pairs))] {
		pct := float64(p.packets*100) / float64(packets)
		parts = append(parts, fmt.Sprintf("%s(%s%%)", ppName(p.key), strconv.FormatFloat(pct, 'f', 1, 64)))
	}
	return strings.Join(parts, ", ")
}

func (classes) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	tab := analysis.NewTable("classes", "Ground-truth classes on the last day, of the senders the filter keeps",
		"class", "senders", "packets", "ports", "top5")
	c := chart.NewHBar("classes", "Senders and packets per class on the last day", nil)
	c.X = chart.Axis{Title: "senders, packets", Log: true}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if r.ok {
		cp, err := lastDayClasses(ctx, env, r, v)
		if err != nil {
			return nil, err
		}
		var senders, packets []float64
		for _, class := range cp.byClassSenders() {
			tab.Add(class, cp.senders[class], cp.packets[class], int64(len(cp.pairs[class])), top5(cp.pairs[class], cp.packets[class]))
			c.Categories = append(c.Categories, class)
			senders, packets = append(senders, float64(cp.senders[class])), append(packets, float64(cp.packets[class]))
		}
		c.Series = []chart.Series{chart.Bars("senders", senders), chart.Bars("packets", packets)}
		c.Note = "last day " + r.dayOf(max(r.last, r.from))
	}
	return &analysis.Result{Tables: []analysis.Table{tab}, Charts: []*chart.Chart{c.OrEmpty("no senders kept by the filter on the last day")}}, nil
}
