package catalog

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart/html"
	"github.com/netlens/netlens/chart/static"
)

// Addresses of the captures that lack something.
var (
	hostA  = net.IPv4(10, 0, 0, 1).To4()
	hostB  = net.IPv4(10, 0, 0, 2).To4()
	hostA6 = net.ParseIP("2001:db8::1")
	hostB6 = net.ParseIP("2001:db8::2")
	macA   = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB   = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

// frameOf serializes the layers of one Ethernet frame, lengths and
// checksums computed.
func frameOf(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	for _, l := range ls {
		if tl, ok := l.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok {
			for _, nl := range ls {
				if n, ok := nl.(gopacket.NetworkLayer); ok {
					tl.SetNetworkLayerForChecksum(n)
				}
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(src, dst net.HardwareAddr, typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: typ}
}

func ipv4Header(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst, Protocol: proto}
}

func ipv6(src, dst net.IP, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: src, DstIP: dst, NextHeader: next}
}

// lackingCaptures builds the captures that lack something an analysis
// looks for, by name: frames of Ethernet, 100 ms apart.
func lackingCaptures(t *testing.T) map[string][][]byte {
	udp := func(src, dst net.IP, sport, dport int, payload string) []byte {
		return frameOf(t, eth(macA, macB, layers.EthernetTypeIPv4), ipv4Header(src, dst, layers.IPProtocolUDP),
			&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload(payload))
	}
	udp6 := func(src, dst net.IP, sport, dport int, payload string) []byte {
		return frameOf(t, eth(macA, macB, layers.EthernetTypeIPv6), ipv6(src, dst, layers.IPProtocolUDP),
			&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload(payload))
	}
	echo := func(src, dst net.IP, typ uint8, seq uint16) []byte {
		return frameOf(t, eth(macA, macB, layers.EthernetTypeIPv4), ipv4Header(src, dst, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 7, Seq: seq}, gopacket.Payload("ping-data"))
	}
	arp := func(op uint16, srcMAC net.HardwareAddr, src, dst net.IP) []byte {
		return frameOf(t, eth(srcMAC, layers.EthernetBroadcast, layers.EthernetTypeARP), &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: srcMAC, SourceProtAddress: src, DstHwAddress: make([]byte, 6), DstProtAddress: dst,
		})
	}
	return map[string][][]byte{
		"empty": nil,
		"udp": {
			udp(hostA, hostB, 5000, 7000, "hello"),
			udp(hostB, hostA, 7000, 5000, "hi"),
			udp(hostA, hostB, 5000, 7000, "again"),
		},
		"icmp": {
			echo(hostA, hostB, layers.ICMPv4TypeEchoRequest, 1),
			echo(hostB, hostA, layers.ICMPv4TypeEchoReply, 1),
			echo(hostA, hostB, layers.ICMPv4TypeEchoRequest, 2),
			echo(hostB, hostA, layers.ICMPv4TypeEchoReply, 2),
		},
		"arp": {
			arp(layers.ARPRequest, macA, hostA, hostB),
			arp(layers.ARPReply, macB, hostB, hostA),
			arp(layers.ARPRequest, macA, hostA, hostB),
		},
		"ipv6": {
			udp6(hostA6, hostB6, 5000, 7000, "hello"),
			udp6(hostB6, hostA6, 7000, 5000, "hi"),
			udp6(hostA6, hostB6, 5000, 7000, "again"),
		},
	}
}

// writePcap writes frames as a pcap file of Ethernet.
func writePcap(t *testing.T, path string, frames [][]byte) {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLackingCaptures runs every analysis of the catalogue on captures
// that lack what it looks for: no packets at all, only UDP, only ICMP, no
// IP (ARP), only IPv6. An empty answer is an answer: each analysis gives
// its tables, with the rows listed here, and charts that render, empty
// ones saying why. An analysis added to the catalogue without a line here
// fails, so that its empty answers are looked at too.
func TestLackingCaptures(t *testing.T) {
	// Rows of each table, in order, per capture and analysis.
	want := map[string]map[string][]int{
		"empty": {"overview": {6, 0}, "graph": {0}, "talkers": {0, 0}, "ports": {0}, "timeline": {0, 0, 0}, "iat": {0, 0}, "stream": {0}, "bursts": {0, 0},
			"local_external": {0}, "anomalies": {0, 3}, "p2p": {0, 0, 0}, "organisations": {0, 0, 0, 0}, "unanswered": {0, 4},
			"peer_traffic": {0}, "message_share": {0}, "suspicious_peers": {0, 0, 0}, "conn_type_traffic": {0}, "estimate_check": {0},
			"darknet_stats": {0, 0}, "port_rank": {0}, "activity": {0}, "sender_filter": {0, 0}, "daily_senders": {0, 0}, "classes": {0}, "class_activity": {0}, "class_services": {0}, "embeddings": {0, 0, 0, 0}},
		"udp": {"overview": {6, 1}, "graph": {2}, "talkers": {2, 2}, "ports": {4}, "timeline": {2, 0, 2}, "iat": {1, 1}, "stream": {2}, "bursts": {1, 2},
			"local_external": {1}, "anomalies": {3, 3}, "p2p": {0, 0, 0}, "organisations": {1, 1, 1, 1}, "unanswered": {1, 4},
			"peer_traffic": {0}, "message_share": {0}, "suspicious_peers": {0, 0, 0}, "conn_type_traffic": {0}, "estimate_check": {0},
			"darknet_stats": {2, 4}, "port_rank": {2}, "activity": {3}, "sender_filter": {2, 1}, "daily_senders": {1, 1}, "classes": {0}, "class_activity": {0}, "class_services": {0}, "embeddings": {0, 0, 0, 0}},
		"icmp": {"overview": {6, 1}, "graph": {2}, "talkers": {2, 2}, "ports": {0}, "timeline": {2, 0, 0}, "iat": {2, 2}, "stream": {2}, "bursts": {1, 2},
			"local_external": {1}, "anomalies": {3, 3}, "p2p": {0, 0, 0}, "organisations": {1, 1, 1, 1}, "unanswered": {0, 4},
			"peer_traffic": {0}, "message_share": {0}, "suspicious_peers": {0, 0, 0}, "conn_type_traffic": {0}, "estimate_check": {0},
			"darknet_stats": {2, 2}, "port_rank": {1}, "activity": {4}, "sender_filter": {1, 1}, "daily_senders": {1, 1}, "classes": {0}, "class_activity": {0}, "class_services": {0}, "embeddings": {0, 0, 0, 0}},
		"arp": {"overview": {6, 1}, "graph": {0}, "talkers": {0, 0}, "ports": {0}, "timeline": {0, 0, 0}, "iat": {0, 0}, "stream": {0}, "bursts": {0, 0},
			"local_external": {0}, "anomalies": {0, 3}, "p2p": {0, 0, 0}, "organisations": {0, 0, 0, 0}, "unanswered": {0, 4},
			"peer_traffic": {0}, "message_share": {0}, "suspicious_peers": {0, 0, 0}, "conn_type_traffic": {0}, "estimate_check": {0},
			"darknet_stats": {0, 0}, "port_rank": {0}, "activity": {0}, "sender_filter": {0, 0}, "daily_senders": {0, 0}, "classes": {0}, "class_activity": {0}, "class_services": {0}, "embeddings": {0, 0, 0, 0}},
		"ipv6": {"overview": {6, 1}, "graph": {2}, "talkers": {2, 2}, "ports": {4}, "timeline": {2, 0, 2}, "iat": {1, 1}, "stream": {2}, "bursts": {1, 2},
			"local_external": {1}, "anomalies": {3, 3}, "p2p": {0, 0, 0}, "organisations": {1, 1, 1, 1}, "unanswered": {1, 4},
			"peer_traffic": {0}, "message_share": {0}, "suspicious_peers": {0, 0, 0}, "conn_type_traffic": {0}, "estimate_check": {0},
			"darknet_stats": {2, 4}, "port_rank": {2}, "activity": {3}, "sender_filter": {2, 1}, "daily_senders": {1, 1}, "classes": {0}, "class_activity": {0}, "class_services": {0}, "embeddings": {0, 0, 0, 0}},
	}
	dir := t.TempDir()
	for name, frames := range lackingCaptures(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".pcap")
			writePcap(t, path, frames)
			env := envFor(t, path)
			for _, a := range All() {
				m := a.Meta()
				t.Run(m.Name, func(t *testing.T) {
					res, err := analysis.Run(context.Background(), a, env, nil)
					if err != nil {
						t.Fatalf("an empty answer is an answer: %v", err)
					}
					var rows []int
					for _, tab := range res.Tables {
						rows = append(rows, len(tab.Rows))
					}
					w, ok := want[name][m.Name]
					if !ok {
						t.Errorf("no expected rows for %s on %s: got %v", m.Name, name, rows)
					} else if diff := cmp.Diff(w, rows); diff != "" {
						t.Errorf("rows per table (-want +got):\n%s\n%s", diff, render(res))
					}
					if len(res.Charts) == 0 {
						t.Error("no chart")
					}
					for _, c := range res.Charts {
						if !c.HasData() && c.Empty == "" {
							t.Errorf("chart %s has no data and does not say why", c.ID)
						}
						if err := html.Render(&bytes.Buffer{}, c, html.Options{}); err != nil {
							t.Errorf("interactive: %v", err)
						}
						if err := static.Render(&bytes.Buffer{}, c, static.SVG, static.Size{}); err != nil {
							t.Errorf("figure: %v", err)
						}
					}
				})
			}
		})
	}
}

// TestEmptyMessages: an empty chart says what is missing, in the words of
// the question: no TCP packets, no IP packets, none from the source asked
// for.
func TestEmptyMessages(t *testing.T) {
	dir := t.TempDir()
	caps := lackingCaptures(t)
	envOf := func(name string) *analysis.Env {
		path := filepath.Join(dir, name+".pcap")
		writePcap(t, path, caps[name])
		return envFor(t, path)
	}
	udp, arp := envOf("udp"), envOf("arp")
	tests := []struct {
		env      *analysis.Env
		analysis string
		set      map[string]string
		want     map[string]string // chart id -> empty message; charts with data are ""
	}{
		{udp, "ports", nil, map[string]string{"ports_tcp_sport": "no TCP packets", "ports_tcp_dport": "no TCP packets", "ports_udp_sport": "", "ports_udp_dport": ""}},
		{udp, "ports", map[string]string{"ip_version": "6"}, map[string]string{"ports_tcp_sport": "no TCP packets over IPv6", "ports_tcp_dport": "no TCP packets over IPv6",
			"ports_udp_sport": "no UDP packets over IPv6", "ports_udp_dport": "no UDP packets over IPv6"}},
		{arp, "talkers", nil, map[string]string{"talkers_sent": "no IP packets", "talkers_received": "no IP packets"}},
		{arp, "graph", nil, map[string]string{"graph": "no IP packets"}},
		{arp, "iat", nil, map[string]string{"iat_ecdf": "no address sent or received two IP packets",
			"iat_arrival": "no address received two IP packets", "iat_departure": "no address sent two IP packets"}},
		{udp, "timeline", map[string]string{"src": "192.0.2.99"}, map[string]string{"timeline_src": "no IP packets from 192.0.2.99", "timeline_tcp_port": "no TCP packets", "timeline_udp_port": ""}},
		{udp, "stream", map[string]string{"src": "192.0.2.99"}, map[string]string{"stream": "no IP packets from 192.0.2.99"}},
		{udp, "stream", map[string]string{"dst": "192.0.2.99"}, map[string]string{"stream": "no IP packets from 10.0.0.1 to 192.0.2.99"}},
		{udp, "bursts", map[string]string{"src": "192.0.2.99", "dst": "10.0.0.2"}, map[string]string{"bursts": "no IP packets from 192.0.2.99 to 10.0.0.2"}},
		{arp, "bursts", nil, map[string]string{"bursts": "no IP packets"}},
	}
	for _, tt := range tests {
		a, _ := ByName(tt.analysis)
		res, err := analysis.Run(context.Background(), a, tt.env, tt.set)
		if err != nil {
			t.Errorf("%s %v: %v", tt.analysis, tt.set, err)
			continue
		}
		got := map[string]string{}
		for _, c := range res.Charts {
			got[c.ID] = c.Empty
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %v: empty messages (-want +got):\n%s", tt.analysis, tt.set, diff)
		}
	}
}
