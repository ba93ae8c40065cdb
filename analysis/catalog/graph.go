package catalog

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
)

type graph struct{}

func (graph) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "graph", Group: "capture", Title: "Who talks to whom",
		Doc: `The directed graph of IP addresses: an edge from source to destination for every pair ` +
			`that exchanged packets, weighted by packets (and bytes). Edges from or to 0.0.0.0 and ` +
			`255.255.255.255 (DHCP before an address is leased, limited broadcast) are left out unless ` +
			`keep_broadcast is set, and so are the packets of logs that name no destination. The chart draws the heaviest max_edges edges; the table and the ` +
			`GraphML file hold them all, with payload bytes. ` + payloadDoc,
		Tables: []string{"packets"},
		Params: []analysis.Param{
			ipVersion, payloadParam,
			{Name: "keep_broadcast", Kind: analysis.Bool, Default: "false", Doc: "keep edges from or to 0.0.0.0 and 255.255.255.255"},
			{Name: "max_edges", Kind: analysis.Int, Default: "200", Min: analysis.AtLeast(1), Doc: "the most edges the chart draws, heaviest first"},
		},
	}
}

func (graph) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	rel, err := edgesOf(ctx, env, ipWhere(v), payloadSQL(v))
	if err != nil {
		return nil, err
	}
	// Edges from or to 0.0.0.0 and 255.255.255.255 are left out first;
	// of the others, those with an end the packets do not name (logs) are
	// counted, not drawn.
	kept := "TRUE"
	if !v.Bool("keep_broadcast") {
		kept = "coalesce(src, '') NOT IN ('0.0.0.0', '255.255.255.255') AND coalesce(dst, '') NOT IN ('0.0.0.0', '255.255.255.255')"
	}
	named := "coalesce(src, '') <> '' AND coalesce(dst, '') <> ''"
	counts, err := env.Query(ctx, `SELECT count(*),
		sum(CASE WHEN `+kept+` AND `+named+` THEN 1 ELSE 0 END),
		sum(CASE WHEN `+kept+` AND NOT (`+named+`) THEN packets ELSE 0 END)
		FROM `+rel+` AS e`)
	if err != nil {
		return nil, err
	}
	var all, n, unnamed int64 // edges, edges in the table, packets of logs that name no destination
	if len(counts.Rows) > 0 {
		all, n, unnamed = analysis.AsInt(counts.Rows[0][0]), analysis.AsInt(counts.Rows[0][1]), analysis.AsInt(counts.Rows[0][2])
	}
	q := `SELECT src, dst, packets, bytes, payload FROM ` + rel + ` AS e WHERE ` + kept + ` AND ` + named + ` ORDER BY packets DESC, src, dst`
	// A scan has millions of edges: the table's rows, and the GraphML
	// file's, come from the engine as they are written.
	tab := env.StreamTable("graph_edges", "Edges",
		[]string{"src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes"},
		[]string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"},
		func(in, out []any) error {
			src, dst := analysis.AsString(in[0]), analysis.AsString(in[1])
			out[0], out[1], out[2], out[3] = src, nullable(env.Names[src]), dst, nullable(env.Names[dst])
			out[4], out[5], out[6] = analysis.AsInt(in[2]), analysis.AsInt(in[3]), analysis.AsInt(in[4])
			return nil
		}, q)
	limit := v.Int("max_edges")
	heaviest, err := env.Query(ctx, fmt.Sprintf("%s LIMIT %d", q, limit))
	if err != nil {
		return nil, err
	}
	g := &chart.Graph{}
	for _, r := range heaviest.Rows {
		p := analysis.AsInt(r[2])
		g.AddEdge(analysis.AsString(r[0]), analysis.AsString(r[1]), float64(p), strconv.FormatInt(p, 10))
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Label = env.Label(n.ID)
		n.Tooltip = fmt.Sprintf("%s: %d packets sent and received", n.Label, int64(n.Value))
	}
	c := chart.NewGraph("graph", "Who talks to whom (edges weighted by packets)", g)
	if n > limit {
		c.Note = fmt.Sprintf("showing the %d heaviest of %d edges", limit, n)
	}
	switch {
	case unnamed > 0:
		c.OrEmpty("no edges: the logs of packets name no destination address")
	case all > 0:
		c.OrEmpty("no edges but from or to 0.0.0.0 and 255.255.255.255 (keep_broadcast keeps them)")
	default:
		c.OrEmpty(noPackets(v, "IP"))
	}
	notes := payloadNotes(v)
	if unnamed > 0 {
		notes = append(notes, fmt.Sprintf("%d packets from logs that name no destination address are left out", unnamed))
	}
	res := &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c},
		Notes:  notes,
	}
	// The file is written from the result's table: its rows once held
	// (analysis.Run holds them for callers that keep results), else its
	// stream.
	res.FileWriters = map[string]func(context.Context, io.Writer) error{
		"graph.graphml": func(ctx context.Context, w io.Writer) error { return writeGraphMLOf(ctx, w, res.Tables[0]) },
	}
	return res, nil
}

// writeGraphMLOf writes the GraphML of the edges table t, held or
// streamed, to w: a stream is read twice, for the nodes then the edges.
func writeGraphMLOf(ctx context.Context, w io.Writer, t analysis.Table) error {
	if !t.Streamed() {
		return writeGraphML(w, rowsOf(t.Rows), rowsOf(t.Rows))
	}
	open := func() (iter.Seq2[[]any, error], func()) {
		r, err := t.Open(ctx)
		if err != nil {
			return func(yield func([]any, error) bool) { yield(nil, err) }, func() {}
		}
		return func(yield func([]any, error) bool) {
			for {
				row, err := r.Next()
				if err == io.EOF {
					return
				}
				if !yield(row, err) || err != nil {
					return
				}
			}
		}, func() { r.Close() }
	}
	nodes, closeNodes := open()
	defer closeNodes()
	edges, closeEdges := open()
	defer closeEdges()
	return writeGraphML(w, nodes, edges)
}

// rowsOf gives held rows as writeGraphML reads them.
func rowsOf(rows [][]any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// graphML writes the edges table as GraphML, for Gephi, Cytoscape or
// networkx: a node per address, with its name when there is one, and an
// edge per row with its packets, bytes and payload bytes. Text is escaped
// as encoding/xml escapes it.
func graphML(edges analysis.Table) ([]byte, error) {
	var b bytes.Buffer
	// About 200 bytes per edge and its nodes: enough that a scan's
	// millions of them are not copied into a buffer twice as large.
	b.Grow(256*len(edges.Rows) + 1024)
	if err := writeGraphML(&b, rowsOf(edges.Rows), rowsOf(edges.Rows)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeGraphML writes the GraphML of graphML to w, the nodes from one
// pass over the rows of the edges table and the edges from a second one.
// A scan's graph has millions of edges: text that needs no escaping
// (addresses, numbers) is copied as it is, and the bytes go out in blocks.
func writeGraphML(w io.Writer, nodeRows, edgeRows iter.Seq2[[]any, error]) error {
	buf := make([]byte, 0, 64<<10)
	var err error
	flush := func() {
		if err == nil {
			_, err = w.Write(buf)
		}
		buf = buf[:0]
	}
	raw := func(s string) {
		buf = append(buf, s...)
		if len(buf) >= 60<<10 {
			flush()
		}
	}
	var esc bytes.Buffer
	text := func(s string) {
		if plainXML(s) {
			raw(s)
			return
		}
		esc.Reset()
		if err := xml.EscapeText(&esc, []byte(s)); err != nil {
			panic(err) // a bytes.Buffer does not fail
		}
		raw(esc.String())
	}
	raw(xml.Header)
	raw(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <key id="name" for="node" attr.name="name" attr.type="string"></key>
 <key id="packets" for="edge" attr.name="packets" attr.type="long"></key>
 <key id="bytes" for="edge" attr.name="bytes" attr.type="long"></key>
 <key id="payload_bytes" for="edge" attr.name="payload_bytes" attr.type="long"></key>
 <graph edgedefault="directed">`)
	seen := map[string]struct{}{}
	node := func(id string, name any) {
		if _, ok := seen[id]; ok {
			return
		}
		seen[id] = struct{}{}
		raw("\n  <node id=\"")
		text(id)
		raw(`">`)
		if s := analysis.AsString(name); s != "" {
			raw("\n   <data key=\"name\">")
			text(s)
			raw("</data>\n  ")
		}
		raw("</node>")
	}
	some := false
	for r, rerr := range nodeRows {
		if rerr != nil {
			return rerr
		}
		node(analysis.AsString(r[0]), r[1])
		node(analysis.AsString(r[2]), r[3])
		some = true
	}
	seen = nil
	keys := [...]string{"\n   <data key=\"packets\">", "\n   <data key=\"bytes\">", "\n   <data key=\"payload_bytes\">"}
	for r, rerr := range edgeRows {
		if rerr != nil {
			return rerr
		}
		raw("\n  <edge source=\"")
		text(analysis.AsString(r[0]))
		raw(`" target="`)
		text(analysis.AsString(r[2]))
		raw(`">`)
		for i, key := range keys {
			raw(key)
			if n, ok := r[4+i].(int64); ok {
				buf = strconv.AppendInt(buf, n, 10)
			} else {
				text(fmt.Sprint(r[4+i]))
			}
			raw("</data>")
		}
		raw("\n  </edge>")
	}
	if some {
		raw("\n ")
	}
	raw("</graph>\n</graphml>\n")
	flush()
	return err
}

// plainXML reports whether s is text that xml.EscapeText writes as it is:
// printable ASCII without quotes, '&', '<' or '>'.
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\'', c == '&', c == '<', c == '>':
			return false
		}
	}
	return true
}
