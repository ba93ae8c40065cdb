package catalog

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
)

type p2p struct{}

func (p2p) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "p2p", Group: flowsGroup, Title: "User to user",
		Doc: `Flows both of whose ends are users (labels of kind user at the flow's start), "Two-Way" ` +
			`or, when either direction carried 0 bytes, "One-Way", as the seed classifies them. Per UTC ` +
			`day and pair of users (sorted, so that a to b and b to a are one pair) the flows and bytes ` +
			`(both ways, IP bytes); per pair and kind the total bytes, the days with flows and the mean ` +
			`bytes per such day, drawn for two-way pairs as the seed's heatmap (colour: the mean; the ` +
			`table has the totals and days). Beyond the seed, which left "analyze the source of these ` +
			`probing flows" to do: the sources of one-way flows (the end that sent, or the initiator ` +
			`when neither did), with the users they reached and the destination ports.`,
		Tables: []string{"flows"},
		Labels: []string{"user"},
		Params: []analysis.Param{fromParam, toParam, top("20")},
	}
}

// p2pWays are the kinds of user-to-user flows.
var p2pWays = []string{"Two-Way", "One-Way"}

// p2pLevels are the quantiles of the bytes of the pairs of a day that the
// chart of p2p_daily draws: the least, the median and the most.
var p2pLevels = []engine.Level{{Num: 0, Den: 2}, {Num: 1, Den: 2}, {Num: 2, Den: 2}}

func (p2p) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
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
	daily := analysis.NewTable("p2p_daily", "User-to-user flows per day and pair", "day", "user_1", "user_2", "kind", "flows", "bytes")
	pairs := analysis.NewTable("p2p_pairs", "User-to-user traffic per pair", "user_1", "user_2", "kind", "bytes", "days", "mean_bytes_per_day")
	sources := analysis.NewTable("p2p_oneway_sources", "Sources of one-way user-to-user flows",
		"user", "flows", "bytes", "users_reached", "ports", "top_ports")
	type pairKey struct {
		u1, u2 string
		way    int64
	}
	type pairSum struct{ bytes, days int64 }
	sums := map[pairKey]*pairSum{}
	points := make([][]chart.Point, len(p2pWays))
	type source struct {
		flows, bytes, users int64
		ports               map[string]int64
	}
	bySource := map[string]*source{}
	if r.ok {
		uf, err := userFlows(ctx, env, r, []string{"a", "b", "a_port", "b_port", "proto", "bytes_a_to_b", "bytes_b_to_a"}, bothUsers)
		if err != nil {
			return nil, err
		}
		// The flows between users, summed in one scan and kept (on an
		// engine that keeps results) for the queries that follow: per day,
		// pair (sorted), kind (1: one-way) and, for one-way flows, whether
		// their source (the end that sent, else a) is user_1, their
		// destination port and protocol, the flows and the bytes both
		// ways. Two-way flows have one row per day and pair: the table is
		// a fraction of the flows.
		kept, err := env.Kept(ctx, fmt.Sprintf(`SELECT dbin, u1, u2, way, fwd, port, proto, count(*) AS flows, sum(bytes) AS bytes FROM (
			SELECT dbin, u1, u2, way,
				CASE WHEN way = 0 THEN 0 WHEN back THEN CASE WHEN ub = u1 THEN 1 ELSE 0 END ELSE CASE WHEN ua = u1 THEN 1 ELSE 0 END END AS fwd,
				CASE WHEN way = 0 THEN 0 WHEN back THEN a_port ELSE b_port END AS port,
				CASE WHEN way = 0 THEN 0 ELSE proto END AS proto, bytes
			FROM (
				SELECT %[1]s AS dbin, CASE WHEN ua <= ub THEN ua ELSE ub END AS u1, CASE WHEN ua <= ub THEN ub ELSE ua END AS u2,
					CASE WHEN bytes_a_to_b = 0 OR bytes_b_to_a = 0 THEN 1 ELSE 0 END AS way,
					bytes_a_to_b = 0 AND bytes_b_to_a > 0 AS back,
					ua, ub, a_port, b_port, proto, bytes_a_to_b + bytes_b_to_a AS bytes
				FROM (%[2]s) AS uf WHERE ua <> '' AND ub <> '') AS p) AS f
			GROUP BY dbin, u1, u2, way, fwd, port, proto`, binOf("ts", dayNs), uf))
		if err != nil {
			return nil, fmt.Errorf("flows between users: %w", err)
		}
		// A row per day, pair and kind, read for the pairs, the chart and
		// each file of p2p_daily: the rows of two-way flows as they are
		// kept, those of one-way flows summed over their sources and
		// ports. Not kept itself: it would double what the engine holds.
		days := "(SELECT dbin, u1, u2, way, flows, bytes FROM " + kept + " AS k0 WHERE way = 0 UNION ALL " +
			"SELECT dbin, u1, u2, way, sum(flows) AS flows, sum(bytes) AS bytes FROM " + kept + " AS k1 WHERE way = 1 GROUP BY dbin, u1, u2, way)"
		daily = env.StreamTable(daily.Name, daily.Title, daily.Columns, []string{"TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT"},
			func(in, out []any) error {
				way := analysis.AsInt(in[3])
				if way < 0 || way >= int64(len(p2pWays)) {
					return fmt.Errorf("p2p_daily: kind %d", way)
				}
				out[0], out[1], out[2], out[3] = analysis.Time(analysis.AsInt(in[0])), analysis.AsString(in[1]), analysis.AsString(in[2]), p2pWays[way]
				out[4], out[5] = analysis.AsInt(in[4]), analysis.AsInt(in[5])
				return nil
			}, "SELECT dbin, u1, u2, way, flows, bytes FROM "+days+" AS d ORDER BY dbin, u1, u2, way")

		t, err := env.Query(ctx, "SELECT u1, u2, way, sum(bytes), count(*) FROM "+days+" AS d GROUP BY u1, u2, way")
		if err != nil {
			return nil, fmt.Errorf("p2p pairs: %w", err)
		}
		for _, row := range t.Rows {
			sums[pairKey{analysis.AsString(row[0]), analysis.AsString(row[1]), analysis.AsInt(row[2])}] = &pairSum{analysis.AsInt(row[3]), analysis.AsInt(row[4])}
		}

		// The chart: per day and kind, the least, median and most bytes
		// of a pair, not a point per pair and day (millions in a year).
		t, err = env.Query(ctx, "SELECT dbin, way, count(*), "+env.Dialect().QuantileBounds("bytes", p2pLevels)+" FROM "+days+" AS d GROUP BY dbin, way ORDER BY dbin, way")
		if err != nil {
			return nil, fmt.Errorf("p2p chart: %w", err)
		}
		for _, row := range t.Rows {
			way := analysis.AsInt(row[1])
			q, err := analysis.QuantilesOf(row[3], analysis.AsInt(row[2]), p2pLevels, 1)
			if err != nil {
				return nil, fmt.Errorf("p2p chart: %w", err)
			}
			for i, y := range q {
				if i > 0 && y == q[i-1] {
					continue
				}
				points[way] = append(points[way], chart.Point{X: chart.UnixSeconds(analysis.AsInt(row[0])), Y: y})
			}
		}

		// The sources of one-way flows: their flows, bytes, users reached
		// and ports, and the flows per port for the top ports.
		src := "CASE WHEN fwd = 1 THEN u1 ELSE u2 END"
		dst := "CASE WHEN fwd = 1 THEN u2 ELSE u1 END"
		t, err = env.Query(ctx, fmt.Sprintf("SELECT %s AS src, sum(flows), sum(bytes), count(DISTINCT %s) FROM %s AS k WHERE way = 1 GROUP BY src", src, dst, kept))
		if err != nil {
			return nil, fmt.Errorf("p2p sources: %w", err)
		}
		for _, row := range t.Rows {
			bySource[analysis.AsString(row[0])] = &source{flows: analysis.AsInt(row[1]), bytes: analysis.AsInt(row[2]), users: analysis.AsInt(row[3]), ports: map[string]int64{}}
		}
		rows, err := env.Engine.Query(ctx, fmt.Sprintf("SELECT %s AS src, port, proto, sum(flows) FROM %s AS k WHERE way = 1 GROUP BY src, port, proto", src, kept))
		if err != nil {
			return nil, fmt.Errorf("p2p sources: %w", err)
		}
		err = engine.Each(rows, func(row []any) error {
			if s := bySource[analysis.AsString(row[0])]; s != nil {
				s.ports[portProto(analysis.AsInt(row[1]), analysis.AsInt(row[2]))] += analysis.AsInt(row[3])
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("p2p sources: %w", err)
		}
	}

	keys := slices.SortedFunc(maps.Keys(sums), func(x, y pairKey) int {
		return cmp.Or(cmp.Compare(sums[y].bytes, sums[x].bytes), cmp.Compare(x.u1, y.u1), cmp.Compare(x.u2, y.u2), cmp.Compare(x.way, y.way))
	})
	heat := &chart.Heatmap{Value: chart.Axis{Title: "mean bytes per active day", Unit: chart.UnitBytes}}
	for _, k := range keys {
		s := sums[k]
		mean := float64(s.bytes) / float64(s.days)
		pairs.Add(k.u1, k.u2, p2pWays[k.way], s.bytes, s.days, mean)
	}
	byName := slices.SortedFunc(slices.Values(keys), func(x, y pairKey) int {
		return cmp.Or(cmp.Compare(x.u1, y.u1), cmp.Compare(x.u2, y.u2))
	})
	for _, k := range byName {
		if k.way == 0 {
			s := sums[k]
			heat.Add(k.u1, k.u2, float64(s.bytes)/float64(s.days))
		}
	}

	srcs := slices.SortedFunc(maps.Keys(bySource), func(x, y string) int {
		return cmp.Or(cmp.Compare(bySource[y].flows, bySource[x].flows), cmp.Compare(x, y))
	})
	var cats []string
	var vals []float64
	for _, u := range srcs {
		s := bySource[u]
		sources.Add(u, s.flows, s.bytes, s.users, int64(len(s.ports)), topPorts(s.ports, 5))
		if int64(len(cats)) < v.Int("top") {
			cats, vals = append(cats, u), append(vals, float64(s.flows))
		}
	}

	scatter := chart.NewScatter("p2p_daily", "Bytes per day of pairs of users: least, median and most of each day", chart.Series{Name: p2pWays[0], Points: points[0]}, chart.Series{Name: p2pWays[1], Points: points[1]})
	scatter.X = chart.Axis{Title: "day (UTC)", Unit: chart.UnitTime}
	scatter.Y = chart.Axis{Title: "bytes per day", Unit: chart.UnitBytes}
	if len(points[0])+len(points[1]) > 0 {
		scatter.Note = "per day and kind, the pairs of users' least, median and most bytes of the day; every pair and day: table p2p_daily"
	}
	hm := chart.NewHeatmap("p2p_pairs", "Two-way pairs of users: mean bytes per active day", heat)
	hm.X.Title, hm.Y.Title = "user 1", "user 2"
	hm.Note = "total bytes and active days of each pair: table p2p_pairs"
	bars := chart.NewHBar("p2p_oneway_sources", "Sources of one-way flows between users", cats, chart.Bars("one-way flows", vals))
	bars.X.Title = "one-way flows sent"
	if len(srcs) > len(cats) {
		bars.Note = fmt.Sprintf("showing the top %d of %d sources", len(cats), len(srcs))
	}
	res.Tables = append(res.Tables, pairs, daily, sources)
	res.Charts = append(res.Charts, scatter.OrEmpty("no flows between users"), hm.OrEmpty("no two-way flows between users"), bars.OrEmpty("no one-way flows between users"))
	return res, nil
}

// portProto writes a port and IP protocol as "445/tcp", "53/udp", "8/icmp".
func portProto(port, proto int64) string {
	name := map[int64]string{1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}[proto]
	if name == "" {
		name = "proto" + strconv.FormatInt(proto, 10)
	}
	return strconv.FormatInt(port, 10) + "/" + name
}

// topPorts lists the n ports with the most flows: "445/tcp x12, 23/tcp x3".
func topPorts(ports map[string]int64, n int) string {
	keys := slices.SortedFunc(maps.Keys(ports), func(x, y string) int { return cmp.Or(cmp.Compare(ports[y], ports[x]), cmp.Compare(x, y)) })
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s x%d", k, ports[k]))
	}
	return strings.Join(parts, ", ")
}
