package nfdump

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// column is a column of nfdump's CSV that netlens reads.
type column uint8

const (
	cIgnored column = iota
	cStart
	cEnd
	cDuration
	cSrc
	cDst
	cSport
	cDport
	cProto
	cFlags
	cPkts
	cBytes
	cOutPkts
	cOutBytes
	cICMPType
	cICMPCode
	numColumns
)

// columns names the columns, in the short names of 1.6 and the long ones
// of 1.7.5 on.
var columns = map[string]column{
	"ts": cStart, "firstSeen": cStart,
	"te": cEnd, "lastSeen": cEnd,
	"td": cDuration, "duration": cDuration,
	"sa": cSrc, "srcAddr": cSrc,
	"da": cDst, "dstAddr": cDst,
	"sp": cSport, "srcPort": cSport,
	"dp": cDport, "dstPort": cDport,
	"pr": cProto, "proto": cProto,
	"flg": cFlags, "flags": cFlags,
	"ipkt": cPkts, "packets": cPkts, "inPackets": cPkts,
	"ibyt": cBytes, "bytes": cBytes, "inBytes": cBytes,
	"opkt": cOutPkts, "outPackets": cOutPkts,
	"obyt": cOutBytes, "outBytes": cOutBytes,
	"icmpTYpe": cICMPType, "icmpType": cICMPType, "icmpCode": cICMPCode,
}

// IsCSV reports whether head, the first bytes of a file, starts with the
// header line of nfdump's CSV: one naming the start, source and
// destination address columns in either generation's names.
func IsCSV(head []byte) bool {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	line = bytes.TrimRight(line, "\r")
	have := map[column]bool{}
	for _, name := range bytes.Split(line, []byte{','}) {
		have[columns[string(name)]] = true
	}
	old := bytes.HasPrefix(line, []byte("ts,te,td,sa,da,"))
	return old || have[cStart] && have[cSrc] && have[cDst] && have[cPkts] && bytes.Contains(line, []byte("srcAddr"))
}

// reader reads nfdump's CSV.
type reader struct {
	lines  *textrec.Lines
	closer io.Closer
	name   string
	cols   []column
	names  []string
	has    [numColumns]bool
	fields [][]byte
	buf    []byte
	addrs  textrec.Addrs
	err    error
	// totals of the records returned, and whether a row was bad, for the
	// check against the Summary.
	flows, pkts, bytes uint64
	sawBad             bool
}

// NewReader returns a reader of the nfdump CSV that r holds, naming it
// name in errors, after reading its header line. Closing it closes r when
// r is an io.Closer.
func NewReader(r io.Reader, name string) (record.Reader, error) {
	rd := &reader{lines: textrec.NewLines(r), name: name}
	rd.closer, _ = r.(io.Closer)
	line, err := rd.lines.Next()
	if err != nil {
		return nil, &record.RowError{File: name, Line: 1, Reason: "no header line: " + err.Error(), Fatal: true, Err: err}
	}
	for _, n := range bytes.Split(line, []byte{','}) {
		c := columns[string(textrec.Trim(n))]
		if c != cIgnored && rd.has[c] {
			c = cIgnored // the first of two columns of one meaning
		}
		rd.cols = append(rd.cols, c)
		rd.names = append(rd.names, string(n))
		rd.has[c] = true
	}
	for _, need := range []struct {
		c    column
		what string
	}{{cStart, "ts or firstSeen"}, {cSrc, "sa or srcAddr"}, {cDst, "da or dstAddr"}, {cProto, "pr or proto"}} {
		if !rd.has[need.c] {
			return nil, &record.RowError{File: name, Line: 1, Column: need.what, Reason: "not in the header: not nfdump's CSV", Fatal: true}
		}
	}
	return rd, nil
}

// Close releases the file.
func (rd *reader) Close() error {
	if rd.closer != nil {
		return rd.closer.Close()
	}
	return nil
}

// Next reads the next record into rec (see record.Reader).
func (rd *reader) Next(rec *record.Flow) error {
	if rd.err != nil {
		return rd.err
	}
	err := rd.next(rec)
	if record.Ends(err) {
		rd.err = err
	}
	if err != nil && err != io.EOF {
		rd.sawBad = true
	}
	return err
}

func (rd *reader) next(rec *record.Flow) error {
	for {
		line, err := rd.lines.Next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return &record.RowError{File: rd.name, Line: rd.lines.Line() + 1, Reason: err.Error(), Fatal: true, Err: err}
		}
		if len(textrec.Trim(line)) == 0 {
			continue
		}
		if bytes.Equal(line, []byte("Summary")) {
			return rd.summary()
		}
		return rd.row(line, rec)
	}
}

// summary reads the Summary lines that end nfdump's CSV before 1.7.5 and
// checks them against the records read.
func (rd *reader) summary() error {
	at := rd.lines.Line()
	head, err := rd.lines.Next()
	if err != nil {
		return rd.summaryErr(at, "cut after the Summary line", err)
	}
	vals, err := rd.lines.Next()
	if err != nil {
		return rd.summaryErr(at, "cut after the Summary line", err)
	}
	got := map[string]uint64{}
	names, values := bytes.Split(head, []byte{','}), bytes.Split(vals, []byte{','})
	if len(names) != len(values) {
		return rd.summaryErr(at, "the Summary has as many names as values", nil)
	}
	for i, n := range names {
		v, ok := textrec.Uint(values[i])
		if !ok {
			return rd.summaryErr(at, fmt.Sprintf("summary %s %q is not a count", n, values[i]), nil)
		}
		got[string(n)] = v
	}
	if !rd.sawBad && (got["flows"] != rd.flows || got["packets"] != rd.pkts || got["bytes"] != rd.bytes) {
		return rd.summaryErr(at, fmt.Sprintf("the Summary says %d flows, %d packets, %d bytes; the records hold %d, %d, %d",
			got["flows"], got["packets"], got["bytes"], rd.flows, rd.pkts, rd.bytes), nil)
	}
	return io.EOF
}

func (rd *reader) summaryErr(line int64, reason string, err error) error {
	return &record.RowError{File: rd.name, Line: line, Column: "Summary", Reason: reason, Fatal: true, Err: err}
}

// row reads one record.
func (rd *reader) row(line []byte, rec *record.Flow) error {
	*rec = record.Flow{Line: rd.lines.Line(), Has: record.HasPackets | record.OneWay}
	var ok bool
	rd.fields, rd.buf, ok = textrec.SplitCSV(line, ',', rd.fields[:0], rd.buf)
	if !ok {
		return rd.rowErr(rec, "", "a quote that does not close")
	}
	if len(rd.fields) != len(rd.cols) {
		return rd.rowErr(rec, "", fmt.Sprintf("%d fields, the header names %d", len(rd.fields), len(rd.cols)))
	}
	var (
		start, end, dur          int64
		hasEnd, hasDur           bool
		proto                    []byte
		dport                    []byte
		icmpType, icmpCode       uint64
		outPkts, outBytes        uint64
		hasICMPType, hasICMPCode bool
	)
	for i, c := range rd.cols {
		if c == cIgnored {
			continue
		}
		v := textrec.Trim(rd.fields[i])
		var good bool
		switch c {
		case cStart:
			start, good = textrec.Time(v)
		case cEnd:
			end, good = textrec.Time(v)
			hasEnd = true
		case cDuration:
			dur, good = textrec.Seconds(v)
			good = good && dur >= 0
			hasDur = true
		case cSrc:
			rec.A, rec.AAddr, good = rd.addrs.Parse(v)
		case cDst:
			rec.B, rec.BAddr, good = rd.addrs.Parse(v)
		case cSport:
			rec.APort, good = textrec.Uint16(v)
		case cDport:
			dport, good = v, true
		case cProto:
			proto, good = v, len(v) > 0
		case cFlags:
			rec.TCPFlagsA, good = flags(v)
		case cPkts:
			rec.PktsAToB, good = textrec.Count(v)
		case cBytes:
			rec.BytesAToB, good = textrec.Count(v)
		case cOutPkts:
			outPkts, good = textrec.Count(v)
		case cOutBytes:
			outBytes, good = textrec.Count(v)
		case cICMPType:
			icmpType, good = textrec.Uint(v)
			good, hasICMPType = good && icmpType < 256, true
		case cICMPCode:
			icmpCode, good = textrec.Uint(v)
			good, hasICMPCode = good && icmpCode < 256, true
		}
		if !good {
			return rd.rowErr(rec, rd.names[i], fmt.Sprintf("%q is not %s", clip(v), what(c)))
		}
	}
	p, ok := protoNumber(proto)
	if !ok {
		return rd.rowErr(rec, "proto", fmt.Sprintf("%q is not an IP protocol", clip(proto)))
	}
	rec.Proto = p
	if rec.AAddr.Is4() != rec.BAddr.Is4() {
		return rd.rowErr(rec, "dstAddr", fmt.Sprintf("%s and %s are not of the same IP version", rec.A, rec.B))
	}
	rec.IPVersion = 4
	if rec.AAddr.Is6() {
		rec.IPVersion = 6
	}
	if p == 1 || p == 58 {
		typ, code, ok := icmpPorts(dport)
		if !ok {
			return rd.rowErr(rec, "dstPort", fmt.Sprintf("%q is not an ICMP type and code", clip(dport)))
		}
		if hasICMPType {
			typ = uint16(icmpType)
		}
		if hasICMPCode {
			code = uint16(icmpCode)
		}
		rec.APort, rec.BPort = typ, code
		rec.Has |= record.ICMPTypeCode
	} else if len(dport) > 0 {
		if rec.BPort, ok = textrec.Uint16(dport); !ok {
			return rd.rowErr(rec, "dstPort", fmt.Sprintf("%q is not a port (0-65535)", clip(dport)))
		}
	}
	switch {
	case hasEnd && hasDur:
		// Whole seconds (nfdump before 1.7.5): the latest start the
		// duration allows.
		start = max(start, end-dur)
		end = start + dur
	case hasDur:
		end = start + dur
	case hasEnd:
		if end < start {
			return rd.rowErr(rec, "te", "ends before it starts")
		}
		dur = end - start
	default:
		end = start
	}
	rec.Start, rec.End, rec.Duration = start, end, float64(dur)/1e9
	if rd.has[cFlags] && p == 6 {
		rec.Has |= record.HasTCPFlags
	}
	if outPkts > 0 || outBytes > 0 {
		rec.PktsBToA, rec.BytesBToA = outPkts, outBytes
		rec.Has &^= record.OneWay
		rec.TCPFlagsB = 0
	}
	rd.flows++
	rd.pkts += rec.PktsAToB + rec.PktsBToA
	rd.bytes += rec.BytesAToB + rec.BytesBToA
	return nil
}

func (rd *reader) rowErr(rec *record.Flow, col, reason string) error {
	return &record.RowError{File: rd.name, Line: rec.Line, Column: col, Reason: reason}
}

// what says what a column should hold, for errors.
func what(c column) string {
	switch c {
	case cStart, cEnd:
		return "a time (2006-01-02 15:04:05.000, or epoch seconds or milliseconds)"
	case cDuration:
		return "a duration in seconds"
	case cSrc, cDst:
		return "an IP address"
	case cSport:
		return "a port (0-65535)"
	case cFlags:
		return "TCP flags (........ to CEUAPRSF)"
	case cICMPType, cICMPCode:
		return "an ICMP type or code (0-255)"
	}
	return "a count"
}

// flags reads nfdump's TCP flags: eight characters, CEUAPRSF, each one or
// a dot; or a number.
func flags(v []byte) (uint16, bool) {
	if n, ok := textrec.Uint16(v); ok {
		return n, true
	}
	if len(v) != 8 {
		return 0, false
	}
	var f uint16
	for i, c := range v {
		if c == '.' {
			continue
		}
		if c != "CEUAPRSF"[i] {
			return 0, false
		}
		f |= 0x80 >> i
	}
	return f, true
}

// icmpPorts reads the ICMP type and code nfdump prints in dstPort: "3.1"
// (1.7.5 on) or 769 (type*256 + code, before).
func icmpPorts(v []byte) (typ, code uint16, ok bool) {
	if len(v) == 0 {
		return 0, 0, true
	}
	if t, c, dot := bytes.Cut(v, []byte{'.'}); dot {
		tt, ok1 := textrec.Uint(t)
		cc, ok2 := textrec.Uint(c)
		return uint16(tt), uint16(cc), ok1 && ok2 && tt < 256 && cc < 256
	}
	n, ok := textrec.Uint16(v)
	return n >> 8, n & 0xff, ok
}

// protoNumber reads a protocol as nfdump prints it: a number, or a name
// of its table (TCP, UDP, ICMP, ICMP6, ...).
func protoNumber(v []byte) (uint8, bool) {
	if n, ok := textrec.Uint(v); ok {
		return uint8(n), n < 256
	}
	if n, ok := protoNames[string(v)]; ok {
		return n, true
	}
	n, ok := protoNames[strings.ToUpper(string(v))]
	return n, ok
}

// protoNames are the protocol names nfdump prints (its protoList), upper
// case.
var protoNames = func() map[string]uint8 {
	names := []string{"0", "ICMP", "IGMP", "GGP", "IPIP", "ST", "TCP", "CBT", "EGP", "IGP", "BBN", "NVPII", "PUP", "ARGUS",
		"ENCOM", "XNET", "CHAOS", "UDP", "MUX", "DCN", "HMP", "PRM", "XNS", "TRNK1", "TRNK2", "LEAF1", "LEAF2", "RDP", "IRTP",
		"ISO-4", "NETBK", "MFESP", "MEINP", "DCCP", "3PC", "IDPR", "XTP", "DDP", "IDPR", "TP++", "IL", "IPV6", "SDRP", "RTE6",
		"FRAG6", "IDRP", "RSVP", "GRE", "MHRP", "BNA", "ESP", "AH", "INLSP", "SWIPE", "NARP", "MOBIL", "TLSP", "SKIP", "ICMP6",
		"NOHE6", "OPTS6", "HOST", "CFTP", "NET", "SATNT", "KLAN", "RVD", "IPPC", "FS", "SATM", "VISA", "IPCV", "CPNX", "CPHB",
		"WSN", "PVP", "BSATM", "SUNND", "WBMON", "WBEXP", "ISOIP", "VMTP", "SVMTP", "VINES", "TTP", "NSIGP", "DGP", "TCF",
		"EIGRP", "OSPF", "S-RPC", "LARP", "MTP", "AX.25", "OS", "MICP", "SCCSP", "ETHIP", "ENCAP", "99", "GMTP", "IFMP", "PNNI",
		"PIM", "ARIS", "SCPS", "QNX", "A/N", "IPCMP", "SNP", "CPQPP", "IPXIP", "VRRP", "PGM", "0HOP", "L2TP", "DDX", "IATP",
		"STP", "SRP", "UTI", "SMP", "SM", "PTP", "ISIS4", "FIRE", "CRTP", "CRUDP", "128", "IPLT", "SPS", "PIPE", "SCTP", "FC",
		"134", "MHEAD", "UDP-L", "MPLS"}
	m := make(map[string]uint8, 2*len(names))
	for i, n := range names {
		if _, dup := m[n]; !dup {
			m[n] = uint8(i)
		}
	}
	// As nfdump spells them, so that the common case takes one lookup.
	for n, i := range map[string]uint8{"Trnk1": 23, "Trnk2": 24, "Leaf1": 25, "Leaf2": 26, "IPv6": 41, "Rte6": 43, "Frag6": 44,
		"IPcmp": 108, "CpqPP": 110, "0hop": 114} {
		m[n] = i
	}
	return m
}()

// clip shortens a value quoted in an error.
func clip(v []byte) []byte {
	if len(v) > 64 {
		return append(v[:60:60], "..."...)
	}
	return v
}
