package flowcsv

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// target is a column of the flows table that a file's column can fill.
type target uint8

const (
	tNone target = iota
	tStart
	tEnd
	tDuration
	tProto
	tA
	tAPort
	tB
	tBPort
	tPktsAB
	tPktsBA
	tBytesAB
	tBytesBA
	tPayloadAB
	tPayloadBA
	tFlagsA
	tFlagsB
	tState
	tALocal
	tBLocal
	tService
	tName
	tUserA
	tUserB
	tKind
	numTargets
)

// targetNames are the flows columns of the targets.
var targetNames = [numTargets]string{"", "start", "end", "duration", "proto", "a", "a_port", "b", "b_port",
	"pkts_a_to_b", "pkts_b_to_a", "bytes_a_to_b", "bytes_b_to_a", "payload_a_to_b", "payload_b_to_a",
	"tcp_flags_a", "tcp_flags_b", "state", "a_local", "b_local", "service", "name", "user_a", "user_b", "kind"}

func targetOf(name string) target {
	for t, n := range targetNames {
		if n == name && t != 0 {
			return target(t)
		}
	}
	return tNone
}

// Targets returns the flows columns a mapping can fill, in table order.
func Targets() []string { return append([]string(nil), targetNames[1:]...) }

// ParseMapping parses a mapping of flows columns to a file's columns:
// "start=first_seen,a=src,b=dst". Each flows column must be one of Targets
// and may be named once.
func ParseMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		to, from, ok := strings.Cut(pair, "=")
		to, from = strings.TrimSpace(to), strings.TrimSpace(from)
		if !ok || to == "" || from == "" {
			return nil, fmt.Errorf("%q: want flows_column=file_column", pair)
		}
		if targetOf(to) == tNone {
			return nil, fmt.Errorf("%q: no flows column %q a file can fill (%s)", pair, to, strings.Join(Targets(), ", "))
		}
		if _, dup := m[to]; dup {
			return nil, fmt.Errorf("%q: %s is mapped twice", pair, to)
		}
		m[to] = from
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%q: no flows_column=file_column pair", s)
	}
	return m, nil
}

// A layout is a known set of columns of flow records.
type layout struct {
	name string
	cols map[target]string // the file's column of each target
	// kind is the flows' kind, and aUser and bUser say that the ends are
	// users named by id (local, without an address).
	kind         string
	aUser, bUser bool
}

// Flow kinds, as the flows table spells them.
const (
	kindTypical = "typical"
	kindP2P     = "p2p"
	kindNoUser  = "nouser"
)

// layouts are the known layouts, recognised when the header holds every
// column of theirs (optional ones aside).
var layouts = []layout{
	{name: "typical flows (seed 001)", kind: kindTypical, aUser: true, cols: map[target]string{
		tStart: "start", tEnd: "end", tUserA: "user", tB: "dest_ip", tAPort: "user_port", tBPort: "dest_port",
		tBytesAB: "bytes_up", tBytesBA: "bytes_down", tProto: "protocol"}},
	{name: "user-to-user flows (seed 001)", kind: kindP2P, aUser: true, bUser: true, cols: map[target]string{
		tStart: "start", tEnd: "end", tUserA: "user_a", tUserB: "user_b", tAPort: "a_port", tBPort: "b_port",
		tBytesAB: "bytes_a_to_b", tBytesBA: "bytes_b_to_a", tProto: "protocol"}},
	{name: "no-user flows (seed 001)", kind: kindNoUser, cols: map[target]string{
		tStart: "start", tEnd: "end", tA: "ip_a", tB: "ip_b", tAPort: "a_port", tBPort: "b_port",
		tBytesAB: "bytes_a_to_b", tBytesBA: "bytes_b_to_a", tProto: "protocol"}},
	{name: "netlens flows", cols: map[target]string{tStart: "start", tA: "a", tB: "b", tProto: "proto"}},
}

// optional are the columns a known layout takes when the header has them.
var optional = map[string]map[target]string{
	"typical flows (seed 001)": {tName: "fqdn", tBLocal: "local"},
}

// plan says what each column of a file fills, and what its layout sets.
type plan struct {
	layout string
	cols   []target // by the file's column; tNone for a column not read
	names  []string // the file's column names
	kind   string   // the layout's kind, "" when a row's users say
	aUser  bool     // a is a user named by id only
	bUser  bool
	has    record.Has // what every record gives
	mapped [numTargets]bool
}

// newPlan decides what the columns of header fill: by a known layout, or
// by name, and then by mapping (flows column -> header column), which
// may be nil.
func newPlan(header []string, mapping map[string]string) (*plan, error) {
	index := map[string]int{}
	for i, h := range header {
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	var found []layout
	for _, l := range layouts {
		all := true
		for _, c := range l.cols {
			if _, ok := index[c]; !ok {
				all = false
				break
			}
		}
		if all {
			found = append(found, l)
		}
	}
	if len(found) > 1 && mapping == nil {
		var names []string
		for _, l := range found {
			names = append(names, l.name)
		}
		return nil, fmt.Errorf("the header fits several layouts (%s): name the columns with --columns", strings.Join(names, ", "))
	}
	p := &plan{cols: make([]target, len(header)), names: header}
	source := map[target]string{}
	if len(found) == 1 {
		l := found[0]
		p.layout, p.kind, p.aUser, p.bUser = l.name, l.kind, l.aUser, l.bUser
		for t, c := range l.cols {
			source[t] = c
		}
		for t, c := range optional[l.name] {
			if _, ok := index[c]; ok {
				source[t] = c
			}
		}
	} else {
		p.layout = "named by --columns"
		if mapping == nil {
			p.layout = "netlens flows"
		}
	}
	for t := tStart; t < numTargets; t++ { // the rest by name
		if _, ok := source[t]; !ok {
			if _, in := index[targetNames[t]]; in {
				source[t] = targetNames[t]
			}
		}
	}
	for to, from := range mapping {
		t := targetOf(to)
		if t == tNone {
			return nil, fmt.Errorf("no flows column %q a file can fill", to)
		}
		if _, ok := index[from]; !ok {
			return nil, fmt.Errorf("--columns %s=%s: the file has no column %q (it has %s)", to, from, from, strings.Join(header, ", "))
		}
		source[t] = from
		if t == tA {
			p.aUser = false
		}
		if t == tB {
			p.bUser = false
		}
	}
	for t := tStart; t < numTargets; t++ {
		c, ok := source[t]
		if !ok {
			continue
		}
		i := index[c]
		if prev := p.cols[i]; prev != tNone {
			_, tMapped := mapping[targetNames[t]]
			_, pMapped := mapping[targetNames[prev]]
			switch {
			case pMapped && !tMapped:
				continue // what --columns says wins over names
			case !tMapped || pMapped:
				return nil, fmt.Errorf("column %q would fill both %s and %s", c, targetNames[prev], targetNames[t])
			}
			p.mapped[prev] = false
		}
		p.cols[i] = t
		p.mapped[t] = true
	}
	var missing []string
	if !p.mapped[tStart] {
		missing = append(missing, "start")
	}
	if !p.mapped[tA] && !p.mapped[tUserA] {
		missing = append(missing, "a (or user_a)")
	}
	if !p.mapped[tB] && !p.mapped[tUserB] {
		missing = append(missing, "b (or user_b)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no column for %s: the header (%s) is no known layout of flow records; name the columns with --columns start=COLUMN,a=COLUMN,b=COLUMN,...",
			strings.Join(missing, ", "), clipList(header))
	}
	if !p.mapped[tA] {
		p.aUser = true
	}
	if !p.mapped[tB] {
		p.bUser = true
	}
	if p.mapped[tState] {
		p.has |= record.HasState
	}
	if p.mapped[tALocal] || p.aUser {
		p.has |= record.HasALocal
	}
	if p.mapped[tBLocal] || p.bUser {
		p.has |= record.HasBLocal
	}
	if p.mapped[tService] {
		p.has |= record.HasService
	}
	if p.mapped[tUserA] || p.mapped[tUserB] || p.mapped[tKind] || p.kind != "" {
		p.has |= record.HasUsers
	}
	if p.mapped[tFlagsA] || p.mapped[tFlagsB] {
		p.has |= record.HasTCPFlags
	}
	if p.mapped[tPktsAB] || p.mapped[tPktsBA] {
		p.has |= record.HasPackets
	}
	return p, nil
}

// Describe says which flows column each file column fills, for messages.
func (p *plan) describe() string {
	var parts []string
	for i, t := range p.cols {
		if t != tNone {
			parts = append(parts, targetNames[t]+"="+p.names[i])
		}
	}
	sort.Strings(parts)
	return p.layout + ": " + strings.Join(parts, ",")
}

func clipList(h []string) string {
	s := strings.Join(h, ", ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// row gathers the values of one record.
type row struct {
	rec             *record.Flow
	start, end, dur int64
	hasEnd, hasDur  bool
}

// set sets target t of r from the text v of a value. It returns why v is
// wrong, or "".
func (p *plan) set(r *row, t target, v []byte, addrs *textrec.Addrs, strs *textrec.Strings) string {
	rec := r.rec
	v = textrec.Trim(v)
	if len(v) == 0 {
		switch t {
		case tStart:
			return "empty: a flow needs its start"
		case tA, tB:
			return "empty: a flow needs its ends"
		case tEnd:
			return ""
		case tDuration:
			return ""
		}
		return "" // 0, false or empty
	}
	ok := true
	switch t {
	case tStart:
		r.start, ok = textrec.Time(v)
	case tEnd:
		r.end, ok = textrec.Time(v)
		r.hasEnd = true
	case tDuration:
		r.dur, ok = textrec.Seconds(v)
		ok = ok && r.dur >= 0
		r.hasDur = true
	case tProto:
		rec.Proto, ok = protoNumber(v)
	case tA:
		rec.A, rec.AAddr, ok = addrs.Parse(v)
	case tB:
		rec.B, rec.BAddr, ok = addrs.Parse(v)
	case tAPort:
		rec.APort, ok = port(v)
	case tBPort:
		rec.BPort, ok = port(v)
	case tPktsAB:
		rec.PktsAToB, ok = textrec.Count(v)
	case tPktsBA:
		rec.PktsBToA, ok = textrec.Count(v)
	case tBytesAB:
		rec.BytesAToB, ok = textrec.Count(v)
	case tBytesBA:
		rec.BytesBToA, ok = textrec.Count(v)
	case tPayloadAB:
		rec.PayloadAToB, ok = textrec.Count(v)
	case tPayloadBA:
		rec.PayloadBToA, ok = textrec.Count(v)
	case tFlagsA, tFlagsB:
		var n uint64
		n, ok = textrec.Count(v)
		ok = ok && n <= 0xffff
		if t == tFlagsA {
			rec.TCPFlagsA = uint16(n)
		} else {
			rec.TCPFlagsB = uint16(n)
		}
	case tALocal:
		rec.ALocal, ok = textrec.Bool(v)
	case tBLocal:
		rec.BLocal, ok = textrec.Bool(v)
	case tState:
		rec.State = strs.Intern(v)
	case tService:
		rec.Service = strs.Intern(v)
	case tName:
		rec.Name = strs.Intern(v)
	case tUserA:
		rec.UserA = strs.Intern(v)
	case tUserB:
		rec.UserB = strs.Intern(v)
	case tKind:
		rec.Kind = strs.Intern(v)
		ok = rec.Kind == kindTypical || rec.Kind == kindP2P || rec.Kind == kindNoUser
	}
	if !ok {
		return fmt.Sprintf("%q is not %s", clip(v), what(t))
	}
	return ""
}

// finish completes a record whose values are set. It returns the target
// at fault and why, or tNone.
func (p *plan) finish(r *row) (target, string) {
	rec := r.rec
	switch {
	case r.hasEnd:
		if r.end < r.start {
			return tEnd, "the flow ends before it starts"
		}
		r.dur = r.end - r.start
	case r.hasDur:
		r.end = r.start + r.dur
	default:
		r.end = r.start
	}
	rec.Start, rec.End, rec.Duration = r.start, r.end, float64(r.dur)/1e9
	if rec.AAddr.IsValid() && rec.BAddr.IsValid() && rec.AAddr.Is4() != rec.BAddr.Is4() {
		return tB, fmt.Sprintf("%s and %s are not of the same IP version", rec.A, rec.B)
	}
	switch {
	case rec.AAddr.Is4() || rec.BAddr.Is4():
		rec.IPVersion = 4
	case rec.AAddr.Is6() || rec.BAddr.Is6():
		rec.IPVersion = 6
	}
	rec.Has |= p.has
	if p.aUser {
		rec.ALocal = true
	}
	if p.bUser {
		rec.BLocal = true
	}
	if p.has&record.HasUsers != 0 && !p.mapped[tKind] {
		rec.Kind = p.kind
		if rec.Kind == "" {
			switch {
			case rec.UserA != "" && rec.UserB != "":
				rec.Kind = kindP2P
			case rec.UserA != "" || rec.UserB != "":
				rec.Kind = kindTypical
			default:
				rec.Kind = kindNoUser
			}
		}
	}
	return tNone, ""
}

// what says what a target's column should hold, for errors.
func what(t target) string {
	switch t {
	case tStart, tEnd:
		return "a time (2006-01-02 15:04:05[.frac][zone], or epoch seconds, milliseconds, microseconds or nanoseconds)"
	case tDuration:
		return "a duration in seconds"
	case tProto:
		return "an IP protocol (a number, or tcp, udp, icmp, ...)"
	case tA, tB:
		return "an IP address"
	case tAPort, tBPort:
		return "a port (0-65535)"
	case tFlagsA, tFlagsB:
		return "TCP flags (a number)"
	case tALocal, tBLocal:
		return "true or false"
	case tKind:
		return "typical, p2p or nouser"
	}
	return "a count"
}

// port reads a port; a float without fraction (pandas' 80.0) is one too.
func port(v []byte) (uint16, bool) {
	n, ok := textrec.Count(v)
	return uint16(n), ok && n <= 0xffff
}

// protoNames are the protocols a file may name instead of numbering.
var protoNames = map[string]uint8{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
	"icmp6": 58, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132}

func protoNumber(v []byte) (uint8, bool) {
	if n, ok := textrec.Count(v); ok {
		return uint8(n), n < 256
	}
	if n, ok := protoNames[string(v)]; ok {
		return n, true
	}
	n, ok := protoNames[string(bytes.ToLower(v))]
	return n, ok
}

// clip shortens a value quoted in an error.
func clip(v []byte) []byte {
	if len(v) > 64 {
		return append(v[:60:60], "..."...)
	}
	return v
}
