package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type timeline struct{}

// maxPoints is the most points a time chart keeps per series; the table keeps all.
const maxPoints = 5000

func (timeline) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "timeline", Group: "capture", Title: "Payload over time",
		Doc: `The payload size of every packet over time, from the top source address (the one that ` +
			`sent the most payload, or src) to each of its destinations; then the same from the top ` +
			`TCP source port and the top UDP source port to each destination port. Destinations ` +
			`beyond max_series are drawn together as "other". Long series are thinned for the ` +
			`chart, keeping each interval's smallest and largest value; the tables hold every packet.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, srcParam,
			{Name: "max_series", Kind: analysis.Int, Default: "12", Min: analysis.AtLeast(1), Doc: "the most destinations drawn as their own series"}},
	}
}

func (timeline) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where := ipWhere(v)
	src, err := topSource(ctx, env, v, where)
	if err != nil {
		return nil, err
	}
	res := &analysis.Result{Notes: []string{"top source: " + env.Label(src)}}
	ts := env.Dialect().EpochNs("ts")

	// From the top source to each destination.
	t, err := env.Query(ctx, `SELECT `+ts+`, dst, payload_len FROM packets WHERE `+where+` AND src = ? ORDER BY ts`, src)
	if err != nil {
		return nil, err
	}
	tab := analysis.NewTable("timeline_src", "Packets from the top source", "ts", "src", "dst", "dst_name", "payload_len")
	for _, r := range t.Rows {
		dst := analysis.AsString(r[1])
		tab.Add(analysis.Time(analysis.AsInt(r[0])), src, dst, nullable(env.Names[dst]), analysis.AsInt(r[2]))
	}
	c := seriesByKey("timeline_src", "Payload sent by "+env.Label(src)+" over time", t.Rows, func(k any) string {
		return env.Label(analysis.AsString(k))
	}, int(v.Int("max_series")))
	res.Tables = append(res.Tables, tab)
	res.Charts = append(res.Charts, c)

	// From the top TCP and UDP source ports to each destination port.
	for _, p := range []struct {
		proto uint8
		name  string
	}{{6, "tcp"}, {17, "udp"}} {
		top, err := env.Query(ctx, fmt.Sprintf(`SELECT sport, sum(payload_len) AS payload FROM packets
			WHERE %s AND proto = %d AND NOT (frag AND sport = 0 AND dport = 0) GROUP BY sport ORDER BY payload DESC, sport LIMIT 1`, where, p.proto))
		if err != nil {
			return nil, err
		}
		if len(top.Rows) == 0 {
			continue
		}
		port := analysis.AsInt(top.Rows[0][0])
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT %s, dport, payload_len FROM packets
			WHERE %s AND proto = %d AND sport = ? ORDER BY ts`, ts, where, p.proto), port)
		if err != nil {
			return nil, err
		}
		name := "timeline_" + p.name + "_port"
		tab := analysis.NewTable(name, fmt.Sprintf("Packets from the top %s source port", p.name), "ts", "sport", "dport", "payload_len")
		for _, r := range t.Rows {
			tab.Add(analysis.Time(analysis.AsInt(r[0])), port, analysis.AsInt(r[1]), analysis.AsInt(r[2]))
		}
		c := seriesByKey(name, fmt.Sprintf("Payload sent from %s port %d over time", p.name, port), t.Rows, func(k any) string {
			return "port " + strconv.FormatInt(analysis.AsInt(k), 10)
		}, int(v.Int("max_series")))
		res.Notes = append(res.Notes, fmt.Sprintf("top %s source port: %d", p.name, port))
		res.Tables = append(res.Tables, tab)
		res.Charts = append(res.Charts, c)
	}
	return res, nil
}

// seriesByKey draws rows of (ts ns, key, value) as a scatter chart with a
// series per key, the max busiest keys on their own and the rest as "other".
func seriesByKey(id, title string, rows [][]any, label func(any) string, max int) *chart.Chart {
	count := map[string]int{}
	var order []string
	for _, r := range rows {
		k := label(r[1])
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	// The busiest keys get their own series, in order of first appearance.
	keep := map[string]bool{}
	if len(order) > max {
		ranked := append([]string(nil), order...)
		sort.SliceStable(ranked, func(i, j int) bool { return count[ranked[i]] > count[ranked[j]] })
		for _, k := range ranked[:max] {
			keep[k] = true
		}
	} else {
		for _, k := range order {
			keep[k] = true
		}
	}
	points := map[string][]chart.Point{}
	for _, r := range rows {
		k := label(r[1])
		if !keep[k] {
			k = "other"
		}
		points[k] = append(points[k], chart.Point{X: chart.UnixSeconds(analysis.AsInt(r[0])), Y: analysis.AsFloat(r[2])})
	}
	var series []chart.Series
	for _, k := range append(order, "other") {
		if ps, ok := points[k]; ok && (keep[k] || k == "other") {
			series = append(series, chart.Series{Name: k, Points: ps})
			delete(points, k)
		}
	}
	c := chart.NewScatter(id, title, series...)
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	c.Downsample(maxPoints)
	return c
}
