package flow

import (
	"net/netip"
	"time"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// Finished is a flow the Assembler has ended, as NewFinished hands it
// over: its key, times and counters, without the texts of its addresses,
// their locality and users, its service and state, which a RowMaker
// derives. It holds no pointer and is about half the size of its row, so
// that the goroutine that assembles flows copies little and the one that
// writes them makes their rows.
type Finished struct {
	key                  key
	id                   int64
	start, end           int64
	pkts, bytes, payload [2]uint64 // [0] a to b, [1] b to a
	flags                [2]uint16
	tcp                  tcpState
	ipVersion            uint8
	aIsLo                bool // a is the lo end of the key
}

// ID returns the flow's id.
func (f *Finished) ID() int64 { return f.id }

// finished copies what the row of e needs into f.
func (e *entry) finished(f *Finished) {
	*f = Finished{
		key: e.key, id: e.id, start: e.start, end: e.end,
		pkts: e.pkts, bytes: e.bytes, payload: e.payload, flags: e.flags,
		tcp: e.tcp, ipVersion: e.ipVersion, aIsLo: e.aIsLo,
	}
}

// ends returns the addresses of a and b.
func (f *Finished) ends() (a, b netip.Addr) {
	lo, hi := f.key.addr(f.key.lo), f.key.addr(f.key.hi)
	if f.aIsLo {
		return lo, hi
	}
	return hi, lo
}

// ports returns the ports of a and b.
func (f *Finished) ports() (a, b uint16) {
	if f.aIsLo {
		return f.key.loPort, f.key.hiPort
	}
	return f.key.hiPort, f.key.loPort
}

// state returns Zeek's conn_state: from the TCP state machine for TCP; for
// UDP SF when both sides sent, S0 when only a did (SHR when only b did,
// after an active-timeout split); OTH for everything else, as Zeek.
func (f *Finished) state() string {
	switch f.key.proto {
	case protoTCP:
		return f.tcp.state(f.payload[0], f.payload[1])
	case protoUDP:
		switch {
		case f.pkts[0] > 0 && f.pkts[1] > 0:
			return "SF"
		case f.pkts[0] > 0:
			return "S0"
		case f.pkts[1] > 0:
			return "SHR"
		}
	}
	return "OTH"
}

// RowMaker makes the rows of finished flows: the texts of their
// addresses (from a cache of its own), their locality, users and kind
// from a Config's LocalNets and Users, and their service and state. It is
// not safe for concurrent use; several RowMakers may be used at once.
type RowMaker struct {
	roles *Roles
	names decode.AddrTexts
}

// NewRowMaker returns a RowMaker with the local networks and users of cfg.
func NewRowMaker(cfg Config) *RowMaker { return &RowMaker{roles: NewRoles(cfg)} }

// Prefetch asks for the cache slots of the texts of f's addresses to be
// brought into the processor's cache, for a Row of f soon: a loop that
// makes rows prefetches a few flows ahead, so that the cache misses of a
// scan's new addresses overlap.
func (m *RowMaker) Prefetch(f *Finished) {
	a, b := f.ends()
	m.names.Prefetch(a)
	m.names.Prefetch(b)
}

// Row writes the row of f into out, replacing all of it. The texts in out
// stay valid after later calls.
func (m *RowMaker) Row(f *Finished, out *schema.Flow) {
	aAddr, bAddr := f.ends()
	aPort, bPort := f.ports()
	proto := f.key.proto
	r := m.roles
	*out = schema.Flow{
		FlowID:      f.id,
		Start:       f.start,
		End:         f.end,
		Duration:    float64(f.end-f.start) / float64(time.Second),
		Proto:       proto,
		IPVersion:   f.ipVersion,
		A:           m.names.Text(aAddr),
		APort:       aPort,
		B:           m.names.Text(bAddr),
		BPort:       bPort,
		PktsAToB:    f.pkts[0],
		PktsBToA:    f.pkts[1],
		BytesAToB:   f.bytes[0],
		BytesBToA:   f.bytes[1],
		PayloadAToB: f.payload[0],
		PayloadBToA: f.payload[1],
		TCPFlagsA:   f.flags[0],
		TCPFlagsB:   f.flags[1],
		State:       f.state(),
		Answered:    f.pkts[1] > 0,
		ALocal:      r.Local(aAddr),
		BLocal:      r.Local(bAddr),
	}
	if proto == protoTCP || proto == protoUDP {
		out.Service = services.Lookup(proto, bPort)
	}
	if r.hasUsers {
		out.UserA, out.UserB = r.User(aAddr, out.A), r.User(bAddr, out.B)
		out.Kind = Kind(out.UserA, out.UserB)
	}
}
