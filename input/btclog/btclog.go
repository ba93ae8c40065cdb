package btclog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/schema"
)

// The layouts Reader reads; see the package documentation.
const (
	Tracepoint = "tracepoint"
	Peer       = "peer"
	ConnMap    = "conn_map"
	ConnType   = "conn_type"
	MsgType    = "msg_type"
	Direction  = "direction"
	Accounting = "accounting"
	Node       = "node"
)

// HeaderSize is the size of a P2P message header: magic, command, length
// and checksum.
const HeaderSize = 24

// Estimate returns the TCP/IP bytes of size bytes of P2P messages as the
// seed studies estimate them: MSS = 1500 - IP header (20; 40 for IPv6) - 32
// (TCP header with timestamps); segments = ceil(size / MSS); size +
// segments x headers + segments / 2 x headers, the last term for the pure
// ACKs. 0 bytes give 0.
func Estimate(size uint64, v6 bool) uint64 {
	ip := uint64(20)
	if v6 {
		ip = 40
	}
	h := ip + 32
	mss := 1500 - h
	seg := (size + mss - 1) / mss
	return size + seg*h + seg*h/2
}

// IsIPv6Addr reports whether a peer address is an IPv6 address as nodes
// write it: [2001:db8::1]:8333.
func IsIPv6Addr(addr string) bool { return strings.HasPrefix(addr, "[") }

// Row is one row read: Message for the layouts of peer_messages, Conn for
// the connection map (Table says which), and the Line it came from.
type Row struct {
	Message schema.PeerMessage
	Conn    schema.PeerConn
	Line    int64
}

// ErrUnknownLayout is wrapped by the error NewReader returns for a header
// line of no known layout.
var ErrUnknownLayout = errors.New("not a Bitcoin node message log layout")

// maxLine bounds a line: a longer one is an error, not a reason to grow
// without end.
const maxLine = 1 << 20

// maxPending bounds the rows an aggregate keeps while it looks for the
// second time of its file, which gives its period.
const maxPending = 1 << 16

// A layout is a recognised header: the layout's name and where its
// columns are.
type layout struct {
	name string
	cols map[string]int
	// order is the layout's columns as the layouts table lists them.
	order []string
	// nodes of the node layout: column index -> node name, direction.
	nodes []nodeCol
}

type nodeCol struct {
	col       int
	node, dir string
}

// header columns of each layout, without the optional unnamed index
// column.
var layouts = []struct {
	name string
	cols []string
}{
	{Tracepoint, []string{"peer_id", "peer_addr", "peer_conn_type", "flow", "msg_type", "size"}},
	{Peer, []string{"timestamp", "msg_type", "peer_id", "peer_addr", "flow", "payload_size", "message_size", "tcpip_size"}},
	{ConnMap, []string{"peer_id", "peer_addr", "connection_time", "peer_conn_type"}},
	{ConnType, []string{"timestamp", "peer_conn_type", "msg_type", "net_size"}},
	{MsgType, []string{"timestamp", "msg_type", "payload_size", "message_size", "tcpip_size"}},
	{Direction, []string{"timestamp", "msg_type", "in", "out"}},
	{Accounting, []string{"timestamp", "in", "out"}},
	{Accounting, []string{"timestamp", "IPIngressBytes", "IPEgressBytes"}},
}

// Sniff returns the layout of a file from its first bytes (decompressed),
// and the table its rows go to; ok is false when the first line is no
// known header.
func Sniff(head []byte) (name, table string, ok bool) {
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	l, err := parseHeader(splitLine(bytes.TrimSuffix(line, []byte{'\r'}), nil))
	if err != nil {
		return "", "", false
	}
	return l.name, tableOf(l.name), true
}

func tableOf(layout string) string {
	if layout == ConnMap {
		return schema.PeerConns.Name
	}
	return schema.PeerMessages.Name
}

// parseHeader recognises a header line.
func parseHeader(fields [][]byte) (*layout, error) {
	if len(fields) > 0 {
		fields[0] = bytes.TrimPrefix(fields[0], []byte("\ufeff"))
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(bytes.TrimSpace(f))
	}
	// peer-observer: "Time", then "NAME inbound" / "NAME outbound".
	if len(names) >= 2 && names[0] == "Time" {
		l := &layout{name: Node, cols: map[string]int{"Time": 0}}
		for i, n := range names[1:] {
			node, dir, ok := strings.Cut(n, " ")
			switch {
			case ok && dir == "inbound":
				dir = "in"
			case ok && dir == "outbound":
				dir = "out"
			default:
				return nil, fmt.Errorf("%w: column %q is not \"NODE inbound\" or \"NODE outbound\"", ErrUnknownLayout, n)
			}
			l.nodes = append(l.nodes, nodeCol{col: i + 1, node: node, dir: dir})
		}
		return l, nil
	}
	for _, cand := range layouts {
		// The file's own columns, after an unnamed (pandas index) first
		// column; the tracepoint log's time is its first column, named or not.
		off := 0
		if len(names) == len(cand.cols)+1 {
			off = 1
		}
		if len(names)-off != len(cand.cols) {
			continue
		}
		if off == 1 && names[0] != "" && !(cand.name == Tracepoint && isTimeName(names[0])) {
			continue
		}
		if off == 0 && cand.name == Tracepoint {
			continue
		}
		cols := map[string]int{}
		match := true
		for i, c := range cand.cols {
			if names[i+off] != c {
				match = false
				break
			}
			cols[c] = i + off
		}
		if !match {
			continue
		}
		if cand.name == Tracepoint {
			cols["timestamp"] = 0
		}
		return &layout{name: cand.name, cols: cols, order: cand.cols}, nil
	}
	return nil, fmt.Errorf("%w: header %q", ErrUnknownLayout, strings.Join(names, ","))
}

func isTimeName(s string) bool {
	switch strings.ToLower(s) {
	case "", "timestamp", "time", "ts", "datetime", "date":
		return true
	}
	return false
}

// Reader reads the rows of one file.
type Reader struct {
	br      *bufio.Reader
	name    string
	base    string
	l       *layout
	line    int64
	long    []byte
	fields  [][]byte
	pending []Row
	next    int
	err     error // the error that ended the file, returned again
	// aggregates: the period, once known, and the first time of the file.
	period     uint32
	periodSet  bool
	firstTs    int64
	haveFirst  bool
	strs       map[string]string
	u64s       []uint64
	i64s       []int64
	dirIn      string
	dirOut     string
	layoutName string
	resets     int64
	tp         [len(tracepointCols)]int // column of each of tracepointCols
}

// Resets returns the lines of IP accounting skipped because a counter went
// back (negative bytes: the accounting restarted with the node's service).
func (r *Reader) Resets() int64 { return r.resets }

// NewReader reads the header line of r and returns a reader of its rows.
// name names the file in errors; its base name is the fallback for the
// period of an aggregate with one time only.
func NewReader(r io.Reader, name string) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), name: name, base: strings.ToLower(filepath.Base(name)), strs: map[string]string{}}
	line, err := rd.readLine()
	if err != nil {
		if err == io.EOF {
			return nil, &record.RowError{File: name, Line: 1, Reason: "no header line", Fatal: true}
		}
		return nil, err
	}
	l, err := parseHeader(splitLine(line, nil))
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", name, err)
	}
	rd.l = l
	rd.layoutName = l.name
	rd.dirIn, rd.dirOut = rd.intern([]byte("in")), rd.intern([]byte("out"))
	switch l.name {
	case Tracepoint, ConnMap:
		rd.periodSet = true // single messages; connections have none
	}
	if l.name == Tracepoint {
		for i, c := range tracepointCols {
			rd.tp[i] = l.cols[c]
		}
	}
	return rd, nil
}

// Layout returns the layout of the file.
func (r *Reader) Layout() string { return r.l.name }

// Table returns the name of the table the rows go to.
func (r *Reader) Table() string { return tableOf(r.l.name) }

// Close releases nothing: the caller closes what it passed to NewReader.
func (r *Reader) Close() error { return nil }

// Next reads the next row into row. It returns io.EOF at the end of the
// file and a *record.RowError (input.RowError) for a line that cannot be
// read: the next call reads on, unless it is Fatal (a line too long, a
// fault of the underlying reader, such as a cut compressed stream).
func (r *Reader) Next(row *Row) error {
	for {
		if r.next < len(r.pending) && r.periodSet {
			*row = r.pending[r.next]
			r.next++
			if r.next == len(r.pending) {
				r.pending, r.next = r.pending[:0], 0
			}
			return nil
		}
		if r.err != nil {
			if !r.periodSet { // rows before the end or the fault first
				r.setPeriod(r.fallbackPeriod())
				continue
			}
			return r.err
		}
		if !r.periodSet && len(r.pending) >= maxPending {
			r.setPeriod(r.fallbackPeriod())
			continue
		}
		line, err := r.readLine()
		if err != nil {
			r.err = err
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := r.parse(line); err != nil {
			var e *record.RowError
			if errors.As(err, &e) && e.Fatal {
				r.err = err
			}
			if r.periodSet || len(r.pending) == 0 {
				return err
			}
			// An error while rows wait for the period: hand them out first
			// by deciding the period now.
			r.setPeriod(r.fallbackPeriod())
			return err
		}
	}
}

// readLine returns the next line without its end of line; io.EOF at the end.
func (r *Reader) readLine() ([]byte, error) {
	r.line++
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLine {
				return nil, &record.RowError{File: r.name, Line: r.line, Reason: fmt.Sprintf("line longer than %d bytes", maxLine), Fatal: true}
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		err = nil
	}
	if err != nil {
		return nil, &record.RowError{File: r.name, Line: r.line, Reason: err.Error(), Fatal: true, Err: err}
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// splitLine splits a CSV line at commas into fields (reusing dst); a field
// in double quotes may hold commas, and "" stands for a quote (the
// quotes are dropped only when the field has none inside).
func splitLine(line []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	for {
		if len(line) > 0 && line[0] == '"' {
			end := 1
			for end < len(line) {
				if line[end] == '"' {
					if end+1 < len(line) && line[end+1] == '"' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			dst = append(dst, line[1:min(end, len(line))])
			line = line[min(end+1, len(line)):]
			if i := bytes.IndexByte(line, ','); i >= 0 {
				line = line[i+1:]
				continue
			}
			return dst
		}
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

// intern returns a string equal to b, one per distinct value, so that
// rows share their text.
func (r *Reader) intern(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	if len(r.strs) >= 1<<20 { // a file of ever new strings: stop remembering
		clear(r.strs)
	}
	s := string(b)
	r.strs[s] = s
	return s
}

// u64 and i64 return pointers to v, from slabs, so that rows cost no
// allocation each.
func (r *Reader) u64(v uint64) *uint64 {
	if len(r.u64s) == cap(r.u64s) {
		r.u64s = make([]uint64, 0, 4096)
	}
	r.u64s = append(r.u64s, v)
	return &r.u64s[len(r.u64s)-1]
}

func (r *Reader) i64(v int64) *int64 {
	if len(r.i64s) == cap(r.i64s) {
		r.i64s = make([]int64, 0, 4096)
	}
	r.i64s = append(r.i64s, v)
	return &r.i64s[len(r.i64s)-1]
}

func (r *Reader) bad(col, format string, args ...any) error {
	return &record.RowError{File: r.name, Line: r.line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (r *Reader) field(col string) []byte {
	i, ok := r.l.cols[col]
	if !ok || i >= len(r.fields) {
		return nil
	}
	return bytes.TrimSpace(r.fields[i])
}

func (r *Reader) timeOf(col string) (int64, error) {
	b := r.field(col)
	ts, ok := ParseTime(b)
	if !ok {
		return 0, r.bad(col, "%q is not a time", b)
	}
	return ts, nil
}

// size parses a byte count: an integer, or a float with no fraction
// (pandas writes sums as 1234.0); rates may have fractions, rounded.
func (r *Reader) size(col string, round bool) (uint64, error) {
	b := r.field(col)
	if v, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f >= 1<<63 || (!round && f != math.Trunc(f)) {
		return 0, r.bad(col, "%q is not a byte count", b)
	}
	return uint64(math.Round(f)), nil
}

// digits reads a byte count of plain decimal digits, at most 18 of them.
func digits(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

func (r *Reader) direction(col string) (string, error) {
	switch b := r.field(col); string(b) {
	case "in", "inbound":
		return r.dirIn, nil
	case "out", "outbound":
		return r.dirOut, nil
	default:
		return "", r.bad(col, "%q is neither in nor out", b)
	}
}

func (r *Reader) text(col string) (string, error) {
	b := r.field(col)
	if len(b) == 0 {
		return "", r.bad(col, "empty")
	}
	return r.intern(b), nil
}

// add queues a row of peer_messages.
func (r *Reader) add(m schema.PeerMessage) {
	m.Layout = r.layoutName
	r.pending = append(r.pending, Row{Message: m, Line: r.line})
	if r.periodSet {
		r.finish(&r.pending[len(r.pending)-1].Message)
		return
	}
	switch {
	case !r.haveFirst:
		r.firstTs, r.haveFirst = m.Ts, true
	case m.Ts != r.firstTs:
		d := m.Ts - r.firstTs
		if d < 0 {
			d = -d
		}
		r.setPeriod(uint32(min(d/1e9, math.MaxUint32)))
	}
}

// setPeriod decides the period of an aggregate's rows.
func (r *Reader) setPeriod(p uint32) {
	r.period, r.periodSet = p, true
	for i := range r.pending {
		r.finish(&r.pending[i].Message)
	}
}

// finish gives a row of an aggregate its period; peer-observer's rates
// (milli-bytes per second until then) become the bytes of the period.
func (r *Reader) finish(m *schema.PeerMessage) {
	m.Period = r.period
	if r.l.name == Node && m.PayloadSize != nil {
		*m.PayloadSize = uint64(math.Round(float64(*m.PayloadSize) * float64(r.period) / 1000))
	}
}

// fallbackPeriod is the period of an aggregate with one time only.
func (r *Reader) fallbackPeriod() uint32 {
	switch {
	case strings.Contains(r.base, "hour"):
		return 3600
	case strings.Contains(r.base, "daily"), strings.Contains(r.base, "day"):
		return 86400
	case r.haveFirst && r.firstTs%(86400*1e9) == 0:
		return 86400
	default:
		return 3600
	}
}

// parse reads one data line into pending rows.
func (r *Reader) parse(line []byte) error {
	r.fields = splitLine(line, r.fields)
	want := len(r.l.cols)
	if r.l.name == Node {
		want = len(r.l.nodes) + 1
	}
	if r.l.name == Tracepoint {
		want = len(r.l.cols) // timestamp counted in cols
	}
	if len(r.fields) < want {
		return r.bad("", "%d fields, the header has %d", len(r.fields), want)
	}
	switch r.l.name {
	case Tracepoint:
		return r.parseTracepoint()
	case Peer, ConnType, MsgType:
		return r.parseColumns()
	case ConnMap:
		return r.parseConnMap()
	case Direction, Accounting:
		ts, err := r.timeOf("timestamp")
		if err != nil {
			return err
		}
		var mt string
		if r.l.name == Direction {
			if mt, err = r.text("msg_type"); err != nil {
				return err
			}
		}
		inCol, outCol := "in", "out"
		if _, ok := r.l.cols["IPIngressBytes"]; ok {
			inCol, outCol = "IPIngressBytes", "IPEgressBytes"
		}
		if r.l.name == Accounting && (bytes.HasPrefix(r.field(inCol), []byte("-")) || bytes.HasPrefix(r.field(outCol), []byte("-"))) {
			// A counter that went back: the accounting restarted (the
			// node's service did), and the line holds no traffic.
			r.resets++
			return nil
		}
		in, err := r.size(inCol, false)
		if err != nil {
			return err
		}
		out, err := r.size(outCol, false)
		if err != nil {
			return err
		}
		measured := r.l.name == Accounting
		r.add(schema.PeerMessage{Ts: ts, MsgType: mt, Direction: r.dirIn, TCPIPSize: r.u64(in), TCPIPMeasured: measured})
		r.add(schema.PeerMessage{Ts: ts, MsgType: mt, Direction: r.dirOut, TCPIPSize: r.u64(out), TCPIPMeasured: measured})
	case Node:
		return r.parseNode()
	}
	return nil
}

// tracepointCols are the columns of the tracepoint layout in the order
// parseTracepoint reads them; Reader.tp holds their indices.
var tracepointCols = [...]string{"timestamp", "peer_id", "peer_addr", "peer_conn_type", "flow", "msg_type", "size"}

// parseTracepoint reads a line of the tracepoint layout, the one of every
// message: its columns by index (Reader.tp), and the byte count by a
// fast path for plain digits.
func (r *Reader) parseTracepoint() error {
	f := func(i int) []byte { return bytes.TrimSpace(r.fields[r.tp[i]]) }
	ts, ok := ParseTime(f(0))
	if !ok {
		return r.bad("timestamp", "%q is not a time", f(0))
	}
	id, err := strconv.ParseInt(string(f(1)), 10, 64)
	if err != nil {
		return r.bad("peer_id", "%q is not an integer", f(1))
	}
	var text [3]string
	for i, c := range [...]int{2, 3, 5} {
		b := f(c)
		if len(b) == 0 {
			return r.bad(tracepointCols[c], "empty")
		}
		text[i] = r.intern(b)
	}
	addr, ct, mt := text[0], text[1], text[2]
	dir, err := r.direction("flow")
	if err != nil {
		return err
	}
	p, ok := digits(f(6))
	if !ok {
		if p, err = r.size("size", false); err != nil {
			return err
		}
	}
	m := p + HeaderSize
	r.add(schema.PeerMessage{
		Ts: ts, PeerID: r.i64(id), PeerAddr: addr, ConnType: ct, Direction: dir, MsgType: mt,
		Messages: r.u64(1), PayloadSize: r.u64(p), MessageSize: r.u64(m), TCPIPSize: r.u64(Estimate(m, IsIPv6Addr(addr))),
	})
	return nil
}

// parseColumns reads a line of a layout each of whose columns sets one
// field of a row of peer_messages (peer, conn_type, msg_type), in the
// order of the layouts table, so that the first bad column is the one
// named. A row with both payload and message bytes counts its messages:
// the difference is 24 bytes of header each.
func (r *Reader) parseColumns() error {
	var (
		row          schema.PeerMessage
		p, m, t      uint64
		haveP, haveM bool
		err          error
	)
	for _, c := range r.l.order {
		switch c {
		case "timestamp":
			row.Ts, err = r.timeOf(c)
		case "msg_type":
			row.MsgType, err = r.text(c)
		case "peer_conn_type":
			row.ConnType, err = r.text(c)
		case "peer_addr":
			row.PeerAddr, err = r.text(c)
		case "flow":
			row.Direction, err = r.direction(c)
		case "peer_id":
			id, perr := strconv.ParseInt(string(r.field(c)), 10, 64)
			if perr != nil {
				return r.bad(c, "%q is not an integer", r.field(c))
			}
			row.PeerID = r.i64(id)
		case "payload_size":
			p, err = r.size(c, false)
			haveP = err == nil
		case "message_size":
			m, err = r.size(c, false)
			haveM = err == nil
		case "tcpip_size", "net_size":
			t, err = r.size(c, false)
			if err == nil {
				row.TCPIPSize = r.u64(t)
			}
		}
		if err != nil {
			return err
		}
	}
	if haveP {
		row.PayloadSize = r.u64(p)
	}
	if haveM {
		row.MessageSize = r.u64(m)
	}
	if haveP && haveM && m >= p && (m-p)%HeaderSize == 0 {
		row.Messages = r.u64((m - p) / HeaderSize)
	}
	r.add(row)
	return nil
}

func (r *Reader) parseConnMap() error {
	id, err := strconv.ParseInt(string(r.field("peer_id")), 10, 64)
	if err != nil {
		return r.bad("peer_id", "%q is not an integer", r.field("peer_id"))
	}
	addr, err := r.text("peer_addr")
	if err != nil {
		return err
	}
	ct, err := r.text("peer_conn_type")
	if err != nil {
		return err
	}
	c := schema.PeerConn{PeerID: id, PeerAddr: addr, ConnType: ct}
	if b := r.field("connection_time"); len(b) > 0 {
		d, ok := ParseDuration(b)
		if !ok {
			return r.bad("connection_time", "%q is not a duration (D days HH:MM:SS)", b)
		}
		c.Duration = r.i64(d)
	}
	r.pending = append(r.pending, Row{Conn: c, Line: r.line})
	return nil
}

func (r *Reader) parseNode() error {
	ts, ok := ParseTime(bytes.TrimSpace(r.fields[0]))
	if !ok {
		return r.bad("Time", "%q is not a time", r.fields[0])
	}
	for _, nc := range r.l.nodes {
		b := bytes.TrimSpace(r.fields[nc.col])
		if len(b) == 0 || string(b) == "undefined" || string(b) == "null" || string(b) == "NaN" {
			continue
		}
		rate, err := strconv.ParseFloat(string(b), 64)
		if err != nil || rate < 0 || math.IsInf(rate, 0) || math.IsNaN(rate) || rate > 1<<40 {
			return r.bad(nc.node+" "+map[string]string{"in": "inbound", "out": "outbound"}[nc.dir], "%q is not a rate", b)
		}
		dir := r.dirIn
		if nc.dir == "out" {
			dir = r.dirOut
		}
		// The rate becomes bytes once the step is known: kept in
		// PayloadSize as milli-bytes per second until then.
		r.add(schema.PeerMessage{Ts: ts, Node: r.intern([]byte(nc.node)), Direction: dir, PayloadSize: r.u64(uint64(math.Round(rate * 1000)))})
	}
	return nil
}
