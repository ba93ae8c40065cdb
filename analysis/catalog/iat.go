package catalog

import (
	"context"
	"fmt"
	"strings"

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
			`src_gap_ns). Distributions are drawn from exact percentiles (interpolated between the ` +
			`two nearest gaps), so they keep their exact shape however many packets there are; each ` +
			`dot of the per-address strips is one percentile (0, 2.5, 5, ... 100).`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, top("10")},
	}
}

// stripLevels are the percentiles of a strip: 0, 2.5, ..., 100.
var stripLevels = percentiles(40)

// tableLevels are the percentiles of the table: the median and the 95th
// (levels 20 and 38 of stripLevels, the very same numbers).
var tableLevels = []float64{stripLevels[20], stripLevels[38]}

// stripPercentiles puts the strip percentiles of the addresses shown that
// strip lacks into it: those of an address that is not among the busiest
// by packets of all, which happens when a busier one had no gaps.
func stripPercentiles(ctx context.Context, env *analysis.Env, key, gap, where string, shown []string, strip map[string][]float64) error {
	var marks []string
	var args []any
	for _, a := range shown {
		if strip[a] == nil {
			marks, args = append(marks, "?"), append(args, a)
		}
	}
	if len(args) == 0 {
		return nil
	}
	t, err := env.Query(ctx, fmt.Sprintf("SELECT %[1]s, %[2]s FROM packets WHERE %[3]s AND %[1]s IN (%[4]s) GROUP BY %[1]s",
		key, env.Dialect().Quantiles(gap, stripLevels), where, strings.Join(marks, ", ")), args...)
	if err != nil {
		return err
	}
	for _, r := range t.Rows {
		if q := analysis.AsFloats(r[1]); len(q) == len(stripLevels) {
			strip[analysis.AsString(r[0])] = q
		}
	}
	for _, a := range shown {
		if strip[a] == nil {
			return fmt.Errorf("%s: no percentiles", a)
		}
	}
	return nil
}

func (iat) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	d := env.Dialect()
	where := ipWhere(v)
	sides := []struct {
		by                          bool
		key, gap, kind, title, none string
	}{
		{byDestination, "dst", "dst_gap_ns", "arrival", "Inter-arrival time per destination", "no address received two " + ipWord(v) + " packets"},
		{bySource, "src", "src_gap_ns", "departure", "Inter-departure time per source", "no address sent two " + ipWord(v) + " packets"},
	}
	res := &analysis.Result{}
	var strips []*chart.Chart
	top := int(v.Int("top"))
	for _, side := range sides {
		// The table shows the median and 95th percentile of every address,
		// the strip every percentile of the busiest. Which addresses are
		// the busiest is known from the totals: asking for every
		// percentile of those alone spares the engine most of the work.
		busiest, err := busiestAddresses(ctx, env, where, side.by, top)
		if err != nil {
			return nil, err
		}
		// The gaps of the busiest are also in strip_gap (NULL for the
		// others), whose percentiles are all asked for. A dialect may
		// repeat an expression, so that its placeholders are in the
		// subquery.
		stripGap, stripCol, args := "", "", []any{}
		if len(busiest) > 0 {
			marks := make([]string, len(busiest))
			for i, a := range busiest {
				marks[i], args = "?", append(args, a)
			}
			stripGap = fmt.Sprintf(", CASE WHEN %s IN (%s) THEN %s END AS strip_gap", side.key, strings.Join(marks, ", "), side.gap)
			stripCol = ", " + d.Quantiles("strip_gap", stripLevels)
		}
		t, err := env.Query(ctx, fmt.Sprintf(`SELECT %[1]s, count(*) AS packets, avg(%[2]s), min(%[2]s), max(%[2]s), %[3]s%[4]s
			FROM (SELECT %[1]s, %[2]s%[5]s FROM packets WHERE %[6]s) AS p
			GROUP BY %[1]s HAVING count(%[2]s) > 0 ORDER BY packets DESC, %[1]s`,
			side.key, side.gap, d.Quantiles(side.gap, tableLevels), stripCol, stripGap, where), args...)
		if err != nil {
			return nil, err
		}
		tab := analysis.NewTable("iat_"+side.kind, side.title, "address", "name", "packets", "mean_s", "median_s", "p95_s", "min_s", "max_s")
		var shown []string
		strip := map[string][]float64{}
		for _, r := range t.Rows {
			addr := analysis.AsString(r[0])
			q := analysis.AsFloats(r[5])
			if len(q) != len(tableLevels) {
				return nil, fmt.Errorf("%s: %d percentiles, want %d", addr, len(q), len(tableLevels))
			}
			tab.Add(addr, nullable(env.Names[addr]), analysis.AsInt(r[1]), analysis.AsFloat(r[2])/1e9, q[0]/1e9, q[1]/1e9,
				seconds(analysis.AsInt(r[3])), seconds(analysis.AsInt(r[4])))
			if len(shown) < top {
				shown = append(shown, addr)
				if len(r) > 6 {
					if q := analysis.AsFloats(r[6]); len(q) == len(stripLevels) {
						strip[addr] = q
					}
				}
			}
		}
		res.Tables = append(res.Tables, tab)
		if len(shown) == 0 {
			strips = append(strips, chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)").OrEmpty(side.none))
			continue
		}
		if err := stripPercentiles(ctx, env, side.key, side.gap, where, shown, strip); err != nil {
			return nil, err
		}
		rows := make([]chart.Series, len(shown))
		for i, addr := range shown {
			q := strip[addr]
			for j := range q {
				q[j] /= 1e9
			}
			rows[i] = chart.Samples(env.Label(addr), q)
		}
		c := chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)", rows...)
		c.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
		if n := len(t.Rows); n > len(rows) {
			c.Note = fmt.Sprintf("showing the %d busiest of %d addresses", len(rows), n)
		}
		strips = append(strips, c)
	}

	// The distributions over all addresses, from 101 percentiles each.
	levels := percentiles(100)
	ecdf := chart.NewECDF("iat_ecdf", "Inter-arrival and inter-departure times")
	ecdf.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
	for _, side := range sides {
		q, err := allPercentiles(ctx, env, side.gap, where, levels)
		if err != nil {
			return nil, err
		}
		if len(q) != len(levels) {
			continue // no gaps on this side
		}
		pts := make([]chart.Point, len(levels))
		for j, l := range levels {
			pts[j] = chart.Point{X: q[j] / 1e9, Y: l}
		}
		ecdf.Series = append(ecdf.Series, chart.Series{Name: "inter-" + side.kind, Points: pts})
	}
	ecdf.OrEmpty("no address sent or received two " + ipWord(v) + " packets")
	res.Charts = append([]*chart.Chart{ecdf}, strips...)
	return res, nil
}

// maxHistogram is the most distinct gaps read into a histogram; beyond it
// the engine computes the percentiles itself.
var maxHistogram = 256 << 10

// allPercentiles returns the percentiles at levels of every gap in column
// gap. Gaps usually take far fewer distinct values than there are packets,
// so the engine counts each value and the percentiles are read off the
// counts, exactly as the engine would compute them from all the gaps and
// much faster; when there are more than maxHistogram distinct values (fine
// time stamps, long captures), the engine computes them, so that memory
// stays bounded whatever the capture.
func allPercentiles(ctx context.Context, env *analysis.Env, gap, where string, levels []float64) ([]float64, error) {
	t, err := env.Query(ctx, fmt.Sprintf("SELECT %[1]s, count(*) FROM packets WHERE %[2]s AND %[1]s IS NOT NULL GROUP BY %[1]s LIMIT %[3]d",
		gap, where, maxHistogram+1))
	if err != nil {
		return nil, err
	}
	if len(t.Rows) <= maxHistogram {
		h, err := analysis.HistogramOf(t.Rows)
		if err != nil {
			return nil, err
		}
		return h.Quantiles(levels), nil
	}
	t, err = env.Query(ctx, fmt.Sprintf("SELECT %s FROM packets WHERE %s", env.Dialect().Quantiles(gap, levels), where))
	if err != nil {
		return nil, err
	}
	return analysis.AsFloats(t.Rows[0][0]), nil
}

// percentiles returns the levels 0, 1/n, ..., 1.
func percentiles(n int) []float64 {
	l := make([]float64, n+1)
	for i := range l {
		l[i] = float64(i) / float64(n)
	}
	return l
}
