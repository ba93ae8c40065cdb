package ingest

import (
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/schema"
)

// maxNames bounds the address-to-name table; it starts over when full.
const maxNames = 1 << 20

// Limits of a sideBatch: the hot goroutine hands it over once it holds this
// many events or payload bytes.
const (
	sideEvents = 4 << 10
	sideBytes  = 1 << 20
)

// eventKind tells what an event is.
type eventKind uint8

const (
	flowDone   eventKind = iota // a flow finished: name it and write it
	dnsMessage                  // a DNS or mDNS message: write its rows and learn the names it answers
	clientName                  // a client asked for a server by name (TLS SNI, HTTP Host)
)

// event is one step of the side goroutine, taken from one packet or one
// finished flow.
type event struct {
	kind   eventKind
	tcp    bool   // dnsMessage: DNS over TCP, with its length prefix
	file   int    // dnsMessage: input of the packet
	ts     int64  // dnsMessage: time of the packet
	flowID int64  // dnsMessage, clientName: flow of the packet
	src    string // dnsMessage: source address of the packet
	dst    string // dnsMessage, clientName: destination address of the packet
	name   string // clientName: the server name asked for
	lo, hi int    // dnsMessage: the message is arena[lo:hi]; flowDone: the flow is done[lo]
}

// sideBatch holds, in packet order, the events of a run of packets that
// concern names: the hot goroutine fills it, the side goroutine consumes it.
type sideBatch struct {
	events []event
	done   []flow.Finished // finished flows, in the order of their events
	flows  []schema.Flow   // their rows, made by the side goroutine unless made is set
	made   bool            // the rows of done are in flows already (see makeRows)
	arena  []byte          // DNS messages, copied out of their frames
}

func newSideBatch() *sideBatch {
	return &sideBatch{events: make([]event, 0, sideEvents), arena: make([]byte, 0, sideBytes)}
}

// full reports whether b should be handed over.
func (b *sideBatch) full() bool { return len(b.events) >= sideEvents || len(b.arena) >= sideBytes }

func (b *sideBatch) reset() {
	b.events, b.done, b.flows, b.arena = b.events[:0], b.done[:0], b.flows[:0], b.arena[:0]
	b.made = false
}

// rowsAhead is how many flows ahead of the one whose row is made the
// caches of their texts are prefetched (see flow.RowMaker.Prefetch).
const rowsAhead = 8

// makeRows makes the rows of b's finished flows with m, unless m is nil,
// so that the side goroutine only names and writes them.
func (b *sideBatch) makeRows(m *flow.RowMaker) {
	if m == nil {
		return
	}
	b.flows = slices.Grow(b.flows[:0], len(b.done))[:len(b.done)]
	for i := range b.done {
		if i+rowsAhead < len(b.done) {
			m.Prefetch(&b.done[i+rowsAhead])
		}
		m.Row(&b.done[i], &b.flows[i])
	}
	b.made = true
}

// flow adds a finished flow; its row is made on the side goroutine.
func (b *sideBatch) flow(f *flow.Finished) {
	b.done = append(b.done, *f)
	b.events = append(b.events, event{kind: flowDone, lo: len(b.done) - 1})
}

// packet adds the event of a decoded packet of input file, if it has one:
// its DNS message, or the name its client asks for. p.FlowID must be set;
// dec, which decoded p, makes the texts of its addresses when an event
// needs them and p has none yet (see decode.Decoder.NoV4Texts).
func (b *sideBatch) packet(file int, p *schema.Packet, m *decode.Meta, dec *decode.Decoder) {
	if len(m.Payload) == 0 {
		return
	}
	switch p.App {
	case decode.AppDNS, decode.AppMDNS:
		dec.Texts(p, m)
		lo := len(b.arena)
		b.arena = append(b.arena, m.Payload...)
		b.events = append(b.events, event{
			kind: dnsMessage, tcp: p.Proto == 6, file: file, ts: p.Ts, flowID: p.FlowID,
			src: p.Src, dst: p.Dst, lo: lo, hi: len(b.arena),
		})
	case decode.AppTLS:
		if name, ok := decode.TLSServerName(m.Payload); ok {
			dec.Texts(p, m)
			b.events = append(b.events, event{kind: clientName, flowID: p.FlowID, dst: p.Dst, name: name})
		}
	case decode.AppHTTP:
		if name, ok := decode.HTTPHost(m.Payload); ok {
			dec.Texts(p, m)
			b.events = append(b.events, event{kind: clientName, flowID: p.FlowID, dst: p.Dst, name: name})
		}
	}
}

// side is the goroutine that makes the rows of finished flows, names them
// and writes the flows and dns tables. It takes the events of each batch in order, so a flow finished
// before a DNS answer does not get the answer's name and one finished after
// it does.
type side struct {
	maker *flow.RowMaker // the rows of finished flows
	names *namer
	ids   []string // capture id of each input
	flows *dataset.TableWriter[schema.Flow]
	dns   *rowWriter[schema.DNS]
	rows  *rowBatch[schema.DNS] // dns rows not yet sent
	nflow int64
	err   error // first error writing flows
}

// dnsBatchRows is the number of dns rows sent to their writer at once.
const dnsBatchRows = 4 << 10

// run consumes the batches of q, puts them back to free, and closes the
// writers when q is closed. It returns the rows written to flows and dns.
func (s *side) run(q <-chan *sideBatch, free *pool[sideBatch]) (flows, dns int64, err error) {
	s.rows = s.dns.get()
	for b := range q {
		s.batch(b)
		b.reset()
		free.put(b)
	}
	if err := s.flows.Close(); s.err == nil {
		s.err = err
	}
	dns, err = s.dns.close(s.rows)
	if s.err != nil {
		err = s.err
	}
	return s.nflow, dns, err
}

func (s *side) batch(b *sideBatch) {
	if !b.made {
		b.flows = slices.Grow(b.flows[:0], len(b.done))[:len(b.done)]
	}
	for i := range b.events {
		e := &b.events[i]
		switch e.kind {
		case flowDone:
			f := &b.flows[e.lo]
			if !b.made {
				if j := e.lo + rowsAhead; j < len(b.done) {
					s.maker.Prefetch(&b.done[j])
				}
				s.maker.Row(&b.done[e.lo], f)
			}
			f.Name = s.names.flowName(f)
		case dnsMessage:
			s.rows.rows = s.names.dns(e, s.ids[e.file], b.arena[e.lo:e.hi], s.rows.rows)
			if len(s.rows.rows) >= dnsBatchRows {
				s.dns.send(s.rows)
				s.rows = s.dns.get()
			}
		case clientName:
			s.names.client(e.flowID, e.dst, e.name)
		}
	}
	if len(b.flows) > 0 && s.err == nil {
		s.err = s.flows.Write(b.flows)
		s.nflow += int64(len(b.flows))
	}
}

// namer learns names passively while packets stream by: DNS and mDNS
// answers become rows of the dns table and name the addresses they resolve;
// the TLS SNI or HTTP Host a client asks for names its flow and the server.
type namer struct {
	msg decode.DNSMessage
	// longNames counts the DNS messages cut short by a name longer than
	// 255 bytes (decode.ErrDNSNameTooLong).
	longNames int64
	byAddr    map[string]string // address -> name
	byFlow    map[int64]string  // live flow -> the name its client asked for
}

func newNamer() *namer {
	return &namer{byAddr: map[string]string{}, byFlow: map[int64]string{}}
}

// client records the server name a client asked for in flow flowID, sent
// to server. An address literal (Host: 10.0.0.1) names nothing.
func (n *namer) client(flowID int64, server, name string) {
	if _, err := netip.ParseAddr(name); err == nil {
		return
	}
	if flowID != 0 {
		if _, ok := n.byFlow[flowID]; !ok {
			n.byFlow[flowID] = name
		}
	}
	n.setAddr(server, name)
}

// dns parses the DNS message msg of the packet of e, from input capture,
// and appends the rows it yields to rows.
func (n *namer) dns(e *event, capture string, msg []byte, rows []schema.DNS) []schema.DNS {
	// A message cut by the capture still yields the records before the cut.
	if err := decode.ParseDNS(msg, e.tcp, &n.msg); err != nil {
		if errors.Is(err, decode.ErrDNSNameTooLong) {
			n.longNames++
		}
		if len(n.msg.Answers) == 0 {
			return rows
		}
	}
	m := &n.msg
	if !m.Response {
		return rows
	}
	row := schema.DNS{
		Ts: e.ts, Capture: capture, FlowID: e.flowID, Client: e.dst, Server: e.src, ID: m.ID,
		Query: m.Question.Name, RCode: decode.DNSRCodeName(m.RCode),
	}
	if m.Question.Name != "" || m.Question.Type != 0 {
		row.QType = decode.DNSTypeName(m.Question.Type)
	}
	added := false
	for _, a := range m.Answers {
		if a.Type == 41 { // OPT: EDNS options, not a record about a name
			continue
		}
		r := row
		r.Answer, r.AnswerName, r.AnswerType, r.Section = a.Data, a.Name, decode.DNSTypeName(a.Type), a.Section.String()
		r.TTL = a.TTL
		rows = append(rows, r)
		added = true
		if a.Type == 1 || a.Type == 28 { // A, AAAA
			name := a.Name
			if m.Question.Name != "" && a.Section == decode.DNSAnswerSection {
				name = m.Question.Name // what the client asked for, through any CNAMEs
			}
			n.setAddr(a.Data, name)
		}
	}
	if !added {
		rows = append(rows, row)
	}
	return rows
}

func (n *namer) setAddr(addr, name string) {
	if addr == "" || name == "" {
		return
	}
	if len(n.byAddr) >= maxNames {
		clear(n.byAddr)
	}
	if old, ok := n.byAddr[addr]; ok && old == name {
		return
	}
	// The text of a packet's address lies in a chunk of the decoder's
	// texts (see decode.AddrTexts), which a key kept for the whole ingest
	// would keep alive with every other text in it; a map's assignment
	// replaces even the key it had.
	n.byAddr[strings.Clone(addr)] = name
}

// flowName returns the name of f's responder and forgets f.
func (n *namer) flowName(f *schema.Flow) string {
	if name, ok := n.byFlow[f.FlowID]; ok {
		delete(n.byFlow, f.FlowID)
		return name
	}
	return n.byAddr[f.B]
}
