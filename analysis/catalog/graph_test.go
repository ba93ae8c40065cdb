package catalog

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/internal/testcapture"
)

// graphMLByEncoder is GraphML as encoding/xml writes it: graphML must write
// the very same bytes.
func graphMLByEncoder(edges analysis.Table) ([]byte, error) {
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
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func TestGraphML(t *testing.T) {
	for _, tt := range []struct {
		name string
		rows [][]any
	}{
		{"empty", nil},
		{"plain", [][]any{
			{"10.0.0.1", "a.example", "10.0.0.2", nil, int64(3), int64(300), int64(120)},
			{"10.0.0.2", nil, "10.0.0.1", "a.example", int64(2), int64(200), int64(0)},
			{"10.0.0.1", "a.example", "2001:db8::1", "b.example", int64(1), int64(90), int64(20)},
		}},
		{"addresses spelled alike", [][]any{
			{"10.0.0.1", nil, "10.0.0.01", nil, int64(1), int64(1), int64(1)},
			{"010.0.0.1", nil, "10.0.0.1", nil, int64(1), int64(1), int64(1)},
			{"::ffff:10.0.0.1", nil, "10.0.0.1.", nil, int64(1), int64(1), int64(1)},
			{"255.255.255.255", nil, "0.0.0.0", nil, int64(1), int64(1), int64(1)},
			{"0.0.0.0", nil, "256.0.0.1", nil, int64(1), int64(1), int64(1)},
		}},
		{"hostile", [][]any{
			{`<img src=x onerror=alert(1)>`, "</data>&\"'\t\r\n\x00\xff", "a\nb", `"quoted"`, int64(1), int64(2), int64(3)},
			{"a\nb", "\u2028 names \U0001F600", `<img src=x onerror=alert(1)>`, nil, int64(4), int64(5), int64(6)},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := analysis.NewTable("graph_edges", "Edges", "src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes")
			for _, r := range tt.rows {
				tab.Add(r...)
			}
			want, err := graphMLByEncoder(tab)
			if err != nil {
				t.Fatal(err)
			}
			got, err := graphML(tab)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("GraphML (-encoding/xml +graphML):\n%s", diff)
			}
			// The same table streamed is read once, its edges spooled.
			streamed := tab
			streamed.Stream = &engine.Stream{Columns: tab.Columns, Types: make([]string, len(tab.Columns)),
				Open: func(context.Context) (engine.RowReader, error) { return engine.TableReader(tab.Table), nil }}
			var b bytes.Buffer
			if err := writeGraphMLOf(context.Background(), &b, streamed, int64(len(tab.Rows))); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("GraphML of the stream (-encoding/xml +streamed):\n%s", diff)
			}
		})
	}
}

// TestNodeSet: each id is new once, whatever its spelling and however
// many there are.
func TestNodeSet(t *testing.T) {
	ids := []string{"0.0.0.0", "255.255.255.255", "10.0.0.1", "010.0.0.1", "::1", ""}
	for i := range 5000 {
		ids = append(ids, fmt.Sprintf("172.%d.%d.%d", 16+i>>16, i>>8&255, i&255), fmt.Sprintf("h%d", i))
	}
	// Grown from empty, sized for fewer ids than come (grown again), and
	// sized for them all.
	for _, size := range []int{0, 1000, 1 << 20} {
		var s nodeSet
		s.sizeFor(size)
		for round := range 2 {
			for _, id := range ids {
				if got := s.add(id); got != (round == 0) {
					t.Fatalf("sized for %d, round %d: add(%q) = %v", size, round, id, got)
				}
			}
		}
	}
}

// BenchmarkNodeSet adds the nodes of a scan's edges: a new source each,
// to one of 65,536 destinations.
func BenchmarkNodeSet(b *testing.B) {
	const edges = 1_000_000
	ids := make([]string, 0, 2*edges)
	x := uint32(1)
	for i := range edges {
		x = x*1664525 + 1013904223
		ids = append(ids, fmt.Sprintf("%d.%d.%d.%d", x>>24, x>>16&255, x>>8&255, x&255),
			fmt.Sprintf("198.51.%d.%d", i>>8&255, i&255))
	}
	for _, sized := range []bool{false, true} {
		b.Run(fmt.Sprintf("sized=%v", sized), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var s nodeSet
				if sized {
					s.sizeFor(edges)
				}
				for _, id := range ids {
					s.add(id)
				}
			}
		})
	}
}

// TestGraphLargeRuns: the edges of a source with as many packets, more
// than the table holds to put in order, come in the order of the engine's
// sort by packets, source and destination: on DuckDB whether held or read
// from one more query of the kept edges (two such runs here), and on
// ClickHouse (a server and a cluster), which keeps nothing and sorts them
// whole.
func TestGraphLargeRuns(t *testing.T) {
	// 192.0.2.9 sends 600 packets to the capture's 256 destinations: 88
	// edges of 3 packets and 168 of 2; 300 other sources one each.
	var pkts []testcapture.DarknetPacket
	at := testcapture.DarknetStart
	for i := range 900 {
		at = at.Add(time.Millisecond)
		src := "192.0.2.9"
		if i%3 == 2 {
			src = fmt.Sprintf("10.1.%d.%d", i/256, i%256)
		}
		pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: src, Dport: 445, Proto: 6})
	}
	ds := ingestDarknet(t, pkts)
	ctx := context.Background()
	var first [][]any
	for _, name := range scanEngines {
		t.Run(name, func(t *testing.T) {
			env := engineEnv(t, ds, name)
			rel, err := edgesOf(ctx, env, "ip_version IN (4, 6)", "payload_len")
			if err != nil {
				t.Fatal(err)
			}
			sorted, err := env.Query(ctx, `SELECT src, NULL, dst, NULL, `+bigints("packets", "bytes", "payload")+` FROM `+rel+` AS e ORDER BY packets DESC, src, dst`)
			if err != nil {
				t.Fatal(err)
			}
			want := sorted.Rows
			if len(want) != 556 {
				t.Fatalf("%d edges, want 556", len(want))
			}
			for _, runRows := range []int{0, 8} {
				res, err := analysis.Run(ctx, graph{runRows: runRows}, env, nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, res.Tables[0].Rows); diff != "" {
					t.Errorf("edges held up to %d (-sorted by the engine +graph):\n%s", runRows, diff)
				}
			}
			if first == nil {
				first = want
			} else if diff := cmp.Diff(first, want); diff != "" {
				t.Errorf("edges (-%s +%s):\n%s", scanEngines[0], name, diff)
			}
		})
	}
}

// BenchmarkGraphMLRows writes the GraphML of a scan's edges as a report
// does, from the rows of their table: a new source each, to one of 65,536
// destinations.
func BenchmarkGraphMLRows(b *testing.B) {
	const edges = 1_000_000
	rows := make([][]any, edges)
	x := uint32(1)
	for i := range rows {
		x = x*1664525 + 1013904223
		rows[i] = []any{fmt.Sprintf("%d.%d.%d.%d", x>>24, x>>16&255, x>>8&255, x&255), nil,
			fmt.Sprintf("198.51.%d.%d", i>>8&255, i&255), nil, int64(1), int64(60), int64(0)}
	}
	b.ReportAllocs()
	for b.Loop() {
		g := newGraphMLRows(io.Discard, edges)
		for _, r := range rows {
			if err := g.WriteRow(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := g.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
