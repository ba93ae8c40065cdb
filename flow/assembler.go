package flow

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// Flow kinds written to schema.Flow.Kind when users are configured.
const (
	KindTypical = "typical" // a user and a non-user
	KindP2P     = "p2p"     // two users
	KindNoUser  = "nouser"  // no user
)

// key identifies a flow whatever the direction of its packets: the lower
// (address, port) end comes first; except for the ICMP messages that no
// type answers, whose flows go one way, sender first (see ICMPPorts).
type key struct {
	lo, hi         [16]byte
	loPort, hiPort uint16
	proto          uint8
	v6             bool
}

// Lists that order live flows by deadline.
const (
	listTCP     = iota // TCP flows, by last activity
	listUDP            // UDP flows, by last activity
	listOther          // other flows, by last activity
	listClosing        // closed TCP flows, by close deadline
	numLists
)

// entry is a live flow. It sits in the map, in one deadline list and in the
// list of live flows in id order.
type entry struct {
	key        key
	aIsLo      bool // a is the lo end of the key
	id         int64
	start, end int64
	closeAt    int64 // end of the close delay, for entries in listClosing
	list       int
	prev, next *entry // deadline list
	idPrev     *entry // id-order list
	idNext     *entry

	proto, ipVersion uint8
	a, b             string
	aAddr, bAddr     netip.Addr
	aPort, bPort     uint16
	pkts, bytes      [2]uint64 // [0] a to b, [1] b to a
	payload          [2]uint64
	flags            [2]uint16
	tcp              tcpState
	aLocal, bLocal   bool
	userA, userB     string
	kind, service    string
}

// list is an intrusive doubly-linked list of entries.
type list struct{ head, tail *entry }

func (l *list) push(e *entry) {
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
}

func (l *list) remove(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// idList links entries in flow id order through idPrev and idNext.
type idList struct{ head, tail *entry }

func (l *idList) push(e *entry) {
	e.idPrev, e.idNext = l.tail, nil
	if l.tail != nil {
		l.tail.idNext = e
	} else {
		l.head = e
	}
	l.tail = e
}

func (l *idList) remove(e *entry) {
	if e.idPrev != nil {
		e.idPrev.idNext = e.idNext
	} else {
		l.head = e.idNext
	}
	if e.idNext != nil {
		e.idNext.idPrev = e.idPrev
	} else {
		l.tail = e.idPrev
	}
	e.idPrev, e.idNext = nil, nil
}

// Assembler turns packets into flows. It is not safe for concurrent use.
type Assembler struct {
	idle       [listClosing]int64 // idle timeouts in ns by list; 0 = never
	active     int64
	closeDelay int64
	ends       *Roles

	emit   func(*schema.Flow)
	flows  map[key]*entry
	last   *entry // flow of the last packet added, while it lives
	lists  [numLists]list
	byID   idList
	free   *entry
	frags  fragTable
	nextID int64
	out    schema.Flow
}

// New returns an Assembler that numbers flows from firstID and hands every
// finished flow to emit. The flow passed to emit is valid only during the
// call; emit must not call back into the Assembler. cfg must be valid (see
// Config.Validate).
func New(cfg Config, firstID int64, emit func(*schema.Flow)) *Assembler {
	a := &Assembler{
		idle:       [listClosing]int64{int64(cfg.IdleTCP), int64(cfg.IdleUDP), int64(cfg.IdleOther)},
		active:     int64(cfg.Active),
		closeDelay: int64(cfg.CloseDelay),
		ends:       NewRoles(cfg),
		emit:       emit,
		flows:      make(map[key]*entry, 1024),
		nextID:     firstID,
	}
	return a
}

// Live returns the number of flows not yet emitted.
func (a *Assembler) Live() int { return len(a.flows) }

// NextID returns the id the next new flow will get.
func (a *Assembler) NextID() int64 { return a.nextID }

// Add adds a decoded packet to its flow and sets p.FlowID; packets that are
// not IP (m.Status other than decode.OK) get flow id 0. Before that, every
// flow whose deadline lies before p.Ts is emitted.
//
// A later fragment of an IP datagram (no ports) joins the flow of the
// datagram's first fragment when that came within the last 30 seconds;
// otherwise it makes a flow of its own with ports 0.
func (a *Assembler) Add(p *schema.Packet, m *decode.Meta) {
	p.FlowID = 0
	a.expire(p.Ts)
	if a.frags.head != nil {
		a.frags.expire(p.Ts)
	}
	if m.Status != decode.OK || !m.Src.IsValid() || !m.Dst.IsValid() {
		return
	}
	if p.Frag && m.FragOffset != 0 && a.addLaterFragment(p, m) {
		return
	}
	k, srcIsLo := makeKey(p, m)
	e := a.last // packets of a flow tend to come in runs
	if e == nil || e.key != k {
		e = a.flows[k]
	}
	switch {
	case e == nil:
		e = a.start(k, srcIsLo, p, m)
	case p.Proto == protoTCP && e.tcp.closed() && p.TCPFlags&(flagSYN|flagACK|flagRST|flagFIN) == flagSYN:
		// a new connection on the ports of a closed one
		a.finish(e)
		e = a.start(k, srcIsLo, p, m)
	case a.active > 0 && p.Ts-e.start > a.active:
		a.restart(e, p)
	}
	a.account(e, srcIsLo, p)
	a.last = e
	p.FlowID = e.id
	if p.Frag && m.FragOffset == 0 { // a first fragment: its datagram's other fragments follow
		a.frags.put(makeFragKey(p, m), k, srcIsLo, p.Ts)
	}
}

// addLaterFragment adds a later fragment to the flow of its datagram's first
// fragment, and reports false when that is unknown, too old or its flow
// has ended. A fragment changes neither the TCP state nor the flags, and
// does not start an active-timeout split: it belongs where its first
// fragment went.
func (a *Assembler) addLaterFragment(p *schema.Packet, m *decode.Meta) bool {
	f := a.frags.get(makeFragKey(p, m), p.Ts)
	if f == nil {
		return false
	}
	e := a.flows[f.flow]
	if e == nil {
		return false
	}
	dir := 0
	if f.srcIsLo != e.aIsLo {
		dir = 1
	}
	a.count(e, dir, p)
	a.touch(e)
	p.FlowID = e.id
	return true
}

// Flush emits every live flow in flow id order and forgets them, and the
// fragmented datagrams too.
func (a *Assembler) Flush() {
	for e := a.byID.head; e != nil; {
		next := e.idNext
		a.finish(e)
		e = next
	}
	a.frags.reset()
}

// makeKey builds the direction-independent key of p and tells whether its
// source is the lo end.
func makeKey(p *schema.Packet, m *decode.Meta) (key, bool) {
	k := key{proto: p.Proto, v6: m.Src.Is6()}
	sport, dport := p.Sport, p.Dport
	src, dst := m.Src.As16(), m.Dst.As16()
	switch p.Proto {
	case protoTCP, protoUDP:
	case protoICMP, protoICMPv6:
		var oneWay bool
		sport, dport, oneWay = ICMPPorts(p.Proto, uint8(p.Sport), uint8(p.Dport))
		if oneWay { // a flow per direction: the key keeps the sender first
			k.lo, k.hi, k.loPort, k.hiPort = src, dst, sport, dport
			return k, true
		}
	default:
		sport, dport = 0, 0
	}
	var c int
	if m.Src.BitLen() != m.Dst.BitLen() {
		c = m.Src.Compare(m.Dst)
	} else { // the order of Compare for decoded addresses (no zone), faster
		c = cmp.Compare(binary.BigEndian.Uint64(src[:8]), binary.BigEndian.Uint64(dst[:8]))
		if c == 0 {
			c = cmp.Compare(binary.BigEndian.Uint64(src[8:]), binary.BigEndian.Uint64(dst[8:]))
		}
	}
	srcIsLo := c < 0 || c == 0 && sport <= dport
	if srcIsLo {
		k.lo, k.hi, k.loPort, k.hiPort = src, dst, sport, dport
	} else {
		k.lo, k.hi, k.loPort, k.hiPort = dst, src, dport, sport
	}
	return k, srcIsLo
}

// start creates the flow of p's first packet.
func (a *Assembler) start(k key, srcIsLo bool, p *schema.Packet, m *decode.Meta) *entry {
	e := a.free
	if e != nil {
		a.free = e.next
		*e = entry{}
	} else {
		e = new(entry)
	}
	e.key = k
	e.id = a.nextID
	a.nextID++
	e.start, e.end = p.Ts, p.Ts
	e.proto, e.ipVersion = p.Proto, p.IPVersion

	// The sender is a, except that the receiver of a first SYN-ACK is.
	srcIsA := true
	if p.Proto == protoTCP && p.TCPFlags&(flagSYN|flagACK) == flagSYN|flagACK {
		srcIsA = false
	}
	e.aIsLo = srcIsLo == srcIsA
	if srcIsA {
		e.a, e.b, e.aAddr, e.bAddr, e.aPort, e.bPort = p.Src, p.Dst, m.Src, m.Dst, p.Sport, p.Dport
	} else {
		e.a, e.b, e.aAddr, e.bAddr, e.aPort, e.bPort = p.Dst, p.Src, m.Dst, m.Src, p.Dport, p.Sport
	}
	if p.Proto == protoICMP || p.Proto == protoICMPv6 { // see ICMPPorts
		e.aPort, e.bPort, _ = ICMPPorts(p.Proto, uint8(p.Sport), uint8(p.Dport))
	}
	if p.Proto == protoTCP {
		e.tcp.hist = rstos0No
		if srcIsA && p.TCPFlags&(flagSYN|flagACK|flagRST|flagFIN) == flagSYN {
			e.tcp.hist = rstos0Open
		}
	}
	a.roles(e)

	e.list = listOther
	switch p.Proto {
	case protoTCP:
		e.list = listTCP
	case protoUDP:
		e.list = listUDP
	}
	a.lists[e.list].push(e)
	a.byID.push(e)
	a.flows[k] = e
	return e
}

// roles sets what depends on which end is a: locality, users, kind, service.
func (a *Assembler) roles(e *entry) {
	r := a.ends
	e.aLocal, e.bLocal = r.Local(e.aAddr), r.Local(e.bAddr)
	e.service = ""
	if e.proto == protoTCP || e.proto == protoUDP {
		e.service = services.Lookup(e.proto, e.bPort)
	}
	if !r.hasUsers {
		return
	}
	e.userA, e.userB = r.User(e.aAddr, e.a), r.User(e.bAddr, e.b)
	e.kind = Kind(e.userA, e.userB)
}

// flip swaps the roles of a and b.
func (a *Assembler) flip(e *entry) {
	e.aIsLo = !e.aIsLo
	e.a, e.b = e.b, e.a
	e.aAddr, e.bAddr = e.bAddr, e.aAddr
	e.aPort, e.bPort = e.bPort, e.aPort
	e.pkts[0], e.pkts[1] = e.pkts[1], e.pkts[0]
	e.bytes[0], e.bytes[1] = e.bytes[1], e.bytes[0]
	e.payload[0], e.payload[1] = e.payload[1], e.payload[0]
	e.flags[0], e.flags[1] = e.flags[1], e.flags[0]
	e.tcp.flip()
	a.roles(e)
}

// account adds p to e.
func (a *Assembler) account(e *entry, srcIsLo bool, p *schema.Packet) {
	dir := 0
	if srcIsLo != e.aIsLo {
		dir = 1
	}
	if p.Proto == protoTCP && p.TCPFlags&(flagSYN|flagACK) == flagSYN {
		if dir == 1 && !e.tcp.pureSYN { // the first SYN makes its sender a
			a.flip(e)
			dir = 0
		}
		e.tcp.pureSYN = true
	}
	a.count(e, dir, p)
	if p.Proto == protoTCP {
		e.flags[dir] |= p.TCPFlags
		wasClosed := e.tcp.closed()
		e.tcp.update(dir, p.TCPFlags, p.PayloadLen)
		if !wasClosed && e.tcp.closed() && a.closeDelay > 0 {
			a.lists[e.list].remove(e)
			e.list = listClosing
			e.closeAt = p.Ts + a.closeDelay
			a.lists[listClosing].push(e)
			return
		}
	}
	a.touch(e)
}

// count adds p's packet, bytes and time to e in direction dir.
func (a *Assembler) count(e *entry, dir int, p *schema.Packet) {
	e.pkts[dir]++
	e.bytes[dir] += uint64(p.IPLen)
	e.payload[dir] += uint64(p.PayloadLen)
	e.start = min(e.start, p.Ts)
	e.end = max(e.end, p.Ts)
}

// touch keeps the idle lists in order of last activity after e had a
// packet.
func (a *Assembler) touch(e *entry) {
	if e.list == listClosing {
		return
	}
	l := &a.lists[e.list]
	if l.tail != e {
		l.remove(e)
		l.push(e)
	}
}

// restart emits e as it is and continues it as a new flow with the same
// roles, for the active timeout.
func (a *Assembler) restart(e *entry, p *schema.Packet) {
	a.fill(e)
	a.emit(&a.out)
	a.byID.remove(e)
	e.id = a.nextID
	a.nextID++
	a.byID.push(e)
	e.start, e.end = p.Ts, p.Ts
	e.pkts, e.bytes, e.payload, e.flags = [2]uint64{}, [2]uint64{}, [2]uint64{}, [2]uint16{}
}

// deadline returns when the head of list i ends, and false when it never
// does.
func (a *Assembler) deadline(e *entry, i int) (int64, bool) {
	if i == listClosing {
		return e.closeAt, true
	}
	if a.idle[i] == 0 {
		return 0, false
	}
	return e.end + a.idle[i], true
}

// expire emits, earliest deadline first, every flow whose deadline lies
// before now. Only list heads are looked at, so the cost is one check per
// list plus one per expired flow.
func (a *Assembler) expire(now int64) {
	for {
		var best *entry
		var bestAt int64
		for i := range a.lists {
			h := a.lists[i].head
			if h == nil {
				continue
			}
			at, ok := a.deadline(h, i)
			if ok && now > at && (best == nil || at < bestAt) {
				best, bestAt = h, at
			}
		}
		if best == nil {
			return
		}
		a.finish(best)
	}
}

// finish emits e and forgets it.
func (a *Assembler) finish(e *entry) {
	a.fill(e)
	a.emit(&a.out)
	a.lists[e.list].remove(e)
	a.byID.remove(e)
	delete(a.flows, e.key)
	if a.last == e {
		a.last = nil
	}
	*e = entry{next: a.free}
	a.free = e
}

// fill writes e into a.out.
func (a *Assembler) fill(e *entry) {
	a.out = schema.Flow{
		FlowID:      e.id,
		Start:       e.start,
		End:         e.end,
		Duration:    float64(e.end-e.start) / float64(time.Second),
		Proto:       e.proto,
		IPVersion:   e.ipVersion,
		A:           e.a,
		APort:       e.aPort,
		B:           e.b,
		BPort:       e.bPort,
		PktsAToB:    e.pkts[0],
		PktsBToA:    e.pkts[1],
		BytesAToB:   e.bytes[0],
		BytesBToA:   e.bytes[1],
		PayloadAToB: e.payload[0],
		PayloadBToA: e.payload[1],
		TCPFlagsA:   e.flags[0],
		TCPFlagsB:   e.flags[1],
		State:       a.state(e),
		Answered:    e.pkts[1] > 0,
		ALocal:      e.aLocal,
		BLocal:      e.bLocal,
		Kind:        e.kind,
		Service:     e.service,
		UserA:       e.userA,
		UserB:       e.userB,
	}
}

// state returns Zeek's conn_state: from the TCP state machine for TCP; for
// UDP SF when both sides sent, S0 when only a did (SHR when only b did,
// after an active-timeout split); OTH for everything else, as Zeek.
func (a *Assembler) state(e *entry) string {
	switch e.proto {
	case protoTCP:
		return e.tcp.state(e.payload[0], e.payload[1])
	case protoUDP:
		switch {
		case e.pkts[0] > 0 && e.pkts[1] > 0:
			return "SF"
		case e.pkts[0] > 0:
			return "S0"
		case e.pkts[1] > 0:
			return "SHR"
		}
	}
	return "OTH"
}
