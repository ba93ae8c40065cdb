package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type talkers struct{}

func (talkers) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "talkers", Group: "capture", Title: "Top talkers",
		Doc: `Payload bytes sent per source address and received per destination address, with ` +
			`packets and bytes on the wire. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, payloadParam, top("20")},
	}
}

func (talkers) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	res := &analysis.Result{Notes: payloadNotes(v)}
	for _, side := range []struct {
		by                bool
		name, title, verb string
	}{
		{bySource, "talkers_sent", "Payload sent per source address", "sent"},
		{byDestination, "talkers_received", "Payload received per destination address", "received"},
	} {
		// A scan has millions of addresses: the table's rows come from
		// the engine as they are written, and the chart takes the top.
		rel, err := addressesOf(ctx, env, ipWhere(v), payloadSQL(v), side.by)
		if err != nil {
			return nil, err
		}
		tab := env.StreamTable(side.name, side.title,
			[]string{"address", "name", "payload_bytes", "packets", "bytes"},
			[]string{"VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"},
			func(in, out []any) error {
				addr := analysis.AsString(in[0])
				out[0], out[1], out[2], out[3], out[4] = addr, nullable(env.Names[addr]), analysis.AsInt(in[1]), analysis.AsInt(in[2]), analysis.AsInt(in[3])
				return nil
			},
			`SELECT address, `+bigints("payload", "packets", "bytes")+` FROM `+rel+` AS t ORDER BY `+bigints("payload")+` DESC, address`)
		top, err := env.Query(ctx, fmt.Sprintf(`SELECT address, payload FROM %s AS t ORDER BY payload DESC, address LIMIT %d`, rel, v.Int("top")))
		if err != nil {
			return nil, err
		}
		var cats []string
		var vals []float64
		for _, r := range top.Rows {
			cats = append(cats, env.Label(analysis.AsString(r[0])))
			vals = append(vals, analysis.AsFloat(r[1]))
		}
		n, err := countRows(ctx, env, "SELECT address FROM "+rel+" AS a", len(top.Rows), v.Int("top"))
		if err != nil {
			return nil, err
		}
		c := chart.NewHBar(side.name, side.title, cats, chart.Bars("payload "+side.verb, vals))
		c.X = chart.Axis{Title: "payload bytes " + side.verb, Unit: chart.UnitBytes}
		if n > int64(len(cats)) {
			c.Note = fmt.Sprintf("showing the top %d of %d addresses", len(cats), n)
		}
		res.Tables = append(res.Tables, tab)
		res.Charts = append(res.Charts, c.OrEmpty(noPackets(v, "IP")))
	}
	return res, nil
}

// countRows returns the number of rows of query q of which the first
// limit were read and got: got itself when fewer came, else a count.
func countRows(ctx context.Context, env *analysis.Env, q string, got int, limit int64) (int64, error) {
	if int64(got) < limit {
		return int64(got), nil
	}
	t, err := env.Query(ctx, "SELECT count(*) FROM ("+q+") AS c")
	if err != nil {
		return 0, err
	}
	return analysis.AsInt(t.Rows[0][0]), nil
}

// bigints is a SELECT list of the integer columns cols, each as a 64-bit
// integer: DuckDB's sums are 128-bit (HUGEINT), which its driver reads as
// a math/big number per value, millions of them in a scan's tables. The
// columns keep their names in the relation for ORDER BY; a sum past 64
// bits fails the query rather than being cut. An ORDER BY of millions of
// rows sorts by the 64-bit casts too: DuckDB sorts 2 M rows by a 128-bit
// key in about a third more processor time.
func bigints(cols ...string) string {
	list := make([]string, len(cols))
	for i, c := range cols {
		list[i] = "CAST(" + c + " AS BIGINT)"
	}
	return strings.Join(list, ", ")
}

// nullable returns nil for an empty string, so tables show NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
