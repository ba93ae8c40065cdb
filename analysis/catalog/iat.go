package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
)

type iat struct{}

func (iat) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "iat", Group: "capture", Title: "Inter-arrival and inter-departure times",
		Doc: `The time between consecutive packets arriving at the same destination address ` +
			`(inter-arrival) and leaving the same source address (inter-departure): per address ` +
			`the mean, median, 95th percentile, minimum and maximum, and the distribution over all ` +
			`addresses. Distributions are drawn from percentiles computed by the engine, so they ` +
			`stay exact in shape however many packets there are; each dot of the per-address ` +
			`strips is one percentile (0, 2.5, 5, ... 100).`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, top("10")},
	}
}

func (iat) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	d := env.Dialect()
	res := &analysis.Result{}
	ecdf := chart.NewECDF("iat_ecdf", "Inter-arrival and inter-departure times")
	ecdf.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
	for _, side := range []struct{ col, kind, title string }{
		{"dst", "arrival", "Inter-arrival time per destination"},
		{"src", "departure", "Inter-departure time per source"},
	} {
		gaps := d.Gaps("packets", side.col, "ts", ipWhere(v))
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT key, count(*) + 1 AS packets, avg(gap), %s, %s, min(gap), max(gap)
			FROM %s GROUP BY key ORDER BY packets DESC, key`, d.Quantile("gap", 0.5), d.Quantile("gap", 0.95), gaps))
		if err != nil {
			return nil, err
		}
		tab := analysis.NewTable("iat_"+side.kind, side.title, "address", "name", "packets", "mean_s", "median_s", "p95_s", "min_s", "max_s")
		var topKeys []any
		for _, r := range t.Rows {
			addr := analysis.AsString(r[0])
			tab.Add(addr, nullable(env.Names[addr]), analysis.AsInt(r[1]), analysis.AsFloat(r[2])/1e9, analysis.AsFloat(r[3])/1e9,
				analysis.AsFloat(r[4])/1e9, seconds(analysis.AsInt(r[5])), seconds(analysis.AsInt(r[6])))
			if int64(len(topKeys)) < v.Int("top") {
				topKeys = append(topKeys, addr)
			}
		}
		res.Tables = append(res.Tables, tab)
		if len(t.Rows) == 0 {
			continue
		}

		// The distribution over all addresses, from 101 percentiles.
		levels := percentiles(100)
		all, err := env.Query(ctx, "SELECT "+quantiles(d, levels)+" FROM "+gaps)
		if err != nil {
			return nil, err
		}
		pts := make([]chart.Point, len(levels))
		for i, l := range levels {
			pts[i] = chart.Point{X: analysis.AsFloat(all.Rows[0][i]) / 1e9, Y: l}
		}
		ecdf.Series = append(ecdf.Series, chart.Series{Name: "inter-" + side.kind, Points: pts})

		// One strip of 41 percentiles per busiest address.
		levels = percentiles(40)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(topKeys)), ", ")
		per, err := env.Query(ctx, fmt.Sprintf("SELECT key, %s FROM %s WHERE key IN (%s) GROUP BY key",
			quantiles(d, levels), gaps, marks), topKeys...)
		if err != nil {
			return nil, err
		}
		byKey := map[string][]any{}
		for _, r := range per.Rows {
			byKey[analysis.AsString(r[0])] = r[1:]
		}
		var rows []chart.Series
		for _, k := range topKeys {
			addr := k.(string)
			vals := make([]float64, len(levels))
			for i, q := range byKey[addr] {
				vals[i] = analysis.AsFloat(q) / 1e9
			}
			rows = append(rows, chart.Samples(env.Label(addr), vals))
		}
		strip := chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)", rows...)
		strip.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
		if n := len(t.Rows); n > len(topKeys) {
			strip.Note = fmt.Sprintf("showing the %d busiest of %d addresses", len(topKeys), n)
		}
		res.Charts = append(res.Charts, strip)
	}
	if len(ecdf.Series) > 0 {
		res.Charts = append([]*chart.Chart{ecdf}, res.Charts...)
	}
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

// quantiles is a select list of one quantile aggregate of gap per level.
func quantiles(d engine.Dialect, levels []float64) string {
	qs := make([]string, len(levels))
	for i, l := range levels {
		qs[i] = d.Quantile("gap", l)
	}
	return strings.Join(qs, ", ")
}
