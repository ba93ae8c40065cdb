package tcpstream

import (
	"errors"
	"net/netip"
	"slices"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
)

// TCP flags as in the TCP header (and schema.Packet.TCPFlags).
const (
	FlagFIN uint16 = 0x01
	FlagSYN uint16 = 0x02
	FlagRST uint16 = 0x04
	FlagACK uint16 = 0x10
)

// Segment is one captured TCP segment, as the caller decoded it.
type Segment struct {
	Ts       int64          // capture time, nanoseconds
	Src, Dst netip.AddrPort // sender and receiver
	Seq, Ack uint32
	Flags    uint16
	Payload  []byte // the captured payload; only read during Add
	Len      int    // payload length from the headers; 0 means len(Payload)
	IPBytes  int    // IP length of the packet (header and payload)
}

// Dir is the direction of a stream in its connection.
type Dir uint8

// The two directions of a connection.
const (
	ClientToServer Dir = 0 // from the sender of the SYN (or of the first packet seen)
	ServerToClient Dir = 1
)

// EndReason says why a stream ended.
type EndReason uint8

// Why a stream ends.
const (
	EndFIN     EndReason = iota + 1 // all bytes up to the FIN were delivered
	EndRST                          // the connection was reset
	EndFlush                        // the capture ended (Flush) or the connection went idle (FlushIdle)
	EndReplace                      // a new connection with the same addresses and ports began
)

// String returns the reason's name.
func (r EndReason) String() string {
	switch r {
	case EndFIN:
		return "fin"
	case EndRST:
		return "rst"
	case EndFlush:
		return "flush"
	case EndReplace:
		return "replace"
	}
	return "unknown"
}

// Chunk describes the segment that carried bytes given to Handler.Data.
type Chunk struct {
	Ts      int64  // capture time of the segment
	IPBytes int    // IP length of the packet
	SegLen  int    // payload length of the segment (the bytes IPBytes paid for)
	Seq     uint32 // sequence number of the first byte given (set by the Assembler)
}

// Handler receives the streams of the connections. b in Data is valid only
// during the call.
type Handler interface {
	// Data gives the next in-order bytes of s.
	Data(s *Stream, b []byte, c Chunk)
	// Gap says that n bytes of s are missing (lost or not captured); the
	// next Data follows them.
	Gap(s *Stream, n int)
	// Ack reports a pure ACK (no payload, no SYN, FIN or RST) sent by the
	// receiver of s: it acknowledges bytes of s.
	Ack(s *Stream, ts int64, ipBytes int)
	// End says that s has ended; nothing more comes for it.
	End(s *Stream, r EndReason)
}

// Config bounds the memory of an Assembler.
type Config struct {
	// MaxBufferedPerStream is the most bytes of early segments kept for one
	// stream; beyond it the oldest hole becomes a gap.
	MaxBufferedPerStream int
	// MaxBufferedTotal is the most bytes of early segments kept over all
	// streams.
	MaxBufferedTotal int
	// MaxConns is the most live connections; segments of further new
	// connections are dropped and counted.
	MaxConns int
}

// DefaultConfig returns the defaults: 1 MiB per stream, 256 MiB in total,
// one million connections.
func DefaultConfig() Config {
	return Config{MaxBufferedPerStream: 1 << 20, MaxBufferedTotal: 256 << 20, MaxConns: 1 << 20}
}

// ErrConfig is returned by New for a configuration that bounds nothing.
var ErrConfig = errors.New("tcpstream: every bound of the configuration must be positive")

// Stats counts what an Assembler saw.
type Stats struct {
	Segments     uint64 // segments given to Add
	Conns        uint64 // connections seen
	Delivered    uint64 // bytes given to Handler.Data
	Duplicate    uint64 // bytes dropped as already delivered (retransmissions)
	OutOfOrder   uint64 // segments buffered because they came early
	Gaps         uint64 // gaps reported
	GapBytes     uint64 // bytes reported missing
	ConnsDropped uint64 // segments of connections beyond Config.MaxConns
}

// Conn is one TCP connection.
type Conn struct {
	ID      uint64         // 1, 2, ... in order of the first packet seen
	Client  netip.AddrPort // the sender of the SYN, or of the first packet seen when SynSeen is false
	Server  netip.AddrPort
	SynSeen bool  // the client's SYN (or the server's SYN-ACK) was captured
	Start   int64 // time of the first packet
	End     int64 // time of the last packet
	// User is the handler's state for the connection.
	User    any
	streams [2]Stream
	key     key
}

// Stream returns the stream of one direction of c.
func (c *Conn) Stream(d Dir) *Stream { return &c.streams[d] }

// Stream is one direction of a connection.
type Stream struct {
	Conn *Conn
	Dir  Dir
	// User is the handler's state for the stream.
	User any
	// MidStream is true when the stream's SYN was not seen: its first
	// bytes may be in the middle of an application message.
	MidStream bool

	started  bool
	ended    bool
	finSeen  bool
	next     uint32 // sequence number of the next byte to deliver
	fin      uint32 // sequence number of the FIN
	pending  []pend // early segments, in sequence order
	buffered int
}

// Src returns the sender of the stream's bytes.
func (s *Stream) Src() netip.AddrPort {
	if s.Dir == ClientToServer {
		return s.Conn.Client
	}
	return s.Conn.Server
}

// Dst returns the receiver of the stream's bytes.
func (s *Stream) Dst() netip.AddrPort {
	if s.Dir == ClientToServer {
		return s.Conn.Server
	}
	return s.Conn.Client
}

// pend is an early segment waiting for the bytes before it.
type pend struct {
	seq   uint32
	data  []byte // captured bytes, a buffer of the free list
	len   int    // payload length from the headers (>= len(data))
	chunk Chunk
}

// key identifies a connection independently of direction: lo < hi.
type key struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) key {
	if c := a.Addr().Compare(b.Addr()); c < 0 || c == 0 && a.Port() <= b.Port() {
		return key{a, b}
	}
	return key{b, a}
}

// Assembler reassembles the TCP connections of a capture. It is not safe for
// concurrent use.
type Assembler struct {
	cfg      Config
	h        Handler
	conns    map[key]*Conn
	buffered int
	free     [][]byte
	lastID   uint64
	stats    Stats
}

// New returns an Assembler that gives the streams to h.
func New(cfg Config, h Handler) (*Assembler, error) {
	if cfg.MaxBufferedPerStream <= 0 || cfg.MaxBufferedTotal <= 0 || cfg.MaxConns <= 0 {
		return nil, ErrConfig
	}
	return &Assembler{cfg: cfg, h: h, conns: make(map[key]*Conn)}, nil
}

// Stats returns what the Assembler has counted so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Buffered returns the bytes of early segments held now.
func (a *Assembler) Buffered() int { return a.buffered }

// Add takes one segment. Segments should come in capture order.
func (a *Assembler) Add(seg *Segment) {
	a.stats.Segments++
	k := keyOf(seg.Src, seg.Dst)
	c := a.conns[k]
	syn := seg.Flags&FlagSYN != 0
	ack := seg.Flags&FlagACK != 0
	if c != nil && syn && !ack && c.SynSeen && c.Client == seg.Src && c.streams[ClientToServer].next != seg.Seq+1 {
		// A new SYN with another initial sequence number: the port pair is reused.
		a.end(c, EndReplace)
		c = nil
	}
	if c == nil {
		if len(a.conns) >= a.cfg.MaxConns {
			a.stats.ConnsDropped++
			return
		}
		a.lastID++
		a.stats.Conns++
		c = &Conn{ID: a.lastID, Start: seg.Ts, key: k}
		switch {
		case syn && ack: // SYN-ACK: the receiver dialled
			c.Client, c.Server, c.SynSeen = seg.Dst, seg.Src, true
		default:
			c.Client, c.Server, c.SynSeen = seg.Src, seg.Dst, syn
		}
		for d := range c.streams {
			c.streams[d].Conn, c.streams[d].Dir = c, Dir(d)
		}
		a.conns[k] = c
	}
	c.End = seg.Ts
	d := ClientToServer
	if seg.Src != c.Client {
		d = ServerToClient
	}
	s := &c.streams[d]
	n := seg.Len
	if n < len(seg.Payload) {
		n = len(seg.Payload)
	}
	seq := seg.Seq
	if syn {
		if !s.started {
			s.started, s.next = true, seq+1
		}
		if o := &c.streams[1-d]; ack && !o.started {
			// A SYN-ACK acknowledges the client's initial sequence number.
			o.started, o.next = true, seg.Ack
		}
		seq++
	}
	if seg.Flags&FlagRST != 0 {
		if n > 0 && !s.ended {
			a.data(s, seq, seg.Payload, n, Chunk{Ts: seg.Ts, IPBytes: seg.IPBytes, SegLen: n})
		}
		a.end(c, EndRST)
		return
	}
	if n == 0 && !syn && seg.Flags&FlagFIN == 0 {
		if ack {
			if o := &c.streams[1-d]; o.started && !o.ended {
				a.h.Ack(o, seg.Ts, seg.IPBytes)
			}
		}
		return
	}
	if s.ended {
		a.stats.Duplicate += uint64(n)
		return
	}
	if !s.started && n > 0 {
		s.started, s.next, s.MidStream = true, seq, true
	}
	if n > 0 {
		a.data(s, seq, seg.Payload, n, Chunk{Ts: seg.Ts, IPBytes: seg.IPBytes, SegLen: n})
	}
	if seg.Flags&FlagFIN != 0 && s.started {
		s.finSeen, s.fin = true, seq+uint32(n)
	}
	if s.finSeen && s.next == s.fin && len(s.pending) == 0 {
		a.endStream(s, EndFIN)
		if c.streams[1-d].ended {
			delete(a.conns, c.key)
		}
	}
}

// data takes the bytes [seq, seq+n) of s, of which b were captured.
func (a *Assembler) data(s *Stream, seq uint32, b []byte, n int, ch Chunk) {
	off := int32(seq - s.next)
	if off > 0 {
		a.early(s, seq, b, n, ch)
		return
	}
	a.deliver(s, seq, b, n, ch)
	a.drain(s)
}

// deliver gives the part of [seq, seq+n) at or after s.next to the handler;
// seq must not be after s.next.
func (a *Assembler) deliver(s *Stream, seq uint32, b []byte, n int, ch Chunk) {
	skip := int(s.next - seq)
	if skip >= n {
		a.stats.Duplicate += uint64(n)
		return
	}
	a.stats.Duplicate += uint64(skip)
	if skip < len(b) {
		a.stats.Delivered += uint64(len(b) - skip)
		ch.Seq = s.next
		a.h.Data(s, b[skip:], ch)
	}
	s.next = seq + uint32(n)
	if cut := n - max(skip, len(b)); cut > 0 { // not captured: the snap length cut the segment
		a.gap(s, cut)
	}
}

func (a *Assembler) gap(s *Stream, n int) {
	a.stats.Gaps++
	a.stats.GapBytes += uint64(n)
	a.h.Gap(s, n)
}

// drain delivers the early segments that are now in order.
func (a *Assembler) drain(s *Stream) {
	for len(s.pending) > 0 && int32(s.pending[0].seq-s.next) <= 0 {
		p := s.pending[0]
		n := copy(s.pending, s.pending[1:])
		s.pending[n] = pend{}
		s.pending = s.pending[:n]
		a.deliver(s, p.seq, p.data, p.len, p.chunk)
		a.release(s, p.data)
	}
}

// skipToPending reports the hole before the first early segment as a gap
// and delivers what follows it.
func (a *Assembler) skipToPending(s *Stream) {
	p := s.pending[0]
	a.gap(s, int(p.seq-s.next))
	s.next = p.seq
	a.drain(s)
}

// early buffers a segment that came before the bytes that precede it.
func (a *Assembler) early(s *Stream, seq uint32, b []byte, n int, ch Chunk) {
	for len(b) > 0 && (s.buffered+len(b) > a.cfg.MaxBufferedPerStream || a.buffered+len(b) > a.cfg.MaxBufferedTotal) {
		if len(s.pending) == 0 || int32(s.pending[0].seq-seq) > 0 {
			// Nothing earlier to wait for here: give up on the hole before this segment.
			a.gap(s, int(seq-s.next))
			s.next = seq
			a.deliver(s, seq, b, n, ch)
			a.drain(s)
			return
		}
		a.skipToPending(s)
		if int32(seq-s.next) <= 0 {
			a.deliver(s, seq, b, n, ch)
			a.drain(s)
			return
		}
	}
	a.stats.OutOfOrder++
	buf := a.take(len(b))
	buf = append(buf, b...)
	i, _ := slices.BinarySearchFunc(s.pending, seq, func(p pend, t uint32) int {
		return int(int32(p.seq - t))
	})
	s.pending = slices.Insert(s.pending, i, pend{seq: seq, data: buf, len: n, chunk: ch})
	s.buffered += len(buf)
	a.buffered += len(buf)
}

// take returns an empty buffer of capacity at least n.
func (a *Assembler) take(n int) []byte {
	for i := len(a.free) - 1; i >= 0; i-- {
		if cap(a.free[i]) >= n {
			b := a.free[i]
			a.free[i] = a.free[len(a.free)-1]
			a.free = a.free[:len(a.free)-1]
			return b[:0]
		}
	}
	return make([]byte, 0, max(n, 2048))
}

// release returns a buffer of s to the free list.
func (a *Assembler) release(s *Stream, b []byte) {
	s.buffered -= len(b)
	a.buffered -= len(b)
	if len(a.free) < 64 && cap(b) <= 1<<16 {
		a.free = append(a.free, b)
	}
}

// endStream flushes what s holds, with gaps for its holes, and ends it.
func (a *Assembler) endStream(s *Stream, r EndReason) {
	if s.ended {
		return
	}
	for len(s.pending) > 0 {
		a.skipToPending(s)
	}
	s.ended = true
	a.h.End(s, r)
}

// end ends both streams of c and forgets it.
func (a *Assembler) end(c *Conn, r EndReason) {
	a.endStream(&c.streams[ClientToServer], r)
	a.endStream(&c.streams[ServerToClient], r)
	delete(a.conns, c.key)
}

// FlushIdle ends the connections whose last packet is older than before.
func (a *Assembler) FlushIdle(before int64) {
	for _, c := range a.sorted() {
		if c.End < before {
			a.end(c, EndFlush)
		}
	}
}

// Flush ends every live connection, in order of their ids: call it at the
// end of the capture.
func (a *Assembler) Flush() {
	for _, c := range a.sorted() {
		a.end(c, EndFlush)
	}
}

func (a *Assembler) sorted() []*Conn {
	cs := make([]*Conn, 0, len(a.conns))
	for _, c := range a.conns {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(x, y *Conn) int {
		switch {
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
	return cs
}

// FromPacket fills seg from a decoded TCP packet and reports whether it is
// one: an IP fragment after the first, or a packet of another protocol, is
// not. seg.Payload aliases the frame.
func (seg *Segment) FromPacket(p *schema.Packet, m *decode.Meta) bool {
	if p.Proto != 6 || !m.Src.IsValid() || p.Frag && m.FragOffset != 0 {
		return false
	}
	*seg = Segment{
		Ts:      p.Ts,
		Src:     netip.AddrPortFrom(m.Src, p.Sport),
		Dst:     netip.AddrPortFrom(m.Dst, p.Dport),
		Seq:     p.TCPSeq,
		Ack:     p.TCPAck,
		Flags:   p.TCPFlags,
		Payload: m.Payload,
		Len:     int(p.PayloadLen),
		IPBytes: int(p.IPLen),
	}
	return true
}
