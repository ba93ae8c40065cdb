package flow

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"unsafe"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/internal/hugepages"
	"github.com/netlens/netlens/internal/prefetch"
	"github.com/netlens/netlens/schema"
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

// entry is a live flow: what a row of flows needs that its key and the
// Config do not tell. It holds no pointer, so that millions of live flows
// (a scan) cost the garbage collector nothing: entries sit in chunks and
// link to each other by index. The addresses are the key's; their text,
// locality, users and service are found when the flow is written.
type entry struct {
	key        key
	id         int64
	start, end int64
	closeAt    int64 // end of the close delay, for entries in listClosing
	prev, next ref   // deadline list; next also links free entries
	self       ref
	pkts       [2]uint64 // [0] a to b, [1] b to a
	bytes      [2]uint64
	payload    [2]uint64
	flags      [2]uint16
	tcp        tcpState
	list       uint8
	ipVersion  uint8
	aIsLo      bool // a is the lo end of the key
}

// ref is the index of an entry in the Assembler's chunks; 0 is none.
type ref uint32

// Entries are allocated a chunk at a time, each large enough to lie on huge
// pages (see hugepages.Make): on a scan, whose live flows fill the memory
// budget, every chunk's pages are touched first in random order.
const (
	chunkBits = 15
	chunkSize = 1 << chunkBits
)

// EntryBytes is what a live flow costs in memory, its map slot included:
// Config.Memory divided by it is the number of live flows kept.
const EntryBytes = 224

// list is an intrusive doubly-linked list of entries.
type list struct{ head, tail ref }

// at returns the entry r (not 0).
func (a *Assembler) at(r ref) *entry { return &a.chunks[r>>chunkBits][r&(chunkSize-1)] }

func (a *Assembler) push(l *list, e *entry) {
	e.prev, e.next = l.tail, 0
	if l.tail != 0 {
		a.at(l.tail).next = e.self
	} else {
		l.head = e.self
	}
	l.tail = e.self
}

func (a *Assembler) remove(l *list, e *entry) {
	if e.prev != 0 {
		a.at(e.prev).next = e.next
	} else {
		l.head = e.next
	}
	if e.next != 0 {
		a.at(e.next).prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = 0, 0
}

// Assembler turns packets into flows. It is not safe for concurrent use.
type Assembler struct {
	idle       [listClosing]int64 // idle timeouts in ns by list; 0 = never
	active     int64
	closeDelay int64
	maxLive    int // live flows kept before the longest idle is ended; 0 = no limit

	// A finished flow goes to emitDone when it is set, else its row,
	// made by rows, to emitRow.
	emitDone func(*Finished)
	emitRow  func(*schema.Flow)
	rows     *RowMaker
	done     Finished
	out      schema.Flow

	flows   flowTable
	last    *entry // flow of the last packet added, while it lives
	lists   [numLists]list
	chunks  [][]entry
	free    ref
	frags   fragTable
	nextID  int64
	evicted int64
}

// New returns an Assembler that numbers flows from firstID and hands the
// row of every finished flow to emit. The flow passed to emit is valid
// only during the call; emit must not call back into the Assembler. cfg
// must be valid (see Config.Validate).
func New(cfg Config, firstID int64, emit func(*schema.Flow)) *Assembler {
	a := newAssembler(cfg, firstID)
	a.emitRow, a.rows = emit, NewRowMaker(cfg)
	return a
}

// NewFinished returns an Assembler like New's that hands every finished
// flow to emit as a Finished rather than a row, in the same order: a
// RowMaker of the same Config makes the same rows from them, on another
// goroutine if need be. The Finished passed to emit is valid only during
// the call.
func NewFinished(cfg Config, firstID int64, emit func(*Finished)) *Assembler {
	a := newAssembler(cfg, firstID)
	a.emitDone = emit
	return a
}

func newAssembler(cfg Config, firstID int64) *Assembler {
	a := &Assembler{
		idle:       [listClosing]int64{int64(cfg.IdleTCP), int64(cfg.IdleUDP), int64(cfg.IdleOther)},
		active:     int64(cfg.Active),
		closeDelay: int64(cfg.CloseDelay),
		flows:      newFlowTable(1024),
		nextID:     firstID,
		chunks:     [][]entry{hugepages.Make[entry](chunkSize)[:1]}, // ref 0 is none
	}
	if cfg.Memory > 0 {
		a.maxLive = int(max(cfg.Memory/EntryBytes, 1))
		// The table is at most half full: twice the live flows, and one
		// being added.
		a.flows.most = 1
		for a.flows.most < 2*(a.maxLive+1) {
			a.flows.most *= 2
		}
	}
	return a
}

// Evicted returns the number of flows ended early because the live flows
// reached the memory budget (Config.Memory).
func (a *Assembler) Evicted() int64 { return a.evicted }

// Live returns the number of flows not yet emitted.
func (a *Assembler) Live() int { return a.flows.used }

// NextID returns the id the next new flow will get.
func (a *Assembler) NextID() int64 { return a.nextID }

// Add adds a decoded packet to its flow and sets p.FlowID; packets that are
// not IP (m.Status other than decode.OK) get flow id 0. Before that, every
// flow whose deadline lies before p.Ts is emitted.
//
// A later fragment of an IP datagram (no ports) joins the flow of the
// datagram's first fragment when that came within the last 30 seconds;
// otherwise it makes a flow of its own with ports 0.
//
// When a new flow would make more live flows than the memory budget holds
// (Config.Memory), the flow idle the longest is emitted first, as if its
// idle timeout had come (see evict).
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
		e = nil
		if a.maxLive > 0 && a.flows.used >= a.maxLive {
			a.peekEvictee()
		}
		if r := a.get(&k); r != 0 {
			e = a.at(r)
		}
	}
	switch {
	case e == nil:
		e = a.start(k, srcIsLo, p)
	case p.Proto == protoTCP && e.tcp.closed() && p.TCPFlags&(flagSYN|flagACK|flagRST|flagFIN) == flagSYN:
		// a new connection on the ports of a closed one
		a.finish(e)
		e = a.start(k, srcIsLo, p)
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
	r := a.get(&f.flow)
	if r == 0 {
		return false
	}
	e := a.at(r)
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
	// Sorted with their ids beside them: reading each id from its entry
	// costs a cache miss per comparison when millions are live. The
	// entries are read in the order they lie in memory, not in the
	// table's: a live one has counted a packet at least, a free one none.
	type liveFlow struct {
		id int64
		r  ref
	}
	// Both tables take tens of MB on a scan, touched once: on huge pages,
	// a page fault every 2 MiB rather than every 4 KiB.
	live := hugepages.Make[liveFlow](a.flows.used)[:0]
	lowest := a.nextID
	for c := range a.chunks {
		for i := range a.chunks[c] {
			if e := &a.chunks[c][i]; e.pkts[0]+e.pkts[1] != 0 {
				live = append(live, liveFlow{e.id, e.self})
				lowest = min(lowest, e.id)
			}
		}
	}
	if span := a.nextID - lowest; span <= 4*int64(len(live)) {
		// Ids are given in order and the live ones mostly recent (on a
		// scan, all of those since the oldest kept): each goes to its
		// place among the ids since the lowest, without comparisons.
		byID := hugepages.Make[ref](int(span))
		for _, l := range live {
			byID[l.id-lowest] = l.r
		}
		live = live[:0]
		for i, r := range byID {
			if r != 0 {
				live = append(live, liveFlow{lowest + int64(i), r})
			}
		}
	} else {
		slices.SortFunc(live, func(x, y liveFlow) int { return cmp.Compare(x.id, y.id) })
	}
	for _, l := range live {
		a.hand(a.at(l.r))
	}
	// Forgotten all at once: a delete per flow costs more than the rest of
	// the flush when millions are live, and so does clearing each entry
	// (hundreds of MB on a scan, at the end of the input): the entries go
	// with their chunks but the first, whose entries are made again as
	// flows come after (newEntry appends them), and the table with its
	// slots.
	most := a.flows.most
	a.flows = newFlowTable(1024)
	a.flows.most = most
	a.lists = [numLists]list{}
	clear(a.chunks[1:])
	a.chunks = a.chunks[:1]
	a.chunks[0] = a.chunks[0][:1] // ref 0 is none
	a.free = 0
	a.last = nil
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

// start creates the flow of p's first packet, after making room for it
// when the live flows fill the memory budget.
func (a *Assembler) start(k key, srcIsLo bool, p *schema.Packet) *entry {
	if a.maxLive > 0 && a.flows.used >= a.maxLive {
		a.evict()
	}
	e := a.newEntry()
	e.key = k
	e.id = a.nextID
	a.nextID++
	e.start, e.end = p.Ts, p.Ts
	e.ipVersion = p.IPVersion

	// The sender is a, except that the receiver of a first SYN-ACK is.
	srcIsA := true
	if p.Proto == protoTCP && p.TCPFlags&(flagSYN|flagACK) == flagSYN|flagACK {
		srcIsA = false
	}
	e.aIsLo = srcIsLo == srcIsA
	if p.Proto == protoTCP {
		e.tcp.hist = rstos0No
		if srcIsA && p.TCPFlags&(flagSYN|flagACK|flagRST|flagFIN) == flagSYN {
			e.tcp.hist = rstos0Open
		}
	}

	e.list = listOther
	switch p.Proto {
	case protoTCP:
		e.list = listTCP
	case protoUDP:
		e.list = listUDP
	}
	a.push(&a.lists[e.list], e)
	a.flows.put(&k, e.self)
	return e
}

// newEntry returns a zero entry (but for its ref), a free one or a new one.
func (a *Assembler) newEntry() *entry {
	if a.free != 0 {
		e := a.at(a.free)
		a.free = e.next
		*e = entry{self: e.self}
		return e
	}
	c := &a.chunks[len(a.chunks)-1]
	if len(*c) == chunkSize {
		a.chunks = append(a.chunks, hugepages.Make[entry](chunkSize)[:0])
		c = &a.chunks[len(a.chunks)-1]
	}
	*c = append(*c, entry{})
	e := &(*c)[len(*c)-1]
	e.self = ref((len(a.chunks)-1)<<chunkBits | (len(*c) - 1))
	return e
}

// evict emits the live flow idle the longest, to make room for a new one:
// a closed TCP flow waiting out its close delay first, else the flow of
// the TCP, UDP and other lists whose last packet is the oldest. Its row is
// what its idle timeout would have written at that moment.
func (a *Assembler) evict() {
	if best := a.evictee(); best != 0 {
		a.evicted++
		a.finish(a.at(best))
	}
}

// evictee returns the flow evict would end, or 0.
func (a *Assembler) evictee() ref {
	best := a.lists[listClosing].head
	if best == 0 {
		for i := range listClosing {
			h := a.lists[i].head
			if h != 0 && (best == 0 || a.at(h).end < a.at(best).end) {
				best = h
			}
		}
	}
	return best
}

// peekEvictee prefetches the flow table's slot of the flow that evict
// would end, for a packet that may start a flow when the live flows fill
// the memory budget, and the entry of the flow after it in its list, which
// the next such packet ends. On a scan every packet ends a flow and starts
// one, and the slots of both are cache misses in a table of millions:
// prefetched before the search for the packet's flow, the first overlaps
// the second, and the next evictee's entry is in the cache when its slot
// is wanted. (A plain load of the slot made the processor wait for it
// before going on.)
func (a *Assembler) peekEvictee() {
	if best := a.evictee(); best != 0 {
		t := &a.flows
		e := a.at(best)
		prefetch.Load(uintptr(unsafe.Pointer(&t.slots[e.key.hash()>>t.shift])))
		if e.next != 0 {
			// Every cache line the entry touches: at 152 bytes, an
			// entry that starts late in a line lies on four.
			n := uintptr(unsafe.Pointer(a.at(e.next)))
			for p := n &^ 63; p < n+unsafe.Sizeof(*e); p += 64 {
				prefetch.Load(p)
			}
		}
	}
}

// addr returns the address b of the key.
func (k *key) addr(b [16]byte) netip.Addr {
	if k.v6 {
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte(b[12:]))
}

// flip swaps the roles of a and b.
func (a *Assembler) flip(e *entry) {
	e.aIsLo = !e.aIsLo
	e.pkts[0], e.pkts[1] = e.pkts[1], e.pkts[0]
	e.bytes[0], e.bytes[1] = e.bytes[1], e.bytes[0]
	e.payload[0], e.payload[1] = e.payload[1], e.payload[0]
	e.flags[0], e.flags[1] = e.flags[1], e.flags[0]
	e.tcp.flip()
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
			a.remove(&a.lists[e.list], e)
			e.list = listClosing
			e.closeAt = p.Ts + a.closeDelay
			a.push(&a.lists[listClosing], e)
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
	if l.tail != e.self {
		a.remove(l, e)
		a.push(l, e)
	}
}

// restart emits e as it is and continues it as a new flow with the same
// roles, for the active timeout.
func (a *Assembler) restart(e *entry, p *schema.Packet) {
	a.hand(e)
	e.id = a.nextID
	a.nextID++
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
			if h == 0 {
				continue
			}
			e := a.at(h)
			at, ok := a.deadline(e, i)
			if ok && now > at && (best == nil || at < bestAt) {
				best, bestAt = e, at
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
	a.hand(e)
	a.remove(&a.lists[e.list], e)
	a.flows.delete(&e.key, e.self)
	if a.last == e {
		a.last = nil
	}
	*e = entry{self: e.self, next: a.free}
	a.free = e.self
}

// hand hands e over as it is now: as a Finished to emitDone, or as a
// row to emitRow.
func (a *Assembler) hand(e *entry) {
	e.finished(&a.done)
	if a.emitDone != nil {
		a.emitDone(&a.done)
		return
	}
	a.rows.Row(&a.done, &a.out)
	a.emitRow(&a.out)
}
