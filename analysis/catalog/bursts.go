package catalog

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type bursts struct{}

func (bursts) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "bursts", Group: "capture", Title: "Bursts",
		Doc: `Bursts in the top stream (as in the stream analysis): walking the packets in time ` +
			`order, each packet of at least min_size payload bytes that follows the previous such ` +
			`packet by less than gap joins its burst, together with the smaller packets between ` +
			`them; a burst needs two packets or more. This is the algorithm of the SHD-Identification ` +
			`notebooks: burst length is packets - 1 and the mean size is rounded to 2 decimals. ` +
			`min_size 0 takes int(1.1 x the mean payload of all IP packets), as the first notebook ` +
			`does; 300 reproduces the second. The payload parameter counts the payload of the ` +
			`stream, of the mean and of the top source alike. ` + payloadDoc + ` The two counts give ` +
			`different thresholds and bursts: in the D-Link camera's setup (examples/), the mDNS ` +
			`answers that make 16 bursts with payload=ip count 1 byte each with payload=scapy, which ` +
			`finds none, as the notebook does.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, srcParam, dstParam,
			{Name: "gap", Kind: analysis.Duration, Default: "300ms", Min: analysis.AtLeast(0), Doc: "largest time between two large packets of a burst"},
			{Name: "min_size", Kind: analysis.Int, Default: "0", Min: analysis.AtLeast(0), Doc: "payload bytes that make a packet large; 0: int(1.1 x mean payload)"},
		},
	}
}

func (bursts) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where, payload := ipWhere(v), payloadSQL(v)
	minSize := v.Int("min_size")
	if minSize == 0 {
		// The mean payload from the totals per source address, which
		// other analyses add up too: exact integers, divided once.
		mean, err := meanPayload(ctx, env, where, payload)
		if err != nil {
			return nil, err
		}
		minSize = int64(1.1 * mean)
	}
	src, dst, err := pickStream(ctx, env, v, where)
	if err != nil {
		return nil, err
	}
	var ts, size []int64
	if dst != "" {
		if ts, size, err = streamSizes(ctx, env, where, payload, src, dst); err != nil {
			return nil, err
		}
	}
	ids := detectBursts(ts, size, v.Duration("gap").Nanoseconds(), minSize)

	// Per burst: packets, payload, first and last packet.
	type burst struct {
		packets, payload, start, end int64
	}
	var list []burst
	for i, id := range ids {
		if id == 0 {
			continue
		}
		if id > len(list) {
			list = append(list, burst{start: ts[i]})
		}
		b := &list[id-1]
		b.packets++
		b.payload += size[i]
		b.end = ts[i]
	}
	// Rounded as pandas' round(decimals=2) rounds (numpy: times 100, to the
	// nearest even whole number, divided by 100): 345.125 is 345.12.
	meanSize := func(b burst) float64 { return math.RoundToEven(float64(b.payload)/float64(b.packets)*100) / 100 }

	pk := analysis.NewTable("bursts_packets", "Packets of the stream with their burst", "ts", "payload_len", "burst", "burst_length", "burst_mean_size")
	pts := make([]chart.Point, len(ts))
	// The stream may have millions of packets.
	pk.Rows = analysis.MakeRows(len(ts), 5)
	for i := range ts {
		var length, mean any = int64(0), 0.0
		if id := ids[i]; id > 0 {
			length, mean = list[id-1].packets-1, meanSize(list[id-1])
		}
		row := pk.Rows[i]
		row[0], row[1], row[2], row[3], row[4] = analysis.Time(ts[i]), size[i], int64(ids[i]), length, mean
		pts[i] = chart.Point{X: chart.UnixSeconds(ts[i]), Y: float64(size[i])}
	}
	bt := analysis.NewTable("bursts", "Bursts", "burst", "start", "end", "seconds", "packets", "length", "payload_bytes", "mean_size")
	var bands []chart.Band
	for i, b := range list {
		bt.Add(int64(i+1), analysis.Time(b.start), analysis.Time(b.end), seconds(b.end-b.start), b.packets, b.packets-1, b.payload, meanSize(b))
		bands = append(bands, chart.Band{Start: chart.UnixSeconds(b.start), End: chart.UnixSeconds(b.end), Label: fmt.Sprintf("burst %d", i+1)})
	}
	c := chart.NewStems("bursts", streamTitle(env, "Bursts", src, dst), chart.Series{Name: "payload", Points: pts})
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "payload bytes", Unit: chart.UnitBytes}
	c.Bands = bands
	c.Downsample(maxPoints)
	return &analysis.Result{
		Tables: []analysis.Table{bt, pk},
		Charts: []*chart.Chart{c.OrEmpty(noStreamPackets(env, v, src, dst))},
		Notes: append(append(payloadNotes(v), streamNotes(env, src, dst)...),
			fmt.Sprintf("%d bursts; gap %s, min_size %d bytes", len(list), v.Duration("gap").Round(time.Microsecond), minSize)),
	}, nil
}

// detectBursts returns the burst of every packet (0: none; bursts are
// numbered from 1 in time order) of a stream in time order with payload
// sizes size, as the SHD-Identification notebook does: from packet i, find
// the next packet j of at least minSize (or the last packet); if j follows i
// by less than gap, i..j share a burst, else i closes its burst and the
// packets between start their own; then i = j. Groups of one packet are not
// bursts.
func detectBursts(ts, size []int64, gap, minSize int64) []int {
	n := len(ts)
	ids := make([]int, n)
	next := 1
	for i := 0; i < n-1; {
		j := i + 1
		for j < n-1 && size[j] < minSize {
			j++
		}
		if ts[j]-ts[i] < gap {
			for k := i; k <= j; k++ {
				ids[k] = next
			}
		} else {
			ids[i] = next
			next++
			for k := i + 1; k < j; k++ {
				ids[k] = next
				next++
			}
		}
		i = j
	}
	// Keep groups of two packets or more, renumbered in order.
	count := map[int]int{}
	for _, id := range ids {
		count[id]++
	}
	renum := map[int]int{}
	for k, id := range ids {
		if id == 0 || count[id] < 2 {
			ids[k] = 0
			continue
		}
		if _, ok := renum[id]; !ok {
			renum[id] = len(renum) + 1
		}
		ids[k] = renum[id]
	}
	return ids
}
