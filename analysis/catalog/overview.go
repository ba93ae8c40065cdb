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
	d := env.Dialect()
	isIP := ipWhere(v)
	q := `SELECT
		count(*), sum(wire_len),
		sum(CASE WHEN ` + isIP + ` THEN 1 ELSE 0 END), sum(CASE WHEN ` + isIP + ` THEN wire_len ELSE 0 END),
		sum(CASE WHEN ` + isIP + ` AND proto = 6 THEN 1 ELSE 0 END), sum(CASE WHEN ` + isIP + ` AND proto = 6 THEN wire_len ELSE 0 END),
		sum(CASE WHEN ` + isIP + ` AND proto = 17 THEN 1 ELSE 0 END), sum(CASE WHEN ` + isIP + ` AND proto = 17 THEN wire_len ELSE 0 END),
		min(` + d.EpochNs("ts") + `), max(` + d.EpochNs("ts") + `), count(DISTINCT capture) AS captures
		FROM packets`
	t, err := env.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	r := t.Rows[0]
	word := ipWord(v) // IP, IPv4 or IPv6
	all, ip, tcp, udp := analysis.AsInt(r[0]), analysis.AsInt(r[2]), analysis.AsInt(r[4]), analysis.AsInt(r[6])
	allB, ipB, tcpB, udpB := analysis.AsInt(r[1]), analysis.AsInt(r[3]), analysis.AsInt(r[5]), analysis.AsInt(r[7])
	layers := []struct {
		name           string
		packets, bytes int64
	}{
		{"All", all, allB},
		{word, ip, ipB},
		{"TCP", tcp, tcpB},
		{"UDP", udp, udpB},
		{"Other " + word, ip - tcp - udp, ipB - tcpB - udpB},
		{"Non-" + word, all - ip, allB - ipB},
	}
	layerTab := analysis.NewTable("overview", "Packets by layer", "layer", "packets", "bytes", "share").WithUnit("share", output.Share)
	cats := make([]string, len(layers))
	vals := make([]float64, len(layers))
	for i, l := range layers {
		share := 0.0
		if all > 0 {
			share = float64(l.packets) / float64(all)
		}
		layerTab.Add(l.name, l.packets, l.bytes, share)
		cats[i], vals[i] = l.name, float64(l.packets)
	}
	span := analysis.NewTable("overview_span", "Time span", "first_packet", "last_packet", "seconds", "captures")
	if all > 0 {
		first, last := analysis.AsInt(r[8]), analysis.AsInt(r[9])
		span.Add(analysis.Time(first), analysis.Time(last), seconds(last-first), analysis.AsInt(r[10]))
	}
	c := chart.NewHBar("overview", "Packets by layer", cats, chart.Bars("packets", vals))
	c.X.Title = "packets"
	return &analysis.Result{Tables: []analysis.Table{layerTab, span}, Charts: []*chart.Chart{c}}, nil
}
