package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
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
			`chart, keeping each interval's smallest and largest value; the tables hold every packet. ` +
			`The top source and ports are those of talkers and ports, counted the same way. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, srcParam,
			{Name: "max_series", Kind: analysis.Int, Default: "9", Min: analysis.AtLeast(1), Doc: "the most destinations drawn as their own series (9: with \"other\", the ten a figure tells apart by colour)"}},
	}
}

func (timeline) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where, payload := ipWhere(v), payloadSQL(v)
	src, err := topSource(ctx, env, v, where)
	if err != nil {
		return nil, err
	}
	res := &analysis.Result{Notes: payloadNotes(v)}
	ts := env.Dialect().EpochNs("ts")

	// From the top source to each destination.
	t := &engine.Table{}
	title := "Payload sent by the top source over time"
	if src != "" {
		res.Notes = append(res.Notes, "top source: "+env.Label(src))
		title = "Payload sent by " + env.Label(src) + " over time"
		if t, err = sentBy(ctx, env, where, payload, src); err != nil {
			return nil, err
		}
	}
	tab := analysis.NewTable("timeline_src", "Packets from the top source", "ts", "src", "dst", "dst_name", "payload_len")
	srcV := any(src)
	type dstValues struct{ addr, name any }
	dsts := map[string]dstValues{} // each address and name boxed once, not per packet
	// The top source may have sent millions of packets: the rows are made
	// at once.
	tab.Rows = analysis.MakeRows(len(t.Rows), 5)
	for i, r := range t.Rows {
		dst := analysis.AsString(r[1])
		d, ok := dsts[dst]
		if !ok {
			d = dstValues{dst, nullable(env.Names[dst])}
			dsts[dst] = d
		}
		row := tab.Rows[i]
		row[0], row[1], row[2], row[3], row[4] = analysis.Time(analysis.AsInt(r[0])), srcV, d.addr, d.name, analysis.AsInt(r[2])
	}
	c := seriesByKey("timeline_src", title, t.Rows, func(k any) string {
		return env.Label(analysis.AsString(k))
	}, int(v.Int("max_series")))
	res.Tables = append(res.Tables, tab)
	res.Charts = append(res.Charts, c.OrEmpty(noStreamPackets(env, v, src, "")))

	// From the top TCP and UDP source ports to each destination port, the
	// packets of both in one query.
	protos := []struct {
		proto uint8
		name  string
		found bool // the protocol has a top port
		port  int64
		rows  [][]any
	}{{proto: 6, name: "tcp"}, {proto: 17, name: "udp"}}
	var cond []string
	var args []any
	for i := range protos {
		p := &protos[i]
		sent, err := perPort(ctx, env, where, payload, p.proto, bySource)
		if err != nil {
			return nil, err
		}
		if len(sent) == 0 {
			continue
		}
		p.found, p.port = true, sent[0].port
		cond, args = append(cond, fmt.Sprintf("(proto = %d AND sport = ?)", p.proto)), append(args, p.port)
	}
	t = &engine.Table{}
	if len(cond) > 0 {
		t, err = env.Query(ctx, fmt.Sprintf(`SELECT %s, dport, %s, proto FROM packets
		WHERE %s AND (%s) ORDER BY ts, capture, frame`, ts, payload, where, strings.Join(cond, " OR ")), args...)
		if err != nil {
			return nil, err
		}
	}
	// The rows of each protocol, counted first so that each slice is made
	// once: there may be millions.
	of := make([]int, len(t.Rows))
	count := make([]int, len(protos))
	for j, r := range t.Rows {
		of[j] = -1
		for i := range protos {
			if p := &protos[i]; p.found && analysis.AsInt(r[3]) == int64(p.proto) {
				of[j] = i
				count[i]++
			}
		}
	}
	for i := range protos {
		protos[i].rows = make([][]any, 0, count[i])
	}
	for j, r := range t.Rows {
		if i := of[j]; i >= 0 {
			protos[i].rows = append(protos[i].rows, r)
		}
	}
	for _, p := range protos {
		name := "timeline_" + p.name + "_port"
		tab := analysis.NewTable(name, fmt.Sprintf("Packets from the top %s source port", p.name), "ts", "sport", "dport", "payload_len")
		res.Tables = append(res.Tables, tab)
		if !p.found {
			c := seriesByKey(name, fmt.Sprintf("Payload sent from the top %s port over time", p.name), nil, nil, 1)
			res.Charts = append(res.Charts, c.OrEmpty(noPackets(v, strings.ToUpper(p.name))))
			continue
		}
		port := p.port
		c := seriesByKey(name, fmt.Sprintf("Payload sent from %s port %d over time", p.name, port), p.rows, func(k any) string {
			return "port " + strconv.FormatInt(analysis.AsInt(k), 10)
		}, int(v.Int("max_series")))
		// The rows of the query, which is this analysis' alone, become the
		// table's: there are a lot of them.
		tab.Rows = make([][]any, len(p.rows))
		portV := any(port)
		for i, r := range p.rows {
			ts, dport, payload := analysis.AsInt(r[0]), analysis.AsInt(r[1]), analysis.AsInt(r[2])
			r[0], r[1], r[2], r[3] = analysis.Time(ts), portV, dport, payload
			tab.Rows[i] = r
		}
		res.Notes = append(res.Notes, fmt.Sprintf("top %s source port: %d", p.name, port))
		res.Charts = append(res.Charts, c)
	}
	return res, nil
}

// seriesByKey draws rows of (ts ns, key, value) as a scatter chart with a
// series per key, the max busiest keys on their own and the rest as "other".
func seriesByKey(id, title string, rows [][]any, label func(any) string, max int) *chart.Chart {
	// Rows whose keys have the same label form a group, numbered in order
	// of first appearance. Labels are made once per key, not per row.
	group := map[any]int{}
	byLabel := map[string]int{}
	var labels []string
	var count []int
	of := make([]int, len(rows))
	for i, r := range rows {
		key := r[1]
		if b, ok := key.([]byte); ok { // not a valid map key
			key = string(b)
		}
		g, ok := group[key]
		if !ok {
			l := label(r[1])
			if g, ok = byLabel[l]; !ok {
				g = len(labels)
				labels, count = append(labels, l), append(count, 0)
				byLabel[l] = g
			}
			group[key] = g
		}
		of[i] = g
		count[g]++
	}
	// The busiest groups get their own series, in order of first
	// appearance; the rest are "other".
	keep := make([]bool, len(labels))
	ranked := make([]int, len(labels))
	for g := range ranked {
		ranked[g] = g
	}
	sort.SliceStable(ranked, func(i, j int) bool { return count[ranked[i]] > count[ranked[j]] })
	for _, g := range ranked[:min(max, len(ranked))] {
		keep[g] = true
	}
	other := len(labels)
	points := make([][]chart.Point, len(labels)+1)
	for g, n := range count {
		if keep[g] {
			points[g] = make([]chart.Point, 0, n)
		}
	}
	for i, r := range rows {
		g := of[i]
		if !keep[g] {
			g = other
		}
		points[g] = append(points[g], chart.Point{X: chart.UnixSeconds(analysis.AsInt(r[0])), Y: analysis.AsFloat(r[2])})
	}
	var series []chart.Series
	for g, l := range labels {
		if keep[g] {
			series = append(series, chart.Series{Name: l, Points: points[g]})
		}
	}
	if len(points[other]) > 0 {
		series = append(series, chart.Series{Name: "other", Points: points[other]})
	}
	c := chart.NewScatter(id, title, series...)
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	c.Downsample(maxPoints)
	return c
}
