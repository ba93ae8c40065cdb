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

// topSource returns the address that sent the most payload bytes, or the
// parameter src when it is set.
func topSource(ctx context.Context, env *analysis.Env, v analysis.Values, where string) (string, error) {
	if src := v.String("src"); src != "" {
		return src, nil
	}
	sent, err := perAddress(ctx, env, where, bySource)
	if err != nil {
		return "", err
	}
	if len(sent) == 0 {
		return "", errNoPackets
	}
	return sent[0].key, nil
}

// sentBy returns the packets src sent, in time order: time (ns since the
// epoch), destination and payload bytes. timeline shows them all; stream
// and bursts take those to one destination, so the three share one query.
// The table is shared: it must not be modified.
func sentBy(ctx context.Context, env *analysis.Env, where, src string) (*engine.Table, error) {
	return env.Shared(ctx, `SELECT `+env.Dialect().EpochNs("ts")+`, dst, payload_len FROM packets WHERE `+where+` AND src = ? ORDER BY ts`, src)
}

// topPartner returns the destination src sent the most packets to (of
// those with the most, the first in order), or the parameter dst when it
// is set.
func topPartner(ctx context.Context, env *analysis.Env, v analysis.Values, where, src string) (string, error) {
	if dst := v.String("dst"); dst != "" {
		return dst, nil
	}
	t, err := sentBy(ctx, env, where, src)
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
	if most == 0 {
		return "", fmt.Errorf("%s sent no IP packets", src)
	}
	return top, nil
}

var errNoPackets = fmt.Errorf("no IP packets in the dataset")

// srcParam and dstParam pick the stream instead of the top talker.
var (
	srcParam = analysis.Param{Name: "src", Kind: analysis.Addr, Doc: "source address (default: the one that sent the most payload bytes)"}
	dstParam = analysis.Param{Name: "dst", Kind: analysis.Addr, Doc: "destination address (default: the one src sent the most packets to)"}
)

// seconds converts nanoseconds to seconds.
func seconds(ns int64) float64 { return float64(ns) / 1e9 }
