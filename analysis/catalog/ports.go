package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/services"
)

type ports struct{}

func (ports) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "ports", Group: "capture", Title: "Ports",
		Doc: `Payload bytes sent from each TCP and UDP source port and to each destination port, ` +
			`with packets, and the well-known service of the port where there is one. IP fragments ` +
			`after the first, which carry no ports, are left out. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, top("15")},
	}
}

func (ports) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	tab := analysis.NewTable("ports", "Payload per port", "proto", "side", "port", "service", "payload_bytes", "packets")
	res := &analysis.Result{Tables: []analysis.Table{tab}, Notes: payloadNotes(v)}
	for _, p := range []struct {
		proto uint8
		name  string
	}{{6, "TCP"}, {17, "UDP"}} {
		for _, side := range []struct {
			by              bool
			col, name, verb string
		}{
			{bySource, "sport", "source", "sent"},
			{byDestination, "dport", "destination", "received"},
		} {
			totals, err := perPort(ctx, env, ipWhere(v), payloadSQL(v), p.proto, side.by)
			if err != nil {
				return nil, err
			}
			var cats []string
			var vals []float64
			for _, t := range totals {
				port := uint16(t.port)
				svc := services.Lookup(p.proto, port)
				tab.Add(p.name, side.name, int64(port), nullable(svc), t.payload, t.packets)
				if int64(len(cats)) < v.Int("top") {
					label := strconv.Itoa(int(port))
					if svc != "" {
						label += " (" + svc + ")"
					}
					cats = append(cats, label)
					vals = append(vals, float64(t.payload))
				}
			}
			id := fmt.Sprintf("ports_%s_%s", strings.ToLower(p.name), side.col)
			c := chart.NewHBar(id, fmt.Sprintf("%s %s ports: payload bytes %s", p.name, side.name, side.verb), cats, chart.Bars("payload "+side.verb, vals))
			c.X = chart.Axis{Title: "payload bytes " + side.verb, Unit: chart.UnitBytes}
			c.Y.Title = p.name + " " + side.name + " port"
			if n := len(totals); n > len(cats) {
				c.Note = fmt.Sprintf("showing the top %d of %d ports", len(cats), n)
			}
			res.Charts = append(res.Charts, c.OrEmpty(noPackets(v, p.name)))
		}
	}
	return res, nil
}
