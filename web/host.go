package web

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
)

// hostQueries are the tables of the host page: what the dataset says about
// one address, whichever analyses exist. Each binds the address to every
// placeholder; the SQL is the same on every engine.
var hostQueries = []struct {
	name, title, sql string
	args             int
}{
	{"host_names", "Names seen for the address", `
SELECT name, seen_in, sum(n) AS times FROM (
	SELECT coalesce(query, answer_name) AS name, 'DNS answer' AS seen_in, 1 AS n FROM dns WHERE answer = ?
	UNION ALL
	SELECT name, 'server name of its flows (DNS, TLS SNI, HTTP Host)' AS seen_in, 1 AS n FROM flows WHERE b = ? AND name IS NOT NULL
) AS names WHERE name IS NOT NULL GROUP BY name, seen_in ORDER BY times DESC, name, seen_in`, 2},
	{"host_partners", "Flows by partner: packets, IP bytes and payload bytes each way", `
SELECT partner, count(*) AS flows,
	sum(pkts_out) AS packets_sent, sum(pkts_in) AS packets_received,
	sum(bytes_out) AS bytes_sent, sum(bytes_in) AS bytes_received,
	sum(payload_out) AS payload_sent, sum(payload_in) AS payload_received
FROM (
	SELECT b AS partner, pkts_a_to_b AS pkts_out, pkts_b_to_a AS pkts_in, bytes_a_to_b AS bytes_out, bytes_b_to_a AS bytes_in,
		payload_a_to_b AS payload_out, payload_b_to_a AS payload_in FROM flows WHERE a = ?
	UNION ALL
	SELECT a AS partner, pkts_b_to_a AS pkts_out, pkts_a_to_b AS pkts_in, bytes_b_to_a AS bytes_out, bytes_a_to_b AS bytes_in,
		payload_b_to_a AS payload_out, payload_a_to_b AS payload_in FROM flows WHERE b = ?
) AS f GROUP BY partner ORDER BY sum(bytes_out) + sum(bytes_in) DESC, partner`, 2},
	{"host_services", "Flows by service, as client (it initiated them) and as server", `
SELECT role, proto, port, service, count(*) AS flows, sum(answered_flow) AS answered, sum(bytes) AS bytes FROM (
	SELECT 'client' AS role, proto, b_port AS port, service, CASE WHEN answered THEN 1 ELSE 0 END AS answered_flow,
		bytes_a_to_b + bytes_b_to_a AS bytes FROM flows WHERE a = ?
	UNION ALL
	SELECT 'server' AS role, proto, b_port AS port, service, CASE WHEN answered THEN 1 ELSE 0 END AS answered_flow,
		bytes_a_to_b + bytes_b_to_a AS bytes FROM flows WHERE b = ?
) AS f GROUP BY role, proto, port, service ORDER BY bytes DESC, role, port`, 2},
	{"host_unanswered", "Its requests without an answer: TCP connection attempts without reply (S0) or rejected (REJ), UDP flows with nothing back, to unicast addresses", `
SELECT b AS server, proto, b_port AS port, service,
	CASE WHEN proto = 6 AND state = 'REJ' THEN 'rejected' ELSE 'no reply' END AS outcome, count(*) AS requests
FROM flows WHERE a = ? AND ((proto = 6 AND state IN ('S0', 'REJ')) OR (proto = 17 AND pkts_b_to_a = 0 AND a_port <> 1900))
	AND NOT ` + multicastOrBroadcast("b") + `
GROUP BY b, proto, b_port, service, outcome ORDER BY requests DESC, server, port, outcome`, 1},
	{"host_ports", "Its own TCP and UDP ports: packets and payload bytes sent from and received on each", `
SELECT proto, port, role, count(*) AS packets, sum(payload_len) AS payload FROM (
	SELECT proto, sport AS port, 'sent from' AS role, payload_len FROM packets WHERE src = ? AND sport IS NOT NULL
	UNION ALL
	SELECT proto, dport AS port, 'received on' AS role, payload_len FROM packets WHERE dst = ? AND dport IS NOT NULL
) AS p GROUP BY proto, port, role ORDER BY payload DESC, port, role`, 2},
}

// multicastOrBroadcast is the SQL condition that the textual address in col is
// multicast (224.0.0.0/4, ff00::/8) or the IPv4 broadcast address, whose
// answers, if any, come in other flows: as the unanswered analysis leaves
// them out.
func multicastOrBroadcast(col string) string {
	conds := []string{col + " = '255.255.255.255'", col + " LIKE 'ff%'"}
	for o := 224; o <= 239; o++ {
		conds = append(conds, fmt.Sprintf("%s LIKE '%d.%%'", col, o))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// hostJSON is what the host page shows besides its tables.
type hostJSON struct {
	Address string `json:"address"`
	Label   string `json:"label"`
	Facts   []fact `json:"facts"`
	// Labels are the labels of the address (Label: the kind, Value: the
	// label), from label_spans.
	Labels []fact      `json:"labels"`
	Tables []tableJSON `json:"tables"`
	Charts []chartJSON `json:"charts"`
	// Links are the analyses that take an address, with the parameter
	// that would be this one.
	Links []hostLink `json:"links"`
}

type fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

type hostLink struct {
	Analysis string `json:"analysis"`
	Title    string `json:"title"`
	Param    string `json:"param"`
}

// peerQueries are the tables of the host page of a Bitcoin node or peer:
// its P2P messages and connections, as the peer (peer_addr is the address
// and a port) or as the node. The first argument is a LIKE pattern of
// peer_addr, the second the address.
var peerQueries = []struct {
	name, title, table, sql string
}{
	{"host_peer_messages", "Bitcoin P2P messages with the address, as peer or as node, by type and direction", "peer_messages", `
SELECT node, peer_addr, direction, msg_type, sum(messages) AS message_count, sum(message_size) AS message_bytes, sum(tcpip_size) AS tcpip_bytes
FROM peer_messages WHERE peer_addr LIKE ? OR node = ?
GROUP BY node, peer_addr, direction, msg_type ORDER BY message_count DESC, node, peer_addr, direction, msg_type`},
	{"host_peer_conns", "Bitcoin connections of the address, as peer or as node", "peer_conns", `
SELECT node, peer_id, peer_addr, conn_type, start, "end", duration_ns, messages, undecoded_bytes
FROM peer_conns WHERE peer_addr LIKE ? OR node = ? ORDER BY node, peer_id, peer_addr`},
}

// peerPattern is the LIKE pattern of the peer_addr of ip: its address and
// any port, an IPv6 address in brackets. Addresses hold neither % nor _.
func peerPattern(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String() + ":%"
	}
	return "[" + ip.String() + "]:%"
}

// blocksOf returns the label blocks that may hold ip: the prefixes, 0 to
// 32 hex digits long, of its 128-bit form (IPv4 as ::ffff:a.b.c.d), as
// label_spans keys them (see schema.LabelSpan).
func blocksOf(ip netip.Addr) []any {
	b := ip.As16()
	h := hex.EncodeToString(b[:])
	out := make([]any, 0, len(h)+1)
	for n := 0; n <= len(h); n++ {
		out = append(out, h[:n])
	}
	return out
}

// labelsSQL selects the labels of every kind of an address from
// label_spans, given its blocks: the kind, the label, and the first and
// last time it applies. Blocks of a kind are disjoint, so one at most holds
// the address.
func labelsSQL(blocks int) string {
	return `SELECT kind, label, min(span_from) AS first_ns, max(span_to) AS last_ns FROM label_spans
WHERE block IN (?` + strings.Repeat(", ?", blocks-1) + `) AND label <> '' GROUP BY kind, label ORDER BY kind, label`
}

// spanTime writes a time of label_spans: the ends of time read as such.
func spanTime(ns int64, end bool) string {
	switch {
	case ns == math.MinInt64:
		return "since ever"
	case ns == math.MaxInt64:
		return "for ever"
	case end:
		return analysis.Time(ns).Format(time.RFC3339Nano) + " (exclusive)"
	}
	return analysis.Time(ns).Format(time.RFC3339Nano)
}

// hostResult computes the tables and chart of the host page of addr,
// telling prog the query it runs.
func (s *Server) hostResult(ctx context.Context, ip netip.Addr, prog *progress) (*analysis.Result, error) {
	addr := ip.String()
	return s.results.get(ctx, s.base, "\x00host\x00"+addr, func(ctx context.Context) (*analysis.Result, error) {
		res := &analysis.Result{}
		for _, q := range hostQueries {
			prog.set(addr + ": " + strings.ToLower(q.title[:1]) + q.title[1:])
			args := make([]any, q.args)
			for i := range args {
				args[i] = addr
			}
			t, err := s.env.Query(ctx, q.sql, args...)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", q.name, err)
			}
			res.Tables = append(res.Tables, analysis.Table{Name: q.name, Title: q.title, Table: t})
		}
		if s.held.Rows["label_spans"] > 0 {
			prog.set(addr + ": its labels")
			blocks := blocksOf(ip)
			t, err := s.env.Query(ctx, labelsSQL(len(blocks)), blocks...)
			if err != nil {
				return nil, fmt.Errorf("host_labels: %w", err)
			}
			lt := &engine.Table{Columns: []string{"kind", "label", "from", "to"}, Types: []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"}, Rows: [][]any{}}
			for _, r := range t.Rows {
				lt.Rows = append(lt.Rows, []any{analysis.AsString(r[0]), analysis.AsString(r[1]), spanTime(analysis.AsInt(r[2]), false), spanTime(analysis.AsInt(r[3]), true)})
			}
			res.Tables = append(res.Tables, analysis.Table{Name: "host_labels", Title: "Labels of the address (user, class, organisation, category)", Table: lt})
		}
		for _, q := range peerQueries {
			if s.held.Rows[q.table] == 0 {
				continue
			}
			prog.set(addr + ": " + strings.ToLower(q.title[:1]) + q.title[1:])
			t, err := s.env.Query(ctx, q.sql, peerPattern(ip), addr)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", q.name, err)
			}
			res.Tables = append(res.Tables, analysis.Table{Name: q.name, Title: q.title, Table: t})
		}
		prog.set(addr + ": packets sent and received")
		ts := s.env.Dialect().EpochNs("ts")
		t, err := s.env.Query(ctx, "SELECT sum(CASE WHEN src = ? THEN 1 ELSE 0 END), sum(CASE WHEN dst = ? THEN 1 ELSE 0 END), min("+ts+"), max("+ts+") FROM packets WHERE src = ? OR dst = ?", addr, addr, addr, addr)
		if err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, analysis.Table{Name: "host_summary", Title: "Packets", Table: t})
		partners := res.Tables[slices.IndexFunc(res.Tables, func(t analysis.Table) bool { return t.Name == "host_partners" })]
		var cats []string
		var out, in []float64
		for i, r := range partners.Rows {
			if i == 20 {
				break
			}
			cats = append(cats, s.env.Label(analysis.AsString(r[0])))
			out = append(out, float64(analysis.AsInt(r[4])))
			in = append(in, float64(analysis.AsInt(r[5])))
		}
		c := chart.NewHBar("host_partners", "IP bytes with its partners (top 20)", cats,
			chart.Series{Name: "sent", Values: out}, chart.Series{Name: "received", Values: in})
		c.X = chart.Axis{Title: "IP bytes", Unit: chart.UnitBytes}
		res.Charts = append(res.Charts, c.OrEmpty("no flows"))
		return res, nil
	})
}

// apiHost answers GET /api/host/ADDR: the host page's summary, tables
// and chart (with progress=1 as events while they are computed, see
// respond); with ?table=NAME one page of that table, as /api/run gives it.
func (s *Server) apiHost(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(r.PathValue("addr"))
	if err != nil {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("%q is not an IP address", r.PathValue("addr")))
		return
	}
	ip = ip.Unmap().WithZone("")
	addr := ip.String()
	q := r.URL.Query()
	pq, err := s.parsePage(q)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if name := q.Get("table"); name != "" {
		res, err := s.hostResult(r.Context(), ip, &progress{})
		if err != nil {
			runFailed(w, r, err)
			return
		}
		i := slices.IndexFunc(res.Tables, func(t analysis.Table) bool { return t.Name == name })
		if i < 0 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("table %q: the host page has no such table", name))
			return
		}
		p, err := s.pageOf(res.Tables[i].Table, pq)
		if err != nil {
			fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, p)
		return
	}
	s.respond(w, r, addr+": starting", func(ctx context.Context, prog *progress) (int, any) {
		res, err := s.hostResult(ctx, ip, prog)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil
			}
			status := http.StatusInternalServerError
			if errors.Is(err, context.DeadlineExceeded) {
				status = http.StatusGatewayTimeout
			}
			return status, apiError{Error: err.Error()}
		}
		return http.StatusOK, s.host(addr, res)
	})
}

// host is the answer of /api/host for addr, whose tables are res.
func (s *Server) host(addr string, res *analysis.Result) hostJSON {
	h := hostJSON{Address: addr, Label: s.env.Label(addr), Facts: []fact{}, Labels: []fact{}, Tables: []tableJSON{}, Charts: []chartJSON{}, Links: []hostLink{}}
	for _, t := range res.Tables {
		switch t.Name {
		case "host_summary":
			if len(t.Rows) == 1 {
				r := t.Rows[0]
				h.Facts = append(h.Facts, fact{"packets sent", fmt.Sprint(analysis.AsInt(r[0]))}, fact{"packets received", fmt.Sprint(analysis.AsInt(r[1]))})
				// ClickHouse's min and max of no rows are 0, not NULL.
				if analysis.AsInt(r[0])+analysis.AsInt(r[1]) > 0 {
					h.Facts = append(h.Facts,
						fact{"first packet", analysis.Time(analysis.AsInt(r[2])).Format("2006-01-02 15:04:05.000000 UTC")},
						fact{"last packet", analysis.Time(analysis.AsInt(r[3])).Format("2006-01-02 15:04:05.000000 UTC")})
				}
			}
			continue
		case "host_labels":
			for _, r := range t.Rows {
				h.Labels = append(h.Labels, fact{analysis.AsString(r[0]), analysis.AsString(r[1])})
			}
		case "host_peer_messages", "host_peer_conns":
			if len(t.Rows) == 0 {
				continue // not a Bitcoin peer
			}
			if t.Name == "host_peer_messages" {
				var n int64
				for _, r := range t.Rows {
					n += analysis.AsInt(r[4])
				}
				h.Facts = append(h.Facts, fact{"Bitcoin P2P messages", fmt.Sprint(n)})
			}
		}
		h.Tables = append(h.Tables, tableJSON{Name: t.Name, Title: t.Title, Columns: t.Columns, Units: unitsOf(t.Units, len(t.Columns)), Rows: len(t.Rows)})
	}
	for _, c := range res.Charts {
		h.Charts = append(h.Charts, chartJSON{ID: c.ID, Title: c.Title, HTML: renderChart(c)})
	}
	for _, a := range s.catalog {
		m := a.Meta()
		for _, p := range m.Params {
			if p.Kind == analysis.Addr {
				h.Links = append(h.Links, hostLink{Analysis: m.Name, Title: m.Title, Param: p.Name})
			}
		}
	}
	return h
}
