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
	// Users are numbered as they come, and each name, kind and day is
	// boxed once: a year of a busy network has millions of rows of pairs
	// and days, each of which would otherwise hold copies of its names.
	var names []string
	var boxed []any
	ids := map[string]int32{}
	id := func(u string) int32 {
		i, ok := ids[u]
		if !ok {
			i = int32(len(names))
			ids[u] = i
			names = append(names, u)
			boxed = append(boxed, u)
		}
		return i
	}
	ways := []any{p2pWays[0], p2pWays[1]}
	type pairKey struct {
		u1, u2 int32
		way    int64
	}
	type pairSum struct{ bytes, days int64 }
	sums := map[pairKey]*pairSum{}
	points := make([][]chart.Point, len(p2pWays))
	type source struct {
		flows, bytes int64
		users        map[string]bool
		ports        map[string]int64
	}
	bySource := map[string]*source{}
	if r.ok {
		uf, err := userFlows(ctx, env, r, []string{"a", "b", "a_port", "b_port", "proto", "bytes_a_to_b", "bytes_b_to_a"}, bothUsers)
		if err != nil {
			return nil, err
		}
		// One pass: flows per day, pair and kind, and one-way flows also
		// by their source (the end that sent, else a), destination user,
		// destination port and protocol. The rows are read as they come.
		rows, err := env.Engine.Query(ctx, fmt.Sprintf(`SELECT dbin, u1, u2, way, src, dst, port, proto, count(*), sum(bytes_a_to_b + bytes_b_to_a) FROM (
			SELECT dbin, u1, u2, way, bytes_a_to_b, bytes_b_to_a,
				CASE WHEN way = 0 THEN '' WHEN back THEN ub ELSE ua END AS src,
				CASE WHEN way = 0 THEN '' WHEN back THEN ua ELSE ub END AS dst,
				CASE WHEN way = 0 THEN 0 WHEN back THEN a_port ELSE b_port END AS port,
				CASE WHEN way = 0 THEN 0 ELSE proto END AS proto
			FROM (
				SELECT %[1]s AS dbin, CASE WHEN ua <= ub THEN ua ELSE ub END AS u1, CASE WHEN ua <= ub THEN ub ELSE ua END AS u2,
					CASE WHEN bytes_a_to_b = 0 OR bytes_b_to_a = 0 THEN 1 ELSE 0 END AS way,
					bytes_a_to_b = 0 AND bytes_b_to_a > 0 AS back,
					ua, ub, a_port, b_port, proto, bytes_a_to_b, bytes_b_to_a
				FROM (%[2]s) AS uf WHERE ua <> '' AND ub <> '') AS p) AS q
			GROUP BY dbin, u1, u2, way, src, dst, port, proto`, binOf("ts", dayNs), uf))
		if err != nil {
			return nil, err
		}
		// A row per day, pair and kind: the query's rows of one day, pair
		// and kind (several for one-way flows) are summed after sorting.
		type dayRow struct {
			day          int64
			u1, u2       int32
			way          int64
			flows, bytes int64
		}
		var days []dayRow
		err = engine.Each(rows, func(row []any) error {
			k := dayRow{analysis.AsInt(row[0]), id(analysis.AsString(row[1])), id(analysis.AsString(row[2])), analysis.AsInt(row[3]), analysis.AsInt(row[8]), analysis.AsInt(row[9])}
			days = append(days, k)
			if k.way == 0 {
				return nil
			}
			src := analysis.AsString(row[4])
			s := bySource[src]
			if s == nil {
				s = &source{users: map[string]bool{}, ports: map[string]int64{}}
				bySource[src] = s
			}
			s.flows += k.flows
			s.bytes += k.bytes
			s.users[analysis.AsString(row[5])] = true
			s.ports[portProto(analysis.AsInt(row[6]), analysis.AsInt(row[7]))] += k.flows
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("p2p: %w", err)
		}
		order := func(x, y dayRow) int {
			return cmp.Or(cmp.Compare(x.day, y.day), cmp.Compare(names[x.u1], names[y.u1]), cmp.Compare(names[x.u2], names[y.u2]), cmp.Compare(x.way, y.way))
		}
		slices.SortFunc(days, order)
		merged := days[:0]
		for _, k := range days {
			if n := len(merged); n > 0 && order(merged[n-1], k) == 0 {
				merged[n-1].flows += k.flows
				merged[n-1].bytes += k.bytes
				continue
			}
			merged = append(merged, k)
		}
		daily.Rows = slices.Grow(daily.Rows, len(merged))
		var dayBox any
		dayOf := int64(-1 << 63)
		for _, k := range merged {
			if k.day != dayOf {
				dayOf, dayBox = k.day, analysis.Time(k.day)
			}
			daily.Add(dayBox, boxed[k.u1], boxed[k.u2], ways[k.way], k.flows, k.bytes)
			pk := pairKey{k.u1, k.u2, k.way}
			if sums[pk] == nil {
				sums[pk] = &pairSum{}
			}
			sums[pk].bytes += k.bytes
			sums[pk].days++
			points[k.way] = append(points[k.way], chart.Point{X: chart.UnixSeconds(k.day), Y: float64(k.bytes)})
		}
	}

	keys := slices.SortedFunc(maps.Keys(sums), func(x, y pairKey) int {
		return cmp.Or(cmp.Compare(sums[y].bytes, sums[x].bytes), cmp.Compare(names[x.u1], names[y.u1]), cmp.Compare(names[x.u2], names[y.u2]), cmp.Compare(x.way, y.way))
	})
	heat := &chart.Heatmap{Value: chart.Axis{Title: "mean bytes per active day", Unit: chart.UnitBytes}}
	for _, k := range keys {
		s := sums[k]
		mean := float64(s.bytes) / float64(s.days)
		pairs.Add(boxed[k.u1], boxed[k.u2], ways[k.way], s.bytes, s.days, mean)
	}
	byName := slices.SortedFunc(slices.Values(keys), func(x, y pairKey) int {
		return cmp.Or(cmp.Compare(names[x.u1], names[y.u1]), cmp.Compare(names[x.u2], names[y.u2]))
	})
	for _, k := range byName {
		if k.way == 0 {
			s := sums[k]
			heat.Add(names[k.u1], names[k.u2], float64(s.bytes)/float64(s.days))
		}
	}

	srcs := slices.SortedFunc(maps.Keys(bySource), func(x, y string) int {
		return cmp.Or(cmp.Compare(bySource[y].flows, bySource[x].flows), cmp.Compare(x, y))
	})
	var cats []string
	var vals []float64
	for _, u := range srcs {
		s := bySource[u]
		sources.Add(u, s.flows, s.bytes, int64(len(s.users)), int64(len(s.ports)), topPorts(s.ports, 5))
		if int64(len(cats)) < v.Int("top") {
			cats, vals = append(cats, u), append(vals, float64(s.flows))
		}
	}

	scatter := chart.NewScatter("p2p_daily", "Bytes per day of each pair of users", chart.Series{Name: p2pWays[0], Points: points[0]}, chart.Series{Name: p2pWays[1], Points: points[1]})
	scatter.X = chart.Axis{Title: "day (UTC)", Unit: chart.UnitTime}
	scatter.Y = chart.Axis{Title: "bytes per day", Unit: chart.UnitBytes}
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
