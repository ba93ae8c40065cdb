package catalog

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
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
	all, err := edges(ctx, env, ipWhere(v), payloadSQL(v))
	if err != nil {
		return nil, err
	}
	broadcast := func(addr string) bool { return addr == "0.0.0.0" || addr == "255.255.255.255" }
	tab := analysis.NewTable("graph_edges", "Edges", "src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes")
	g := &chart.Graph{}
	limit := int(v.Int("max_edges"))
	n := 0
	var unnamed int64 // packets of logs that name no destination address
	for _, e := range all {
		if !v.Bool("keep_broadcast") && (broadcast(e.src) || broadcast(e.dst)) {
			continue
		}
		if e.src == "" || e.dst == "" {
			unnamed += e.packets
			continue
		}
		tab.Add(e.src, nullable(env.Names[e.src]), e.dst, nullable(env.Names[e.dst]), e.packets, e.bytes, e.payload)
		if n < limit {
			g.AddEdge(e.src, e.dst, float64(e.packets), strconv.FormatInt(e.packets, 10))
		}
		n++
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
	case len(all) > 0:
		c.OrEmpty("no edges but from or to 0.0.0.0 and 255.255.255.255 (keep_broadcast keeps them)")
	default:
		c.OrEmpty(noPackets(v, "IP"))
	}
	gml, err := graphML(tab)
	if err != nil {
		return nil, err
	}
	notes := payloadNotes(v)
	if unnamed > 0 {
		notes = append(notes, fmt.Sprintf("%d packets from logs that name no destination address are left out", unnamed))
	}
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c},
		Files:  map[string][]byte{"graph.graphml": gml},
		Notes:  notes,
	}, nil
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
	if err := writeGraphML(&b, edges.Rows); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeGraphML writes the GraphML of graphML for the rows of the edges
// table to w. A scan's graph has millions of edges: text that needs no
// escaping (addresses, numbers) is copied as it is, and the bytes go out
// in blocks.
func writeGraphML(w io.Writer, rows [][]any) error {
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
	seen := make(map[string]struct{}, len(rows))
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
	for _, r := range rows {
		node(analysis.AsString(r[0]), r[1])
		node(analysis.AsString(r[2]), r[3])
	}
	seen = nil
	keys := [...]string{"\n   <data key=\"packets\">", "\n   <data key=\"bytes\">", "\n   <data key=\"payload_bytes\">"}
	for _, r := range rows {
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
	if len(rows) > 0 {
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
