package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type talkers struct{}

func (talkers) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "talkers", Group: "capture", Title: "Top talkers",
		Doc: `Payload bytes sent per source address and received per destination address, with ` +
			`packets and bytes on the wire. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, top("20")},
	}
}

func (talkers) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	res := &analysis.Result{Notes: payloadNotes(v)}
	for _, side := range []struct {
		by                bool
		name, title, verb string
	}{
		{bySource, "talkers_sent", "Payload sent per source address", "sent"},
		{byDestination, "talkers_received", "Payload received per destination address", "received"},
	} {
		totals, err := perAddress(ctx, env, ipWhere(v), payloadSQL(v), side.by)
		if err != nil {
			return nil, err
		}
		tab := analysis.NewTable(side.name, side.title, "address", "name", "payload_bytes", "packets", "bytes")
		var cats []string
		var vals []float64
		for _, t := range totals {
			tab.Add(t.key, nullable(env.Names[t.key]), t.payload, t.packets, t.bytes)
			if int64(len(cats)) < v.Int("top") {
				cats = append(cats, env.Label(t.key))
				vals = append(vals, float64(t.payload))
			}
		}
		c := chart.NewHBar(side.name, side.title, cats, chart.Bars("payload "+side.verb, vals))
		c.X = chart.Axis{Title: "payload bytes " + side.verb, Unit: chart.UnitBytes}
		if n := len(totals); n > len(cats) {
			c.Note = fmt.Sprintf("showing the top %d of %d addresses", len(cats), n)
		}
		res.Tables = append(res.Tables, tab)
		res.Charts = append(res.Charts, c.OrEmpty(noPackets(v, "IP")))
	}
	return res, nil
}

// nullable returns nil for an empty string, so tables show NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
