package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

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
	maxSeries := int(v.Int("max_series"))
	// The packets of the top ports are read and made into their tables
	// while those of the top source are, each while the engine answers
	// the other's query.
	var ports []portTimeline
	var portsErr error
	var wg sync.WaitGroup
	wg.Go(func() { ports, portsErr = topPortTimelines(ctx, env, v, where, payload, maxSeries) })
	src, srcTab, srcChart, err := sourceTimeline(ctx, env, v, where, payload, maxSeries)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if portsErr != nil {
		return nil, portsErr
	}
	res := &analysis.Result{Notes: payloadNotes(v)}
	if src != "" {
		res.Notes = append(res.Notes, "top source: "+env.Label(src))
	}
	res.Tables = append(res.Tables, srcTab)
	res.Charts = append(res.Charts, srcChart)
	for _, p := range ports {
		res.Tables = append(res.Tables, p.table)
		res.Charts = append(res.Charts, p.chart)
		if p.note != "" {
			res.Notes = append(res.Notes, p.note)
		}
	}
	return res, nil
}

// sourceTimeline returns the top source (or src), the table of its
// packets and the chart of their payload over time, a series per
// destination.
func sourceTimeline(ctx context.Context, env *analysis.Env, v analysis.Values, where, payload string, maxSeries int) (string, analysis.Table, *chart.Chart, error) {
	tab := analysis.NewTable("timeline_src", "Packets from the top source", "ts", "src", "dst", "dst_name", "payload_len")
	src, err := topSource(ctx, env, v, where)
	if err != nil {
		return "", tab, nil, err
	}
	t := &engine.Table{}
	title := "Payload sent by the top source over time"
	if src != "" {
		title = "Payload sent by " + env.Label(src) + " over time"
		if t, err = sentBy(ctx, env, where, payload, src); err != nil {
			return "", tab, nil, err
		}
	}
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
		row[0], row[1], row[2], row[3], row[4] = analysis.Time(analysis.AsInt(r[0])), srcV, d.addr, d.name, int64Value(r[2])
	}
	c := seriesByKey("timeline_src", title, len(t.Rows), func(i int) (int64, any, float64) {
		r := t.Rows[i]
		return analysis.AsInt(r[0]), r[1], analysis.AsFloat(r[2])
	}, func(k any) string {
		return env.Label(analysis.AsString(k))
	}, maxSeries)
	return src, tab, c.OrEmpty(noStreamPackets(env, v, src, "")), nil
}

// portTimeline is the table, chart and note of the packets from the top
// source port of one protocol.
type portTimeline struct {
	table analysis.Table
	chart *chart.Chart
	note  string
}

// portPacket is a packet from a top source port: its time (ns), and its
// destination port and payload as the engine gave them.
type portPacket struct {
	ts             int64
	dport, payload any
}

// topPortTimelines returns the timelines of the top TCP and of the top UDP
// source port, in that order, the packets of both read in one query.
func topPortTimelines(ctx context.Context, env *analysis.Env, v analysis.Values, where, payload string, maxSeries int) ([]portTimeline, error) {
	protos := []struct {
		proto uint8
		name  string
		found bool // the protocol has a top port
		port  int64
		rows  []portPacket
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
		// As many packets as the port's total counts, fragments aside:
		// room made once for them.
		p.rows = make([]portPacket, 0, sent[0].packets)
		cond, args = append(cond, fmt.Sprintf("(proto = %d AND sport = ?)", p.proto)), append(args, p.port)
	}
	if len(cond) > 0 {
		// Read as they come, each packet kept once as its values (the
		// port and payload as 64-bit integers, which the tables hold),
		// rather than collected into rows first: there may be millions.
		rows, err := env.Engine.Query(ctx, fmt.Sprintf(`SELECT %s, CAST(dport AS BIGINT), CAST(%s AS BIGINT), proto FROM packets
		WHERE %s AND (%s) ORDER BY ts, capture, frame`, env.Dialect().EpochNs("ts"), payload, where, strings.Join(cond, " OR ")), args...)
		if err != nil {
			return nil, err
		}
		err = engine.Each(rows, func(r []any) error {
			proto := analysis.AsInt(r[3])
			for i := range protos {
				if p := &protos[i]; p.found && proto == int64(p.proto) {
					p.rows = append(p.rows, portPacket{ts: analysis.AsInt(r[0]), dport: r[1], payload: r[2]})
					break
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]portTimeline, 0, len(protos))
	for _, p := range protos {
		name := "timeline_" + p.name + "_port"
		tab := analysis.NewTable(name, fmt.Sprintf("Packets from the top %s source port", p.name), "ts", "sport", "dport", "payload_len")
		if !p.found {
			c := seriesByKey(name, fmt.Sprintf("Payload sent from the top %s port over time", p.name), 0, nil, nil, 1)
			out = append(out, portTimeline{table: tab, chart: c.OrEmpty(noPackets(v, strings.ToUpper(p.name)))})
			continue
		}
		port := p.port
		c := seriesByKey(name, fmt.Sprintf("Payload sent from %s port %d over time", p.name, port), len(p.rows), func(i int) (int64, any, float64) {
			r := &p.rows[i]
			return r.ts, r.dport, analysis.AsFloat(r.payload)
		}, func(k any) string {
			return "port " + strconv.FormatInt(analysis.AsInt(k), 10)
		}, maxSeries)
		tab.Rows = analysis.MakeRows(len(p.rows), 4)
		portV := any(port)
		for i, r := range p.rows {
			row := tab.Rows[i]
			row[0], row[1], row[2], row[3] = analysis.Time(r.ts), portV, int64Value(r.dport), int64Value(r.payload)
		}
		out = append(out, portTimeline{table: tab, chart: c, note: fmt.Sprintf("top %s source port: %d", p.name, port)})
	}
	return out, nil
}

// int64Value returns v as an int64 in an interface: v itself when it is
// one, rather than a new box of the same number.
func int64Value(v any) any {
	if _, ok := v.(int64); ok {
		return v
	}
	return analysis.AsInt(v)
}

// seriesByKey draws n points, point i of time ts (ns), key and value y as
// at gives them, as a scatter chart with a series per key, the max
// busiest keys on their own and the rest as "other".
func seriesByKey(id, title string, n int, at func(i int) (ts int64, key any, y float64), label func(any) string, max int) *chart.Chart {
	// Rows whose keys have the same label form a group, numbered in order
	// of first appearance. Labels are made once per key, not per row.
	group := map[any]int{}
	byLabel := map[string]int{}
	var labels []string
	var count []int
	of := make([]int, n)
	for i := range n {
		_, k, _ := at(i)
		key := k
		if b, ok := key.([]byte); ok { // not a valid map key
			key = string(b)
		}
		g, ok := group[key]
		if !ok {
			l := label(k)
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
	for i := range n {
		g := of[i]
		if !keep[g] {
			g = other
		}
		ts, _, y := at(i)
		points[g] = append(points[g], chart.Point{X: chart.UnixSeconds(ts), Y: y})
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
