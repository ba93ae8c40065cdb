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
			`to its most frequent destination (by packets, or dst), over time: payload size, the ` +
			`time since the previous packet of the stream (stream_gap_s), and the time since the ` +
			`previous packet to the destination from any source (inter_arrival_s, measured at ingest: ` +
			`packets.dst_gap_ns), which is the notebooks' IP_int_arr_time. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, srcParam, dstParam},
	}
}

// streamPackets returns the packets src sent to dst, in time order: the
// rows of sentBy.
func streamPackets(ctx context.Context, env *analysis.Env, where, payload, src, dst string) ([][]any, error) {
	t, err := sentBy(ctx, env, where, payload, src)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, r := range t.Rows {
		if analysis.AsString(r[1]) == dst {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// streamSizes returns the time (ns) and payload of the packets src sent to
// dst, in time order.
func streamSizes(ctx context.Context, env *analysis.Env, where, payload, src, dst string) (ts, size []int64, err error) {
	rows, err := streamPackets(ctx, env, where, payload, src, dst)
	if err != nil {
		return nil, nil, err
	}
	ts, size = make([]int64, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		ts[i], size[i] = analysis.AsInt(r[0]), analysis.AsInt(r[2])
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
	var rows [][]any
	if dst != "" {
		if rows, err = streamPackets(ctx, env, where, payloadSQL(v), src, dst); err != nil {
			return nil, err
		}
	}
	tab := analysis.NewTable("stream", "Packets of the top stream", "ts", "src", "dst", "payload_len", "stream_gap_s", "inter_arrival_s")
	pts := make([]chart.Point, len(rows))
	// The stream may have millions of packets: the rows are made at once,
	// the addresses boxed once.
	tab.Rows = analysis.MakeRows(len(rows), 6)
	srcV, dstV := any(src), any(dst)
	for i, r := range rows {
		ts, size := analysis.AsInt(r[0]), analysis.AsInt(r[2])
		var streamGap, arrivalGap any
		if i > 0 {
			streamGap = seconds(ts - analysis.AsInt(rows[i-1][0]))
		}
		if r[3] != nil {
			arrivalGap = seconds(analysis.AsInt(r[3]))
		}
		row := tab.Rows[i]
		row[0], row[1], row[2], row[3], row[4], row[5] = analysis.Time(ts), srcV, dstV, size, streamGap, arrivalGap
		pts[i] = chart.Point{X: chart.UnixSeconds(ts), Y: float64(size)}
	}
	c := chart.NewStems("stream", streamTitle(env, "Payload", src, dst), chart.Series{Name: "payload", Points: pts})
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	c.Downsample(maxPoints)
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c.OrEmpty(noStreamPackets(env, v, src, dst))},
		Notes:  append(payloadNotes(v), streamNotes(env, src, dst)...),
	}, nil
}

// streamNotes tell which stream was looked at, when there is one.
func streamNotes(env *analysis.Env, src, dst string) []string {
	if src == "" || dst == "" {
		return nil
	}
	return []string{"stream: " + env.Label(src) + " → " + env.Label(dst)}
}
