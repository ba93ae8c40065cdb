package catalog

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
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
	b.Grow(200 * len(edges.Rows))
	b.WriteString(xml.Header)
	b.WriteString(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <key id="name" for="node" attr.name="name" attr.type="string"></key>
 <key id="packets" for="edge" attr.name="packets" attr.type="long"></key>
 <key id="bytes" for="edge" attr.name="bytes" attr.type="long"></key>
 <key id="payload_bytes" for="edge" attr.name="payload_bytes" attr.type="long"></key>
 <graph edgedefault="directed">`)
	text := func(s string) {
		if err := xml.EscapeText(&b, []byte(s)); err != nil {
			panic(err) // a bytes.Buffer does not fail
		}
	}
	seen := map[string]bool{}
	node := func(id string, name any) {
		if seen[id] {
			return
		}
		seen[id] = true
		b.WriteString("\n  <node id=\"")
		text(id)
		b.WriteString(`">`)
		if s := analysis.AsString(name); s != "" {
			b.WriteString("\n   <data key=\"name\">")
			text(s)
			b.WriteString("</data>\n  ")
		}
		b.WriteString("</node>")
	}
	for _, r := range edges.Rows {
		node(analysis.AsString(r[0]), r[1])
		node(analysis.AsString(r[2]), r[3])
	}
	for _, r := range edges.Rows {
		b.WriteString("\n  <edge source=\"")
		text(analysis.AsString(r[0]))
		b.WriteString(`" target="`)
		text(analysis.AsString(r[2]))
		b.WriteString(`">`)
		for i, key := range []string{"packets", "bytes", "payload_bytes"} {
			b.WriteString("\n   <data key=\"" + key + "\">")
			text(fmt.Sprint(r[4+i]))
			b.WriteString("</data>")
		}
		b.WriteString("\n  </edge>")
	}
	if len(edges.Rows) > 0 {
		b.WriteString("\n ")
	}
	b.WriteString("</graph>\n</graphml>\n")
	return b.Bytes(), nil
}
