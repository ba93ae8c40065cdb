package catalog

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
)

// The shared pieces of the analyses of Bitcoin node traffic (group peers,
// seed 000): the TCP/IP size each message counts for, the connections'
// types and durations, and the per-peer traffic by day that most of them
// start from.

const peersGroup = "peers"

const dayNsPeers = int64(24 * time.Hour)

// estimateParam chooses how the TCP/IP size of a logged message is
// estimated where nothing was measured.
var estimateParam = analysis.Param{
	Name: "estimate", Kind: analysis.String, Default: "message", Choices: []string{"message", "seed"},
	Doc: "TCP/IP estimate of a logged message: from its message size (payload + 24-byte header), or as the seed's notebooks do it, from its payload size",
}

// minConnParam is the shortest connection the per-peer analyses look at.
func minConnParam(def string) analysis.Param {
	return analysis.Param{Name: "min_conn", Kind: analysis.Duration, Default: def, Min: analysis.AtLeast(0),
		Doc: "connections shorter than this are left out"}
}

const estimateDoc = `TCP/IP bytes are measured where the messages came from packet captures, else estimated as the ` +
	`seed's studies do: MSS = 1500 - IP header (20; 40 for an address [v6]:port) - 32, segments = ceil(size / MSS), ` +
	`size + 1.5 x segments x headers (the half for the ACKs). netlens applies it to the message size (payload and the ` +
	`24-byte header), which is what travels; the seed's notebooks apply it to the payload size (estimate=seed gives ` +
	`their numbers). Aggregated inputs keep the TCP/IP sizes their files give.`

// seedEstimateSQL is the seed's TCP/IP estimate of size bytes of a peer
// at addr, as a float (exact: integers below 2^53).
func seedEstimateSQL(size, addr string) string {
	return fmt.Sprintf(`(%[1]s + floor((%[1]s + CASE WHEN substring(%[2]s, 1, 1) = '[' THEN 1427 ELSE 1447 END) / `+
		`CASE WHEN substring(%[2]s, 1, 1) = '[' THEN 1428 ELSE 1448 END) * CASE WHEN substring(%[2]s, 1, 1) = '[' THEN 108 ELSE 78 END)`, size, addr)
}

// tcpipSQL is the TCP/IP bytes a row of peer_messages counts for, as a
// float: measured or as stored, but under estimate=seed the seed's
// estimate from the payload for single logged messages.
func tcpipSQL(v analysis.Values) string {
	if v.String("estimate") == "seed" {
		return `CASE WHEN tcpip_measured OR period_s <> 0 OR payload_size IS NULL THEN tcpip_size * 1e0 ELSE ` +
			seedEstimateSQL("payload_size", "peer_addr") + ` END`
	}
	return "tcpip_size * 1e0"
}

// peerKey names one connection of a node.
type peerKey struct {
	node string
	id   int64
	addr string
}

// label is how a connection is shown: peer_id-peer_addr as in the seed,
// after the node when there is one.
func (k peerKey) label() string {
	s := fmt.Sprintf("%d-%s", k.id, k.addr)
	if k.node != "" {
		s = k.node + ": " + s
	}
	return s
}

// peerDay is the traffic of one connection on one day, in one direction,
// of one message type.
type peerDay struct {
	peer      peerKey
	connType  string // as the messages give it, "" when they do not
	day       int64  // ns
	direction string
	msgType   string
	bytes     float64
	messages  int64
	first     int64 // ns of the first and last rows
	last      int64
}

// peerConn is what is known of a connection: its type and how long it
// lasted (-1: unknown).
type peerConn struct {
	connType string
	duration int64
}

// peerData is the per-peer traffic of a dataset, shared by the peer
// analyses: rows of peer_messages that name a peer, at the finest period
// the dataset has of them (so that daily and hourly aggregates of the same
// traffic are not counted twice), by day.
type peerData struct {
	days   []peerDay
	conns  map[peerKey]peerConn
	period int64 // seconds
	nodes  bool  // some row names its node
}

// loadPeers reads the per-peer traffic by day and the connections.
func loadPeers(ctx context.Context, env *analysis.Env, v analysis.Values) (*peerData, error) {
	d := env.Dialect()
	ts := d.EpochNs("ts")
	t, err := env.Shared(ctx, fmt.Sprintf(`SELECT g_node, peer_id, g_addr, g_conn, day, g_dir, g_msg, sum(bytes), sum(msgs), min(t), max(t), max(period_s)
		FROM (SELECT coalesce(node, '') AS g_node, peer_id, coalesce(peer_addr, '') AS g_addr, coalesce(conn_type, '') AS g_conn,
				coalesce(direction, '') AS g_dir, coalesce(msg_type, '') AS g_msg, period_s, %[1]s AS t, %[1]s - %[1]s %% %[2]d AS day,
				coalesce(%[3]s, 0) AS bytes, coalesce(messages, 0) AS msgs
			FROM peer_messages
			WHERE peer_id IS NOT NULL AND period_s = (SELECT min(period_s) FROM peer_messages WHERE peer_id IS NOT NULL)) AS m
		GROUP BY g_node, peer_id, g_addr, g_conn, day, g_dir, g_msg`, ts, dayNsPeers, tcpipSQL(v)))
	if err != nil {
		return nil, fmt.Errorf("per-peer traffic: %w", err)
	}
	p := &peerData{conns: map[peerKey]peerConn{}}
	for _, r := range t.Rows {
		row := peerDay{
			peer:     peerKey{analysis.AsString(r[0]), analysis.AsInt(r[1]), analysis.AsString(r[2])},
			connType: analysis.AsString(r[3]), day: analysis.AsInt(r[4]), direction: analysis.AsString(r[5]),
			msgType: analysis.AsString(r[6]), bytes: analysis.AsFloat(r[7]), messages: analysis.AsInt(r[8]),
			first: analysis.AsInt(r[9]), last: analysis.AsInt(r[10]),
		}
		p.period = analysis.AsInt(r[11])
		p.nodes = p.nodes || row.peer.node != ""
		p.days = append(p.days, row)
	}
	slices.SortFunc(p.days, func(a, b peerDay) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.peer.node, b.peer.node), cmp.Compare(a.peer.id, b.peer.id),
			cmp.Compare(a.peer.addr, b.peer.addr), cmp.Compare(a.direction, b.direction), cmp.Compare(a.msgType, b.msgType))
	})
	t, err = env.Shared(ctx, `SELECT coalesce(node, '') AS g_node, peer_id, peer_addr, max(conn_type), max(coalesce(duration_ns, -1))
		FROM peer_conns GROUP BY g_node, peer_id, peer_addr`)
	if err != nil {
		return nil, fmt.Errorf("peer connections: %w", err)
	}
	for _, r := range t.Rows {
		p.conns[peerKey{analysis.AsString(r[0]), analysis.AsInt(r[1]), analysis.AsString(r[2])}] = peerConn{analysis.AsString(r[3]), analysis.AsInt(r[4])}
	}
	// Connections known from the messages only: their type as the
	// messages say, their duration the span of their rows (plus the
	// period of an aggregate).
	span := map[peerKey][2]int64{}
	for _, r := range p.days {
		s, ok := span[r.peer]
		if !ok {
			s = [2]int64{r.first, r.last}
		}
		span[r.peer] = [2]int64{min(s[0], r.first), max(s[1], r.last)}
		c, known := p.conns[r.peer]
		if !known {
			c = peerConn{duration: -1}
		}
		if c.connType == "" {
			c.connType = r.connType
		}
		p.conns[r.peer] = c
	}
	for k, s := range span {
		if c := p.conns[k]; c.duration < 0 {
			c.duration = s[1] - s[0] + p.period*int64(time.Second)
			p.conns[k] = c
		}
	}
	return p, nil
}

// connType returns the type of a connection, "unknown" when nothing says.
func (p *peerData) connType(k peerKey) string {
	if c := p.conns[k].connType; c != "" {
		return c
	}
	return "unknown"
}

// peerIP returns the host of a peer address: brackets and port stripped
// from [2001:db8::1]:8333 and 1.2.3.4:8333; names (Tor, I2P) lose their
// port only.
func peerIP(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.IndexByte(addr, ']'); i > 0 {
			return addr[1:i]
		}
	}
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && strings.Count(addr, ":") == 1 {
		return addr[:i]
	}
	return addr
}

// peerSubnet returns the /24 of an IPv4 host, the /48 of an IPv6 one, and
// a name (Tor, I2P) as it is.
func peerSubnet(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	bits := 48
	if a.Unmap().Is4() {
		a, bits = a.Unmap(), 24
	}
	pfx, err := a.Prefix(bits)
	if err != nil {
		return host
	}
	return pfx.String()
}

// emptyPeers says why a peer chart is empty.
const emptyPeers = "no messages of named peers (a node's message log or per-peer aggregates, or captures of a node)"

// peerShare is what an inbound peer sent: bytes per message type and
// their total.
type peerShare struct {
	peer   peerKey
	bytes  map[string]float64
	total  float64
	shares map[string]float64
}

func (s *peerShare) share(t string) float64 { return s.shares[t] }

// inboundShares returns the inbound connections that lasted at least
// minConn with the bytes they sent the node per message type, sorted as
// the seed sorts them: by pong share, then ping share, both descending
// (then by peer, so that ties keep one order).
func (p *peerData) inboundShares(minConn int64) []*peerShare {
	byPeer := map[peerKey]*peerShare{}
	var out []*peerShare
	for _, r := range p.days {
		if r.direction != "in" || p.connType(r.peer) != "inbound" || p.conns[r.peer].duration < minConn {
			continue
		}
		s := byPeer[r.peer]
		if s == nil {
			s = &peerShare{peer: r.peer, bytes: map[string]float64{}, shares: map[string]float64{}}
			byPeer[r.peer] = s
			out = append(out, s)
		}
		s.bytes[r.msgType] += r.bytes
		s.total += r.bytes
	}
	for _, s := range out {
		for t, b := range s.bytes {
			if s.total > 0 {
				s.shares[t] = b / s.total
			}
		}
	}
	slices.SortFunc(out, func(a, b *peerShare) int {
		return cmp.Or(cmp.Compare(b.share("pong"), a.share("pong")), cmp.Compare(b.share("ping"), a.share("ping")),
			cmp.Compare(a.peer.node, b.peer.node), cmp.Compare(a.peer.id, b.peer.id), cmp.Compare(a.peer.addr, b.peer.addr))
	})
	return out
}

// hasNodes reports whether the traffic names its nodes (several nodes,
// or a capture): tables then have a node column.
func (p *peerData) hasNodes() bool { return p.nodes }
