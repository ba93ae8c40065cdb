package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type anomalies struct{}

// anomalyKinds are the classes of no-user flows, in the seed's order of
// precedence: a flow takes the first that fits.
var anomalyKinds = []string{"SSDP query (no answer)", "Unanswered", "Unknown"}

func (anomalies) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "anomalies", Group: flowsGroup, Title: "Flows of no user",
		Doc: `Flows neither of whose ends is a user (labels of kind user at the flow's start), ` +
			`classified as the seed does: to port 1900 with nothing back is "SSDP query (no answer)", ` +
			`else nothing back is "Unanswered", else "Unknown"; "nothing back" is 0 bytes from b to a. ` +
			`Flows and bytes (both ways, IP bytes) per UTC day and kind, every day of the dataset's range ` +
			`(or from, to) and every kind, zero when there were none, as the seed densifies its days.`,
		Tables: []string{"flows"},
		Labels: []string{"user"},
		Params: []analysis.Param{fromParam, toParam},
	}
}

func (anomalies) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
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
	type count struct{ flows, bytes int64 }
	counts := map[[2]int64]count{} // day, kind
	if r.ok {
		uf, err := userFlows(ctx, env, r, []string{"a", "b", "b_port", "bytes_a_to_b", "bytes_b_to_a"}, anyFlow)
		if err != nil {
			return nil, err
		}
		q := fmt.Sprintf(`SELECT %[1]s AS dbin, CASE WHEN b_port = 1900 AND bytes_b_to_a = 0 THEN 0 WHEN bytes_b_to_a = 0 THEN 1 ELSE 2 END AS kcls,
			count(*), sum(bytes_a_to_b + bytes_b_to_a)
			FROM (%[2]s) AS uf WHERE ua = '' AND ub = '' GROUP BY dbin, kcls`,
			binOf("ts", dayNs), uf)
		t, err := env.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, row := range t.Rows {
			counts[[2]int64{analysis.AsInt(row[0]), analysis.AsInt(row[1])}] = count{analysis.AsInt(row[2]), analysis.AsInt(row[3])}
		}
	}
	tab := analysis.NewTable("anomalies_daily", "No-user flows per day and kind", "day", "kind", "flows", "bytes")
	series := make([]chart.Series, len(anomalyKinds))
	var flows, bytes [3]int64
	for _, d := range bins(r, dayNs) {
		for k, name := range anomalyKinds {
			c := counts[[2]int64{d, int64(k)}]
			tab.Add(analysis.Time(d), name, c.flows, c.bytes)
			series[k].Points = append(series[k].Points, chart.Point{X: chart.UnixSeconds(d), Y: float64(c.bytes)})
			flows[k] += c.flows
			bytes[k] += c.bytes
		}
	}
	total := analysis.NewTable("anomalies", "No-user flows per kind", "kind", "flows", "bytes")
	for k, name := range anomalyKinds {
		series[k].Name = name
		total.Add(name, flows[k], bytes[k])
	}
	c := chart.NewScatter("anomalies", "Bytes per day of flows of no user", series...)
	c.X = chart.Axis{Title: "day (UTC)", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "bytes per day", Unit: chart.UnitBytes}
	res.Tables = append(res.Tables, tab, total)
	res.Charts = append(res.Charts, c.OrEmpty("no flows"))
	return res, nil
}
