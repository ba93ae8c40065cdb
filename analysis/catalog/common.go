package catalog

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
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
	t, err := env.Query(ctx, `SELECT src, sum(payload_len) AS payload FROM packets WHERE `+where+`
		GROUP BY src ORDER BY payload DESC, src LIMIT 1`)
	if err != nil {
		return "", err
	}
	if len(t.Rows) == 0 {
		return "", errNoPackets
	}
	return analysis.AsString(t.Rows[0][0]), nil
}

// topPartner returns the destination src sent the most packets to, or the
// parameter dst when it is set.
func topPartner(ctx context.Context, env *analysis.Env, v analysis.Values, where, src string) (string, error) {
	if dst := v.String("dst"); dst != "" {
		return dst, nil
	}
	t, err := env.Query(ctx, `SELECT dst, count(*) AS packets FROM packets WHERE `+where+` AND src = ?
		GROUP BY dst ORDER BY packets DESC, dst LIMIT 1`, src)
	if err != nil {
		return "", err
	}
	if len(t.Rows) == 0 {
		return "", fmt.Errorf("%s sent no IP packets", src)
	}
	return analysis.AsString(t.Rows[0][0]), nil
}

var errNoPackets = fmt.Errorf("no IP packets in the dataset")

// srcParam and dstParam pick the stream instead of the top talker.
var (
	srcParam = analysis.Param{Name: "src", Kind: analysis.Addr, Doc: "source address (default: the one that sent the most payload bytes)"}
	dstParam = analysis.Param{Name: "dst", Kind: analysis.Addr, Doc: "destination address (default: the one src sent the most packets to)"}
)

// seconds converts nanoseconds to seconds.
func seconds(ns int64) float64 { return float64(ns) / 1e9 }
