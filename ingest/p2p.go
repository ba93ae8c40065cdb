package ingest

import (
	"errors"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/decode/bitcoin"
	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/schema"
)

// Connection types of peer rows decoded from captures, as Bitcoin Core
// names them.
const (
	connInbound        = "inbound"
	connOutbound       = "outbound-full-relay"
	connBlockRelayOnly = "block-relay-only"
)

// p2p decodes the Bitcoin P2P messages of the captures' TCP streams into
// peer_messages and peer_conns rows. It runs on the hot goroutine; the rows
// are written by a goroutine of their own, started at the first message.
type p2p struct {
	tx      *dataset.Txn
	node    netip.Addr // the node given (Config.Node); invalid: every local endpoint
	local   []netip.Prefix
	asm     *tcpstream.Assembler
	seg     tcpstream.Segment
	capture string // id of the input of the current packet
	loaded  int64

	// Only the flows where a packet's payload starts like a Bitcoin
	// message (decode's app guess: the network magic, or port 8333) go
	// through reassembly, from that packet on: a connection's first data
	// is its version message, and a capture that starts mid-stream
	// resynchronises at a message that starts a segment. Other traffic
	// costs a lookup per TCP packet, and no memory.
	bitcoinFlows map[int64]bool
	lastFlow     int64
	lastBitcoin  bool

	msgs    *rowWriter[schema.PeerMessage]
	mb      *rowBatch[schema.PeerMessage]
	conns   []schema.PeerConn
	nextID  map[string]int64 // next peer id per node
	err     error
	decoded int64
}

// p2pConn is what p2p keeps of one connection.
type p2pConn struct {
	views     [2]*p2pView // the client's and the server's, when they are nodes
	messages  uint64
	undecoded uint64
	ended     int
}

// p2pView is one connection seen from one of its nodes.
type p2pView struct {
	node     string
	peerID   int64
	peerAddr string
	connType string
}

func newP2P(tx *dataset.Txn, cfg Config) *p2p {
	p := &p2p{tx: tx, node: cfg.Node, local: cfg.Flow.LocalNets, nextID: map[string]int64{}, loaded: time.Now().UnixNano(),
		bitcoinFlows: map[int64]bool{}, lastFlow: -1}
	p.asm, _ = tcpstream.New(tcpstream.DefaultConfig(), bitcoin.NewDecoder(bitcoin.DefaultConfig(), p))
	return p
}

// add takes one decoded packet of the input with id capture.
func (p *p2p) add(capture string, pk *schema.Packet, m *decode.Meta) {
	if pk.Proto != 6 || pk.FlowID == 0 {
		return
	}
	if pk.FlowID != p.lastFlow {
		p.lastFlow, p.lastBitcoin = pk.FlowID, p.bitcoinFlows[pk.FlowID]
	}
	if !p.lastBitcoin {
		if pk.App != decode.AppBitcoin {
			return
		}
		p.bitcoinFlows[pk.FlowID], p.lastBitcoin = true, true
	}
	if p.seg.FromPacket(pk, m) {
		p.capture = capture
		p.asm.Add(&p.seg)
	}
}

// isNode reports whether a is a node whose messages are kept: the node
// given, else every address that is not globally routable or is in the
// site's networks (the capture's own side).
func (p *p2p) isNode(a netip.Addr) bool {
	if p.node.IsValid() {
		return a == p.node
	}
	for _, n := range p.local {
		if n.Contains(a) {
			return true
		}
	}
	return !a.IsGlobalUnicast() || a.IsPrivate()
}

// conn returns the state of s's connection, made at its first message:
// which endpoints are nodes, and the type of the connection for each.
func (p *p2p) conn(s *tcpstream.Stream, m *bitcoin.Message) *p2pConn {
	c := s.Conn
	if pc, ok := c.User.(*p2pConn); ok {
		return pc
	}
	pc := &p2pConn{}
	c.User = pc
	client, server := c.Client, c.Server
	if !c.SynSeen && m.Command == "version" && s.Dir == tcpstream.ServerToClient {
		// No SYN: the sender of the first version dialled.
		client, server = server, client
	}
	if !p.isNode(client.Addr()) && !p.isNode(server.Addr()) && !p.node.IsValid() {
		// Neither side is local (a capture at a router): both are nodes.
		pc.views[0] = p.view(client.Addr(), server, connOutbound)
		pc.views[1] = p.view(server.Addr(), client, connInbound)
		return pc
	}
	if p.isNode(client.Addr()) {
		pc.views[0] = p.view(client.Addr(), server, connOutbound)
	}
	if p.isNode(server.Addr()) {
		pc.views[1] = p.view(server.Addr(), client, connInbound)
	}
	if client != c.Client { // the views follow the streams' directions
		pc.views[0], pc.views[1] = pc.views[1], pc.views[0]
	}
	return pc
}

func (p *p2p) view(node netip.Addr, peer netip.AddrPort, connType string) *p2pView {
	n := node.String()
	p.nextID[n]++
	return &p2pView{node: n, peerID: p.nextID[n], peerAddr: peer.String(), connType: connType}
}

// Message implements bitcoin.Sink: a row for the sender and one for the
// receiver, each when it is a node.
func (p *p2p) Message(s *tcpstream.Stream, m *bitcoin.Message) {
	pc := p.conn(s, m)
	pc.messages++
	sender, receiver := pc.views[s.Dir], pc.views[1-s.Dir]
	if m.Command == "version" && m.Version != nil && !m.Version.Relay && sender != nil && sender.connType == connOutbound {
		sender.connType = connBlockRelayOnly
	}
	tcpip := uint64(math.Round(m.IPBytes)) + uint64(m.AckBytes)
	if sender != nil {
		p.row(sender, "out", m.First, m, tcpip)
	}
	if receiver != nil {
		p.row(receiver, "in", m.Last, m, tcpip)
	}
}

func (p *p2p) row(v *p2pView, dir string, ts int64, m *bitcoin.Message, tcpip uint64) {
	if p.msgs == nil {
		mw, err := dataset.NewTableWriter(p.tx, schema.PeerMessages, func(m *schema.PeerMessage) int64 { return m.Ts })
		if err != nil {
			p.err = err
			return
		}
		p.msgs = startRowWriter(mw, nil, peerBatchRows, peerBatches)
		p.mb = p.msgs.get()
	}
	one, payload, size := uint64(1), uint64(m.Length), uint64(m.Size())
	id := v.peerID
	p.mb.rows = append(p.mb.rows, schema.PeerMessage{
		Ts: ts, Capture: p.capture, Layout: "p2p", Node: v.node, PeerID: &id, PeerAddr: v.peerAddr,
		ConnType: v.connType, Direction: dir, MsgType: m.Command, Messages: &one,
		PayloadSize: &payload, MessageSize: &size, TCPIPSize: &tcpip, TCPIPMeasured: true,
	})
	p.decoded++
	if len(p.mb.rows) == cap(p.mb.rows) {
		p.msgs.send(p.mb)
		p.mb = p.msgs.get()
	}
}

// StreamEnd implements bitcoin.Sink: when both streams of a connection with
// messages have ended, a peer_conns row for each of its nodes.
func (p *p2p) StreamEnd(s *tcpstream.Stream, st *bitcoin.StreamStats, _ tcpstream.EndReason) {
	pc, ok := s.Conn.User.(*p2pConn)
	if !ok {
		return
	}
	pc.undecoded += st.Undecoded + st.GapBytes
	pc.ended++
	if pc.ended < 2 {
		return
	}
	c := s.Conn
	var start *int64
	if c.SynSeen {
		start = &c.Start
	}
	end, dur := c.End, c.End-c.Start
	for _, v := range pc.views {
		if v == nil {
			continue
		}
		p.conns = append(p.conns, schema.PeerConn{
			Loaded: p.loaded, Capture: p.capture, Node: v.node, PeerID: v.peerID, PeerAddr: v.peerAddr,
			ConnType: v.connType, Start: start, End: &end, Duration: &dur,
			Messages: pc.messages, Undecoded: pc.undecoded,
		})
	}
}

// close ends every connection and writes the rows; it returns the number
// of peer_messages and peer_conns rows.
func (p *p2p) close() (msgs, conns int64, err error) {
	p.asm.Flush()
	if p.msgs != nil {
		msgs, err = p.msgs.close(p.mb)
	}
	err = errors.Join(p.err, err)
	if len(p.conns) > 0 {
		slices.SortStableFunc(p.conns, func(a, b schema.PeerConn) int {
			if a.Node != b.Node {
				if a.Node < b.Node {
					return -1
				}
				return 1
			}
			return int(a.PeerID - b.PeerID)
		})
		cw, cerr := dataset.NewTableWriter(p.tx, schema.PeerConns, func(c *schema.PeerConn) int64 { return c.Loaded })
		if cerr != nil {
			return msgs, 0, errors.Join(err, cerr)
		}
		err = errors.Join(err, cw.Write(p.conns), cw.Close())
		conns = int64(len(p.conns))
	}
	return msgs, conns, err
}
