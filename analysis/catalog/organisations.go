package catalog

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/output"
)

type organisations struct{}

func (organisations) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "organisations", Group: flowsGroup, Title: "Organisations and categories",
		Doc: `Bytes (both ways, IP bytes) per organisation and per category of the far end of flows, ` +
			`over time and in total. The far end of a flow between a user and a non-user is the non-user; ` +
			`without users (labels of kind user), every flow counts for its responder b. Its organisation ` +
			`is its org label (by address or prefix, at the flow's start), else the org label of the ` +
			`name seen for it (DNS answers, TLS SNI, HTTP Host; a domain label matches its subdomains), ` +
			`else the name's registrable domain (the public suffix list: mail.example.co.uk is ` +
			`example.co.uk), else "unknown". Its category comes from category labels on the address or ` +
			`the name the same way, else "unknown".`,
		Tables: []string{"flows"},
		Params: []analysis.Param{binParam, fromParam, toParam, top("12")},
	}
}

func (organisations) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := timeRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	users, err := hasUsers(ctx, env)
	if err != nil {
		return nil, err
	}
	res := &analysis.Result{}
	if !users {
		res.Notes = append(res.Notes, "no users: every flow counts for its responder b")
	}
	w := int64(v.Duration("bin"))
	type key struct {
		bin       int64
		org, cat  string
		flows, by int64
	}
	var rows []key
	if r.ok {
		d := env.Dialect()
		where := r.where(d)
		// The far end of each flow and the name seen for it in the flow.
		far := `SELECT ts, b AS far, coalesce(name, '') AS fname, bytes_a_to_b + bytes_b_to_a AS bytes
			FROM (SELECT b, name, bytes_a_to_b, bytes_b_to_a, ` + d.EpochNs("start") + ` AS ts FROM flows WHERE ` + where + `) AS f`
		if users {
			uf, err := userFlows(ctx, env, r, []string{"a", "b", "name", "bytes_a_to_b", "bytes_b_to_a"}, anyFlow)
			if err != nil {
				return nil, err
			}
			far = `SELECT ts, CASE WHEN ua <> '' THEN b ELSE a END AS far, CASE WHEN ua <> '' THEN coalesce(name, '') ELSE '' END AS fname,
				bytes_a_to_b + bytes_b_to_a AS bytes FROM (` + uf + `) AS uf
				WHERE (CASE WHEN ua <> '' THEN 1 ELSE 0 END) + (CASE WHEN ub <> '' THEN 1 ELSE 0 END) = 1`
		}
		cols := []string{"ts", "far", "fname", "bytes"}
		q := "(" + far + ")"
		spanKinds, err := env.Shared(ctx, `SELECT kind, count(*) FROM label_spans GROUP BY kind`)
		if err != nil {
			return nil, fmt.Errorf("count label spans: %w", err)
		}
		hasSpans := map[string]bool{}
		for _, row := range spanKinds.Rows {
			hasSpans[analysis.AsString(row[0])] = analysis.AsInt(row[1]) > 0
		}
		for _, l := range []struct{ kind, as string }{{labels.Org, "olab"}, {labels.Category, "clab"}} {
			if !hasSpans[l.kind] {
				// No address has a label of the kind: the label is empty,
				// as attaching the spans would leave it, without the joins.
				q = "(SELECT " + strings.Join(cols, ", ") + ", '' AS " + l.as + " FROM " + q + " AS _nl)"
				cols = append(cols, l.as)
				continue
			}
			blocks, err := labelBlocks(ctx, env, l.kind, r)
			if err != nil {
				return nil, err
			}
			spans, sw, err := labelSpans(ctx, env, l.kind, blocks, r)
			if err != nil {
				return nil, err
			}
			q = "(" + labels.AttachSpans(q, cols, "far", "ts", l.as, spans, sw) + ")"
			cols = append(cols, l.as)
		}
		// Else the name seen for the far end anywhere, as analysis.NewEnv
		// names addresses: one per address, kept by the engine (NewEnv made
		// the table) so that the join is planned knowing its size.
		names, err := env.Kept(ctx, analysis.NamesQuery)
		if err != nil {
			return nil, fmt.Errorf("names of addresses: %w", err)
		}
		q = fmt.Sprintf(`SELECT %[1]s AS bin, olab, clab, CASE WHEN fname <> '' THEN fname ELSE coalesce(nname, '') END AS nm, count(*), sum(bytes)
			FROM (%[2]s) AS x LEFT JOIN %[3]s AS n ON far = naddr
			GROUP BY bin, olab, clab, nm`, binOf("ts", w), q[1:len(q)-1], names)
		t, err := env.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		domains, err := domainLabels(ctx, env)
		if err != nil {
			return nil, err
		}
		for _, row := range t.Rows {
			name := analysis.AsString(row[3])
			org := analysis.AsString(row[1])
			if org == "" {
				org = domains.match(labels.Org, name)
			}
			if org == "" && name != "" {
				org = name
				if reg, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
					org = reg
				}
			}
			cat := analysis.AsString(row[2])
			if cat == "" {
				cat = domains.match(labels.Category, name)
			}
			rows = append(rows, key{analysis.AsInt(row[0]), cmp.Or(org, "unknown"), cmp.Or(cat, "unknown"), analysis.AsInt(row[4]), analysis.AsInt(row[5])})
		}
	}
	for _, side := range []struct {
		id, what string
		of       func(key) string
	}{
		{"organisations", "organisation", func(k key) string { return k.org }},
		{"categories", "category", func(k key) string { return k.cat }},
	} {
		type sum struct{ flows, bytes int64 }
		total := map[string]*sum{}
		perBin := map[[2]any]int64{}
		var all int64
		for _, k := range rows {
			name := side.of(k)
			if total[name] == nil {
				total[name] = &sum{}
			}
			total[name].flows += k.flows
			total[name].bytes += k.by
			perBin[[2]any{k.bin, name}] += k.by
			all += k.by
		}
		names := slices.SortedFunc(maps.Keys(total), func(x, y string) int {
			return cmp.Or(cmp.Compare(total[y].bytes, total[x].bytes), cmp.Compare(x, y))
		})
		tab := analysis.NewTable(side.id, "Bytes per "+side.what, side.what, "flows", "bytes", "share").WithUnit("share", output.Share)
		timeTab := analysis.NewTable(side.id+"_time", "Bytes per "+side.what+" and bin", "bin_start", side.what, "bytes")
		var cats []string
		var vals []float64
		n := int(v.Int("top"))
		for _, name := range names {
			s := total[name]
			share := 0.0
			if all > 0 {
				share = float64(s.bytes) / float64(all)
			}
			tab.Add(name, s.flows, s.bytes, share)
			if len(cats) < n {
				cats, vals = append(cats, name), append(vals, float64(s.bytes))
			}
		}
		shown := names[:len(cats)]
		series := make([]chart.Series, len(shown))
		var other chart.Series
		other.Name = "other"
		for i, name := range shown {
			series[i].Name = name
		}
		for _, b := range bins(r, w) {
			var rest int64
			for _, name := range names {
				if by := perBin[[2]any{b, name}]; by > 0 {
					timeTab.Add(analysis.Time(b), name, by)
				}
			}
			for i, name := range shown {
				series[i].Points = append(series[i].Points, chart.Point{X: chart.UnixSeconds(b), Y: float64(perBin[[2]any{b, name}])})
			}
			for _, name := range names[len(shown):] {
				rest += perBin[[2]any{b, name}]
			}
			other.Points = append(other.Points, chart.Point{X: chart.UnixSeconds(b), Y: float64(rest)})
		}
		if len(names) > len(shown) {
			series = append(series, other)
		}
		bars := chart.NewHBar(side.id, "Bytes per "+side.what, cats, chart.Bars("bytes", vals))
		bars.X = chart.Axis{Title: "bytes", Unit: chart.UnitBytes}
		area := chart.NewStackedArea(side.id+"_time", "Bytes per "+side.what+" over time", series...)
		area.X = chart.Axis{Title: "time (UTC)", Unit: chart.UnitTime}
		area.Y = chart.Axis{Title: "bytes per " + binName(w), Unit: chart.UnitBytes}
		if len(names) > len(shown) {
			bars.Note = fmt.Sprintf("showing the top %d of %d", len(shown), len(names))
			area.Note = fmt.Sprintf("the top %d of %d, the rest as other", len(shown), len(names))
		}
		res.Tables = append(res.Tables, tab, timeTab)
		res.Charts = append(res.Charts, bars.OrEmpty("no flows"), area.OrEmpty("no flows"))
	}
	return res, nil
}

// domainMatcher finds the label of a name among labels of domains: the
// longest domain that is the name or one of its parents.
type domainMatcher map[string]map[string]string // kind -> domain -> label

// match returns the label of kind for name, or "".
func (m domainMatcher) match(kind, name string) string {
	byDomain := m[kind]
	for name != "" {
		if l, ok := byDomain[name]; ok {
			return l
		}
		_, parent, ok := strings.Cut(name, ".")
		if !ok {
			break
		}
		name = parent
	}
	return ""
}

// domainLabels reads the labels of domains of kinds org and category, the
// one loaded last winning.
func domainLabels(ctx context.Context, env *analysis.Env) (domainMatcher, error) {
	t, err := env.Shared(ctx, `SELECT kind, address, label FROM labels WHERE kind IN ('org', 'category')
		ORDER BY `+env.Dialect().EpochNs("loaded")+`, file, line`)
	if err != nil {
		return nil, err
	}
	m := domainMatcher{}
	for _, r := range t.Rows { // kind, address, label, ... in load order
		kind, addr := analysis.AsString(r[0]), analysis.AsString(r[1])
		if (kind != labels.Org && kind != labels.Category) || labels.IsAddress(addr) {
			continue
		}
		if m[kind] == nil {
			m[kind] = map[string]string{}
		}
		m[kind][addr] = analysis.AsString(r[2])
	}
	return m, nil
}
