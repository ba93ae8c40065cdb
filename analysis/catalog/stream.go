package catalog

import (
	"context"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type stream struct{}

func (stream) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "stream", Group: "capture", Title: "Top stream",
		Doc: `The packets from the top source address (the one that sent the most payload, or src) ` +
			`to its most frequent destination (by packets, or dst), over time: payload size and the ` +
			`time since the previous packet of the stream.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, srcParam, dstParam},
	}
}

// streamPackets returns the time (ns) and payload of the packets src sent
// to dst, in time order.
func streamPackets(ctx context.Context, env *analysis.Env, where, src, dst string) (ts, size []int64, err error) {
	t, err := sentBy(ctx, env, where, src)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range t.Rows {
		if analysis.AsString(r[1]) == dst {
			ts, size = append(ts, analysis.AsInt(r[0])), append(size, analysis.AsInt(r[2]))
		}
	}
	return ts, size, nil
}

// pickStream resolves the stream's ends: the parameters, else the top
// source and its partner. src is "" when no packet matches where, dst when
// src sent none.
func pickStream(ctx context.Context, env *analysis.Env, v analysis.Values, where string) (src, dst string, err error) {
	if src, err = topSource(ctx, env, v, where); err != nil || src == "" {
		return "", "", err
	}
	dst, err = topPartner(ctx, env, v, where, src)
	return src, dst, err
}

// streamTitle names the stream from src to dst, either of which may be
// unknown ("").
func streamTitle(env *analysis.Env, what, src, dst string) string {
	if src == "" || dst == "" {
		return what + " of the top stream"
	}
	return what + " from " + env.Label(src) + " to " + env.Label(dst)
}

func (stream) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where := ipWhere(v)
	src, dst, err := pickStream(ctx, env, v, where)
	if err != nil {
		return nil, err
	}
	var ts, size []int64
	if dst != "" {
		if ts, size, err = streamPackets(ctx, env, where, src, dst); err != nil {
			return nil, err
		}
	}
	tab := analysis.NewTable("stream", "Packets of the top stream", "ts", "src", "dst", "payload_len", "gap_s")
	pts := make([]chart.Point, len(ts))
	for i := range ts {
		var gap any
		if i > 0 {
			gap = seconds(ts[i] - ts[i-1])
		}
		tab.Add(analysis.Time(ts[i]), src, dst, size[i], gap)
		pts[i] = chart.Point{X: chart.UnixSeconds(ts[i]), Y: float64(size[i])}
	}
	c := chart.NewStems("stream", streamTitle(env, "Payload", src, dst), chart.Series{Name: "payload", Points: pts})
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	c.Downsample(maxPoints)
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c.OrEmpty(noStreamPackets(env, v, src, dst))},
		Notes:  streamNotes(env, src, dst),
	}, nil
}

// streamNotes tell which stream was looked at, when there is one.
func streamNotes(env *analysis.Env, src, dst string) []string {
	if src == "" || dst == "" {
		return nil
	}
	return []string{"stream: " + env.Label(src) + " → " + env.Label(dst)}
}
