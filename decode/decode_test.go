package decode

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

// TestDecodeCorpus checks every field of frames of real captures, one or
// more per link type and protocol. Values were checked against tshark.
func TestDecodeCorpus(t *testing.T) {
	tests := []struct {
		file    string
		frame   int
		status  Status
		payload int // captured payload bytes (len(m.Payload))
		want    schema.Packet
	}{
		{"http_get.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "141.142.228.5", Dst: "192.150.187.43", IPLen: 64, IPID: 57230, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x6dd3, Sport: 59856, Dport: 80, TCPSeq: 4263588410, TCPFlags: 0x2, TCPWindow: 65535, App: AppHTTP}},
		{"http_get.pcap", 4, OK, 136, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "141.142.228.5", Dst: "192.150.187.43", IPLen: 188, IPID: 19098, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x24c, Sport: 59856, Dport: 80, TCPSeq: 4263588411, TCPAck: 2779762239, TCPFlags: 0x18, TCPWindow: 8235, PayloadLen: 136, App: AppHTTP}},
		{"q-in-q.pcap", 1, OK, 18, schema.Packet{EthType: 0x800, VLAN: 13, IPVersion: 4, Src: "172.19.51.37", Dst: "172.19.51.63", IPLen: 46, IPID: 18326, TTL: 64, Proto: 17, IPChksum: 0x749e, Sport: 47808, Dport: 47808, UDPLen: 26, PayloadLen: 18}},
		{"802.1ad_QinQ.pcap", 1, NonIP, 0, schema.Packet{EthType: 0x806, VLAN: 200, Src: "172.21.79.97", Dst: "172.21.79.100"}},
		{"mpls-in-vlan.pcap", 3, OK, 658, schema.Packet{EthType: 0x800, VLAN: 3399, IPVersion: 4, Src: "65.65.65.65", Dst: "65.65.65.65", IPLen: 710, IPID: 22774, IPFlags: 2, TTL: 61, Proto: 6, IPChksum: 0xb72c, Sport: 61193, Dport: 80, TCPSeq: 2629953142, TCPAck: 1594306258, TCPFlags: 0x18, TCPWindow: 25480, PayloadLen: 658, App: AppHTTP}},
		{"mixed-vlan-mpls.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.1.2.1", Dst: "10.34.0.1", IPLen: 44, TTL: 255, Proto: 6, IPChksum: 0xa4e7, Sport: 11001, Dport: 23, TCPSeq: 2553417723, TCPFlags: 0x2, TCPWindow: 4128}},
		{"linux_dlt_sll2.pcap", 1, OK, 56, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "192.0.2.1", Dst: "192.0.2.1", IPLen: 84, IPID: 44940, IPFlags: 2, TTL: 64, Proto: 1, IPChksum: 0x71a, Sport: 8, PayloadLen: 56}},
		{"linux_dlt_sll2.pcap", 3, OK, 56, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "fe80::8c36:6ff:fe44:acaf", Dst: "fe80::8c36:6ff:fe44:acaf", IPLen: 104, TTL: 64, Proto: 58, Sport: 128, PayloadLen: 56}},
		{"linux_dlt_sll2.pcap", 6, NonIP, 0, schema.Packet{EthType: 0x8035, Src: "192.0.2.1", Dst: "192.0.2.2"}},
		{"linuxsll-arp.pcap", 1, NonIP, 0, schema.Packet{EthType: 0x806, Src: "192.168.22.1", Dst: "192.168.22.160"}},
		{"LINKTYPE_RAW_ipv6.pcap", 1, OK, 29, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "2001:db8::1", Dst: "2620:fe::9", IPLen: 77, TTL: 64, Proto: 17, Sport: 12345, Dport: 53, UDPLen: 37, PayloadLen: 29, App: AppDNS}},
		{"LINKTYPE_IPV6.pcap", 1, OK, 29, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "2001:db8::1", Dst: "2620:fe::9", IPLen: 77, TTL: 64, Proto: 17, Sport: 12345, Dport: 53, UDPLen: 37, PayloadLen: 29, App: AppDNS}},
		{"tcp-syslog.pcap", 4, OK, 54, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "192.168.1.1", Dst: "192.168.1.2", IPLen: 94, IPID: 1, TTL: 64, Proto: 6, IPChksum: 0xf745, Sport: 12345, Dport: 514, TCPSeq: 1001, TCPAck: 2001, TCPFlags: 0x18, TCPWindow: 8192, PayloadLen: 54}},
		{"redis_pubsub.pcap", 1, OK, 28, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "127.0.0.1", Dst: "127.0.0.1", IPLen: 80, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x3ca6, Sport: 60831, Dport: 6379, TCPSeq: 2589099114, TCPAck: 3888481662, TCPFlags: 0x18, TCPWindow: 7144, PayloadLen: 28}},
		{"quic_handshake_truncated.pcap", 1, OK, 204, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "::1", Dst: "::1", IPLen: 1248, TTL: 64, Proto: 17, Sport: 65165, Dport: 443, UDPLen: 1208, PayloadLen: 1200, App: AppQUIC}},
		{"quic_interop_quic-go_quic-go_zerortt.pcap", 5, OK, 1252, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "193.167.0.100", Dst: "193.167.100.100", IPLen: 1280, IPFlags: 2, TTL: 63, Proto: 17, IPChksum: 0x4ed6, Sport: 60492, Dport: 443, UDPLen: 1260, PayloadLen: 1252, App: AppQUIC}},
		{"pppoe.pcap", 22, OK, 20, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "fe80::c801:eff:fe88:8", Dst: "ff02::16", IPLen: 76, TTL: 1, Proto: 58, Sport: 143, PayloadLen: 20}},
		{"pppoe.pcap", 36, OK, 50, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "fe80::ce05:eff:fe88:0", Dst: "ff02::1:2", IPLen: 98, TTL: 255, Proto: 17, Sport: 546, Dport: 547, UDPLen: 58, PayloadLen: 50, App: AppDHCP}},
		{"pppoe.pcap", 5, NonIP, 0, schema.Packet{EthType: 0x8864}},
		{"nflog-http.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.0.2.15", Dst: "93.184.216.34", IPLen: 60, IPID: 59631, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0xfe3, Sport: 49762, Dport: 80, TCPSeq: 1060289233, TCPFlags: 0x2, TCPWindow: 29200, App: AppHTTP}},
		{"ipv4_fragmented-1.pcap", 1, OK, 10, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "164.1.123.163", Dst: "164.1.123.61", IPLen: 38, IPID: 242, IPFlags: 1, Frag: true, TTL: 64, Proto: 17, IPChksum: 0x1af2, Sport: 123, Dport: 137, UDPLen: 18, PayloadLen: 10, App: AppNTP}},
		{"ipv4_fragmented-1.pcap", 2, OK, 116, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "164.1.123.163", Dst: "164.1.123.61", IPLen: 136, IPID: 242, Frag: true, TTL: 64, Proto: 17, IPChksum: 0x3a8a, PayloadLen: 116}},
		{"ipv6-fragmented-dns.pcap", 4, OK, 342, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "2607:f740:b::f93", Dst: "2001:470:1f11:81f:d138:5f55:6d4:1fe2", IPLen: 390, IPID: 1, Frag: true, TTL: 53, Proto: 17, PayloadLen: 342}},
		{"ipv6-fragmented-dns.pcap", 6, OK, 1424, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "2607:f740:b::f93", Dst: "2001:470:1f11:81f:d138:5f55:6d4:1fe2", IPLen: 1480, IPID: 2, Frag: true, TTL: 53, Proto: 17, Sport: 53, Dport: 51851, UDPLen: 3238, PayloadLen: 1424, App: AppDNS}},
		{"ftp_ipv6.pcap", 4, OK, 61, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "2001:470:4867:99::21", Dst: "2001:470:1f11:81f:c999:d94:aa7c:2e3e", IPLen: 133, TTL: 56, Proto: 6, Sport: 21, Dport: 49185, TCPSeq: 108197925, TCPAck: 646610528, TCPFlags: 0x18, TCPWindow: 67, PayloadLen: 61}},
		{"dns53.pcap", 1, OK, 433, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "207.158.192.40", Dst: "10.20.1.31", IPLen: 461, IPID: 55539, TTL: 50, Proto: 17, IPChksum: 0x1333, Sport: 53, Dport: 53, UDPLen: 441, PayloadLen: 433, App: AppDNS}},
		{"ntp.pcap", 1, OK, 48, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "192.168.1.95", Dst: "17.253.4.253", IPLen: 76, IPID: 9981, TTL: 64, Proto: 17, IPChksum: 0x7aa3, Sport: 123, Dport: 123, UDPLen: 56, PayloadLen: 48, App: AppNTP}},
		{"dhcp_dhcp.pcap", 1, OK, 265, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "0.0.0.0", Dst: "255.255.255.255", IPLen: 293, IPID: 1, TTL: 64, Proto: 17, IPChksum: 0x79c8, Sport: 68, Dport: 67, UDPLen: 273, PayloadLen: 265, App: AppDHCP}},
		{"dns_mdns.pcap", 1, OK, 45, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4", Dst: "ff02::fb", IPLen: 93, TTL: 255, Proto: 17, Sport: 5353, Dport: 5353, UDPLen: 53, PayloadLen: 45, App: AppMDNS}},
		{"tls_irc-starttls.pcap", 8, OK, 317, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "203.143.168.47", Dst: "185.18.76.170", IPLen: 369, IPID: 40136, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x2343, Sport: 55123, Dport: 6667, TCPSeq: 1130049466, TCPAck: 3519432142, TCPFlags: 0x18, TCPWindow: 229, PayloadLen: 317, App: AppTLS}},
		{"trunc_ip4-trunc.pcap", 1, Malformed, 0, schema.Packet{EthType: 0x800}},
		{"trunc_icmp-payload-trunc.pcap", 1, OK, 38, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.0.0.1", Dst: "74.125.225.41", IPLen: 84, IPID: 60864, TTL: 64, Proto: 1, IPChksum: 0x5741, Sport: 8, PayloadLen: 56}},
		{"tcp_truncated-header.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "201.186.157.67", Dst: "128.3.26.249", IPLen: 60, IPID: 14560, IPFlags: 2, TTL: 51, Proto: 6, IPChksum: 0xce2, Sport: 60827, Dport: 25, TCPSeq: 1041724894, TCPFlags: 0xc2, TCPWindow: 5840}},
		{"tunnels_6in4.pcap", 1, OK, 52, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "1.2.3.4", Dst: "5.6.7.8", IPLen: 72, IPID: 1, TTL: 64, Proto: 41, IPChksum: 0x6a79, PayloadLen: 52}},
		{"icmp_icmp-ping.pcap", 2, OK, 56, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "74.125.225.99", Dst: "10.0.0.1", IPLen: 84, IPID: 42296, TTL: 56, Proto: 1, IPChksum: 0xa78f, PayloadLen: 56}},
		{"rotation.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.0.0.1", Dst: "10.0.0.2", IPLen: 40, IPID: 1, TTL: 64, Proto: 6, IPChksum: 0x66cd, Sport: 20, Dport: 1024, TCPFlags: 0x2, TCPWindow: 8192}},
		{"tcp-handshake-nano.pcap", 2, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "137.116.81.94", Dst: "131.155.215.69", IPLen: 60, IPID: 7236, IPFlags: 2, TTL: 117, Proto: 6, IPChksum: 0xb3c4, Sport: 80, Dport: 46656, TCPSeq: 3078856592, TCPAck: 797190860, TCPFlags: 0x12, TCPWindow: 8192, App: AppHTTP}},
		// 802.11 QoS data to the DS; 802.11 data from the DS (IPv6 mDNS).
		{"wlanmon.pcap", 1, OK, 35, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "172.17.156.76", Dst: "208.67.220.220", IPLen: 63, IPID: 0xd68d, TTL: 64, Proto: 17, IPChksum: 0xaea2, Sport: 61738, Dport: 53, UDPLen: 43, PayloadLen: 35, App: AppDNS}},
		{"wlanmon.pcap", 3, OK, 280, schema.Packet{EthType: 0x86dd, IPVersion: 6, Src: "fe80::a667:6ff:fef7:ec54", Dst: "ff02::fb", IPLen: 328, TTL: 255, Proto: 17, Sport: 5353, Dport: 5353, UDPLen: 288, PayloadLen: 280, App: AppMDNS}},
		// radiotap with TSFT and flags (FCS present), then 802.11 QoS data.
		{"radiotap.pcap", 2, OK, 128, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "208.67.220.220", Dst: "172.17.156.76", IPLen: 156, IPFlags: 2, TTL: 55, Proto: 17, IPChksum: 0x4dd3, Sport: 53, Dport: 61738, UDPLen: 136, PayloadLen: 128, App: AppDNS}},
		{"llc.pcap", 1, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "128.3.140.132", Dst: "194.140.136.34", IPLen: 40, IPID: 0x1252, TTL: 8, Proto: 6, IPChksum: 0x4948, Sport: 2035, Dport: 80, TCPSeq: 1388789261, TCPAck: 1388789261, TCPFlags: 0x4, TCPWindow: 8192, App: AppHTTP}},
		{"ipoib.pcap", 1, OK, 56, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "192.168.56.10", Dst: "192.168.56.24", IPLen: 84, IPID: 0xaefe, TTL: 255, Proto: 1, IPChksum: 0x1b37, Sport: 8, PayloadLen: 56}},
		{"ipoib.pcap", 6, NonIP, 0, schema.Packet{EthType: 0x806, Src: "192.168.56.10", Dst: "192.168.56.24"}},
		{"ipoib.pcap", 11, OK, 26, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "192.168.56.10", Dst: "192.168.56.24", IPLen: 78, IPID: 0x46, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x48ef, Sport: 34170, Dport: 22, TCPSeq: 798232823, TCPAck: 3051049339, TCPFlags: 0x18, TCPWindow: 33232, PayloadLen: 26}},
		{"LINKTYPE_PKTAP.pcap", 1, OK, 32, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.32.4.27", Dst: "10.32.100.15", IPLen: 60, IPID: 0x2e03, TTL: 255, Proto: 17, IPChksum: 0x1144, Sport: 63538, Dport: 53, UDPLen: 40, PayloadLen: 32, App: AppDNS}},
		{"arcnet-rfc1201-arp-icmp-http.pcap", 1, NonIP, 0, schema.Packet{EthType: 0x806, Src: "10.80.131.1", Dst: "10.80.131.254"}},
		{"arcnet-rfc1201-arp-icmp-http.pcap", 3, OK, 56, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.80.131.1", Dst: "10.80.131.254", IPLen: 84, IPFlags: 2, TTL: 64, Proto: 1, IPChksum: 0x1f0a, Sport: 8, PayloadLen: 56}},
		{"arcnet-rfc1201-arp-icmp-http.pcap", 9, OK, 29, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.80.131.1", Dst: "10.80.3.254", IPLen: 57, IPID: 0xa8f8, IPFlags: 2, TTL: 64, Proto: 17, IPChksum: 0xf61c, Sport: 1024, Dport: 53, UDPLen: 37, PayloadLen: 29, App: AppDNS}},
		{"arcnet-rfc1201-arp-icmp-http.pcap", 13, OK, 0, schema.Packet{EthType: 0x800, IPVersion: 4, Src: "10.80.131.1", Dst: "146.190.240.163", IPLen: 60, IPID: 0x942d, IPFlags: 2, TTL: 64, Proto: 6, IPChksum: 0x95db, Sport: 1027, Dport: 80, TCPSeq: 2567257385, TCPFlags: 0x2, TCPWindow: 1872, App: AppHTTP}},
	}
	d := New()
	late := New() // leaves IPv4 texts for Texts to make
	late.NoV4Texts = true
	files := map[string][]frame{}
	for _, tt := range tests {
		frames, ok := files[tt.file]
		if !ok {
			frames = readFrames(t, tt.file)
			files[tt.file] = frames
		}
		f := frames[tt.frame-1]
		p, m := decodeFrame(d, f, tt.frame-1)
		want := tt.want
		want.Ts, want.Frame, want.LinkType, want.WireLen, want.CapLen = f.ts, uint32(tt.frame), f.linkType, f.wireLen, uint32(len(f.data))
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s frame %d (-want +got):\n%s", tt.file, tt.frame, diff)
		}
		if m.Status != tt.status || len(m.Payload) != tt.payload {
			t.Errorf("%s frame %d: status %d, %d payload bytes; want %d, %d", tt.file, tt.frame, m.Status, len(m.Payload), tt.status, tt.payload)
		}
		if p.IPVersion != 0 && (m.Src.String() != p.Src || m.Dst.String() != p.Dst) {
			t.Errorf("%s frame %d: meta addresses %v > %v, row %s > %s", tt.file, tt.frame, m.Src, m.Dst, p.Src, p.Dst)
		}
		q, qm := decodeFrame(late, f, tt.frame-1)
		if q.IPVersion == 4 && (q.Src != "" || q.Dst != "") {
			t.Errorf("%s frame %d: NoV4Texts made %s > %s", tt.file, tt.frame, q.Src, q.Dst)
		}
		late.Texts(&q, &qm)
		if diff := cmp.Diff(want, q); diff != "" {
			t.Errorf("%s frame %d with NoV4Texts, then Texts (-want +got):\n%s", tt.file, tt.frame, diff)
		}
	}
}

// Builders of synthetic frames, for cases the corpus does not hold.

var (
	src4 = [4]byte{192, 0, 2, 1}
	dst4 = [4]byte{198, 51, 100, 2}
	src6 = netip.MustParseAddr("2001:db8::1").As16()
	dst6 = netip.MustParseAddr("2001:db8::2").As16()
)

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// ether builds an Ethernet header with the given EtherType.
func ether(t uint16) []byte {
	return cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(t))
}

// ip4 builds an IPv4 header; ihl in 32-bit words, total from the header.
func ip4(ihl int, total int, proto uint8, flagsOffset uint16) []byte {
	h := make([]byte, max(ihl*4, 20))
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:], uint16(total))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	binary.BigEndian.PutUint16(h[6:], flagsOffset)
	h[8] = 64
	h[9] = proto
	binary.BigEndian.PutUint16(h[10:], 0xbeef)
	copy(h[12:], src4[:])
	copy(h[16:], dst4[:])
	return h
}

// ip6 builds an IPv6 header.
func ip6(plen int, next uint8) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(plen))
	h[6] = next
	h[7] = 255
	copy(h[8:], src6[:])
	copy(h[24:], dst6[:])
	return h
}

// ext6 builds an IPv6 extension header of n bytes (a multiple of 8).
func ext6(next uint8, n int) []byte {
	h := make([]byte, n)
	h[0] = next
	h[1] = byte(n/8 - 1)
	return h
}

// tcp builds a TCP header with data offset doff (32-bit words).
func tcp(sport, dport uint16, flags uint16, doff int) []byte {
	h := make([]byte, max(doff*4, 20))
	binary.BigEndian.PutUint16(h, sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], 1000)
	binary.BigEndian.PutUint32(h[8:], 2000)
	binary.BigEndian.PutUint16(h[12:], uint16(doff)<<12|flags)
	binary.BigEndian.PutUint16(h[14:], 512)
	return h
}

func udp(sport, dport uint16, length int) []byte {
	return cat(u16(sport), u16(dport), u16(uint16(length)), u16(0))
}

// TestDecodeSynthetic covers link types, headers and inconsistencies that no
// corpus capture holds.
func TestDecodeSynthetic(t *testing.T) {
	ok4 := schema.Packet{EthType: EthIPv4, IPVersion: 4, Src: "192.0.2.1", Dst: "198.51.100.2", IPID: 0x1234, TTL: 64, IPChksum: 0xbeef}
	ok6 := schema.Packet{EthType: EthIPv6, IPVersion: 6, Src: "2001:db8::1", Dst: "2001:db8::2", TTL: 255}
	with := func(base schema.Packet, f func(p *schema.Packet)) schema.Packet {
		f(&base)
		return base
	}
	dnsQuery := cat(ip4(5, 40, 17, 0), udp(5000, 53, 20), make([]byte, 12))
	dnsRow := with(ok4, func(p *schema.Packet) {
		p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.PayloadLen, p.App = 40, 17, 5000, 53, 20, 12, AppDNS
	})
	bitcoin := []byte{0xf9, 0xbe, 0xb4, 0xd9, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0}
	quicLong := []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8}
	tests := []synthCase{
		{"ppp hdlc", LinkPPPHDLC, cat([]byte{0xff, 0x03, 0x00, 0x21}, dnsQuery), OK, 12, dnsRow},
		{"ppp compressed protocol", LinkPPP, cat([]byte{0x21}, dnsQuery), OK, 12, dnsRow},
		{"cisco ppp", LinkPPPHDLC, cat([]byte{0x0f, 0x00, 0x08, 0x00}, dnsQuery), OK, 12, dnsRow},
		{"cisco hdlc", LinkCHDLC, cat([]byte{0x0f, 0x00, 0x08, 0x00}, dnsQuery), OK, 12, dnsRow},
		{"loop af big-endian", LinkLoop, cat([]byte{0, 0, 0, 2}, dnsQuery), OK, 12, dnsRow},
		{"null af little-endian", LinkNull, cat([]byte{2, 0, 0, 0}, dnsQuery), OK, 12, dnsRow},
		{"null ipv6 freebsd", LinkNull, cat([]byte{28, 0, 0, 0}, ip6(8, 17), udp(1, 2, 8)), OK, 0,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen = 48, 17, 1, 2, 8 })},
		{"null unknown family", LinkNull, cat([]byte{7, 0, 0, 0}, dnsQuery), NonIP, 0, schema.Packet{}},
		{"dlt 12 raw", LinkRaw12, dnsQuery, OK, 12, dnsRow},
		{"dlt 14 raw", LinkRaw14, dnsQuery, OK, 12, dnsRow},
		{"raw bad version", LinkRaw, []byte{0x50, 0}, Malformed, 0, schema.Packet{}},
		{"802.3 snap", LinkEthernet, cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(uint16(8+len(dnsQuery))), []byte{0xaa, 0xaa, 0x03, 0, 0, 0}, u16(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"802.3 llc", LinkEthernet, cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(3), []byte{0x42, 0x42, 0x03}), NonIP, 0, schema.Packet{}},
		{"vlan pppoe session", LinkEthernet, cat(ether(0x8100), u16(0x2007), u16(0x8864), []byte{0x11, 0, 0, 1}, u16(uint16(2+len(dnsQuery))), u16(0x0021), dnsQuery), OK, 12,
			with(dnsRow, func(p *schema.Packet) { p.VLAN = 7 })},
		{"mpls non-ip payload", LinkEthernet, cat(ether(0x8847), []byte{0, 0, 0x11, 64}, []byte{0, 0, 0, 0}), NonIP, 0, schema.Packet{EthType: 0x8847}},
		{"mpls label stack cut", LinkEthernet, cat(ether(0x8847), []byte{0, 0, 0x10, 64}), Malformed, 0, schema.Packet{EthType: 0x8847}},
		{"unknown link type", 147, dnsQuery, UnknownLink, 0, schema.Packet{}},
		{"empty ethernet", LinkEthernet, nil, Malformed, 0, schema.Packet{}},
		{"ipv6 extension headers", LinkEthernet, cat(ether(EthIPv6), ip6(52, 0), ext6(43, 8), ext6(60, 16), ext6(6, 8), tcp(40000, 443, 0x02, 5)), OK, 0,
			with(ok6, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow, p.App = 92, 6, 40000, 443, 1000, 2000, 0x02, 512, AppTLS
			})},
		{"ipv6 authentication header", LinkRaw, cat(ip6(24+8+4, 51), []byte{17, 4}, make([]byte, 22), udp(123, 123, 12), []byte{1, 2, 3, 4}), OK, 4,
			with(ok6, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.PayloadLen, p.App = 76, 17, 123, 123, 12, 4, AppNTP
			})},
		{"ipv6 esp", LinkRaw, cat(ip6(16, 50), make([]byte, 16)), OK, 16,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto, p.PayloadLen = 56, 50, 16 })},
		{"ipv6 no next header padded", LinkEthernet, cat(ether(EthIPv6), ip6(0, 59), make([]byte, 6)), OK, 0,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto = 40, 59 })},
		{"ipv6 jumbo length 0", LinkRaw, cat(ip6(0, 0), ext6(17, 8), udp(9, 9, 0), make([]byte, 100)), OK, 100,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto, p.Sport, p.Dport, p.PayloadLen = 156, 17, 9, 9, 100 })},
		{"ipv6 extension beyond length", LinkRaw, cat(ip6(8, 0), ext6(6, 16)), Malformed, 0,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto = 48, 0 })},
		{"ipv6 first fragment", LinkRaw, cat(ip6(8+8+4, 44), []byte{17, 0, 0, 1, 0, 0, 0, 9}, udp(53, 4000, 100), make([]byte, 4)), OK, 4,
			with(ok6, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Frag, p.IPID, p.Sport, p.Dport, p.UDPLen, p.PayloadLen, p.App = 60, 17, true, 9, 53, 4000, 100, 4, AppDNS
			})},
		{"ipv6 later fragment", LinkRaw, cat(ip6(8+24, 44), []byte{17, 0, 0, 0xb0, 0, 0, 0, 9}, make([]byte, 24)), OK, 24,
			with(ok6, func(p *schema.Packet) { p.IPLen, p.Proto, p.Frag, p.IPID, p.PayloadLen = 72, 17, true, 9, 24 })},
		{"ipv4 ihl below 5", LinkRaw, cat(ip4(4, 40, 6, 0), tcp(1, 2, 0x10, 5)), Malformed, 0,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.Proto, p.EthType = 40, 6, EthIPv4 })},
		{"ipv4 length below header", LinkRaw, cat(ip4(6, 20, 6, 0), tcp(1, 2, 0x10, 5)), Malformed, 0,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.Proto = 20, 6 })},
		{"ipv4 options", LinkRaw, cat(ip4(6, 24+8, 17, 0), udp(68, 67, 8)), OK, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.App = 32, 17, 68, 67, 8, AppDHCP
			})},
		{"ipv4 length 0 from offload", LinkRaw, cat(ip4(5, 0, 6, 0x4000), tcp(80, 5555, 0x18, 5), []byte("HTTP/1.1 200 OK\r\n")), OK, 17,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.IPFlags, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow, p.PayloadLen, p.App = 57, 2, 6, 80, 5555, 1000, 2000, 0x18, 512, 17, AppHTTP
			})},
		{"tcp data offset below 5", LinkRaw, cat(ip4(5, 40, 6, 0), tcp(1, 2, 0x10, 4)), Malformed, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow = 40, 6, 1, 2, 1000, 2000, 0x10, 512
			})},
		{"tcp header longer than ip length", LinkRaw, cat(ip4(5, 44, 6, 0), tcp(1, 2, 0x10, 8), make([]byte, 12)), Malformed, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow = 44, 6, 1, 2, 1000, 2000, 0x10, 512
			})},
		{"ethernet padding", LinkEthernet, cat(ether(EthIPv4), ip4(5, 28, 17, 0), udp(7, 1900, 8), make([]byte, 18)), OK, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.App = 28, 17, 7, 1900, 8, AppSSDP
			})},
		{"snap length cut", LinkEthernet, cat(ether(EthIPv4), ip4(5, 1500, 6, 0), tcp(3000, 4000, 0x10, 5), make([]byte, 10)), OK, 10,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow, p.PayloadLen = 1500, 6, 3000, 4000, 1000, 2000, 0x10, 512, 1460
			})},
		{"tcp options cut", LinkRaw, cat(ip4(5, 60, 6, 0), tcp(1, 2, 0x02, 10)[:30]), OK, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow = 60, 6, 1, 2, 1000, 2000, 0x02, 512
			})},
		{"udp header cut", LinkRaw, cat(ip4(5, 60, 17, 0), []byte{0, 53}), Malformed, 0,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.Proto = 60, 17 })},
		{"icmp header beyond ip length", LinkRaw, cat(ip4(5, 24, 1, 0), []byte{3, 1, 0, 0}), Malformed, 0,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.Proto, p.Sport, p.Dport = 24, 1, 3, 1 })},
		{"ipv4 later fragment", LinkRaw, cat(ip4(5, 28, 17, 0x2003), make([]byte, 8)), OK, 8,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.IPFlags, p.Frag, p.Proto, p.PayloadLen = 28, 1, true, 17, 8 })},
		{"ipv4 gre", LinkRaw, cat(ip4(5, 28, 47, 0), make([]byte, 8)), OK, 8,
			with(ok4, func(p *schema.Packet) { p.IPLen, p.Proto, p.PayloadLen = 28, 47, 8 })},
		{"bitcoin magic on any port", LinkRaw, cat(ip4(5, 40+len(bitcoin), 6, 0), tcp(50000, 50001, 0x18, 5), bitcoin), OK, len(bitcoin),
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow, p.PayloadLen, p.App = 52, 6, 50000, 50001, 1000, 2000, 0x18, 512, 12, AppBitcoin
			})},
		{"bitcoin port", LinkRaw, cat(ip4(5, 40, 6, 0), tcp(8333, 50001, 0x12, 5)), OK, 0,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.TCPSeq, p.TCPAck, p.TCPFlags, p.TCPWindow, p.App = 40, 6, 8333, 50001, 1000, 2000, 0x12, 512, AppBitcoin
			})},
		{"quic long header on any port", LinkRaw, cat(ip4(5, 28+len(quicLong), 17, 0), udp(5000, 6000, 8+len(quicLong)), quicLong), OK, len(quicLong),
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.PayloadLen, p.App = 42, 17, 5000, 6000, 22, 14, AppQUIC
			})},
		{"unknown udp", LinkRaw, cat(ip4(5, 28+4, 17, 0), udp(5000, 6000, 12), []byte{0xc3, 0, 0, 0}), OK, 4,
			with(ok4, func(p *schema.Packet) {
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen, p.PayloadLen = 32, 17, 5000, 6000, 12, 4
			})},
		{"arp non-ipv4", LinkEthernet, cat(ether(EthARP), u16(1), u16(0x86dd), []byte{6, 16, 0, 1}), NonIP, 0, schema.Packet{EthType: EthARP}},
		{"arp cut", LinkEthernet, cat(ether(EthARP), u16(1), u16(0x0800), []byte{6, 4, 0, 1}, make([]byte, 10)), Malformed, 0, schema.Packet{EthType: EthARP}},
	}
	runSynthetic(t, tests)
}

// synthCase is a synthetic frame and what Decode must make of it.
type synthCase struct {
	name     string
	linkType uint16
	data     []byte
	status   Status
	payload  int // captured payload bytes (len(m.Payload))
	want     schema.Packet
}

// runSynthetic decodes each case as a whole frame (wire_len = cap_len) and
// compares the row, the status and the captured payload length.
func runSynthetic(t *testing.T, tests []synthCase) {
	t.Helper()
	d := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := uint32(len(tt.data))
			p := schema.Packet{Ts: 7, Capture: "c", Frame: 3, LinkType: tt.linkType, WireLen: n, CapLen: n}
			var m Meta
			d.Decode(tt.linkType, tt.data, &p, &m)
			want := tt.want
			want.Ts, want.Capture, want.Frame, want.LinkType, want.WireLen, want.CapLen = 7, "c", 3, tt.linkType, n, n
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("row (-want +got):\n%s", diff)
			}
			if m.Status != tt.status || len(m.Payload) != tt.payload {
				t.Errorf("status %d, %d payload bytes; want %d, %d", m.Status, len(m.Payload), tt.status, tt.payload)
			}
		})
	}
}

// TestDecodeResetsRow decodes into a row that held another packet: every
// field Decode owns must be reset.
func TestDecodeResetsRow(t *testing.T) {
	d := New()
	frames := readFrames(t, "http_get.pcap")
	arp := readFrames(t, "linuxsll-arp.pcap")[0]

	fresh, freshMeta := decodeFrame(d, arp, 0)

	p, _ := decodeFrame(d, frames[3], 3)
	p.FlowID = 42
	p.Ts, p.Frame, p.LinkType, p.WireLen, p.CapLen = arp.ts, 1, arp.linkType, arp.wireLen, uint32(len(arp.data))
	m := Meta{Status: OK, Payload: frames[3].data}
	d.Decode(arp.linkType, arp.data, &p, &m)
	if diff := cmp.Diff(fresh, p); diff != "" {
		t.Errorf("reused row (-fresh +reused):\n%s", diff)
	}
	if diff := cmp.Diff(freshMeta, m, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("reused meta (-fresh +reused):\n%s", diff)
	}
}

// TestDecodeNoAllocs checks that decoding frames of known hosts allocates
// nothing.
func TestDecodeNoAllocs(t *testing.T) {
	var frames []frame
	for _, name := range []string{"http_get.pcap", "ftp_ipv6.pcap", "dns_mdns.pcap", "pppoe.pcap", "mixed-vlan-mpls.pcap", "linuxsll-arp.pcap", "nflog-http.pcap",
		"wlanmon.pcap", "radiotap.pcap", "llc.pcap", "ipoib.pcap", "LINKTYPE_PKTAP.pcap", "arcnet-rfc1201-arp-icmp-http.pcap"} {
		frames = append(frames, readFrames(t, name)...)
	}
	d := New()
	var p schema.Packet
	var m Meta
	for _, f := range frames { // learn the addresses
		d.Decode(f.linkType, f.data, &p, &m)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for _, f := range frames {
			d.Decode(f.linkType, f.data, &p, &m)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of %d frames, want 0", allocs, len(frames))
	}
}

// TestAddrTexts checks that the address cache gives correct texts for
// IPv4 and IPv6 addresses mixed, more of them than it has slots, and that
// an address found again costs no new text.
func TestAddrTexts(t *testing.T) {
	tests := []struct {
		name  string
		addrs int
	}{
		{"fewer than the slots", 1000},
		{"more than the slots", 100000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n AddrTexts
			for round := range 2 { // the second round finds what the first left
				for i := range tt.addrs {
					a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
					if i%3 == 2 {
						a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
					}
					got := n.Text(a)
					if got != a.String() {
						t.Fatalf("round %d: Text(%v) = %q", round, a, got)
					}
					if again := n.Text(a); unsafe.StringData(again) != unsafe.StringData(got) {
						t.Fatalf("round %d: Text(%v) made a new text for an address just seen", round, a)
					}
				}
			}
		})
	}
	// Every byte value in every place, of every length next to every
	// other: each text is still itself once the texts after it are made.
	var texts AddrTexts
	var addrs []netip.Addr
	var got []string
	for i := range 4 * 256 {
		b := [4]byte{byte(i * 7), byte(i * 13), byte(i * 29), byte(i * 31)}
		b[i/256] = byte(i)
		a := netip.AddrFrom4(b)
		addrs, got = append(addrs, a), append(got, texts.Text(a))
	}
	for i, a := range addrs {
		if got[i] != a.String() {
			t.Fatalf("Text(%v) = %q once later texts were made", a, got[i])
		}
	}
	var n AddrTexts
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "1.20.255.3", "100.9.10.99", "fe80::1%eth0", "::"} {
		a := netip.MustParseAddr(s)
		if got := n.Text(a); got != s {
			t.Errorf("Text(%v) = %q", a, got)
		}
	}
}

func TestGuessApp(t *testing.T) {
	tests := []struct {
		proto        uint8
		sport, dport uint16
		payload      string
		want         string
	}{
		{protoUDP, 40000, 53, "", AppDNS},
		{protoTCP, 53, 40000, "", AppDNS},
		{protoUDP, 5353, 5353, "", AppMDNS},
		{protoUDP, 546, 547, "", AppDHCP},
		{protoUDP, 123, 40000, "", AppNTP},
		{protoUDP, 40000, 1900, "M-SEARCH * HTTP/1.1", AppSSDP},
		{protoTCP, 40000, 9999, "\x16\x03\x01\x02\x00", AppTLS},
		{protoTCP, 40000, 9999, "\x16\x03\x05\x02\x00", ""},
		{protoTCP, 8443, 40000, "", AppTLS},
		{protoTCP, 40000, 9999, "POST /x HTTP/1.1", AppHTTP},
		{protoTCP, 40000, 9999, "POSTER", ""},
		{protoTCP, 9999, 40000, "HTTP/1.0 404", AppHTTP},
		{protoTCP, 40000, 8080, "", AppHTTP},
		{protoUDP, 40000, 443, "\x40\x01", AppQUIC},
		{protoUDP, 40000, 9999, "\xc0\xff\x00\x00\x1d\x08abcdefgh", AppQUIC},
		{protoUDP, 40000, 9999, "\xc0\x00\x00\x00\x02\x08abcdefgh", ""},
		{protoTCP, 40000, 9999, "\x0b\x11\x09\x07", AppBitcoin},
		{protoTCP, 443, 8080, "", AppTLS},
		{protoUDP, 40000, 80, "", ""},
		{protoTCP, 40000, 40001, "", ""},
	}
	for _, tt := range tests {
		if got := guessApp(tt.proto, tt.sport, tt.dport, []byte(tt.payload)); got != tt.want {
			t.Errorf("guessApp(%d, %d, %d, %q) = %q, want %q", tt.proto, tt.sport, tt.dport, tt.payload, got, tt.want)
		}
	}
}
