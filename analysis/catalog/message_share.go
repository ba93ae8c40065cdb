package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type messageShare struct{}

func (messageShare) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "message_share", Group: peersGroup, Title: "Message share of inbound peers",
		Doc: `For each inbound connection that lasted at least min_conn, the share of each message type in the TCP/IP ` +
			`bytes the peer sent the node. Peers are sorted by their share of pong, then of ping, as the seed sorts them: ` +
			`peers that mostly answer pings and send little else are often crawlers and spy nodes. The chart stacks the ` +
			`message types whose share exceeds 1% for some peer. ` + estimateDoc,
		Tables: []string{"peer_messages"},
		Params: []analysis.Param{minConnParam("1h"), estimateParam},
	}
}

func (messageShare) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	p, err := loadPeers(ctx, env, v)
	if err != nil {
		return nil, err
	}
	shares := p.inboundShares(v.Duration("min_conn").Nanoseconds())
	tab := analysis.NewTable("message_share", "Share of each message type in what inbound peers sent", "peer_id", "peer_addr", "msg_type", "bytes", "share")
	if p.hasNodes() {
		tab = analysis.NewTable("message_share", "Share of each message type in what inbound peers sent", "node", "peer_id", "peer_addr", "msg_type", "bytes", "share")
	}
	tab = tab.WithUnit("share", output.Share)
	maxShare := map[string]float64{}
	for _, s := range shares {
		types := make([]string, 0, len(s.bytes))
		for t := range s.bytes {
			types = append(types, t)
		}
		slices.Sort(types)
		for _, t := range types {
			if p.hasNodes() {
				tab.Add(s.peer.node, s.peer.id, s.peer.addr, t, int64(s.bytes[t]), s.shares[t])
			} else {
				tab.Add(s.peer.id, s.peer.addr, t, int64(s.bytes[t]), s.shares[t])
			}
			maxShare[t] = max(maxShare[t], s.shares[t])
		}
	}
	var shown []string
	for t, m := range maxShare {
		if m > 0.01 {
			shown = append(shown, t)
		}
	}
	slices.Sort(shown)
	var series []chart.Series
	for _, t := range shown {
		pts := make([]chart.Point, len(shares))
		for i, s := range shares {
			pts[i] = chart.Point{X: float64(i), Y: s.shares[t]}
		}
		series = append(series, chart.Series{Name: t, Points: pts})
	}
	c := chart.NewStackedArea("message_share", "Share of each message type in the traffic of inbound peers", series...)
	c.X = chart.Axis{Title: "inbound peers, by pong share then ping share"}
	c.Y = chart.Axis{Unit: chart.UnitShare}
	if n := len(maxShare) - len(shown); n > 0 {
		c.Note = fmt.Sprintf("%d message types under 1%% for every peer not drawn", n)
	}
	return &analysis.Result{Tables: []analysis.Table{tab}, Charts: []*chart.Chart{c.OrEmpty("no inbound peers connected long enough: " + emptyPeers)}}, nil
}
