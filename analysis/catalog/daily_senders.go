package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type dailySenders struct{}

func (dailySenders) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "daily_senders", Group: darknetGroup, Title: "Distinct senders per day, filtered and not",
		Doc: `Distinct senders per day of tz over the range, of all packets and of the senders the filter ` +
			`keeps (see sender_filter), and the distinct senders seen up to each day, the seed's cumulative ` +
			`curve. Days without packets count zero. The seed merges its first, partial, local day into the ` +
			`second; here every day stands alone. Senders are counted in two stages (first the distinct ` +
			`day and sender), so that no engine holds a set of senders per day.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, minPktsParam, windowParam},
	}
}

// days returns the start of each day of tz of the range, in order.
func (r dnRange) days() []int64 {
	var out []int64
	for t := time.Unix(0, dayStartIn(r.from, r.loc)).In(r.loc); t.UnixNano() < r.to; t = t.AddDate(0, 0, 1) {
		out = append(out, t.UnixNano())
	}
	return out
}

func (dailySenders) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	tab := analysis.NewTable("daily_senders", "Distinct senders per day, all and those the filter keeps",
		"day", "senders", "senders_filtered")
	cumT := analysis.NewTable("daily_senders_cumulative", "Distinct senders seen up to each day, all and those the filter keeps",
		"day", "senders", "senders_filtered")
	c := chart.NewLines("daily_senders", "Distinct senders per day")
	c.Y = chart.Axis{Title: "distinct senders"}
	c.X = chart.Axis{Title: "day", Unit: chart.UnitTime}
	cc := chart.NewLines("daily_senders_cumulative", "Distinct senders seen up to each day")
	cc.Y = chart.Axis{Title: "distinct senders"}
	cc.X = chart.Axis{Title: "day", Unit: chart.UnitTime}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if r.ok {
		d := env.Dialect()
		f, err := filteredIn(ctx, env, r, v)
		if err != nil {
			return nil, err
		}
		// The distinct days and senders, and each sender's first day:
		// from the senders' sums of a whole range, else from the packets.
		daySenders := fmt.Sprintf("SELECT %s AS dd, src FROM packets WHERE %s GROUP BY dd, src", r.day(d), r.all(d))
		senderFirsts := fmt.Sprintf("SELECT src, min(%s) AS fd FROM packets WHERE %s GROUP BY src", r.day(d), r.all(d))
		keptSQL := "CASE WHEN src IN (" + f + ") THEN 1 ELSE 0 END"
		st, ok, err := senderTables(ctx, env, r)
		if err != nil {
			return nil, err
		}
		if ok {
			daySenders = "SELECT dd, src FROM " + st.days + " AS sd"
			senderFirsts = "SELECT src, fd, n FROM " + st.senders + " AS s"
			if r.windowWhole(v) {
				// The filter keeps the senders of at least min_pkts packets.
				keptSQL = fmt.Sprintf("CASE WHEN n >= %d THEN 1 ELSE 0 END", v.Int("min_pkts"))
			}
		}
		per, err := env.Query(ctx, fmt.Sprintf(`SELECT dd, count(*) AS senders, sum(CASE WHEN src IN (%s) THEN 1 ELSE 0 END) AS kept FROM (
			%s) AS ds GROUP BY dd ORDER BY dd`, f, daySenders))
		if err != nil {
			return nil, err
		}
		first, err := env.Query(ctx, fmt.Sprintf(`SELECT fd, count(*) AS senders, sum(%s) AS kept FROM (
			%s) AS fs GROUP BY fd ORDER BY fd`, keptSQL, senderFirsts))
		if err != nil {
			return nil, err
		}
		byDay := func(t [][]any) map[string][2]int64 {
			m := map[string][2]int64{}
			for _, row := range t {
				m[dayName(analysis.AsInt(row[0]))] = [2]int64{analysis.AsInt(row[1]), analysis.AsInt(row[2])}
			}
			return m
		}
		daily, firsts := byDay(per.Rows), byDay(first.Rows)
		var all, kept, cumAll, cumKept []chart.Point
		var ca, ck int64
		for _, start := range r.days() {
			name := r.dayOf(start)
			n, fst := daily[name], firsts[name]
			ca, ck = ca+fst[0], ck+fst[1]
			tab.Add(name, n[0], n[1])
			cumT.Add(name, ca, ck)
			// The day's date at midnight UTC: the axis writes dates in UTC.
			at, _ := time.Parse(time.DateOnly, name)
			x := chart.UnixSeconds(at.UnixNano())
			all, kept = append(all, chart.Point{X: x, Y: float64(n[0])}), append(kept, chart.Point{X: x, Y: float64(n[1])})
			cumAll, cumKept = append(cumAll, chart.Point{X: x, Y: float64(ca)}), append(cumKept, chart.Point{X: x, Y: float64(ck)})
		}
		filt := fmt.Sprintf("filtered (at least %d packets in %s)", v.Int("min_pkts"), durationDays(v.Duration("window")))
		c.Series = []chart.Series{{Name: "all", Points: all}, {Name: filt, Points: kept}}
		cc.Series = []chart.Series{{Name: "all", Points: cumAll}, {Name: filt, Points: cumKept}}
	}
	return &analysis.Result{Tables: []analysis.Table{tab, cumT}, Charts: []*chart.Chart{c.OrEmpty(noDarknet), cc.OrEmpty(noDarknet)}}, nil
}

// durationDays writes a duration of whole days as "30 days", else as Go does.
func durationDays(d time.Duration) string {
	day := 24 * time.Hour
	if d%day == 0 {
		if d == day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
