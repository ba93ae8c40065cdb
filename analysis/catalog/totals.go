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

// edge is the traffic from one address to another.
type edge struct {
	src, dst                string
	packets, bytes, payload int64
}

// edgesQuery sums packets, bytes on the wire and payload bytes (the SQL
// expression payload) per source and destination address.
func edgesQuery(where, payload string) string {
	return `SELECT src, dst, count(*), sum(wire_len), sum(` + payload + `) FROM packets WHERE ` + where + ` GROUP BY src, dst` +
		` ORDER BY count(*) DESC, src, dst`
}

// edges returns the traffic between every pair of addresses of the
// packets that match where, heaviest first (by packets, then source, then
// destination), with payload bytes counted by the SQL expression payload.
func edges(ctx context.Context, env *analysis.Env, where, payload string) ([]edge, error) {
	t, err := env.Shared(ctx, edgesQuery(where, payload))
	if err != nil {
		return nil, err
	}
	es := make([]edge, len(t.Rows))
	for i, r := range t.Rows {
		es[i] = edge{analysis.AsString(r[0]), analysis.AsString(r[1]), analysis.AsInt(r[2]), analysis.AsInt(r[3]), analysis.AsInt(r[4])}
	}
	// In the engine's order already, but for NULL addresses (logs that
	// name no destination), which the engine puts last: sorting takes a
	// pass over the edges, not a sort of millions of them on a scan.
	slices.SortFunc(es, func(a, b edge) int {
		return cmp.Or(cmp.Compare(b.packets, a.packets), cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst))
	})
	return es, nil
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

// perAddress returns the traffic sent by each source address (bySource) or
// received by each destination address of the packets that match where,
// most payload (the SQL expression payload) first, then by address.
func perAddress(ctx context.Context, env *analysis.Env, where, payload string, side bool) ([]total, error) {
	out, err := addressTotals(ctx, env, where, payload, side)
	if err != nil {
		return nil, err
	}
	return sortTotals(out), nil
}

// addressTotals returns the totals of perAddress unsorted, for those who
// need no order: a scan has millions of addresses.
func addressTotals(ctx context.Context, env *analysis.Env, where, payload string, side bool) ([]*total, error) {
	es, err := edges(ctx, env, where, payload)
	if err != nil {
		return nil, err
	}
	sums := map[string]*total{}
	var out []*total
	for _, e := range es {
		k := e.dst
		if side == bySource {
			k = e.src
		}
		t := sums[k]
		if t == nil {
			t = &total{key: k}
			sums[k] = t
			out = append(out, t)
		}
		t.payload += e.payload
		t.packets += e.packets
		t.bytes += e.bytes
	}
	return out, nil
}

// portsQuery sums payload bytes (the SQL expression payload) and packets
// per protocol, source port and destination port of the TCP and UDP
// packets. IP fragments after the first, which carry no ports, are left out.
func portsQuery(where, payload string) string {
	return `SELECT proto, sport, dport, sum(` + payload + `), count(*) FROM packets WHERE ` + where +
		` AND proto IN (6, 17) AND NOT (frag AND sport = 0 AND dport = 0) GROUP BY proto, sport, dport`
}

// perPort returns the traffic from each source port (bySource) or to each
// destination port of protocol proto (6 or 17) of the packets that match
// where, most payload (the SQL expression payload) first, then by port.
func perPort(ctx context.Context, env *analysis.Env, where, payload string, proto uint8, side bool) ([]total, error) {
	t, err := env.Shared(ctx, portsQuery(where, payload))
	if err != nil {
		return nil, err
	}
	sums := map[int64]*total{}
	var out []*total
	for _, r := range t.Rows {
		if analysis.AsInt(r[0]) != int64(proto) {
			continue
		}
		port := analysis.AsInt(r[2])
		if side == bySource {
			port = analysis.AsInt(r[1])
		}
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
