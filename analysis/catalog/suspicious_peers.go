package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type suspiciousPeers struct{}

func (suspiciousPeers) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "suspicious_peers", Group: peersGroup, Title: "Suspicious peers",
		Doc: `Inbound peers (as in message_share) whose share of pong in the bytes they sent exceeds threshold, and their ` +
			`hosts (brackets and port stripped; Tor and I2P names as they are) counted as the seed counts them. Beyond the ` +
			`seed, each host's history over the whole dataset, all connection types and lengths: connections, days seen, ` +
			`highest pong share, connection types, so that a spy that returns stands out; the same per subnet (/24, /48); ` +
			`and per suspicious peer the inv messages it sent per getdata (spies listen and announce little) and, from ` +
			`per-message logs, its most ping and addr messages in one minute (spam). ` + estimateDoc,
		Tables: []string{"peer_messages"},
		Params: []analysis.Param{
			{Name: "threshold", Kind: analysis.Float, Default: "0.5", Min: analysis.AtLeast(0), Doc: "least pong share of a suspicious peer (exclusive)"},
			minConnParam("1h"), estimateParam, top("15"),
		},
	}
}

func (suspiciousPeers) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	p, err := loadPeers(ctx, env, v)
	if err != nil {
		return nil, err
	}
	threshold := v.Float("threshold")
	// Per connection over the whole dataset: pong share of what it sent,
	// days seen, messages of inv and getdata it sent.
	type connStat struct {
		days           map[int64]bool
		in, pong       float64
		invs, getdatas int64
	}
	stats := map[peerKey]*connStat{}
	for _, r := range p.days {
		s := stats[r.peer]
		if s == nil {
			s = &connStat{days: map[int64]bool{}}
			stats[r.peer] = s
		}
		s.days[r.day] = true
		if r.direction != "in" {
			continue
		}
		s.in += r.bytes
		switch r.msgType {
		case "pong":
			s.pong += r.bytes
		case "inv":
			s.invs += r.messages
		case "getdata":
			s.getdatas += r.messages
		}
	}
	spam, err := peerSpam(ctx, env)
	if err != nil {
		return nil, err
	}
	peers := analysis.NewTable("suspicious_peers", "Inbound peers whose pong share exceeds the threshold",
		"node", "peer_id", "peer_addr", "ip", "subnet", "pong_share", "ping_share", "bytes", "inv_per_getdata", "max_ping_per_min", "max_addr_per_min").
		WithUnit("pong_share", output.Share).WithUnit("ping_share", output.Share)
	count := map[string]int64{}
	var ips []string
	for _, s := range p.inboundShares(v.Duration("min_conn").Nanoseconds()) {
		if s.share("pong") <= threshold {
			continue
		}
		ip := peerIP(s.peer.addr)
		if count[ip] == 0 {
			ips = append(ips, ip)
		}
		count[ip]++
		st := stats[s.peer]
		var ratio any
		if st.getdatas > 0 {
			ratio = float64(st.invs) / float64(st.getdatas)
		}
		sp := spam[s.peer]
		peers.Add(nullable(s.peer.node), s.peer.id, s.peer.addr, ip, peerSubnet(ip), s.share("pong"), s.share("ping"), int64(s.total),
			ratio, sp.ping, sp.addr)
	}
	slices.SortStableFunc(ips, func(a, b string) int { return cmp.Compare(count[b], count[a]) })
	// History of the suspicious hosts and subnets over every connection.
	type history struct {
		conns   int64
		days    map[int64]bool
		maxPong float64
		types   map[string]bool
		hosts   map[string]bool
	}
	hist := map[string]*history{}
	histOf := func(k string) *history {
		h := hist[k]
		if h == nil {
			h = &history{days: map[int64]bool{}, types: map[string]bool{}, hosts: map[string]bool{}}
			hist[k] = h
		}
		return h
	}
	subnets := map[string]bool{}
	for _, ip := range ips {
		subnets[peerSubnet(ip)] = true
	}
	for k, st := range stats {
		ip := peerIP(k.addr)
		for _, key := range []string{"ip " + ip, "net " + peerSubnet(ip)} {
			if (strings.HasPrefix(key, "ip ") && count[ip] == 0) || (strings.HasPrefix(key, "net ") && !subnets[peerSubnet(ip)]) {
				continue
			}
			h := histOf(key)
			h.conns++
			for d := range st.days {
				h.days[d] = true
			}
			if st.in > 0 {
				h.maxPong = max(h.maxPong, st.pong/st.in)
			}
			h.types[p.connType(k)] = true
			h.hosts[ip] = true
		}
	}
	sortedKeys := func(m map[string]bool) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return strings.Join(ks, " ")
	}
	ipTab := analysis.NewTable("suspicious_ips", "Hosts of suspicious peers, and their history in the dataset",
		"ip", "suspicious_peers", "connections", "days_seen", "max_pong_share", "conn_types").WithUnit("max_pong_share", output.Share)
	var cats []string
	var vals []float64
	for _, ip := range ips {
		h := hist["ip "+ip]
		ipTab.Add(ip, count[ip], h.conns, int64(len(h.days)), h.maxPong, sortedKeys(h.types))
		if int64(len(cats)) < v.Int("top") {
			cats = append(cats, ip)
			vals = append(vals, float64(count[ip]))
		}
	}
	netTab := analysis.NewTable("suspicious_subnets", "Subnets (/24, /48) of suspicious peers, and their history in the dataset",
		"subnet", "suspicious_peers", "hosts", "connections", "days_seen", "max_pong_share", "conn_types").WithUnit("max_pong_share", output.Share)
	netCount := map[string]int64{}
	for ip, n := range count {
		netCount[peerSubnet(ip)] += n
	}
	nets := make([]string, 0, len(subnets))
	for n := range subnets {
		nets = append(nets, n)
	}
	slices.SortFunc(nets, func(a, b string) int { return cmp.Or(cmp.Compare(netCount[b], netCount[a]), cmp.Compare(a, b)) })
	for _, n := range nets {
		h := hist["net "+n]
		netTab.Add(n, netCount[n], int64(len(h.hosts)), h.conns, int64(len(h.days)), h.maxPong, sortedKeys(h.types))
	}
	c := chart.NewHBar("suspicious_ips", fmt.Sprintf("Hosts with the most peers whose pong share exceeds %g", threshold), cats, chart.Bars("suspicious peers", vals))
	c.X = chart.Axis{Title: "suspicious peers"}
	if len(ips) > len(cats) {
		c.Note = fmt.Sprintf("showing the top %d of %d hosts", len(cats), len(ips))
	}
	return &analysis.Result{
		Tables: []analysis.Table{peers, ipTab, netTab},
		Charts: []*chart.Chart{c.OrEmpty("no suspicious peers: " + emptyPeers)},
	}, nil
}

// spamRate is the most ping and addr (addr, addrv2) messages a peer sent
// in one minute, from per-message rows; nil when there are none.
type spamRate struct{ ping, addr any }

// peerSpam reads the highest rates of ping and addr messages per peer.
func peerSpam(ctx context.Context, env *analysis.Env) (map[peerKey]spamRate, error) {
	ts := env.Dialect().EpochNs("ts")
	t, err := env.Query(ctx, fmt.Sprintf(`SELECT g_node, peer_id, g_addr, g_kind, max(n) FROM (
			SELECT coalesce(node, '') AS g_node, peer_id, coalesce(peer_addr, '') AS g_addr,
				CASE WHEN coalesce(msg_type, '') = 'ping' THEN 'ping' ELSE 'addr' END AS g_kind, %[1]s - %[1]s %% 60000000000 AS minute, count(*) AS n
			FROM peer_messages
			WHERE period_s = 0 AND peer_id IS NOT NULL AND direction = 'in' AND msg_type IN ('ping', 'addr', 'addrv2')
			GROUP BY g_node, peer_id, g_addr, g_kind, minute) AS m
		GROUP BY g_node, peer_id, g_addr, g_kind`, ts))
	if err != nil {
		return nil, fmt.Errorf("ping and addr rates: %w", err)
	}
	out := map[peerKey]spamRate{}
	for _, r := range t.Rows {
		k := peerKey{analysis.AsString(r[0]), analysis.AsInt(r[1]), analysis.AsString(r[2])}
		s := out[k]
		if analysis.AsString(r[3]) == "ping" {
			s.ping = analysis.AsInt(r[4])
		} else {
			s.addr = analysis.AsInt(r[4])
		}
		out[k] = s
	}
	return out, nil
}
