package decode

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/netlens/netlens/schema"
)

// benchFiles are Ethernet captures whose frames, held in memory, are the
// benchmark input: TCP, UDP, ICMP, IPv4 and IPv6, VLAN and MPLS (which
// gopacket's DecodingLayerParser cannot decode: it stops there).
var benchFiles = []string{
	"ftp_ipv6.pcap", "http_get.pcap", "dns_mdns.pcap", "dhcp_dhcp.pcap", "ntp.pcap",
	"mixed-vlan-mpls.pcap", "icmp_icmp6-ping.pcap", "ipv4_fragmented-3.pcap", "q-in-q.pcap",
	"tcp_truncated-header.pcap", "test_dns.pcap", "http-qinq-0.pcap",
}

func benchFrames(b *testing.B) []frame {
	var frames []frame
	for _, name := range benchFiles {
		for _, f := range readFrames(b, name) {
			if f.linkType != LinkEthernet {
				b.Fatalf("%s: link type %d", name, f.linkType)
			}
			frames = append(frames, f)
		}
	}
	return frames
}

// BenchmarkDecode compares netlens' decoder with gopacket's
// DecodingLayerParser filling the same row.
func BenchmarkDecode(b *testing.B) {
	frames := benchFrames(b)
	b.Run("netlens", func(b *testing.B) { benchDecode(b, frames, New().Decode) })
	b.Run("gopacket-dlp", func(b *testing.B) {
		g := newGopacketDecoder()
		benchDecode(b, frames, func(_ uint16, data []byte, p *schema.Packet, m *Meta) { g.decode(data, p, m) })
	})
}

// benchDecode decodes frames round and round with decode, reporting
// allocations and packets per second.
func benchDecode(b *testing.B, frames []frame, decode func(linkType uint16, data []byte, p *schema.Packet, m *Meta)) {
	var p schema.Packet
	var m Meta
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		f := &frames[n%len(frames)]
		decode(f.linkType, f.data, &p, &m)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
}

// linkFiles are captures of the link types other than Ethernet: 802.11
// with and without radiotap, FDDI, IP over InfiniBand, PKTAP and ARCNET.
var linkFiles = []string{
	"wlanmon.pcap", "radiotap.pcap", "llc.pcap", "ipoib.pcap", "LINKTYPE_PKTAP.pcap", "arcnet-rfc1201-arp-icmp-http.pcap",
}

// BenchmarkDecodeLinkTypes decodes the frames of linkFiles.
func BenchmarkDecodeLinkTypes(b *testing.B) {
	var frames []frame
	for _, name := range linkFiles {
		frames = append(frames, readFrames(b, name)...)
	}
	benchDecode(b, frames, New().Decode)
}

// gopacketDecoder fills a row with gopacket's DecodingLayerParser, for
// comparison only.
type gopacketDecoder struct {
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	names   AddrTexts
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	ext     layers.IPv6ExtensionSkipper
	frag    layers.IPv6Fragment
	tcp     layers.TCP
	udp     layers.UDP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	arp     layers.ARP
	payload gopacket.Payload
}

func newGopacketDecoder() *gopacketDecoder {
	g := &gopacketDecoder{}
	g.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&g.eth, &g.dot1q, &g.ip4, &g.ip6, &g.ext, &g.frag, &g.tcp, &g.udp, &g.icmp4, &g.icmp6, &g.arp, &g.payload)
	g.parser.IgnoreUnsupported = true
	g.parser.IgnorePanic = true
	g.decoded = make([]gopacket.LayerType, 0, 16)
	return g
}

func (g *gopacketDecoder) decode(data []byte, p *schema.Packet, m *Meta) {
	*p = schema.Packet{Ts: p.Ts, Capture: p.Capture, Frame: p.Frame, LinkType: p.LinkType, WireLen: p.WireLen, CapLen: p.CapLen}
	*m = Meta{Status: NonIP}
	err := g.parser.DecodeLayers(data, &g.decoded)
	hdr := 0
	for _, t := range g.decoded {
		switch t {
		case layers.LayerTypeEthernet:
			p.EthType = uint16(g.eth.EthernetType)
		case layers.LayerTypeDot1Q:
			if p.VLAN == 0 {
				p.VLAN = g.dot1q.VLANIdentifier
			}
			p.EthType = uint16(g.dot1q.Type)
		case layers.LayerTypeIPv4:
			p.EthType, p.IPVersion = EthIPv4, 4
			m.Src, _ = netip.AddrFromSlice(g.ip4.SrcIP)
			m.Dst, _ = netip.AddrFromSlice(g.ip4.DstIP)
			p.Src, p.Dst = g.names.Text(m.Src), g.names.Text(m.Dst)
			p.IPLen, p.IPID, p.IPFlags = uint32(g.ip4.Length), uint32(g.ip4.Id), uint8(g.ip4.Flags)
			p.Frag = g.ip4.Flags&layers.IPv4MoreFragments != 0 || g.ip4.FragOffset != 0
			p.TTL, p.Proto, p.IPChksum = g.ip4.TTL, uint8(g.ip4.Protocol), g.ip4.Checksum
			hdr = int(g.ip4.IHL) * 4
			m.Status = OK
		case layers.LayerTypeIPv6:
			p.EthType, p.IPVersion = EthIPv6, 6
			m.Src, _ = netip.AddrFromSlice(g.ip6.SrcIP)
			m.Dst, _ = netip.AddrFromSlice(g.ip6.DstIP)
			p.Src, p.Dst = g.names.Text(m.Src), g.names.Text(m.Dst)
			p.IPLen, p.TTL, p.Proto = 40+uint32(g.ip6.Length), g.ip6.HopLimit, uint8(g.ip6.NextHeader)
			hdr = 40
			m.Status = OK
		case layers.LayerTypeIPv6Fragment:
			p.Frag, p.IPID, p.Proto = true, g.frag.Identification, uint8(g.frag.NextHeader)
			hdr += 8
		case layers.LayerTypeTCP:
			p.Sport, p.Dport = uint16(g.tcp.SrcPort), uint16(g.tcp.DstPort)
			p.TCPSeq, p.TCPAck, p.TCPWindow = g.tcp.Seq, g.tcp.Ack, g.tcp.Window
			p.Proto = protoTCP
			hdr += int(g.tcp.DataOffset) * 4
			m.Payload = g.tcp.Payload
			p.App = guessApp(protoTCP, p.Sport, p.Dport, m.Payload)
		case layers.LayerTypeUDP:
			p.Sport, p.Dport, p.UDPLen = uint16(g.udp.SrcPort), uint16(g.udp.DstPort), g.udp.Length
			p.Proto = protoUDP
			hdr += 8
			m.Payload = g.udp.Payload
			p.App = guessApp(protoUDP, p.Sport, p.Dport, m.Payload)
		case layers.LayerTypeICMPv4:
			p.Sport, p.Dport = uint16(g.icmp4.TypeCode.Type()), uint16(g.icmp4.TypeCode.Code())
			hdr += 8
		case layers.LayerTypeICMPv6:
			p.Sport, p.Dport = uint16(g.icmp6.TypeCode.Type()), uint16(g.icmp6.TypeCode.Code())
			hdr += 8
		case layers.LayerTypeARP:
			p.EthType = EthARP
		}
	}
	if int(p.IPLen) > hdr {
		p.PayloadLen = p.IPLen - uint32(hdr)
	}
	if err != nil {
		m.Status = Malformed
	}
}
