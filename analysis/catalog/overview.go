package catalog

import (
	"context"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type overview struct{}

func (overview) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "overview", Group: "capture", Title: "Capture overview",
		Doc: `Packets and bytes by layer: all packets, IP (v4 and v6), TCP, UDP, other IP ` +
			`protocols (ICMP, IGMP, ...) and packets without IP (ARP, LLDP, ...), with the time span ` +
			`of the captures. Bytes are frame lengths on the wire. Unlike notebooks built on scapy's ` +
			`IP filter, IPv6 counts as IP here; ip_version=4 counts as they do: IPv4, TCP and UDP over ` +
			`IPv4, other IPv4, and the rest (IPv6 and packets without IP) as non-IPv4. The first row ` +
			`and the time span are of all packets whatever ip_version.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion},
	}
}

func (overview) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := countPackets(ctx, env, v)
	if err != nil {
		return nil, err
	}
	word := ipWord(v) // IP, IPv4 or IPv6
	layers := []struct {
		name           string
		packets, bytes int64
	}{
		{"All", r.all, r.allBytes},
		{word, r.ip, r.ipBytes},
		{"TCP", r.tcp, r.tcpBytes},
		{"UDP", r.udp, r.udpBytes},
		{"Other " + word, r.ip - r.tcp - r.udp, r.ipBytes - r.tcpBytes - r.udpBytes},
		{"Non-" + word, r.all - r.ip, r.allBytes - r.ipBytes},
	}
	layerTab := analysis.NewTable("overview", "Packets by layer", "layer", "packets", "bytes", "share").WithUnit("share", output.Share)
	cats := make([]string, len(layers))
	vals := make([]float64, len(layers))
	for i, l := range layers {
		share := 0.0
		if r.all > 0 {
			share = float64(l.packets) / float64(r.all)
		}
		layerTab.Add(l.name, l.packets, l.bytes, share)
		cats[i], vals[i] = l.name, float64(l.packets)
	}
	span := analysis.NewTable("overview_span", "Time span", "first_packet", "last_packet", "seconds", "captures")
	if r.all > 0 {
		span.Add(analysis.Time(r.first), analysis.Time(r.last), seconds(r.last-r.first), r.captures)
	}
	c := chart.NewHBar("overview", "Packets by layer", cats, chart.Bars("packets", vals))
	c.X.Title = "packets"
	return &analysis.Result{Tables: []analysis.Table{layerTab, span}, Charts: []*chart.Chart{c}}, nil
}

// packetCounts are the packets and bytes of all packets, of those of IP
// (as ipWhere) and of TCP and UDP over it; the first and last time stamps
// (nanoseconds) and the captures of all packets; and the gaps to the last
// packet to the same destination and from the same source of the IP
// packets. Each is 0 when there are no packets.
type packetCounts struct {
	all, allBytes, ip, ipBytes, tcp, tcpBytes, udp, udpBytes int64
	first, last, captures                                    int64
	dstGaps, srcGaps                                         int64
}

// countPackets returns the packetCounts of one scan of the packets, which
// overview and iat share: overview shows them, iat chooses its way by
// them.
func countPackets(ctx context.Context, env *analysis.Env, v analysis.Values) (packetCounts, error) {
	d := env.Dialect()
	isIP := ipWhere(v)
	t, err := env.Shared(ctx, `SELECT
		count(*), sum(wire_len),
		sum(CASE WHEN `+isIP+` THEN 1 ELSE 0 END), sum(CASE WHEN `+isIP+` THEN wire_len ELSE 0 END),
		sum(CASE WHEN `+isIP+` AND proto = 6 THEN 1 ELSE 0 END), sum(CASE WHEN `+isIP+` AND proto = 6 THEN wire_len ELSE 0 END),
		sum(CASE WHEN `+isIP+` AND proto = 17 THEN 1 ELSE 0 END), sum(CASE WHEN `+isIP+` AND proto = 17 THEN wire_len ELSE 0 END),
		min(`+d.EpochNs("ts")+`), max(`+d.EpochNs("ts")+`), count(DISTINCT capture),
		count(CASE WHEN `+isIP+` THEN dst_gap_ns END), count(CASE WHEN `+isIP+` THEN src_gap_ns END)
		FROM packets`)
	if err != nil {
		return packetCounts{}, err
	}
	r := t.Rows[0]
	n := func(i int) int64 { return analysis.AsInt(r[i]) }
	return packetCounts{
		all: n(0), allBytes: n(1), ip: n(2), ipBytes: n(3), tcp: n(4), tcpBytes: n(5), udp: n(6), udpBytes: n(7),
		first: n(8), last: n(9), captures: n(10),
		dstGaps: n(11), srcGaps: n(12),
	}, nil
}
