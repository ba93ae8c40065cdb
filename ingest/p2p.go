package ingest

import (
	"cmp"
	"errors"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/decode/bitcoin"
	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/internal/hugepages"
	"github.com/netlens/netlens/schema"
)

// Connection types of peer rows decoded from captures, as Bitcoin Core
// names them.
const (
	connInbound        = "inbound"
	connOutbound       = "outbound-full-relay"
	connBlockRelayOnly = "block-relay-only"
	connFeeler         = "feeler"
)

// FeelerWindow is how soon after it began an outbound connection that the
// node closed after the handshake is a feeler. Bitcoin Core disconnects a
// feeler as soon as it has processed the peer's version (net_processing's
// "feeler connection completed"), so its connections last the round trips
// of the handshake; btcd makes no feelers.
const FeelerWindow = 10 * time.Second

// handshakeCommands are what a node sends on a feeler connection: its
// version, the feature negotiation that Bitcoin Core sends with its verack
// (BIP 339 wtxidrelay, BIP 155 sendaddrv2, BIP 330 sendtxrcncl), and the
// verack.
var handshakeCommands = []string{"version", "verack", "wtxidrelay", "sendaddrv2", "sendtxrcncl"}

// p2p decodes the Bitcoin P2P messages of the captures' TCP streams into
// peer_messages and peer_conns rows.
//
// Which node an endpoint is, the peer ids and the connection types depend
// on what comes later in the capture (the ports other nodes on the same
// address listen on, how a connection ends), so the messages are held, 56
// bytes for each of their nodes, and the rows are made and written when
// the capture ends.
type p2p struct {
	tx      *dataset.Txn
	node    netip.AddrPort // the node given (Config.Node); invalid: every local endpoint
	local   []netip.Prefix
	asm     *tcpstream.Assembler
	seg     tcpstream.Segment
	capture uint32   // index in captures of the input of the current packet
	ids     []string // the inputs' ids
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

	// The SYNs of the last synKeep, by flow, since a flow is known to be
	// Bitcoin only at its first data: origins keeps those of the Bitcoin
	// flows, for the start and the client of their connections.
	syns    synTable
	synQ    synQueue
	origins map[int64]p2pSyn
	curFlow int64 // the flow of the packet being added, -1 at the end

	conns []*p2pConn // in order of their first message
	msgs  []p2pMsg
}

// synKeep is how long after its SYN a flow's first data is looked for.
const synKeep = 2 * time.Minute

// maxSyns bounds the SYNs kept: past it, the oldest is forgotten before
// its synKeep, so that a scan (millions of SYNs a minute) costs at most a
// few tens of MB here. A Bitcoin connection whose first data comes after
// that many other SYNs is then taken as it would be without its SYN.
const maxSyns = 1 << 18

// p2pSyn is the SYN of a flow: when, and the endpoint that sent it.
type p2pSyn struct {
	flow   int64
	ts     int64
	client netip.AddrPort
}

// p2pConn is what p2p keeps of one connection.
type p2pConn struct {
	id        uint64 // tcpstream's, in order of the first packet
	client    netip.AddrPort
	server    netip.AddrPort
	dialled   tcpstream.Dir // the stream of the endpoint that dialled
	synSeen   bool
	start     int64
	end       int64
	capture   uint32
	views     [2]*p2pView // the senders' of each stream, when they are nodes
	messages  uint64
	undecoded uint64
	ended     int
	// The first end of a stream: when, which, and why.
	closedAt  int64
	closedBy  tcpstream.Dir
	closedWhy tcpstream.EndReason
}

// p2pView is one connection seen from one of its nodes: the sender of one
// of its streams.
type p2pView struct {
	conn      *p2pConn
	dir       tcpstream.Dir // the stream the node sends
	self      netip.AddrPort
	peer      netip.AddrPort
	userAgent string // of the node's version, "" before it or without one
	noRelay   bool   // the node's version says relay=false
	chatted   bool   // the node sent a message other than handshakeCommands

	node     string // resolved at the end
	peerID   int64
	connType string
	dropped  bool
}

// p2pMsg is one message for one of its nodes.
type p2pMsg struct {
	view    *p2pView
	ts      int64
	command string
	payload uint32
	capture uint32
	tcpip   uint64
	out     bool
}

func newP2P(tx *dataset.Txn, cfg Config) *p2p {
	p := &p2p{tx: tx, node: cfg.Node, local: cfg.Flow.LocalNets, loaded: time.Now().UnixNano(),
		bitcoinFlows: map[int64]bool{}, lastFlow: -1, syns: newSynTable(1024), origins: map[int64]p2pSyn{}}
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
			p.syn(pk, m)
			return
		}
		p.bitcoinFlows[pk.FlowID], p.lastBitcoin = true, true
		if o := p.syns.get(pk.FlowID); o != nil {
			p.origins[pk.FlowID] = o.syn()
			p.syns.delete(pk.FlowID)
		}
	}
	if p.seg.FromPacket(pk, m) {
		p.curFlow = pk.FlowID
		if n := len(p.ids); n == 0 || p.ids[p.capture] != capture {
			i := slices.Index(p.ids, capture)
			if i < 0 {
				i = n
				p.ids = append(p.ids, capture)
			}
			p.capture = uint32(i)
		}
		p.asm.Add(&p.seg)
	}
}

// syn notes the SYN or SYN-ACK pk, of a flow not known to be Bitcoin,
// and forgets those older than synKeep.
func (p *p2p) syn(pk *schema.Packet, m *decode.Meta) {
	for q := &p.synQ; q.n > 0; {
		o := q.head()
		if o.ts >= pk.Ts-int64(synKeep) && q.n < maxSyns {
			break
		}
		if k := p.syns.get(o.flow); k != nil && k.ts == o.ts {
			p.syns.delete(o.flow)
		}
		q.pop()
	}
	var o synRec
	switch pk.TCPFlags & (tcpstream.FlagSYN | tcpstream.FlagACK | tcpstream.FlagRST) {
	case tcpstream.FlagSYN:
		o = newSynRec(pk.FlowID, pk.Ts, m.Src, pk.Sport)
	case tcpstream.FlagSYN | tcpstream.FlagACK:
		if p.syns.get(pk.FlowID) != nil {
			return
		}
		o = newSynRec(pk.FlowID, pk.Ts, m.Dst, pk.Dport)
	default:
		return
	}
	if !m.Src.IsValid() {
		return
	}
	p.syns.put(o)
	p.synQ.push(synAt{flow: o.flow, ts: o.ts})
}

// synRec is a p2pSyn without pointers, as the SYN tables keep hundreds of
// thousands of them during a scan: the garbage collector never looks at
// them.
type synRec struct {
	flow int64
	ts   int64
	addr [16]byte
	port uint16
	is4  bool
}

func newSynRec(flow, ts int64, addr netip.Addr, port uint16) synRec {
	return synRec{flow: flow, ts: ts, addr: addr.As16(), port: port, is4: addr.Is4()}
}

// syn returns r as a p2pSyn.
func (r *synRec) syn() p2pSyn {
	a := netip.AddrFrom16(r.addr)
	if r.is4 {
		a = a.Unmap()
	}
	return p2pSyn{flow: r.flow, ts: r.ts, client: netip.AddrPortFrom(a, r.port)}
}

// synAt is a SYN in the queue of the SYNs kept: its flow and time.
type synAt struct {
	flow int64
	ts   int64
}

// synQueue holds the SYNs kept, in order of time: a ring that doubles
// when full, and so never grows past maxSyns (p2p.syn forgets one first);
// a large ring is asked for huge pages, as the other tables a scan fills.
type synQueue struct {
	ring  []synAt // a power of two long
	first int     // index in ring of the oldest
	n     int
}

func (q *synQueue) head() synAt { return q.ring[q.first] }

func (q *synQueue) pop() {
	q.first = (q.first + 1) & (len(q.ring) - 1)
	q.n--
}

func (q *synQueue) push(s synAt) {
	if q.n == len(q.ring) {
		ring := hugepages.Make[synAt](max(2*len(q.ring), 1024)) // on a scan, 16 MiB touched once
		for i := range q.n {
			ring[i] = q.ring[(q.first+i)&(len(q.ring)-1)]
		}
		q.ring, q.first = ring, 0
	}
	q.ring[(q.first+q.n)&(len(q.ring)-1)] = s
	q.n++
}

// synTable holds the SYN of each flow that has one in p2p.synQ, keyed by
// flow id, since a scan puts and deletes one for every packet and a map's
// growth and hashing then cost more than the rest of p2p. Flows are
// numbered in order of their first packet, and the SYNs kept are those of
// recent flows: the SYN of a flow goes to the slot of its id modulo the
// number of slots, so that consecutive flows sit side by side and a
// lookup is one load, without hashing or probing. The table doubles when
// a SYN finds its slot taken by another flow's while a fair share of the
// slots is in use (the kept SYNs span more ids than there are slots), up
// to maxSynSlots; a SYN whose slot is taken otherwise waits in over. A
// slot with flow 0 is free (flows are numbered from 1).
type synTable struct {
	slots []synRec
	mask  int64
	over  map[int64]synRec // SYNs whose slot holds another flow's
	used  int              // SYNs held, in slots and in over
}

// maxSynSlots bounds the slots of a synTable (40 MB).
const maxSynSlots = 1 << 20

func newSynTable(size int) synTable {
	n := 1
	for n < size {
		n *= 2
	}
	return synTable{slots: hugepages.Make[synRec](n), mask: int64(n - 1)}
}

// get returns the SYN of flow, or nil; it is not to be changed through
// the pointer.
func (t *synTable) get(flow int64) *synRec {
	if s := &t.slots[flow&t.mask]; s.flow == flow {
		return s
	}
	if len(t.over) > 0 {
		if o, ok := t.over[flow]; ok {
			return &o
		}
	}
	return nil
}

// put sets the SYN of o.flow to o.
func (t *synTable) put(o synRec) {
	if len(t.over) > 0 {
		if _, ok := t.over[o.flow]; ok {
			t.over[o.flow] = o
			return
		}
	}
	s := &t.slots[o.flow&t.mask]
	switch {
	case s.flow == 0:
		t.used++
		*s = o
	case s.flow == o.flow:
		*s = o
	case 2*t.used >= len(t.slots) && len(t.slots) < maxSynSlots:
		t.grow()
		t.put(o)
	default:
		if t.over == nil {
			t.over = map[int64]synRec{}
		}
		t.over[o.flow] = o
		t.used++
	}
}

// grow doubles the slots and places the SYNs again, those of over too.
func (t *synTable) grow() {
	old, over := t.slots, t.over
	*t = newSynTable(2 * len(old))
	for i := range old {
		if old[i].flow != 0 {
			t.put(old[i])
		}
	}
	for _, o := range over {
		t.put(o)
	}
}

// delete forgets the SYN of flow.
func (t *synTable) delete(flow int64) {
	if s := &t.slots[flow&t.mask]; s.flow == flow {
		*s = synRec{}
		t.used--
		return
	}
	if _, ok := t.over[flow]; ok {
		delete(t.over, flow)
		t.used--
	}
}

// isNode reports whether a is a node whose messages are kept: the node
// given, else every address that is not globally routable or is in the
// site's networks (the capture's own side).
func (p *p2p) isNode(a netip.Addr) bool {
	if p.node.IsValid() {
		return a == p.node.Addr()
	}
	for _, n := range p.local {
		if n.Contains(a) {
			return true
		}
	}
	return !a.IsGlobalUnicast() || a.IsPrivate()
}

// conn returns the state of s's connection, made at its first message:
// who dialled, and which endpoints are nodes.
func (p *p2p) conn(s *tcpstream.Stream, m *bitcoin.Message) *p2pConn {
	c := s.Conn
	if pc, ok := c.User.(*p2pConn); ok {
		return pc
	}
	pc := &p2pConn{id: c.ID, client: c.Client, server: c.Server, dialled: tcpstream.ClientToServer,
		synSeen: c.SynSeen, start: c.Start, capture: p.capture}
	c.User = pc
	if o, ok := p.origins[p.curFlow]; ok && (o.client == c.Client || o.client == c.Server) {
		// The SYN, seen before the flow was known to be Bitcoin.
		pc.synSeen, pc.start = true, o.ts
		if o.client == c.Server {
			pc.client, pc.server, pc.dialled = c.Server, c.Client, tcpstream.ServerToClient
		}
	} else if !c.SynSeen && m.Command == "version" && s.Dir == tcpstream.ServerToClient {
		// No SYN: the sender of the first version dialled.
		pc.client, pc.server, pc.dialled = c.Server, c.Client, tcpstream.ServerToClient
	}
	clientNode, serverNode := p.isNode(pc.client.Addr()), p.isNode(pc.server.Addr())
	if !clientNode && !serverNode && !p.node.IsValid() {
		// Neither side is local (a capture at a router): both are nodes.
		clientNode, serverNode = true, true
	}
	if clientNode {
		pc.views[pc.dialled] = &p2pView{conn: pc, dir: pc.dialled, self: pc.client, peer: pc.server}
	}
	if serverNode {
		pc.views[1-pc.dialled] = &p2pView{conn: pc, dir: 1 - pc.dialled, self: pc.server, peer: pc.client}
	}
	p.conns = append(p.conns, pc)
	return pc
}

// Message implements bitcoin.Sink: a row for the sender and one for the
// receiver, each when it is a node.
func (p *p2p) Message(s *tcpstream.Stream, m *bitcoin.Message) {
	pc := p.conn(s, m)
	pc.messages++
	sender, receiver := pc.views[s.Dir], pc.views[1-s.Dir]
	tcpip := uint64(math.Round(m.IPBytes)) + uint64(m.AckBytes)
	if sender != nil {
		if m.Command == "version" && m.Version != nil && sender.userAgent == "" {
			sender.userAgent, sender.noRelay = m.Version.UserAgent, !m.Version.Relay
		}
		if !slices.Contains(handshakeCommands, m.Command) {
			sender.chatted = true
		}
		p.msgs = append(p.msgs, p2pMsg{view: sender, ts: m.First, command: m.Command, payload: m.Length,
			capture: p.capture, tcpip: tcpip, out: true})
	}
	if receiver != nil {
		p.msgs = append(p.msgs, p2pMsg{view: receiver, ts: m.Last, command: m.Command, payload: m.Length,
			capture: p.capture, tcpip: tcpip})
	}
}

// StreamEnd implements bitcoin.Sink: it counts what could not be decoded
// and notes how the connection ended.
func (p *p2p) StreamEnd(s *tcpstream.Stream, st *bitcoin.StreamStats, r tcpstream.EndReason) {
	pc, ok := s.Conn.User.(*p2pConn)
	if !ok {
		return
	}
	pc.undecoded += st.Undecoded + st.GapBytes
	if pc.ended == 0 {
		pc.closedAt, pc.closedBy, pc.closedWhy = s.Conn.End, s.Dir, r
	}
	pc.ended++
	pc.end = s.Conn.End
}

// feeler reports whether v is the node's side of a feeler connection: the
// node dialled, sent nothing but handshakeCommands, and closed the
// connection (its FIN came first, or a reset ended it) within FeelerWindow
// of its start. A connection that the capture's end or a gap cuts short is
// not one.
func (v *p2pView) feeler() bool {
	c := v.conn
	if v.dir != c.dialled || v.chatted || v.userAgent == "" || c.ended == 0 {
		return false
	}
	switch {
	case c.closedWhy == tcpstream.EndFIN && c.closedBy == v.dir:
	case c.closedWhy == tcpstream.EndRST:
	default:
		return false
	}
	return c.closedAt-c.start <= int64(FeelerWindow)
}

// resolve names the node of every view, numbers its peers in order of
// connection start and sets the connection types.
//
// A node is its address. When several nodes share an address (a test
// network on one host), each is address:port, the port it listens on: an
// endpoint that accepted a connection is that node; one that dialled is
// the listener on its address whose own version announced the same user
// agent, when exactly one did, else the node given (Config.Node) when on
// that address and not a listener of another user agent, else the bare
// address (a node that no one dialled in the
// capture, or one of several announcing the same user agent).
func (p *p2p) resolve() {
	type listener struct {
		port uint16
		uas  []string
	}
	listeners := map[netip.Addr][]listener{}
	var views []*p2pView
	for _, c := range p.conns {
		for _, v := range c.views {
			if v == nil {
				continue
			}
			views = append(views, v)
			if v.dir == c.dialled {
				continue
			}
			ls := listeners[v.self.Addr()]
			i := slices.IndexFunc(ls, func(l listener) bool { return l.port == v.self.Port() })
			if i < 0 {
				i = len(ls)
				ls = append(ls, listener{port: v.self.Port()})
			}
			if v.userAgent != "" && !slices.Contains(ls[i].uas, v.userAgent) {
				ls[i].uas = append(ls[i].uas, v.userAgent)
			}
			listeners[v.self.Addr()] = ls
		}
	}
	// An address holds several nodes when several ports listen on it, or
	// when it dials with a user agent that none of its listeners has.
	shared := map[netip.Addr]bool{}
	if p.node.IsValid() && p.node.Port() != 0 {
		shared[p.node.Addr()] = true
	}
	for a, ls := range listeners {
		if len(ls) > 1 {
			shared[a] = true
		}
	}
	for _, v := range views {
		if ls := listeners[v.self.Addr()]; v.dir == v.conn.dialled && v.userAgent != "" && len(ls) > 0 &&
			!slices.ContainsFunc(ls, func(l listener) bool { return slices.Contains(l.uas, v.userAgent) }) {
			shared[v.self.Addr()] = true
		}
	}
	for _, v := range views {
		a := v.self.Addr()
		switch {
		case !shared[a]:
			v.node = a.String()
		case v.dir != v.conn.dialled:
			v.node = v.self.String()
		default:
			v.node = a.String()
			var match []uint16
			for _, l := range listeners[a] {
				if v.userAgent != "" && slices.Contains(l.uas, v.userAgent) {
					match = append(match, l.port)
				}
			}
			if len(match) == 1 {
				v.node = netip.AddrPortFrom(a, match[0]).String()
			} else if len(match) == 0 && p.node.IsValid() && p.node.Port() != 0 && p.node.Addr() == a &&
				!slices.ContainsFunc(listeners[a], func(l listener) bool { return l.port == p.node.Port() && len(l.uas) > 0 }) {
				v.node = p.node.String()
			}
		}
		if p.node.IsValid() && p.node.Port() != 0 && v.node != p.node.String() {
			v.dropped = true
		}
		switch {
		case v.dir != v.conn.dialled:
			v.connType = connInbound
		case v.feeler():
			v.connType = connFeeler
		case v.noRelay:
			v.connType = connBlockRelayOnly
		default:
			v.connType = connOutbound
		}
	}
	slices.SortStableFunc(views, func(a, b *p2pView) int {
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.conn.start, b.conn.start), cmp.Compare(a.conn.id, b.conn.id))
	})
	next := map[string]int64{}
	for _, v := range views {
		if !v.dropped {
			next[v.node]++
			v.peerID = next[v.node]
		}
	}
}

// close ends every connection and writes the rows; it returns the number
// of peer_messages and peer_conns rows.
func (p *p2p) close() (msgs, conns int64, err error) {
	p.curFlow = -1
	p.asm.Flush()
	p.resolve()
	if len(p.msgs) > 0 {
		mw, werr := dataset.NewTableWriter(p.tx, schema.PeerMessages, func(m *schema.PeerMessage) int64 { return m.Ts })
		if werr != nil {
			return 0, 0, werr
		}
		w := startRowWriter(mw, nil, peerBatchRows, peerBatches)
		b := w.get()
		for i := range p.msgs {
			m := &p.msgs[i]
			v := m.view
			if v.dropped {
				continue
			}
			dir := "in"
			if m.out {
				dir = "out"
			}
			one, payload, size, tcpip, id := uint64(1), uint64(m.payload), uint64(m.payload)+bitcoin.HeaderLen, m.tcpip, v.peerID
			b.rows = append(b.rows, schema.PeerMessage{
				Ts: m.ts, Capture: p.ids[m.capture], Layout: "p2p", Node: v.node, PeerID: &id, PeerAddr: v.peer.String(),
				ConnType: v.connType, Direction: dir, MsgType: m.command, Messages: &one,
				PayloadSize: &payload, MessageSize: &size, TCPIPSize: &tcpip, TCPIPMeasured: true,
			})
			if len(b.rows) == cap(b.rows) {
				w.send(b)
				b = w.get()
			}
		}
		p.msgs = nil
		msgs, err = w.close(b)
	}
	var rows []schema.PeerConn
	for _, c := range p.conns {
		if c.ended < 2 {
			continue
		}
		var start *int64
		if c.synSeen {
			start = &c.start
		}
		end, dur := c.end, c.end-c.start
		for _, v := range c.views {
			if v == nil || v.dropped {
				continue
			}
			rows = append(rows, schema.PeerConn{
				Loaded: p.loaded, Capture: p.ids[c.capture], Node: v.node, PeerID: v.peerID, PeerAddr: v.peer.String(),
				ConnType: v.connType, Start: start, End: &end, Duration: &dur,
				Messages: c.messages, Undecoded: c.undecoded,
			})
		}
	}
	if len(rows) > 0 {
		slices.SortStableFunc(rows, func(a, b schema.PeerConn) int {
			return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.PeerID, b.PeerID))
		})
		cw, cerr := dataset.NewTableWriter(p.tx, schema.PeerConns, func(c *schema.PeerConn) int64 { return c.Loaded })
		if cerr != nil {
			return msgs, 0, errors.Join(err, cerr)
		}
		err = errors.Join(err, cw.Write(rows), cw.Close())
		conns = int64(len(rows))
	}
	return msgs, conns, err
}
