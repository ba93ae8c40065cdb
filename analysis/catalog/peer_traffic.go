package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type peerTraffic struct{}

func (peerTraffic) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "peer_traffic", Group: peersGroup, Title: "Daily peer traffic",
		Doc: `Daily TCP/IP bytes, both directions, of each connection of the node (peer_id-peer_addr) that lasted longer ` +
			`than min_conn, by connection type (from the connection map or the messages; from captures, see peer_messages). ` +
			`A connection's duration is the map's connection time, else the span of its messages. ` + estimateDoc,
		Tables: []string{"peer_messages"},
		Params: []analysis.Param{minConnParam("1h"), estimateParam},
	}
}

func (peerTraffic) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	p, err := loadPeers(ctx, env, v)
	if err != nil {
		return nil, err
	}
	minConn := v.Duration("min_conn").Nanoseconds()
	type dayPeer struct {
		day  int64
		peer peerKey
	}
	sums := map[dayPeer]float64{}
	var order []dayPeer
	for _, r := range p.days {
		if p.conns[r.peer].duration <= minConn {
			continue
		}
		k := dayPeer{r.day, r.peer}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += r.bytes
	}
	tab := analysis.NewTable("peer_traffic_daily", "Daily TCP/IP bytes per peer", "day", "peer", "conn_type", "bytes")
	byType := map[string][]chart.Point{}
	peers := map[peerKey]bool{}
	for _, k := range order {
		ct := p.connType(k.peer)
		tab.Add(analysis.Time(k.day), k.peer.label(), ct, int64(sums[k]))
		byType[ct] = append(byType[ct], chart.Point{X: chart.UnixSeconds(k.day), Y: sums[k]})
		peers[k.peer] = true
	}
	types := make([]string, 0, len(byType))
	for ct := range byType {
		types = append(types, ct)
	}
	slices.Sort(types)
	var series []chart.Series
	for _, ct := range types {
		series = append(series, chart.Series{Name: ct, Points: byType[ct]})
	}
	c := chart.NewScatter("peer_traffic", "Daily TCP/IP traffic of each peer, by connection type", series...)
	c.X = chart.Axis{Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "TCP/IP bytes per day", Unit: chart.UnitBytes, Log: true}
	c.Subtitle = fmt.Sprintf("%d connections longer than %v", len(peers), v.Duration("min_conn"))
	c.Downsample(20000)
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c.OrEmpty(emptyPeers)},
	}, nil
}
