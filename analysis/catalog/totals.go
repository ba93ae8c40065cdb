package catalog

import (
	"cmp"
	"context"
	"slices"

	"github.com/netlens/netlens/analysis"
)

// Several analyses add up the same packets by different keys: graph per
// pair of addresses, talkers per address, ports per port, and timeline,
// stream and bursts pick their top source and top ports from those sums.
// The engine sums once per pair of addresses and once per pair of ports
// (env.Shared runs each query once for all analyses), and the sums per
// address and per port are added up from those, exactly: they are integers.

// edgesQuery sums packets, bytes on the wire and payload bytes (the SQL
// expression payload) per source and destination address.
func edgesQuery(where, payload string) string {
	return `SELECT src, dst, count(*) AS packets, sum(wire_len) AS bytes, sum(` + payload + `) AS payload FROM packets WHERE ` + where + ` GROUP BY src, dst`
}

// edgesOf returns a relation of the traffic between every pair of
// addresses of the packets that match where (columns src, dst, packets,
// bytes, payload; payload bytes counted by the SQL expression payload),
// kept by the engine for every analysis that adds them up: a scan has
// millions of pairs, which Go need not hold.
func edgesOf(ctx context.Context, env *analysis.Env, where, payload string) (string, error) {
	return env.Kept(ctx, edgesQuery(where, payload))
}

// total is the traffic of one address or port.
type total struct {
	key                     string // the address, or the port in decimal
	port                    int64
	payload, packets, bytes int64
}

// Which end of the packets a total is of.
const (
	bySource      = true
	byDestination = false
)

// addressQuery sums payload bytes, packets and bytes on the wire of the
// edges relation rel per source address (bySource) or destination
// address (columns address, payload, packets, bytes); an address the
// packets do not name (logs) is an empty text.
func addressQuery(rel string, side bool) string {
	col := "dst"
	if side == bySource {
		col = "src"
	}
	return `SELECT coalesce(` + col + `, '') AS address, sum(payload) AS payload, sum(packets) AS packets, sum(bytes) AS bytes
		FROM ` + rel + ` AS e GROUP BY coalesce(` + col + `, '')`
}

// meanPayload returns the mean payload bytes (the SQL expression payload)
// of the packets that match where, 0 without packets: exact integer sums
// of the edges, divided once.
func meanPayload(ctx context.Context, env *analysis.Env, where, payload string) (float64, error) {
	rel, err := edgesOf(ctx, env, where, payload)
	if err != nil {
		return 0, err
	}
	t, err := env.Shared(ctx, `SELECT sum(payload), sum(packets) FROM `+rel+` AS e`)
	if err != nil {
		return 0, err
	}
	if len(t.Rows) == 0 || analysis.AsInt(t.Rows[0][1]) == 0 {
		return 0, nil
	}
	return float64(analysis.AsInt(t.Rows[0][0])) / float64(analysis.AsInt(t.Rows[0][1])), nil
}

// portsQuery sums payload bytes (the SQL expression payload) and packets
// per protocol and source port (side 1) and per protocol and destination
// port (side 0) of the TCP and UDP packets. IP fragments after the first,
// which carry no ports, are left out. Each packet counts once for each
// side, grouped by that side's port rather than by the pair of ports: a
// scan's random source ports make millions of pairs, and there are at most
// 65,536 ports a side. The packets are read once, each paired with both
// sides (reading them once per side took half as long again on real
// traffic, whose pairs are few).
func portsQuery(where, payload string) string {
	return `SELECT proto, side, CASE WHEN side = 1 THEN sport ELSE dport END AS port, sum(pl) AS payload, count(*) AS packets FROM (
		SELECT proto, sport, dport, ` + payload + ` AS pl FROM packets WHERE ` + where + ` AND proto IN (6, 17) AND NOT (frag AND sport = 0 AND dport = 0)
	) AS p CROSS JOIN (SELECT 1 AS side UNION ALL SELECT 0 AS side) AS s GROUP BY proto, side, port`
}

// perPort returns the traffic from each source port (bySource) or to each
// destination port of protocol proto (6 or 17) of the packets that match
// where, most payload (the SQL expression payload) first, then by port.
func perPort(ctx context.Context, env *analysis.Env, where, payload string, proto uint8, side bool) ([]total, error) {
	t, err := env.Shared(ctx, portsQuery(where, payload))
	if err != nil {
		return nil, err
	}
	want := int64(0)
	if side == bySource {
		want = 1
	}
	// A port without a value (NULL) counts as port 0, as it reads.
	sums := map[int64]*total{}
	var out []*total
	for _, r := range t.Rows {
		if analysis.AsInt(r[0]) != int64(proto) || analysis.AsInt(r[1]) != want {
			continue
		}
		port := analysis.AsInt(r[2])
		t := sums[port]
		if t == nil {
			t = &total{port: port}
			sums[port] = t
			out = append(out, t)
		}
		t.payload += analysis.AsInt(r[3])
		t.packets += analysis.AsInt(r[4])
	}
	return sortTotals(out), nil
}

// sortTotals returns the totals most payload first, then by address or port.
func sortTotals(ts []*total) []total {
	out := make([]total, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	slices.SortFunc(out, func(a, b total) int {
		return cmp.Or(cmp.Compare(b.payload, a.payload), cmp.Compare(a.key, b.key), cmp.Compare(a.port, b.port))
	})
	return out
}
