package bitcoin

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/netlens/netlens/decode/tcpstream"
)

// Message is one decoded message.
type Message struct {
	Net     Network
	Command string // interned; the real command, also when netlens does not know it
	Length  uint32 // payload bytes (the header's length field)
	// First and Last are the capture times of the first and last segments
	// that carried the message.
	First, Last int64
	// IPBytes is the message's share of the IP bytes of the segments that
	// carried it (by bytes, when a segment carries several messages).
	IPBytes float64
	// AckBytes is the IP bytes of the pure ACKs attributed to the message.
	AckBytes int
	// Version is set for a version message whose payload could be read.
	Version *Version
}

// Size returns the message's bytes: header and payload.
func (m *Message) Size() int { return HeaderLen + int(m.Length) }

// StreamStats counts what was decoded on one stream.
type StreamStats struct {
	Net         Network // the network of the stream's messages; 0 before the first
	Messages    uint64  // messages decoded
	Undecoded   uint64  // bytes received that are in no decoded message
	GapBytes    uint64  // bytes missing from the stream (lost, not captured)
	BadChecksum uint64  // messages whose checksum did not match
	Lost        uint64  // messages with bytes in a gap
	Cut         uint64  // messages cut by the end of the stream
	Resyncs     uint64  // times the decoder searched for the next header
	AckBytes    uint64  // IP bytes of pure ACKs that no message took
	Skipped     uint64  // bytes not searched: the stream was given up as not Bitcoin
}

// Sink receives what a Decoder finds.
type Sink interface {
	// Message gives one message of s. m is valid only during the call.
	Message(s *tcpstream.Stream, m *Message)
	// StreamEnd gives the counts of s when it ends.
	StreamEnd(s *tcpstream.Stream, st *StreamStats, r tcpstream.EndReason)
}

// Config tunes a Decoder.
type Config struct {
	// GiveUp is how many bytes of a stream are searched for a first message
	// before the stream is taken for something else than Bitcoin; more than
	// the largest message, so that a stream that starts in a block is kept.
	GiveUp uint64
}

// DefaultConfig returns the defaults: give up after 8 MiB without a message.
func DefaultConfig() Config { return Config{GiveUp: 8 << 20} }

// Decoder decodes the messages of every stream of a tcpstream.Assembler: it
// is the Assembler's Handler. It is not safe for concurrent use.
type Decoder struct {
	cfg    Config
	sink   Sink
	intern map[string]string
}

var _ tcpstream.Handler = (*Decoder)(nil)

// maxInterned bounds the distinct unknown commands kept as strings.
const maxInterned = 4096

// knownCommands are the commands of Bitcoin Core and btcd.
var knownCommands = []string{
	"version", "verack", "addr", "addrv2", "sendaddrv2", "inv", "getdata", "merkleblock",
	"getblocks", "getheaders", "tx", "headers", "block", "getaddr", "mempool", "ping", "pong",
	"notfound", "filterload", "filteradd", "filterclear", "sendheaders", "feefilter",
	"sendcmpct", "cmpctblock", "getblocktxn", "blocktxn", "getcfilters", "cfilter",
	"getcfheaders", "cfheaders", "getcfcheckpt", "cfcheckpt", "wtxidrelay", "reject", "alert",
	"sendtxrcncl", "reqrecon", "sketch", "reconcildiff", "reqsketchext",
}

// NewDecoder returns a Decoder that gives what it finds to sink.
func NewDecoder(cfg Config, sink Sink) *Decoder {
	d := &Decoder{cfg: cfg, sink: sink, intern: make(map[string]string, len(knownCommands))}
	for _, c := range knownCommands {
		d.intern[c] = c
	}
	return d
}

func (d *Decoder) command(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

func (d *Decoder) parser(s *tcpstream.Stream) *parser {
	if p, ok := s.User.(*parser); ok {
		return p
	}
	p := &parser{d: d, s: s}
	s.User = p
	return p
}

// Data implements tcpstream.Handler.
func (d *Decoder) Data(s *tcpstream.Stream, b []byte, c tcpstream.Chunk) {
	share := 0.0
	if c.SegLen > 0 {
		share = float64(c.IPBytes) / float64(c.SegLen)
	}
	d.parser(s).feed(b, c.Ts, share)
}

// Gap implements tcpstream.Handler.
func (d *Decoder) Gap(s *tcpstream.Stream, n int) { d.parser(s).gap(n) }

// Ack implements tcpstream.Handler.
func (d *Decoder) Ack(s *tcpstream.Stream, ts int64, ipBytes int) { d.parser(s).ack(ipBytes) }

// End implements tcpstream.Handler.
func (d *Decoder) End(s *tcpstream.Stream, r tcpstream.EndReason) {
	p := d.parser(s)
	p.end()
	d.sink.StreamEnd(s, &p.st, r)
	s.User = nil
}

// parser is the decoding state of one stream.
type parser struct {
	d  *Decoder
	s  *tcpstream.Stream
	st StreamStats

	hdr   [HeaderLen]byte
	hn    int  // header bytes held
	inMsg bool // reading a payload
	lost  bool // the message in progress lost bytes or is not checked
	h     Header
	left  uint32 // payload bytes still to come
	seen  uint64 // bytes of the message in progress so far
	sum   hash.Hash
	first [sha256.Size]byte // the first SHA-256 of the payload
	vbuf  []byte            // the payload of a version message

	cur     Message
	held    Message // the last decoded message, kept for the ACKs that follow it
	hasHeld bool
	dead    bool // given up: not Bitcoin
}

// maxVersion is the most bytes of a version payload kept.
const maxVersion = 4096

// magicStart reports whether b can be the start of a magic of an accepted
// network: a prefix when b is shorter than 4 bytes.
func (p *parser) magicStart(b []byte) bool {
	var m [4]byte
	for _, n := range Networks {
		if p.st.Net != 0 && n != p.st.Net {
			continue
		}
		binary.LittleEndian.PutUint32(m[:], uint32(n))
		if bytes.HasPrefix(m[:], b[:min(len(b), 4)]) {
			return true
		}
	}
	return false
}

// isFirst marks the first bytes of the magics.
var isFirst = func() (t [256]bool) {
	for _, n := range Networks {
		t[byte(n)] = true
	}
	return t
}()

// scan returns the index of the first byte of b that can start a header.
func (p *parser) scan(b []byte) int {
	if p.st.Net != 0 {
		if i := bytes.IndexByte(b, byte(p.st.Net)); i >= 0 {
			return i
		}
		return len(b)
	}
	for i, x := range b {
		if isFirst[x] {
			return i
		}
	}
	return len(b)
}

// plausible reports whether the header bytes held can start a message.
func (p *parser) plausible() bool {
	h := p.hdr[:p.hn]
	if !p.magicStart(h) {
		return false
	}
	if p.hn <= 4 {
		return true
	}
	if !validCommand(h[4:min(p.hn, 16)], false) {
		return false
	}
	if p.hn < HeaderLen {
		return true
	}
	_, err := ParseHeader(h)
	return err == nil
}

func (p *parser) skip(n int) {
	p.st.Undecoded += uint64(n)
	if p.st.Messages == 0 && p.st.Undecoded >= p.d.cfg.GiveUp {
		p.dead = true
	}
}

func (p *parser) feed(b []byte, ts int64, share float64) {
	for len(b) > 0 {
		if p.dead {
			p.st.Skipped += uint64(len(b))
			return
		}
		if p.inMsg {
			n := min(len(b), int(p.left))
			if !p.lost {
				p.sum.Write(b[:n])
				if p.vbuf != nil && len(p.vbuf)+n <= maxVersion {
					p.vbuf = append(p.vbuf, b[:n]...)
				}
			}
			p.cur.IPBytes += float64(n) * share
			p.cur.Last = ts
			p.left -= uint32(n)
			p.seen += uint64(n)
			b = b[n:]
			if p.left == 0 {
				p.finish()
			}
			continue
		}
		if p.hn == 0 {
			i := p.scan(b)
			if i > 0 {
				p.skip(i)
				b = b[i:]
				continue
			}
			p.cur = Message{First: ts}
		}
		n := min(len(b), HeaderLen-p.hn)
		copy(p.hdr[p.hn:], b[:n])
		p.hn += n
		p.cur.IPBytes += float64(n) * share
		p.cur.Last = ts
		b = b[n:]
		for p.hn > 0 && !p.plausible() {
			p.resync()
		}
		if p.hn == HeaderLen {
			p.start()
		}
	}
}

// resync drops the first byte held and the bytes after it that cannot
// start a header.
func (p *parser) resync() {
	p.st.Resyncs++
	k := 1 + p.scan(p.hdr[1:p.hn])
	p.cur.IPBytes *= float64(p.hn-k) / float64(p.hn)
	copy(p.hdr[:], p.hdr[k:p.hn])
	p.hn -= k
	p.skip(k)
}

// start begins the payload of the header held.
func (p *parser) start() {
	p.h, _ = ParseHeader(p.hdr[:])
	p.hn = 0
	p.inMsg, p.lost = true, false
	p.left, p.seen = p.h.Length, HeaderLen
	if p.sum == nil {
		p.sum = sha256.New()
	}
	p.sum.Reset()
	p.vbuf = nil
	if string(p.h.CommandName()) == "version" && p.h.Length <= maxVersion {
		p.vbuf = make([]byte, 0, p.h.Length)
	}
	if p.left == 0 {
		p.finish()
	}
}

// finish ends the message in progress: reported when whole and checked.
func (p *parser) finish() {
	p.inMsg = false
	if p.lost {
		p.st.Lost++
		p.skip(int(p.seen))
		return
	}
	p.sum.Sum(p.first[:0])
	second := sha256.Sum256(p.first[:])
	if [4]byte(second[:4]) != p.h.Checksum {
		p.st.BadChecksum++
		p.skip(int(p.seen))
		return
	}
	m := &p.cur
	m.Net, m.Length = p.h.Net, p.h.Length
	m.Command = p.d.command(p.h.CommandName())
	if p.vbuf != nil {
		if v, err := ParseVersion(p.vbuf); err == nil {
			m.Version = &v
		}
		p.vbuf = nil
	}
	p.st.Net = p.h.Net
	p.st.Messages++
	p.emitHeld()
	p.held, p.hasHeld = *m, true
	p.cur = Message{}
	if p.held.Version != nil {
		// Reported at once: what it says (the relay flag) may matter to
		// the messages of the other direction that come before the next one
		// of this direction.
		p.emitHeld()
	}
}

func (p *parser) emitHeld() {
	if p.hasHeld {
		p.d.sink.Message(p.s, &p.held)
		p.hasHeld = false
	}
}

// gap takes n missing bytes.
func (p *parser) gap(n int) {
	p.st.GapBytes += uint64(n)
	if p.inMsg && !p.lost && uint32(n) < p.left {
		// The length is known: skip the rest of the message, lost, and
		// expect the next header right after it.
		p.lost = true
	}
	if p.inMsg && p.lost && uint32(n) < p.left {
		p.left -= uint32(n)
		return
	}
	if p.inMsg {
		p.st.Lost++
		p.skip(int(p.seen))
		p.inMsg = false
	} else if p.hn > 0 {
		p.st.Lost++
		p.skip(p.hn)
		p.hn = 0
	}
	if p.st.Messages > 0 {
		p.st.Resyncs++
	}
}

// ack takes a pure ACK of the stream's receiver.
func (p *parser) ack(ipBytes int) {
	switch {
	case p.inMsg || p.hn > 0:
		p.cur.AckBytes += ipBytes
	case p.hasHeld:
		p.held.AckBytes += ipBytes
	default:
		p.st.AckBytes += uint64(ipBytes)
	}
}

// end closes the stream: a message in progress is cut.
func (p *parser) end() {
	switch {
	case p.inMsg:
		p.st.Cut++
		p.skip(int(p.seen))
		p.inMsg = false
	case p.hn > 0:
		if p.hn >= 4 { // a whole magic: the start of a message
			p.st.Cut++
		}
		p.skip(p.hn)
		p.hn = 0
	}
	p.emitHeld()
}
