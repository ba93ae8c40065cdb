package darknet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
	"github.com/netlens/netlens/internal/ipv4"
	"github.com/netlens/netlens/schema"
)

// The layouts Sniff recognises.
const (
	Raw          = "raw"          // DarkVec's raw traces: one row per packet, every header field
	Preprocessed = "preprocessed" // DarkVec's notebook layout: ts, ip, port, proto
)

// The columns a row is read from.
const (
	cDatetime = iota // the unnamed first column of the raw layout
	cTs
	cEth
	cSrc
	cSport
	cDst
	cDport
	cProto
	cLen
	cFlags
	cSeq
	cTTL
	nCols
)

// colNames names the columns, as errors call them.
var colNames = [nCols]string{"datetime", "ts", "ethtype", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "pck_len", "tcp_flags", "tcp_seq", "ttl"}

// rawNames and prepNames map the header names of each layout to columns;
// the names of the other known columns, which no column of packets takes,
// map to -1.
var (
	rawNames = map[string]int{
		"ts": cTs, "ethtype": cEth, "src_ip": cSrc, "src_port": cSport, "dst_ip": cDst, "dst_port": cDport,
		"proto": cProto, "pck_len": cLen, "tcp_flags": cFlags, "tcp_seq": cSeq, "ttl": cTTL,
		"mirai": -1, "t_mss": -1, "t_win": -1, "t_ts": -1, "t_sack": -1, "t_sackp": -1,
	}
	prepNames = map[string]int{"ts": cTs, "ip": cSrc, "port": cDport, "proto": cProto, "pp": -1, "class": -1}
)

// header is what the header line says: the layout, the separator and the
// field of each column (-1 when absent).
type header struct {
	layout  string
	sep     byte
	nfields int
	at      [nCols]int
}

// parseHeader recognises the header line of a darknet log.
func parseHeader(line []byte) (header, bool) {
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	for _, sep := range []byte{',', '\t', ' '} {
		if bytes.IndexByte(line, sep) < 0 {
			continue
		}
		fields, _, ok := textrec.SplitCSV(line, sep, nil, nil)
		if !ok {
			continue
		}
		for _, layout := range []string{Raw, Preprocessed} {
			if h, ok := match(fields, sep, layout); ok {
				return h, true
			}
		}
	}
	return header{}, false
}

// match maps the header fields to the columns of layout; ok when every
// column the layout needs is there, once.
func match(fields [][]byte, sep byte, layout string) (header, bool) {
	names := rawNames
	if layout == Preprocessed {
		names = prepNames
	}
	h := header{layout: layout, sep: sep, nfields: len(fields)}
	for i := range h.at {
		h.at[i] = -1
	}
	for i, f := range fields {
		name := strings.ToLower(string(textrec.Trim(f)))
		c, known := names[name]
		switch {
		case !known && i == 0 && layout == Raw:
			h.at[cDatetime] = 0
		case !known || c < 0:
		case h.at[c] >= 0:
			return header{}, false // a column named twice
		default:
			h.at[c] = i
		}
	}
	need := []int{cTs, cSrc, cDst, cDport, cProto}
	if layout == Preprocessed {
		need = []int{cTs, cSrc, cDport, cProto}
	}
	for _, c := range need {
		if h.at[c] < 0 {
			return header{}, false
		}
	}
	// A packet's own fields set the raw layout apart from a CSV of flow
	// records that names its addresses the same way.
	if layout == Raw && h.at[cLen] < 0 && h.at[cTTL] < 0 && h.at[cFlags] < 0 && h.at[cEth] < 0 {
		return header{}, false
	}
	return h, true
}

// Sniff reports the layout of the darknet log whose first bytes are head,
// or false when head does not start one.
func Sniff(head []byte) (layout string, ok bool) {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	h, ok := parseHeader(bytes.TrimSuffix(line, []byte{'\r'}))
	return h.layout, ok
}

// IsLog reports whether head, the first bytes of a file, starts a darknet
// log in one of the layouts of the package.
func IsLog(head []byte) bool {
	_, ok := Sniff(head)
	return ok
}

// Reader reads the rows of a darknet log into rows of packets. It reads the
// log in chunks of whole lines and parses each chunk on a goroutine of its
// own, a few chunks ahead, so that parsing runs beside the caller; the
// addresses are numbered (see Addrs) in order by the caller's goroutine,
// in Next.
type Reader struct {
	br     *bufio.Reader
	closer io.Closer
	name   string
	h      header
	addrs  *Addrs
	srcID  int32 // ids in addrs of the last row's addresses; dstID -1 for none
	dstID  int32
	err    error // the error that ended the input

	base    int64    // lines before the current chunk, the header's included
	cur     *chunk   // the chunk rows are returned from, or nil
	next    int      // index in cur.rows of the next row
	ahead   []*chunk // chunks read and being parsed, in order
	free    []*chunk // chunks to reuse
	carry   []byte   // the start of a line the last chunk read ends with
	readEnd bool     // the input is read to its end or its fault
}

// NewReader reads the header of the darknet log that r holds, naming it
// name in errors, and returns a reader of its rows. A header of no known
// layout gives a fatal *record.RowError. Closing the reader closes r when r
// is an io.Closer.
func NewReader(r io.Reader, name string) (*Reader, error) {
	return NewReaderAddrs(r, name, NewAddrs())
}

// NewReaderAddrs is NewReader with the table of addresses of other
// readers, so that the ids of AddrIDs hold across files.
func NewReaderAddrs(r io.Reader, name string, addrs *Addrs) (*Reader, error) {
	d := &Reader{br: bufio.NewReaderSize(r, 64<<10), name: name, addrs: addrs, base: 1}
	d.closer, _ = r.(io.Closer)
	line, err := d.headerLine()
	if err == io.EOF {
		return nil, &record.RowError{File: name, Line: 1, Reason: "empty file: no header line", Fatal: true, Err: err}
	}
	if err != nil {
		return nil, &record.RowError{File: name, Line: 1, Reason: err.Error(), Fatal: true, Err: err}
	}
	h, ok := parseHeader(line)
	if !ok {
		return nil, &record.RowError{File: name, Line: 1, Reason: "not the header of a darknet log: the raw layout needs ts, src_ip, dst_ip, dst_port, proto and one of pck_len, ttl, tcp_flags, ethtype; the preprocessed one ts, ip, port and proto", Fatal: true}
	}
	d.h = h
	return d, nil
}

// headerLine reads the first line as textrec.Lines does: without its end,
// io.EOF for an empty input, textrec.ErrLineTooLong past textrec.MaxLine.
func (d *Reader) headerLine() ([]byte, error) {
	var line []byte
	for {
		part, err := d.br.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > textrec.MaxLine {
			return nil, textrec.ErrLineTooLong
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			d.readEnd = true
		case err != nil:
			return nil, err
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		return bytes.TrimSuffix(line, []byte{'\r'}), nil
	}
}

// AddrIDs returns the ids of the source and destination addresses of the
// last row that Next returned, in the reader's Addrs; dst is -1 when the
// row has none.
func (d *Reader) AddrIDs() (src, dst int32) { return d.srcID, d.dstID }

// Layout returns the layout of the log: Raw or Preprocessed.
func (d *Reader) Layout() string { return d.h.layout }

// Close releases the file. Chunks still being parsed finish on their own.
func (d *Reader) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}

// Next reads the next row into p, setting every column. It returns io.EOF
// at the end; a *record.RowError for a bad row, after which the next call
// reads the row after it, unless the error is Fatal (a line too long, a
// compressed file cut or corrupt: the error is returned again from then
// on). Rows returned before an error are valid.
func (d *Reader) Next(p *schema.Packet) error {
	for d.err == nil {
		if d.cur == nil || d.next == len(d.cur.rows) {
			d.nextChunk()
			continue
		}
		r := &d.cur.rows[d.next]
		d.next++
		if r.err != nil {
			r.err.Line += d.base
			if r.err.Fatal {
				d.err = r.err
			}
			return r.err
		}
		*p = r.p
		p.Frame = uint32(d.base + r.line - 1)
		var ver uint8
		d.srcID, p.Src, ver = d.addrs.getParsed(r.src, r.src4, r.srcIs4)
		d.dstID = -1
		if r.dst != nil {
			d.dstID, p.Dst, _ = d.addrs.getParsed(r.dst, r.dst4, r.dstIs4)
		}
		if d.h.layout == Preprocessed {
			p.IPVersion = 4
			if ver == 6 {
				p.IPVersion = 6
			}
		}
		return nil
	}
	return d.err
}

// parser parses the lines of one chunk; errors name lines from 1 at the
// chunk's first line.
type parser struct {
	h      *header
	name   string
	line   int64
	fields [][]byte
	buf    []byte
}

// row parses one data line into r.
func (d *parser) row(line []byte, r *parsed) *record.RowError {
	fields, ok := splitPlain(line, d.h.sep, d.fields[:0])
	if !ok {
		var buf []byte
		fields, buf, ok = textrec.SplitCSV(line, d.h.sep, d.fields[:0], d.buf)
		d.buf = buf
		if !ok {
			return d.bad("", "a quoted field does not close")
		}
	}
	d.fields = fields[:0]
	if len(fields) != d.h.nfields {
		return d.bad("", fmt.Sprintf("%d fields, the header names %d", len(fields), d.h.nfields))
	}
	at := &d.h.at
	p := &r.p
	*p = schema.Packet{LinkType: 1}

	ts, ok := textrec.Time(fields[at[cTs]])
	if !ok {
		if !unset(fields[at[cTs]]) || at[cDatetime] < 0 {
			return d.badValue(cTs, fields[at[cTs]], "is not a time")
		}
		if ts, ok = textrec.Time(fields[at[cDatetime]]); !ok {
			return d.badValue(cDatetime, fields[at[cDatetime]], "is not a time, and ts is unset")
		}
	}
	p.Ts = ts

	src := fields[at[cSrc]]
	if unset(src) {
		return d.badValue(cSrc, src, "is unset")
	}
	r.src = src
	r.src4, r.srcIs4 = ipv4.Parse(src)
	r.dst = nil
	if c := at[cDst]; c >= 0 && !unset(fields[c]) {
		r.dst = fields[c]
		r.dst4, r.dstIs4 = ipv4.Parse(r.dst)
	}

	var err *record.RowError
	if p.Proto, err = d.proto(fields[at[cProto]]); err != nil {
		return err
	}
	if p.Dport, err = d.uint16(cDport, fields); err != nil {
		return err
	}
	if d.h.layout == Preprocessed {
		return nil
	}
	if p.EthType, err = d.uint16(cEth, fields); err != nil {
		return err
	}
	switch p.EthType {
	case 0x0800:
		p.IPVersion = 4
	case 0x86dd:
		p.IPVersion = 6
	}
	if p.Sport, err = d.uint16(cSport, fields); err != nil {
		return err
	}
	v, err := d.uint(cLen, fields, math.MaxUint32)
	if err != nil {
		return err
	}
	p.WireLen = uint32(v)
	if v, err = d.uint(cFlags, fields, 0x1ff); err != nil {
		return err
	}
	p.TCPFlags = uint16(v)
	if v, err = d.uint(cSeq, fields, math.MaxUint32); err != nil {
		return err
	}
	p.TCPSeq = uint32(v)
	if v, err = d.uint(cTTL, fields, math.MaxUint8); err != nil {
		return err
	}
	p.TTL = uint8(v)
	return nil
}

// uint16 parses column c of fields, 0 when absent or unset.
func (d *parser) uint16(c int, fields [][]byte) (uint16, *record.RowError) {
	v, err := d.uint(c, fields, math.MaxUint16)
	return uint16(v), err
}

// uint parses column c of fields as a decimal integer up to max; 0 when
// the column is absent or unset.
func (d *parser) uint(c int, fields [][]byte, max uint64) (uint64, *record.RowError) {
	i := d.h.at[c]
	if i < 0 {
		return 0, nil
	}
	b := fields[i]
	if unset(b) {
		return 0, nil
	}
	v, ok := textrec.Uint(b)
	if !ok {
		// pandas writes an integer column with unset values as floats.
		if v, ok = textrec.Count(b); !ok {
			return 0, d.badValue(c, b, "is not a whole number")
		}
	}
	if v > max {
		return 0, d.badValue(c, b, fmt.Sprintf("is over %d", max))
	}
	return v, nil
}

// proto parses a protocol number or name.
func (d *parser) proto(b []byte) (uint8, *record.RowError) {
	if v, ok := textrec.Uint(b); ok {
		if v > math.MaxUint8 {
			return 0, d.badValue(cProto, b, "is over 255")
		}
		return uint8(v), nil
	}
	switch {
	case bytes.EqualFold(b, []byte("tcp")):
		return 6, nil
	case bytes.EqualFold(b, []byte("udp")):
		return 17, nil
	case bytes.EqualFold(b, []byte("icmp")):
		return 1, nil
	case bytes.EqualFold(b, []byte("gre")):
		return 47, nil
	case bytes.EqualFold(b, []byte("oth")):
		return 255, nil
	}
	return 0, d.badValue(cProto, b, "is not a protocol number or tcp, udp, icmp, gre, oth")
}

// bad returns the error of the current row.
func (d *parser) bad(col, reason string) *record.RowError {
	return &record.RowError{File: d.name, Line: d.line, Column: col, Reason: reason}
}

// badValue returns the error of value b of column c of the current row.
func (d *parser) badValue(c int, b []byte, reason string) *record.RowError {
	name := colNames[c]
	if d.h.layout == Preprocessed {
		switch c {
		case cSrc:
			name = "ip"
		case cDport:
			name = "port"
		}
	}
	if len(b) > 40 {
		b = append(b[:40:40], "..."...)
	}
	return d.bad(fmt.Sprintf("%d (%s)", d.h.at[c]+1, name), fmt.Sprintf("%q %s", b, reason))
}

// unset reports whether b is an unset value: "-" or nothing.
func unset(b []byte) bool { return len(b) == 0 || len(b) == 1 && b[0] == '-' }
