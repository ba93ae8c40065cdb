package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type localExternal struct{}

func (localExternal) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "local_external", Group: flowsGroup, Title: "Local and external traffic",
		Doc: `Bytes per time bin between the users of the network and the rest: uploaded to and ` +
			`downloaded from external hosts, uploaded to and downloaded from local servers, and between ` +
			`users (both ways). A flow between a user and a non-user is local when the non-user end is ` +
			`inside the local networks (ingest --local-net), or, when none was given, not globally ` +
			`routable (the seed's !is_global); users come from the labels of kind user at the flow's ` +
			`start. Bytes are IP bytes. Bins start on Mondays for weeks, as pandas' resample("1w"), and ` +
			`bins without flows are zero, as the seed's fillna(0). The seed draws only the local and ` +
			`user-to-user areas; here the external ones are drawn too, beneath them.`,
		Tables: []string{"flows"},
		Labels: []string{"user"},
		Params: []analysis.Param{binParam, fromParam, toParam},
	}
}

// localExternalSeries are the columns of the main table, with the names
// the chart gives them, bottom of the stack first.
var localExternalSeries = []struct{ column, name string }{
	{"external_down", "Download from external hosts"},
	{"external_up", "Upload to external hosts"},
	{"local_down", "Download from local servers"},
	{"local_up", "Upload to local servers"},
	{"p2p", "User to user"},
}

func (localExternal) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := timeRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	res := &analysis.Result{}
	if ok, err := hasUsers(ctx, env); err != nil {
		return nil, err
	} else if !ok {
		res.Notes = append(res.Notes, noUsersNote)
	}
	w := int64(v.Duration("bin"))
	sums := map[int64][5]int64{}
	if r.ok {
		uf, err := userFlows(ctx, env, r, []string{"a", "b", "bytes_a_to_b", "bytes_b_to_a", "a_local", "b_local"}, anyFlow)
		if err != nil {
			return nil, err
		}
		// Per flow: the user's bytes up and down and whether the other
		// end is local, for flows with one user; both ways for two.
		q := fmt.Sprintf(`SELECT bin, sum(CASE WHEN k = 1 AND NOT far_local THEN down ELSE 0 END),
			sum(CASE WHEN k = 1 AND NOT far_local THEN up ELSE 0 END),
			sum(CASE WHEN k = 1 AND far_local THEN down ELSE 0 END),
			sum(CASE WHEN k = 1 AND far_local THEN up ELSE 0 END),
			sum(CASE WHEN k = 2 THEN up + down ELSE 0 END)
			FROM (SELECT %[1]s AS bin,
				CASE WHEN ua <> '' AND ub <> '' THEN 2 WHEN ua <> '' OR ub <> '' THEN 1 ELSE 0 END AS k,
				CASE WHEN ua <> '' THEN bytes_a_to_b ELSE bytes_b_to_a END AS up,
				CASE WHEN ua <> '' THEN bytes_b_to_a ELSE bytes_a_to_b END AS down,
				CASE WHEN ua <> '' THEN b_local ELSE a_local END AS far_local
				FROM (%[2]s) AS uf) AS f
			WHERE k > 0 GROUP BY bin`, binOf("ts", w),
			uf)
		t, err := env.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, row := range t.Rows {
			var s [5]int64
			for i := range s {
				s[i] = analysis.AsInt(row[i+1])
			}
			sums[analysis.AsInt(row[0])] = s
		}
	}
	tab := analysis.NewTable("local_external", "Bytes per bin: external, local servers, user to user",
		"bin_start", "external_up", "external_down", "local_up", "local_down", "p2p")
	series := make([]chart.Series, len(localExternalSeries))
	for i, s := range localExternalSeries {
		series[i].Name = s.name
	}
	for _, b := range bins(r, w) {
		s := sums[b] // external_down, external_up, local_down, local_up, p2p
		tab.Add(analysis.Time(b), s[1], s[0], s[3], s[2], s[4])
		for i := range series {
			series[i].Points = append(series[i].Points, chart.Point{X: chart.UnixSeconds(b), Y: float64(s[i])})
		}
	}
	c := chart.NewStackedArea("local_external", "Traffic of the users: external, local servers, user to user", series...)
	c.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "bytes per " + binName(w), Unit: chart.UnitBytes}
	res.Tables = append(res.Tables, tab)
	res.Charts = append(res.Charts, c.OrEmpty("no flows"))
	return res, nil
}

// binName names a bin width for axis titles: "week", "day", "6h0m0s".
func binName(w int64) string {
	switch time.Duration(w) {
	case 7 * 24 * time.Hour:
		return "week"
	case 24 * time.Hour:
		return "day"
	case time.Hour:
		return "hour"
	}
	return "bin of " + time.Duration(w).String()
}
