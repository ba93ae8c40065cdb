package catalog

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/internal/hugepages"
	"github.com/netlens/netlens/internal/ipv4"
)

type graph struct {
	// runRows is the most edges of one source and count of packets that
	// the table holds in memory to put in order of destination
	// (graphRunRows when 0).
	runRows int
}

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

func (gr graph) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
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
	cols := `SELECT src, dst, ` + bigints("packets", "bytes", "payload") + ` FROM ` + rel + ` AS e WHERE ` + kept + ` AND ` + named
	q := cols + ` ORDER BY packets DESC, src, dst`
	// A scan has millions of edges: the table's rows, and the GraphML
	// file's, come from the engine as they are written. An engine that
	// keeps the edges sorts them by packets and source, and the edges of a
	// source with as many packets are put in order of destination as they
	// are read: on a scan they are runs of one edge each, and DuckDB sorts
	// 2 M edges by two keys in about half the time it takes by three. A
	// scanning source's edges of one packet each may be millions: the runs
	// of more than graphRunRows edges are not held but read, sorted by
	// destination, from one more query of the kept edges, made at the first
	// such run (one query for all of them: a telescope sees hundreds of
	// scanning sources). An engine that keeps nothing would sum the edges
	// again for that query: it sorts them all.
	runRows := gr.runRows
	if runRows == 0 {
		runRows = graphRunRows
	}
	edge := func(in, out []any) error {
		src, dst := analysis.AsString(in[0]), analysis.AsString(in[1])
		out[0], out[1], out[2], out[3] = src, nullable(env.Names[src]), dst, nullable(env.Names[dst])
		out[4], out[5], out[6] = analysis.AsInt(in[2]), analysis.AsInt(in[3]), analysis.AsInt(in[4])
		return nil
	}
	columns := []string{"src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes"}
	types := []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"}
	var tab analysis.Table
	if _, keeps := env.Engine.(engine.Keeper); !keeps {
		tab = env.StreamTable("graph_edges", "Edges", columns, types, edge, q)
	} else {
		tab = env.StreamTable("graph_edges", "Edges", columns, types, edge,
			cols+` `+engine.RunsOrdered+` ORDER BY packets DESC, src`)
		tab.Stream = engine.OrderRunsUpTo(tab.Stream,
			func(a, b []any) bool { return a[4] == b[4] && a[0] == b[0] },
			func(a, b []any) int { return strings.Compare(a[2].(string), b[2].(string)) },
			runRows,
			engine.QueryStream(env.Engine, columns, types, edge, fmt.Sprintf(`%s AND (packets, src) IN (
				SELECT packets, src FROM %s AS e WHERE %s AND %s GROUP BY packets, src HAVING count(*) > %d
			) ORDER BY packets DESC, src, dst`, cols, rel, kept, named, runRows)))
	}
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
		"graph.graphml": func(ctx context.Context, w io.Writer) error { return writeGraphMLOf(ctx, w, res.Tables[0], n) },
	}
	// A report writes it from the read of the edges that writes their
	// table's files: the engine sorts a scan's millions of edges once.
	res.TableFiles = map[string]analysis.TableFile{
		"graph.graphml": {Table: 0, New: func(w io.Writer) engine.RowWriter { return newGraphMLRows(w, n) }},
	}
	return res, nil
}

// graphRunRows is the most edges of one source and count of packets that
// graph's table holds in memory to put in order of destination: the runs
// of more are read from the engine in order, all from one query.
const graphRunRows = 4096

// writeGraphMLOf writes the GraphML of the edges table t, held or
// streamed, to w; edges is how many rows it has, or 0 when not known. A
// stream is read once: the nodes are written as the rows come, the edges
// to a spool file that follows them.
func writeGraphMLOf(ctx context.Context, w io.Writer, t analysis.Table, edges int64) error {
	if !t.Streamed() {
		return writeGraphML(w, rowsOf(t.Rows), rowsOf(t.Rows))
	}
	r, err := t.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	g := newGraphMLRows(w, edges)
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = g.WriteRow(row)
		}
		if err != nil {
			g.Close()
			return err
		}
	}
	return g.Close()
}

// graphMLRows writes the GraphML of the edges table's rows as they come
// (an engine.RowWriter): the nodes to w, the edges to a spool file copied
// after them when the rows end.
type graphMLRows struct {
	w     io.Writer
	g     *graphMLWriter
	spool *os.File // made with the first row
	edges *xmlOut
	err   error
}

// newGraphMLRows returns the writer of the GraphML of edges rows (a
// number known before they are read, else 0) to w.
func newGraphMLRows(w io.Writer, edges int64) *graphMLRows {
	g := newGraphMLWriter(w)
	// A scan's graph has about a node per edge: the set of nodes is made
	// that large at once.
	g.seen.sizeFor(int(edges))
	g.begin()
	return &graphMLRows{w: w, g: g}
}

// WriteRow writes the nodes of an edge not seen before, and spools the
// edge.
func (r *graphMLRows) WriteRow(row []any) error {
	if r.err != nil {
		return r.err
	}
	if r.spool == nil {
		spool, err := os.CreateTemp("", "netlens-graphml-")
		if err != nil {
			r.err = fmt.Errorf("graphml spool: %w", err)
			return r.err
		}
		r.spool, r.edges = spool, &xmlOut{w: spool, buf: make([]byte, 0, 64<<10)}
	}
	r.g.nodes(row)
	r.edges.edge(row)
	switch {
	case r.g.out.err != nil:
		r.err = r.g.out.err
	case r.edges.err != nil:
		r.err = fmt.Errorf("graphml spool: %w", r.edges.err)
	}
	return r.err
}

// Close writes the spooled edges after the nodes and ends the file; it
// removes the spool in any case.
func (r *graphMLRows) Close() error {
	if r.spool != nil {
		defer func() {
			r.spool.Close()
			os.Remove(r.spool.Name())
			r.spool = nil
		}()
	}
	if r.err != nil {
		return r.err
	}
	r.err = errors.New("graphml: closed")
	if r.spool != nil {
		r.edges.flush()
		if r.edges.err != nil {
			return fmt.Errorf("graphml spool: %w", r.edges.err)
		}
		r.g.out.flush()
		if r.g.out.err != nil {
			return r.g.out.err
		}
		if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("graphml spool: %w", err)
		}
		if _, err := io.Copy(r.w, r.spool); err != nil {
			return err
		}
	}
	return r.g.end(r.spool != nil)
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
func writeGraphML(w io.Writer, nodeRows, edgeRows iter.Seq2[[]any, error]) error {
	g := newGraphMLWriter(w)
	g.begin()
	some := false
	for r, rerr := range nodeRows {
		if rerr != nil {
			return rerr
		}
		g.nodes(r)
		some = true
	}
	g.seen = nodeSet{}
	for r, rerr := range edgeRows {
		if rerr != nil {
			return rerr
		}
		g.out.edge(r)
	}
	return g.end(some)
}

// graphMLWriter writes a GraphML file: its head, each node once, in the
// order the edges first name them, and its end.
type graphMLWriter struct {
	out  *xmlOut
	seen nodeSet
}

func newGraphMLWriter(w io.Writer) *graphMLWriter {
	return &graphMLWriter{out: &xmlOut{w: w, buf: make([]byte, 0, 64<<10)}}
}

func (g *graphMLWriter) begin() {
	g.out.raw(xml.Header)
	g.out.raw(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <key id="name" for="node" attr.name="name" attr.type="string"></key>
 <key id="packets" for="edge" attr.name="packets" attr.type="long"></key>
 <key id="bytes" for="edge" attr.name="bytes" attr.type="long"></key>
 <key id="payload_bytes" for="edge" attr.name="payload_bytes" attr.type="long"></key>
 <graph edgedefault="directed">`)
}

// nodes writes the nodes of an edge's row that no earlier row named.
func (g *graphMLWriter) nodes(r []any) {
	g.node(analysis.AsString(r[0]), r[1])
	g.node(analysis.AsString(r[2]), r[3])
}

func (g *graphMLWriter) node(id string, name any) {
	if !g.seen.add(id) {
		return
	}
	o := g.out
	o.raw("\n  <node id=\"")
	o.text(id)
	o.raw(`">`)
	if s := analysis.AsString(name); s != "" {
		o.raw("\n   <data key=\"name\">")
		o.text(s)
		o.raw("</data>\n  ")
	}
	o.raw("</node>")
}

// end writes the end of the file, after the edges when some.
func (g *graphMLWriter) end(some bool) error {
	if some {
		g.out.raw("\n ")
	}
	g.out.raw("</graph>\n</graphml>\n")
	g.out.flush()
	return g.out.err
}

// xmlOut writes XML text in blocks. A scan's graph has millions of edges:
// text that needs no escaping (addresses, numbers) is copied as it is.
type xmlOut struct {
	w   io.Writer
	buf []byte
	esc bytes.Buffer
	err error
}

func (o *xmlOut) flush() {
	if o.err == nil {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
}

func (o *xmlOut) raw(s string) {
	o.buf = append(o.buf, s...)
	if len(o.buf) >= 60<<10 {
		o.flush()
	}
}

func (o *xmlOut) text(s string) {
	if plainXML(s) {
		o.raw(s)
		return
	}
	o.esc.Reset()
	if err := xml.EscapeText(&o.esc, []byte(s)); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	o.raw(o.esc.String())
}

var edgeKeys = [...]string{"\n   <data key=\"packets\">", "\n   <data key=\"bytes\">", "\n   <data key=\"payload_bytes\">"}

// edge writes the edge of a row of the edges table.
func (o *xmlOut) edge(r []any) {
	o.raw("\n  <edge source=\"")
	o.text(analysis.AsString(r[0]))
	o.raw(`" target="`)
	o.text(analysis.AsString(r[2]))
	o.raw(`">`)
	for i, key := range edgeKeys {
		o.raw(key)
		if n, ok := r[4+i].(int64); ok {
			o.buf = strconv.AppendInt(o.buf, n, 10)
		} else {
			o.text(fmt.Sprint(r[4+i]))
		}
		o.raw("</data>")
	}
	o.raw("\n  </edge>")
}

// nodeSet is a set of node ids: IPv4 addresses in their usual spelling as
// 32-bit numbers in an open-addressing table of plain integers, which the
// collector need not scan and a lookup reaches in one load (a scan's graph
// has millions; 4 bytes a slot keep twice as many of them in the caches
// as 8), and other ids as they are.
type nodeSet struct {
	v4    []uint32 // addresses at their hash, probed linearly; 0 is a free slot
	n4    int      // addresses in v4
	zero  bool     // whether 0.0.0.0, which v4 cannot hold, is in the set
	other map[string]struct{}
}

// add adds id to the set and reports whether it was not there.
func (s *nodeSet) add(id string) bool {
	a, ok := ipv4.Parse(id)
	if !ok {
		if s.other == nil {
			s.other = map[string]struct{}{}
		}
		if _, ok := s.other[id]; ok {
			return false
		}
		s.other[id] = struct{}{}
		return true
	}
	if a == 0 {
		added := !s.zero
		s.zero = true
		return added
	}
	if 2*(s.n4+1) > len(s.v4) {
		s.grow()
	}
	if !s.put(uint32(a)) {
		return false
	}
	s.n4++
	return true
}

// put stores key (not 0) in the table unless it is there, and reports
// whether it was not.
func (s *nodeSet) put(key uint32) bool {
	mask := uint64(len(s.v4) - 1)
	for i := (uint64(key) * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.v4[i] {
		case key:
			return false
		case 0:
			s.v4[i] = key
			return true
		}
	}
}

// sizeFor makes the set's table, while empty, large enough for n IPv4
// ids: a scan's graph has a node for nearly every edge, whose table
// would otherwise double a dozen times, placing every id again each time.
func (s *nodeSet) sizeFor(n int) {
	if s.n4 == 0 && n > 0 {
		s.v4 = hugepages.Make[uint32](max(1024, 1<<bits.Len(uint(2*n-1))))
	}
}

// grow doubles the table (at least 1,024 slots) and places the keys anew.
func (s *nodeSet) grow() {
	old := s.v4
	s.v4 = hugepages.Make[uint32](max(1024, 2*len(old)))
	for _, k := range old {
		if k != 0 {
			s.put(k)
		}
	}
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
