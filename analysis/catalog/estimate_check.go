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

type estimateCheck struct{}

func (estimateCheck) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "estimate_check", Group: peersGroup, Title: "Estimated vs measured TCP/IP bytes",
		Doc: `TCP/IP bytes per hour and direction as estimated from message sizes and as measured, where both exist: ` +
			`messages decoded from captures carry both (the packets' IP bytes, and the estimate from their sizes); logs ` +
			`and their aggregates carry estimates, the node's IP accounting (systemd, the seed's validation_data_emp) ` +
			`measurements. Of the inputs that cover an hour, the finest (an hour or less) answers for it, so that hourly ` +
			`and daily aggregates of the same traffic are not added. The ratio is estimated / measured. ` + estimateDoc,
		Tables: []string{"peer_messages"},
		Params: []analysis.Param{estimateParam},
	}
}

func (estimateCheck) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	ts := env.Dialect().EpochNs("ts")
	est := `CASE WHEN tcpip_measured AND period_s = 0 AND message_size IS NOT NULL THEN ` + seedEstimateSQL("message_size", "peer_addr") + ` END`
	if v.String("estimate") == "seed" {
		est = `CASE WHEN tcpip_measured AND period_s = 0 AND payload_size IS NOT NULL THEN ` + seedEstimateSQL("payload_size", "peer_addr") + ` END`
	}
	t, err := env.Query(ctx, fmt.Sprintf(`SELECT hour, direction, layout, period_s, measured, sum(tcpip), sum(est), count(est)
		FROM (SELECT %[1]s - %[1]s %% 3600000000000 AS hour, direction, layout, period_s,
				CASE WHEN tcpip_measured THEN 1 ELSE 0 END AS measured, %[2]s AS tcpip, %[3]s AS est
			FROM peer_messages WHERE direction IS NOT NULL AND direction <> '' AND period_s <= 3600) AS m
		GROUP BY hour, direction, layout, period_s, measured`, ts, tcpipSQL(v), est))
	if err != nil {
		return nil, fmt.Errorf("estimated and measured bytes: %w", err)
	}
	type key struct {
		hour int64
		dir  string
	}
	type pick struct {
		period int64
		layout string
		bytes  float64
		ok     bool
	}
	better := func(cur pick, period int64, layout string) bool {
		return !cur.ok || period < cur.period || period == cur.period && layout < cur.layout
	}
	measured, estimated := map[key]pick{}, map[key]pick{}
	for _, r := range t.Rows {
		k := key{analysis.AsInt(r[0]), analysis.AsString(r[1])}
		layout, period, isMeasured := analysis.AsString(r[2]), analysis.AsInt(r[3]), analysis.AsInt(r[4]) == 1
		if isMeasured {
			if better(measured[k], period, layout) {
				measured[k] = pick{period, layout, analysis.AsFloat(r[5]), true}
			}
			if analysis.AsInt(r[7]) > 0 && better(estimated[k], period, layout) {
				estimated[k] = pick{period, layout, analysis.AsFloat(r[6]), true}
			}
			continue
		}
		if better(estimated[k], period, layout) {
			estimated[k] = pick{period, layout, analysis.AsFloat(r[5]), true}
		}
	}
	var keys []key
	for k := range measured {
		if estimated[k].ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.dir, b.dir)) })
	tab := analysis.NewTable("estimate_check", "Estimated and measured TCP/IP bytes per hour", "hour", "direction", "estimated", "measured", "ratio", "estimated_from", "measured_from").WithUnit("ratio", output.Share)
	series := map[string]*chart.Series{}
	var names []string
	for _, k := range keys {
		e, m := estimated[k], measured[k]
		var ratio any
		if m.bytes > 0 {
			ratio = e.bytes / m.bytes
		}
		tab.Add(analysis.Time(k.hour), k.dir, int64(e.bytes), int64(m.bytes), ratio, e.layout, m.layout)
		for _, s := range []struct {
			name string
			y    float64
		}{{"estimated " + k.dir, e.bytes}, {"measured " + k.dir, m.bytes}} {
			if series[s.name] == nil {
				series[s.name] = &chart.Series{Name: s.name}
				names = append(names, s.name)
			}
			series[s.name].Points = append(series[s.name].Points, chart.Point{X: chart.UnixSeconds(k.hour), Y: s.y})
		}
	}
	slices.Sort(names)
	var ss []chart.Series
	for _, n := range names {
		ss = append(ss, *series[n])
	}
	c := chart.NewLines("estimate_check", "Estimated and measured TCP/IP bytes per hour", ss...)
	c.X = chart.Axis{Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "TCP/IP bytes per hour", Unit: chart.UnitBytes, Log: true}
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c.OrEmpty("no hour with both estimated and measured bytes (captures of a node, or a log with the node's IP accounting)")},
	}, nil
}
