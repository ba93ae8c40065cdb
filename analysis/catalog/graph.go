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
			`keep_broadcast is set. The chart draws the heaviest max_edges edges; the table and the ` +
			`GraphML file hold them all.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{
			ipVersion,
			{Name: "keep_broadcast", Kind: analysis.Bool, Default: "false", Doc: "keep edges from or to 0.0.0.0 and 255.255.255.255"},
			{Name: "max_edges", Kind: analysis.Int, Default: "200", Min: analysis.AtLeast(1), Doc: "the most edges the chart draws, heaviest first"},
		},
	}
}

func (graph) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where := ipWhere(v)
	if !v.Bool("keep_broadcast") {
		where += ` AND src NOT IN ('0.0.0.0', '255.255.255.255') AND dst NOT IN ('0.0.0.0', '255.255.255.255')`
	}
	t, err := env.Query(ctx, `SELECT src, dst, count(*) AS packets, sum(wire_len) AS bytes, sum(payload_len) AS payload
		FROM packets WHERE `+where+` GROUP BY src, dst ORDER BY packets DESC, src, dst`)
	if err != nil {
		return nil, err
	}
	tab := analysis.NewTable("graph_edges", "Edges", "src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes")
	g := &chart.Graph{}
	limit := int(v.Int("max_edges"))
	for i, r := range t.Rows {
		src, dst := analysis.AsString(r[0]), analysis.AsString(r[1])
		packets := analysis.AsInt(r[2])
		tab.Add(src, nullable(env.Names[src]), dst, nullable(env.Names[dst]), packets, analysis.AsInt(r[3]), analysis.AsInt(r[4]))
		if i < limit {
			g.AddEdge(src, dst, float64(packets), strconv.FormatInt(packets, 10))
		}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Label = env.Label(n.ID)
		n.Tooltip = fmt.Sprintf("%s: %d packets sent and received", n.Label, int64(n.Value))
	}
	c := chart.NewGraph("graph", "Who talks to whom (edges weighted by packets)", g)
	if n := len(t.Rows); n > limit {
		c.Note = fmt.Sprintf("showing the %d heaviest of %d edges", limit, n)
	}
	gml, err := graphML(tab)
	if err != nil {
		return nil, err
	}
	return &analysis.Result{
		Tables: []analysis.Table{tab},
		Charts: []*chart.Chart{c},
		Files:  map[string][]byte{"graph.graphml": gml},
	}, nil
}

// graphML writes the edges table as GraphML, for Gephi, Cytoscape or networkx.
func graphML(edges analysis.Table) ([]byte, error) {
	type data struct {
		Key   string `xml:"key,attr"`
		Value string `xml:",chardata"`
	}
	type node struct {
		ID   string `xml:"id,attr"`
		Data []data `xml:"data"`
	}
	type edge struct {
		Source string `xml:"source,attr"`
		Target string `xml:"target,attr"`
		Data   []data `xml:"data"`
	}
	type key struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"graphml"`
		NS      string   `xml:"xmlns,attr"`
		Keys    []key    `xml:"key"`
		Graph   struct {
			Default string `xml:"edgedefault,attr"`
			Nodes   []node `xml:"node"`
			Edges   []edge `xml:"edge"`
		} `xml:"graph"`
	}{NS: "http://graphml.graphdrawing.org/xmlns"}
	doc.Keys = []key{
		{"name", "node", "name", "string"},
		{"packets", "edge", "packets", "long"},
		{"bytes", "edge", "bytes", "long"},
		{"payload_bytes", "edge", "payload_bytes", "long"},
	}
	doc.Graph.Default = "directed"
	seen := map[string]bool{}
	addNode := func(id string, name any) {
		if seen[id] {
			return
		}
		seen[id] = true
		n := node{ID: id}
		if s := analysis.AsString(name); s != "" {
			n.Data = []data{{"name", s}}
		}
		doc.Graph.Nodes = append(doc.Graph.Nodes, n)
	}
	for _, r := range edges.Rows {
		src, dst := analysis.AsString(r[0]), analysis.AsString(r[2])
		addNode(src, r[1])
		addNode(dst, r[3])
		doc.Graph.Edges = append(doc.Graph.Edges, edge{Source: src, Target: dst, Data: []data{
			{"packets", fmt.Sprint(r[4])}, {"bytes", fmt.Sprint(r[5])}, {"payload_bytes", fmt.Sprint(r[6])},
		}})
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("graphml: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
