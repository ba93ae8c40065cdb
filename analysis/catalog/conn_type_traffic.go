package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type connTypeTraffic struct{}

func (connTypeTraffic) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "conn_type_traffic", Group: peersGroup, Title: "Traffic per connection type",
		Doc: `Daily TCP/IP bytes, both directions, per connection type and message type, in total and per connection. ` +
			`From the per-peer traffic when the dataset has it (connections counted), else from aggregates per ` +
			`connection type (the seed's connection_type_data, whose sizes are estimates; no connection counts). ` + estimateDoc,
		Tables: []string{"peer_messages"},
		Params: []analysis.Param{estimateParam},
	}
}

func (connTypeTraffic) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	p, err := loadPeers(ctx, env, v)
	if err != nil {
		return nil, err
	}
	type key struct {
		day               int64
		connType, msgType string
	}
	type sum struct {
		bytes float64
		conns map[peerKey]bool
	}
	sums := map[key]*sum{}
	source := "per-peer traffic"
	for _, r := range p.days {
		k := key{r.day, p.connType(r.peer), r.msgType}
		s := sums[k]
		if s == nil {
			s = &sum{conns: map[peerKey]bool{}}
			sums[k] = s
		}
		s.bytes += r.bytes
		s.conns[r.peer] = true
	}
	if len(sums) == 0 {
		source = "aggregates per connection type"
		ts := env.Dialect().EpochNs("ts")
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT %[1]s - %[1]s %% %[2]d AS day, conn_type, coalesce(msg_type, '') AS g_msg, sum(tcpip_size * 1e0)
			FROM peer_messages
			WHERE layout = 'conn_type' AND period_s = (SELECT min(period_s) FROM peer_messages WHERE layout = 'conn_type')
			GROUP BY day, conn_type, g_msg`, ts, dayNsPeers))
		if err != nil {
			return nil, fmt.Errorf("traffic per connection type: %w", err)
		}
		for _, r := range t.Rows {
			sums[key{analysis.AsInt(r[0]), analysis.AsString(r[1]), analysis.AsString(r[2])}] = &sum{bytes: analysis.AsFloat(r[3])}
		}
	}
	keys := make([]key, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.connType, b.connType), cmp.Compare(a.msgType, b.msgType))
	})
	tab := analysis.NewTable("conn_type_traffic", "Daily TCP/IP bytes per connection type and message type",
		"day", "conn_type", "msg_type", "bytes", "connections", "bytes_per_connection")
	type typeDay struct {
		connType string
		day      int64
	}
	total := map[typeDay]float64{}
	conns := map[typeDay]map[peerKey]bool{}
	var types []string
	for _, k := range keys {
		s := sums[k]
		var n, per any
		if s.conns != nil {
			n, per = int64(len(s.conns)), s.bytes/float64(len(s.conns))
		}
		tab.Add(analysis.Time(k.day), k.connType, k.msgType, int64(s.bytes), n, per)
		td := typeDay{k.connType, k.day}
		if _, ok := total[td]; !ok && !slices.Contains(types, k.connType) {
			types = append(types, k.connType)
		}
		total[td] += s.bytes
		if s.conns != nil {
			if conns[td] == nil {
				conns[td] = map[peerKey]bool{}
			}
			for c := range s.conns {
				conns[td][c] = true
			}
		}
	}
	slices.Sort(types)
	var days []int64
	for td := range total {
		if !slices.Contains(days, td.day) {
			days = append(days, td.day)
		}
	}
	slices.Sort(days)
	var area, per []chart.Series
	for _, ct := range types {
		a := chart.Series{Name: ct}
		l := chart.Series{Name: ct}
		for _, d := range days {
			td := typeDay{ct, d}
			a.Points = append(a.Points, chart.Point{X: chart.UnixSeconds(d), Y: total[td]})
			if n := len(conns[td]); n > 0 {
				l.Points = append(l.Points, chart.Point{X: chart.UnixSeconds(d), Y: total[td] / float64(n)})
			}
		}
		area = append(area, a)
		if len(l.Points) > 0 {
			per = append(per, l)
		}
	}
	c := chart.NewStackedArea("conn_type_traffic", "Daily TCP/IP traffic per connection type", area...)
	c.X = chart.Axis{Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "TCP/IP bytes per day", Unit: chart.UnitBytes}
	c.Subtitle = "from the " + source
	l := chart.NewLines("conn_type_traffic_per_conn", "Daily TCP/IP traffic per connection, by connection type", per...)
	l.X = chart.Axis{Unit: chart.UnitTime}
	l.Y = chart.Axis{Title: "TCP/IP bytes per connection and day", Unit: chart.UnitBytes, Log: true}
	const none = "no messages with a connection type (per-peer logs, captures, or aggregates per connection type)"
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c.OrEmpty(none), l.OrEmpty("no per-peer traffic: connections not counted")},
	}, nil
}
