package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type iat struct{}

func (iat) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "iat", Group: "capture", Title: "Inter-arrival and inter-departure times",
		Doc: `The time between consecutive packets arriving at the same destination address ` +
			`(inter-arrival) and leaving the same source address (inter-departure): per address ` +
			`the mean, median, 95th percentile, minimum and maximum, and the distribution over all ` +
			`addresses. The gaps are measured at ingest, in time order (packets.dst_gap_ns and ` +
			`src_gap_ns). Distributions are drawn from percentiles computed by the engine, so they ` +
			`keep their exact shape however many packets there are; each dot of the per-address ` +
			`strips is one percentile (0, 2.5, 5, ... 100).`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, top("10")},
	}
}

// stripLevels are the percentiles of a strip: 0, 2.5, ..., 100. Level 20 is
// the median, level 38 the 95th percentile.
var stripLevels = percentiles(40)

func (iat) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	d := env.Dialect()
	where := ipWhere(v)
	sides := []struct{ key, gap, kind, title string }{
		{"dst", "dst_gap_ns", "arrival", "Inter-arrival time per destination"},
		{"src", "src_gap_ns", "departure", "Inter-departure time per source"},
	}
	res := &analysis.Result{}
	var strips []*chart.Chart
	for _, side := range sides {
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT %[1]s, count(*) AS packets, avg(%[2]s), min(%[2]s), max(%[2]s), %[3]s
			FROM packets WHERE %[4]s GROUP BY %[1]s HAVING count(%[2]s) > 0 ORDER BY packets DESC, %[1]s`,
			side.key, side.gap, d.Quantiles(side.gap, stripLevels), where))
		if err != nil {
			return nil, err
		}
		tab := analysis.NewTable("iat_"+side.kind, side.title, "address", "name", "packets", "mean_s", "median_s", "p95_s", "min_s", "max_s")
		var rows []chart.Series
		for _, r := range t.Rows {
			addr := analysis.AsString(r[0])
			q := analysis.AsFloats(r[5])
			if len(q) != len(stripLevels) {
				return nil, fmt.Errorf("%s: %d percentiles, want %d", addr, len(q), len(stripLevels))
			}
			for i := range q {
				q[i] /= 1e9
			}
			tab.Add(addr, nullable(env.Names[addr]), analysis.AsInt(r[1]), analysis.AsFloat(r[2])/1e9, q[20], q[38],
				seconds(analysis.AsInt(r[3])), seconds(analysis.AsInt(r[4])))
			if int64(len(rows)) < v.Int("top") {
				rows = append(rows, chart.Samples(env.Label(addr), q))
			}
		}
		res.Tables = append(res.Tables, tab)
		if len(rows) == 0 {
			continue
		}
		strip := chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)", rows...)
		strip.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
		if n := len(t.Rows); n > len(rows) {
			strip.Note = fmt.Sprintf("showing the %d busiest of %d addresses", len(rows), n)
		}
		strips = append(strips, strip)
	}
	if len(strips) == 0 {
		return res, nil
	}

	// The distributions over all addresses, from 101 percentiles each.
	levels := percentiles(100)
	all, err := env.Query(ctx, fmt.Sprintf("SELECT %s, %s FROM packets WHERE %s",
		d.Quantiles(sides[0].gap, levels), d.Quantiles(sides[1].gap, levels), where))
	if err != nil {
		return nil, err
	}
	ecdf := chart.NewECDF("iat_ecdf", "Inter-arrival and inter-departure times")
	ecdf.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
	for i, side := range sides {
		q := analysis.AsFloats(all.Rows[0][i])
		if len(q) != len(levels) {
			continue // no gaps on this side
		}
		pts := make([]chart.Point, len(levels))
		for j, l := range levels {
			pts[j] = chart.Point{X: q[j] / 1e9, Y: l}
		}
		ecdf.Series = append(ecdf.Series, chart.Series{Name: "inter-" + side.kind, Points: pts})
	}
	res.Charts = append([]*chart.Chart{ecdf}, strips...)
	return res, nil
}

// percentiles returns the levels 0, 1/n, ..., 1.
func percentiles(n int) []float64 {
	l := make([]float64, n+1)
	for i := range l {
		l[i] = float64(i) / float64(n)
	}
	return l
}
