package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type senderFilter struct{}

func (senderFilter) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "sender_filter", Group: darknetGroup, Title: "Packets per sender, and the sender filter",
		Doc: `The distribution of packets per sender over the range (its ECDF: the share of the senders that ` +
			`sent at most so many packets), and what the filter of the seed keeps: the senders of at least ` +
			`min_pkts packets in the window that ends with the last day (10 packets in 30 days), their ` +
			`number and their packets. classes, class_services and daily_senders apply the same filter.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, minPktsParam, windowParam},
	}
}

func (senderFilter) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	dist := analysis.NewTable("sender_filter", "Senders by their packets over the range, and the cumulative share of the senders",
		"packets", "senders", "cum_share").WithUnit("cum_share", output.Share)
	sum := analysis.NewTable("sender_filter_summary", "What the filter keeps: senders of at least min_pkts packets in the window",
		"min_pkts", "window_first_day", "window_last_day", "senders", "kept", "share_kept", "packets", "packets_kept").
		WithUnit("share_kept", output.Share)
	c := chart.NewECDF("sender_filter", "Packets per sender")
	c.X = chart.Axis{Title: "packets per sender", Log: true}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if r.ok {
		snd, err := senderStats(ctx, env, r)
		if err != nil {
			return nil, err
		}
		// Rows come by packets, then seen on the last day: merge the two.
		type bin struct{ n, senders int64 }
		var bins []bin
		var total int64
		for _, row := range snd.Rows {
			n, s := analysis.AsInt(row[0]), analysis.AsInt(row[2])
			if len(bins) > 0 && bins[len(bins)-1].n == n {
				bins[len(bins)-1].senders += s
			} else {
				bins = append(bins, bin{n, s})
			}
			total += s
		}
		var cum int64
		var pts []chart.Point
		for _, b := range bins {
			cum += b.senders
			share := float64(cum) / float64(total)
			dist.Add(b.n, b.senders, share)
			pts = append(pts, chart.Point{X: float64(b.n), Y: share})
		}
		c.Series = []chart.Series{{Name: "senders", Points: pts}}

		d := env.Dialect()
		start, end := r.window(v)
		// The packets of each sender in the window: those of the range's
		// senders' sums when the window holds them all.
		perSender := fmt.Sprintf("SELECT src, count(*) AS n FROM packets WHERE %s GROUP BY src", r.where(d, start, end))
		st, ok, err := senderTables(ctx, env, r)
		if err != nil {
			return nil, err
		}
		if ok && r.windowWhole(v) {
			perSender = "SELECT src, n FROM " + st.senders + " AS s"
		}
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT kept, count(*) AS senders, sum(n) AS pkts FROM (
			SELECT src, n, CASE WHEN n >= %d THEN 1 ELSE 0 END AS kept FROM (%s) AS ps) AS w
			GROUP BY kept ORDER BY kept`, v.Int("min_pkts"), perSender))
		if err != nil {
			return nil, err
		}
		var senders, kept, packets, packetsKept int64
		for _, row := range t.Rows {
			s, p := analysis.AsInt(row[1]), analysis.AsInt(row[2])
			senders, packets = senders+s, packets+p
			if analysis.AsInt(row[0]) == 1 {
				kept, packetsKept = s, p
			}
		}
		var share any
		if senders > 0 {
			share = float64(kept) / float64(senders)
		}
		sum.Add(v.Int("min_pkts"), r.dayOf(start), r.dayOf(end-1), senders, kept, share, packets, packetsKept)
		c.Note = fmt.Sprintf("the filter keeps %d of %d senders: at least %d packets from %s to %s", kept, senders, v.Int("min_pkts"), r.dayOf(start), r.dayOf(end-1))
	}
	return &analysis.Result{Tables: []analysis.Table{dist, sum}, Charts: []*chart.Chart{c.OrEmpty(noDarknet)}}, nil
}
