package zeek

import (
	"bytes"
	"fmt"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// field is a conn.log field netlens reads.
type field uint8

const (
	fIgnored field = iota
	fTs
	fDuration
	fOrigH
	fOrigP
	fRespH
	fRespP
	fProto
	fIPProto
	fService
	fOrigPkts
	fRespPkts
	fOrigIPBytes
	fRespIPBytes
	fOrigBytes
	fRespBytes
	fConnState
	fLocalOrig
	fLocalResp
	fHistory
	numFields
)

// fields names the fields netlens reads.
var fields = map[string]field{
	"ts":            fTs,
	"duration":      fDuration,
	"id.orig_h":     fOrigH,
	"id.orig_p":     fOrigP,
	"id.resp_h":     fRespH,
	"id.resp_p":     fRespP,
	"proto":         fProto,
	"ip_proto":      fIPProto,
	"service":       fService,
	"orig_pkts":     fOrigPkts,
	"resp_pkts":     fRespPkts,
	"orig_ip_bytes": fOrigIPBytes,
	"resp_ip_bytes": fRespIPBytes,
	"orig_bytes":    fOrigBytes,
	"resp_bytes":    fRespBytes,
	"conn_state":    fConnState,
	"local_orig":    fLocalOrig,
	"local_resp":    fLocalResp,
	"history":       fHistory,
}

// required are the fields without which a log is not a conn.log netlens
// can read.
var required = []string{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"}

// names of the fields by id, for errors.
var names = func() [numFields]string {
	var n [numFields]string
	for name, f := range fields {
		n[f] = name
	}
	return n
}()

// conn gathers the fields of one connection, then makes its record. Its
// tables of addresses and strings live as long as the reader.
type conn struct {
	addrs   textrec.Addrs
	strs    textrec.Strings
	set     [numFields]bool
	ts, dur int64
	proto   []byte
	ipProto uint8
	service []byte
	state   []byte
	history []byte
	buf     []byte // unescaped text
	rec     *record.Flow
}

// start begins the record rec.
func (c *conn) start(rec *record.Flow) {
	*rec = record.Flow{}
	c.rec = rec
	c.set = [numFields]bool{}
	c.ts, c.dur, c.ipProto = 0, 0, 0
	c.proto, c.service, c.state, c.history, c.buf = nil, nil, nil, nil, c.buf[:0]
}

// value sets field f from its text v (unescaped, not unset). It returns
// why v is wrong, or "".
func (c *conn) value(f field, v []byte) string {
	r := c.rec
	ok := true
	switch f {
	case fIgnored:
		return ""
	case fTs:
		c.ts, ok = textrec.Seconds(v)
		if !ok {
			c.ts, ok = textrec.Time(v) // JSON logs with ISO 8601 times
		}
	case fDuration:
		c.dur, ok = textrec.Seconds(v)
		ok = ok && c.dur >= 0
	case fOrigH:
		r.A, r.AAddr, ok = c.addrs.Parse(v)
	case fRespH:
		r.B, r.BAddr, ok = c.addrs.Parse(v)
	case fOrigP:
		r.APort, ok = textrec.Uint16(v)
	case fRespP:
		r.BPort, ok = textrec.Uint16(v)
	case fProto:
		c.proto = v
	case fIPProto:
		var n uint64
		n, ok = textrec.Uint(v)
		ok = ok && n < 256
		c.ipProto = uint8(n)
	case fService:
		c.service = v
	case fConnState:
		c.state = v
	case fHistory:
		c.history = v
	case fOrigPkts:
		r.PktsAToB, ok = textrec.Uint(v)
	case fRespPkts:
		r.PktsBToA, ok = textrec.Uint(v)
	case fOrigIPBytes:
		r.BytesAToB, ok = textrec.Uint(v)
	case fRespIPBytes:
		r.BytesBToA, ok = textrec.Uint(v)
	case fOrigBytes:
		r.PayloadAToB, ok = textrec.Uint(v)
	case fRespBytes:
		r.PayloadBToA, ok = textrec.Uint(v)
	case fLocalOrig:
		r.ALocal, ok = textrec.Bool(v)
	case fLocalResp:
		r.BLocal, ok = textrec.Bool(v)
	}
	if !ok {
		return fmt.Sprintf("%q is not %s", clip(v), what(f))
	}
	c.set[f] = true
	return ""
}

// what says what a field should hold, for errors.
func what(f field) string {
	switch f {
	case fTs:
		return "a time (seconds since the epoch)"
	case fDuration:
		return "a duration in seconds"
	case fOrigH, fRespH:
		return "an IP address"
	case fOrigP, fRespP:
		return "a port (0-65535)"
	case fIPProto:
		return "an IP protocol number (0-255)"
	case fLocalOrig, fLocalResp:
		return "T or F"
	}
	return "a count"
}

// finish completes the record. It returns the field at fault and why, or
// fIgnored.
func (c *conn) finish() (field, string) {
	r := c.rec
	for _, f := range [...]field{fTs, fOrigH, fRespH, fProto} {
		if !c.set[f] {
			return f, "unset: a connection needs ts, id.orig_h, id.resp_h and proto"
		}
	}
	if r.AAddr.Is4() != r.BAddr.Is4() {
		return fRespH, fmt.Sprintf("%s and %s are not of the same IP version", r.A, r.B)
	}
	r.IPVersion = 4
	if r.AAddr.Is6() {
		r.IPVersion = 6
	}
	switch {
	case c.set[fIPProto]:
		r.Proto = c.ipProto
	case bytes.Equal(c.proto, []byte("tcp")):
		r.Proto = 6
	case bytes.Equal(c.proto, []byte("udp")):
		r.Proto = 17
	case bytes.Equal(c.proto, []byte("icmp")):
		r.Proto = 1
		if r.IPVersion == 6 {
			r.Proto = 58
		}
	case bytes.Equal(c.proto, []byte("unknown_transport")):
		r.Proto = 0
	default:
		return fProto, fmt.Sprintf("%q is not tcp, udp, icmp or unknown_transport", clip(c.proto))
	}
	r.Start = c.ts
	r.End = c.ts + c.dur
	r.Duration = float64(c.dur) / 1e9
	r.Has |= record.HasPackets
	if c.set[fConnState] && len(c.state) > 0 {
		r.State = c.strs.Intern(c.state)
		r.Has |= record.HasState
	}
	if c.set[fLocalOrig] {
		r.Has |= record.HasALocal
	}
	if c.set[fLocalResp] {
		r.Has |= record.HasBLocal
	}
	if c.set[fService] && len(c.service) > 0 {
		name := c.service
		if i := bytes.IndexByte(name, ','); i >= 0 {
			name = name[:i]
		}
		if len(name) > 0 {
			c.buf = append(append(append(c.buf[:0], name...), '/'), protoName(r.Proto)...)
			r.Service = c.strs.Intern(c.buf)
			r.Has |= record.HasService
		}
	}
	if r.Proto == 6 && c.set[fHistory] {
		r.TCPFlagsA, r.TCPFlagsB = historyFlags(c.history)
		r.Has |= record.HasTCPFlags
	}
	return fIgnored, ""
}

// protoName names the protocols of Zeek's proto field.
func protoName(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1, 58:
		return "icmp"
	}
	return fmt.Sprint(p)
}

// TCP flag bits of the flows table.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

// historyFlags returns the TCP flags that a connection's history shows
// each side sent: S a SYN, H a SYN+ACK, A an ACK, F a FIN, R a RST; upper
// case from the originator, lower case from the responder. Data (D) says
// nothing about flags.
func historyFlags(h []byte) (a, b uint16) {
	for _, c := range h {
		var f uint16
		switch c | 0x20 {
		case 's':
			f = flagSYN
		case 'h':
			f = flagSYN | flagACK
		case 'a':
			f = flagACK
		case 'f':
			f = flagFIN
		case 'r':
			f = flagRST
		default:
			continue
		}
		if c >= 'A' && c <= 'Z' {
			a |= f
		} else {
			b |= f
		}
	}
	return a, b
}

// clip shortens a value quoted in an error.
func clip(v []byte) []byte {
	if len(v) > 64 {
		return append(v[:60:60], "..."...)
	}
	return v
}
