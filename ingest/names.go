package ingest

import (
	"net/netip"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
)

// maxNames bounds the address-to-name table; it starts over when full.
const maxNames = 1 << 20

// namer learns names passively while packets stream by: DNS and mDNS
// answers become rows of the dns table and name the addresses they resolve;
// the TLS SNI or HTTP Host a client asks for names its flow and the server.
type namer struct {
	msg    decode.DNSMessage
	byAddr map[string]string // address -> name
	byFlow map[int64]string  // live flow -> the name its client asked for
}

func newNamer() *namer {
	return &namer{byAddr: map[string]string{}, byFlow: map[int64]string{}}
}

// packet looks at one decoded packet (after flow assembly, so p.FlowID is
// set) and appends the dns rows it yields to rows.
func (n *namer) packet(p *schema.Packet, m *decode.Meta, rows []schema.DNS) []schema.DNS {
	if len(m.Payload) == 0 {
		return rows
	}
	switch p.App {
	case decode.AppDNS, decode.AppMDNS:
		return n.dns(p, m, rows)
	case decode.AppTLS:
		if name, ok := decode.TLSServerName(m.Payload); ok {
			n.client(p, name)
		}
	case decode.AppHTTP:
		if name, ok := decode.HTTPHost(m.Payload); ok {
			n.client(p, name)
		}
	}
	return rows
}

// client records the server name a client asked for in flow p.FlowID. An
// address literal (Host: 10.0.0.1) names nothing.
func (n *namer) client(p *schema.Packet, name string) {
	if _, err := netip.ParseAddr(name); err == nil {
		return
	}
	if p.FlowID != 0 {
		if _, ok := n.byFlow[p.FlowID]; !ok {
			n.byFlow[p.FlowID] = name
		}
	}
	n.setAddr(p.Dst, name)
}

func (n *namer) dns(p *schema.Packet, m *decode.Meta, rows []schema.DNS) []schema.DNS {
	// A message cut by the capture still yields the records before the cut.
	if err := decode.ParseDNS(m.Payload, p.Proto == 6, &n.msg); err != nil && len(n.msg.Answers) == 0 {
		return rows
	}
	msg := &n.msg
	if !msg.Response {
		return rows
	}
	row := schema.DNS{
		Ts: p.Ts, Capture: p.Capture, FlowID: p.FlowID, Client: p.Dst, Server: p.Src, ID: msg.ID,
		Query: msg.Question.Name, RCode: decode.DNSRCodeName(msg.RCode),
	}
	if msg.Question.Name != "" || msg.Question.Type != 0 {
		row.QType = decode.DNSTypeName(msg.Question.Type)
	}
	added := false
	for _, a := range msg.Answers {
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
			if msg.Question.Name != "" && a.Section == decode.DNSAnswerSection {
				name = msg.Question.Name // what the client asked for, through any CNAMEs
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
	n.byAddr[addr] = name
}

// flowName returns the name of f's responder and forgets f.
func (n *namer) flowName(f *schema.Flow) string {
	if name, ok := n.byFlow[f.FlowID]; ok {
		delete(n.byFlow, f.FlowID)
		return name
	}
	return n.byAddr[f.B]
}
