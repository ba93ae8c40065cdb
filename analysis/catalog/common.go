package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
)

// ipVersion is the parameter that keeps one IP version or both.
var ipVersion = analysis.Param{
	Name: "ip_version", Kind: analysis.Int, Default: "0", Choices: []string{"0", "4", "6"},
	Doc: "4 or 6 keeps one IP version (4 reproduces notebooks that drop IPv6); 0 keeps both",
}

// top is the parameter of how many entries a chart shows.
func top(def string) analysis.Param {
	return analysis.Param{Name: "top", Kind: analysis.Int, Default: def, Min: analysis.AtLeast(1),
		Doc: "how many entries the charts show (tables list them all)"}
}

// ipWhere is the SQL condition on packets of the ip_version parameter.
func ipWhere(v analysis.Values) string {
	switch v.Int("ip_version") {
	case 4:
		return "ip_version = 4"
	case 6:
		return "ip_version = 6"
	}
	return "ip_version IN (4, 6)"
}

// topSource returns the address that sent the most payload bytes (as the
// payload parameter counts them), or the parameter src when it is set; ""
// when no packet matches where.
func topSource(ctx context.Context, env *analysis.Env, v analysis.Values, where string) (string, error) {
	if src := v.String("src"); src != "" {
		return src, nil
	}
	rel, err := addressesOf(ctx, env, where, payloadSQL(v), bySource)
	if err != nil {
		return "", err
	}
	t, err := env.Shared(ctx, `SELECT address FROM `+rel+` AS t ORDER BY payload DESC, address LIMIT 1`)
	if err != nil || len(t.Rows) == 0 {
		return "", err
	}
	return analysis.AsString(t.Rows[0][0]), nil
}

// addressesOf returns a relation of the traffic of each source address
// (bySource) or destination address of the packets that match where, as
// addressQuery sums it from the edges, kept by the engine: talkers' table,
// its chart and count, and the top source of timeline, stream and bursts
// read the same sums, millions of them on a scan.
func addressesOf(ctx context.Context, env *analysis.Env, where, payload string, side bool) (string, error) {
	rel, err := edgesOf(ctx, env, where, payload)
	if err != nil {
		return "", err
	}
	return env.Kept(ctx, addressQuery(rel, side))
}

// sentBy returns the packets src sent, in time order (then capture order):
// time (ns since the epoch), destination, payload bytes (the SQL expression
// payload) and the time since the previous packet to the destination from
// any source (ns, NULL for the first). timeline shows them all; stream and
// bursts take those to one destination, so the three share one query. The
// table is shared: it must not be modified.
func sentBy(ctx context.Context, env *analysis.Env, where, payload, src string) (*engine.Table, error) {
	return env.Shared(ctx, `SELECT `+env.Dialect().EpochNs("ts")+`, dst, `+payload+`, dst_gap_ns FROM packets WHERE `+where+
		` AND src = ? ORDER BY ts, capture, frame`, src)
}

// topPartner returns the destination src sent the most packets to (of
// those with the most, the first in order), or the parameter dst when it
// is set; "" when src sent no packet that matches where.
func topPartner(ctx context.Context, env *analysis.Env, v analysis.Values, where, src string) (string, error) {
	if dst := v.String("dst"); dst != "" {
		return dst, nil
	}
	t, err := sentBy(ctx, env, where, payloadSQL(v), src)
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	for _, r := range t.Rows {
		count[analysis.AsString(r[1])]++
	}
	top, most := "", 0
	for dst, n := range count {
		if n > most || n == most && dst < top {
			top, most = dst, n
		}
	}
	return top, nil
}

// noPackets says that no packet of what (IP, TCP, UDP, ...) matches, for
// a chart with nothing to draw: "no TCP packets", "no IPv4 packets", "no
// UDP packets over IPv6".
func noPackets(v analysis.Values, what string) string {
	if what == "IP" {
		return "no " + ipWord(v) + " packets"
	}
	if n := v.Int("ip_version"); n != 0 {
		return fmt.Sprintf("no %s packets over IPv%d", what, n)
	}
	return "no " + what + " packets"
}

// ipWord names the IP packets the ip_version parameter keeps: IP, IPv4 or
// IPv6.
func ipWord(v analysis.Values) string {
	if n := v.Int("ip_version"); n != 0 {
		return fmt.Sprintf("IPv%d", n)
	}
	return "IP"
}

// noStreamPackets says that no IP packet went from src to dst, either of
// which may be unknown (""), for a chart with nothing to draw.
func noStreamPackets(env *analysis.Env, v analysis.Values, src, dst string) string {
	s := noPackets(v, "IP")
	if src != "" {
		s += " from " + env.Label(src)
	}
	if dst != "" {
		s += " to " + env.Label(dst)
	}
	return s
}

// srcParam and dstParam pick the stream instead of the top talker.
var (
	srcParam = analysis.Param{Name: "src", Kind: analysis.Addr, Doc: "source address (default: the one that sent the most payload bytes)"}
	dstParam = analysis.Param{Name: "dst", Kind: analysis.Addr, Doc: "destination address (default: the one src sent the most packets to)"}
)

// seconds converts nanoseconds to seconds, rounded once.
func seconds(ns int64) float64 { return analysis.Seconds(ns) }
