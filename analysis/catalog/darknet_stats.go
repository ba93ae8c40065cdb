package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type darknetStats struct{}

func (darknetStats) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "darknet_stats", Group: darknetGroup, Title: "Darknet senders, packets and ports",
		Doc: `For the range and for its last day (days in tz): distinct senders (source addresses), packets, ` +
			`destination ports and port/proto pairs ("445/tcp", "-/icmp": protocols other than TCP and UDP ` +
			`carry no port, and "-" counts as one port), and the top port/proto pairs with their share of ` +
			`the packets and their distinct senders, as the seed's dataset statistics. Ties in the ranking ` +
			`go to the lower pair.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, top("3")},
	}
}

// ppCount is the packets and senders of a port/proto pair.
type ppCount struct {
	key              int64
	packets, senders int64
}

// rankPairs returns the pairs with packets, most packets first, then by key.
func rankPairs(list []ppCount) []ppCount {
	out := slices.DeleteFunc(slices.Clone(list), func(p ppCount) bool { return p.packets == 0 })
	slices.SortFunc(out, func(a, b ppCount) int {
		return cmp.Or(cmp.Compare(b.packets, a.packets), cmp.Compare(a.key, b.key))
	})
	return out
}

func (darknetStats) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	stats := analysis.NewTable("darknet_stats", "Senders, packets, ports and port/proto pairs, of the range and of its last day",
		"period", "first_day", "last_day", "senders", "packets", "ports", "port_protos")
	topT := analysis.NewTable("darknet_top", "The top port/proto pairs: packets, share of the packets, distinct senders",
		"period", "rank", "pp", "packets", "share", "senders").WithUnit("share", output.Share)
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	c := chart.NewHBar("darknet_top", "Top port/proto pairs: share of the packets", nil)
	c.X = chart.Axis{Title: "share of the packets", Unit: chart.UnitShare}
	if !r.ok {
		return &analysis.Result{Tables: []analysis.Table{stats, topT}, Charts: []*chart.Chart{c.OrEmpty(noDarknet)}}, nil
	}
	pp, err := ppStats(ctx, env, r)
	if err != nil {
		return nil, err
	}
	snd, err := senderStats(ctx, env, r)
	if err != nil {
		return nil, err
	}
	var whole, last []ppCount
	for _, row := range pp.Rows {
		k := analysis.AsInt(row[0])
		whole = append(whole, ppCount{k, analysis.AsInt(row[1]), analysis.AsInt(row[2])})
		last = append(last, ppCount{k, analysis.AsInt(row[3]), analysis.AsInt(row[4])})
	}
	var senders, sendersLast int64
	for _, row := range snd.Rows {
		n := analysis.AsInt(row[2])
		senders += n
		if analysis.AsInt(row[1]) == 1 {
			sendersLast += n
		}
	}
	k := int(v.Int("top"))
	periods := []struct {
		name, first string
		senders     int64
		pairs       []ppCount
	}{
		{"range", r.dayOf(r.from), senders, rankPairs(whole)},
		{"last_day", r.dayOf(max(r.last, r.from)), sendersLast, rankPairs(last)},
	}
	var cats []string
	shares := map[string][]float64{}
	for _, p := range periods {
		var packets int64
		ports := map[string]bool{}
		for _, q := range p.pairs {
			packets += q.packets
			ports[portName(q.key)] = true
		}
		stats.Add(p.name, p.first, r.dayOf(r.to-1), p.senders, packets, int64(len(ports)), int64(len(p.pairs)))
		for i, q := range p.pairs[:min(k, len(p.pairs))] {
			share := float64(q.packets) / float64(packets)
			topT.Add(p.name, int64(i+1), ppName(q.key), q.packets, share, q.senders)
			name := ppName(q.key)
			if !slices.Contains(cats, name) {
				cats = append(cats, name)
			}
		}
	}
	// One bar per pair of either top list, for each period.
	for _, p := range periods {
		var packets int64
		for _, q := range p.pairs {
			packets += q.packets
		}
		vals := make([]float64, len(cats))
		for _, q := range p.pairs {
			if i := slices.Index(cats, ppName(q.key)); i >= 0 {
				vals[i] = float64(q.packets) / float64(packets)
			}
		}
		shares[p.name] = vals
	}
	c.Categories = cats
	c.Series = []chart.Series{chart.Bars("range "+r.dayOf(r.from)+" to "+r.dayOf(r.to-1), shares["range"]),
		chart.Bars("last day "+r.dayOf(max(r.last, r.from)), shares["last_day"])}
	c.Note = fmt.Sprintf("the top %d pairs of the range and of its last day", k)
	return &analysis.Result{Tables: []analysis.Table{stats, topT}, Charts: []*chart.Chart{c.OrEmpty(noDarknet)}}, nil
}
