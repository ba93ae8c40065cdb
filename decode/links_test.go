package decode

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

// snap builds an LLC/SNAP header (RFC 1042) with the given EtherType.
func snap(t uint16) []byte { return cat([]byte{0xaa, 0xaa, 0x03, 0, 0, 0}, u16(t)) }

// wlanHdr builds an 802.11 header with the given frame control bytes: 24
// bytes, 30 with ToDS and FromDS.
func wlanHdr(fc, flags byte) []byte {
	n := 24
	if flags&0x03 == 0x03 {
		n = 30
	}
	h := make([]byte, n)
	h[0], h[1] = fc, flags
	return h
}

// radiotapHdr builds a radiotap header of length n with the given presence
// bitmaps; the fields after them are zero except flags at flagsAt.
func radiotapHdr(n int, flagsAt int, flags byte, present ...uint32) []byte {
	h := make([]byte, n)
	binary.LittleEndian.PutUint16(h[2:], uint16(n))
	for i, w := range present {
		binary.LittleEndian.PutUint32(h[4+4*i:], w)
	}
	if flagsAt > 0 {
		h[flagsAt] = flags
	}
	return h
}

// pktapHdr builds a 108-byte PKTAP header of record type typ for link type
// dlt.
func pktapHdr(typ, dlt uint32, length uint32) []byte {
	h := make([]byte, 108)
	binary.LittleEndian.PutUint32(h, length)
	binary.LittleEndian.PutUint32(h[4:], typ)
	binary.LittleEndian.PutUint32(h[8:], dlt)
	copy(h[12:], "en0")
	return h
}

// TestDecodeLinkTypes covers the 802.11, radiotap, FDDI, IPoIB, PKTAP,
// ARCNET and LLC variants that the corpus captures do not hold.
func TestDecodeLinkTypes(t *testing.T) {
	ok4 := schema.Packet{EthType: EthIPv4, IPVersion: 4, Src: "192.0.2.1", Dst: "198.51.100.2", IPID: 0x1234, TTL: 64, IPChksum: 0xbeef}
	ok6 := schema.Packet{EthType: EthIPv6, IPVersion: 6, Src: "2001:db8::1", Dst: "2001:db8::2", TTL: 255}
	dnsQuery := cat(ip4(5, 40, 17, 0), udp(5000, 53, 20), make([]byte, 12))
	dnsRow := ok4
	dnsRow.IPLen, dnsRow.Proto, dnsRow.Sport, dnsRow.Dport, dnsRow.UDPLen, dnsRow.PayloadLen, dnsRow.App = 40, 17, 5000, 53, 20, 12, AppDNS
	vlanRow := dnsRow
	vlanRow.VLAN = 5
	// IPv4 total length 0 (left to offload): the captured bytes are the
	// packet, so whatever trails it shows in the payload.
	offload := cat(ip4(5, 0, 17, 0), udp(5000, 53, 20), make([]byte, 12))
	fcs := []byte{0xde, 0xad, 0xbe, 0xef}
	qos := []byte{0, 0}
	amsdu := []byte{0x80, 0}
	tests := []synthCase{
		{"wlan data", LinkIEEE80211, cat(wlanHdr(0x08, 0x02), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"wlan qos data, 4 addresses, ht control", LinkIEEE80211, cat(wlanHdr(0x88, 0x83), qos, make([]byte, 4), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"wlan qos data a-msdu", LinkIEEE80211, cat(wlanHdr(0x88, 0x01), amsdu, make([]byte, 12), u16(uint16(8+len(dnsQuery))), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"wlan 802.1h bridge tunnel", LinkIEEE80211, cat(wlanHdr(0x08, 0x01), []byte{0xaa, 0xaa, 0x03, 0, 0, 0xf8}, u16(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"wlan eapol", LinkIEEE80211, cat(wlanHdr(0x08, 0x02), snap(0x888e), []byte{2, 3, 0, 0}), NonIP, 0, schema.Packet{EthType: 0x888e}},
		{"wlan protected", LinkIEEE80211, cat(wlanHdr(0x88, 0x41), qos, make([]byte, 8), snap(EthIPv4), dnsQuery), NonIP, 0, schema.Packet{}},
		{"wlan beacon", LinkIEEE80211, cat(wlanHdr(0x80, 0), make([]byte, 12)), NonIP, 0, schema.Packet{}},
		{"wlan ack", LinkIEEE80211, []byte{0xd4, 0, 0, 0, 1, 2, 3, 4, 5, 6}, NonIP, 0, schema.Packet{}},
		{"wlan qos null", LinkIEEE80211, cat(wlanHdr(0xc8, 0x01), qos), NonIP, 0, schema.Packet{}},
		{"wlan later fragment", LinkIEEE80211, func() []byte {
			h := wlanHdr(0x08, 0x02)
			h[22] = 0x01
			return cat(h, dnsQuery[20:])
		}(), NonIP, 0, schema.Packet{}},
		{"wlan protocol version 1", LinkIEEE80211, cat([]byte{0x09, 0}, make([]byte, 30)), NonIP, 0, schema.Packet{}},
		{"wlan qos cut", LinkIEEE80211, cat(wlanHdr(0x88, 0x01), []byte{0}), Malformed, 0, schema.Packet{}},
		{"wlan header cut", LinkIEEE80211, wlanHdr(0x08, 0x03)[:29], Malformed, 0, schema.Packet{}},
		{"wlan snap cut", LinkIEEE80211, cat(wlanHdr(0x08, 0x02), []byte{0xaa, 0xaa, 0x03, 0}), Malformed, 0, schema.Packet{}},
		{"wlan not snap", LinkIEEE80211, cat(wlanHdr(0x08, 0x02), []byte{0x42, 0x42, 0x03}, make([]byte, 35)), NonIP, 0, schema.Packet{}},
		{"wlan one byte", LinkIEEE80211, []byte{0x08}, Malformed, 0, schema.Packet{}},
		// TSFT (aligned to 8) then flags at 16: FCS present and data padding.
		{"radiotap fcs and padding", LinkRadiotap, cat(radiotapHdr(17, 16, 0x30, 0x03), wlanHdr(0x88, 0x01), qos, []byte{0, 0}, snap(EthIPv4), offload, fcs), OK, 12,
			func() schema.Packet { p := dnsRow; p.IPLen = 40; return p }()},
		{"radiotap without fcs flag", LinkRadiotap, cat(radiotapHdr(9, 8, 0, 0x02), wlanHdr(0x08, 0x02), snap(EthIPv4), offload, fcs), OK, 16,
			func() schema.Packet { p := dnsRow; p.IPLen, p.PayloadLen = 44, 16; return p }()},
		{"radiotap extended bitmaps", LinkRadiotap, cat(radiotapHdr(17, 16, 0x10, 0x80000002, 0x80000000, 0), wlanHdr(0x08, 0x02), snap(EthIPv4), offload, fcs), OK, 12,
			func() schema.Packet { p := dnsRow; p.IPLen = 40; return p }()},
		{"radiotap without flags", LinkRadiotap, cat(radiotapHdr(16, 0, 0, 0x01), wlanHdr(0x08, 0x02), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"radiotap bitmaps beyond header", LinkRadiotap, cat(radiotapHdr(8, 0, 0, 0x80000002), wlanHdr(0x08, 0x02)), Malformed, 0, schema.Packet{}},
		{"radiotap flags beyond header", LinkRadiotap, cat(radiotapHdr(16, 0, 0, 0x03), wlanHdr(0x08, 0x02)), Malformed, 0, schema.Packet{}},
		{"radiotap length beyond frame", LinkRadiotap, radiotapHdr(8, 0, 0, 0)[:7], Malformed, 0, schema.Packet{}},
		{"radiotap version 1", LinkRadiotap, func() []byte { h := radiotapHdr(8, 0, 0, 0); h[0] = 1; return cat(h, wlanHdr(0x08, 0)) }(), Malformed, 0, schema.Packet{}},
		{"fddi llc", LinkFDDI, cat([]byte{0x50}, make([]byte, 12), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"fddi smt", LinkFDDI, cat([]byte{0x41}, make([]byte, 12), snap(EthIPv4), dnsQuery), NonIP, 0, schema.Packet{}},
		{"fddi cut", LinkFDDI, []byte{0x50, 1, 2, 3}, Malformed, 0, schema.Packet{}},
		{"ipoib ipv6", LinkIPoIB, cat(make([]byte, 40), u16(EthIPv6), []byte{0, 0}, ip6(8, 17), udp(1, 2, 8)), OK, 0,
			func() schema.Packet {
				p := ok6
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen = 48, 17, 1, 2, 8
				return p
			}()},
		{"ipoib cut", LinkIPoIB, make([]byte, 43), Malformed, 0, schema.Packet{}},
		{"pktap raw ip", LinkPKTAP, cat(pktapHdr(1, uint32(LinkRaw12), 108), dnsQuery), OK, 12, dnsRow},
		{"pktap longer header", LinkPKTAP, cat(pktapHdr(1, uint32(LinkNull), 112), []byte{9, 9, 9, 9}, []byte{2, 0, 0, 0}, dnsQuery), OK, 12, dnsRow},
		{"pktap not a packet", LinkPKTAP, cat(pktapHdr(2, uint32(LinkEthernet), 108), ether(EthIPv4), dnsQuery), NonIP, 0, schema.Packet{}},
		{"pktap in pktap", LinkPKTAP, cat(pktapHdr(1, uint32(LinkPKTAP), 108), pktapHdr(1, 1, 108)), Malformed, 0, schema.Packet{}},
		{"pktap unknown link type", LinkPKTAP, cat(pktapHdr(1, 147, 108), dnsQuery), UnknownLink, 0, schema.Packet{}},
		{"pktap link type above 16 bits", LinkPKTAP, cat(pktapHdr(1, 0x10001, 108), dnsQuery), Malformed, 0, schema.Packet{}},
		{"pktap header length beyond frame", LinkPKTAP, pktapHdr(1, 1, 109), Malformed, 0, schema.Packet{}},
		{"pktap header length too short", LinkPKTAP, cat(pktapHdr(1, 1, 12), dnsQuery), Malformed, 0, schema.Packet{}},
		{"arcnet rfc 1051 ip", LinkARCNET, cat([]byte{1, 2, 0, 0, 0xf0}, dnsQuery), OK, 12, dnsRow},
		{"arcnet ipv6", LinkARCNET, cat([]byte{1, 2, 0, 0, 0xc4, 0, 0, 1}, ip6(8, 17), udp(1, 2, 8)), OK, 0,
			func() schema.Packet {
				p := ok6
				p.IPLen, p.Proto, p.Sport, p.Dport, p.UDPLen = 48, 17, 1, 2, 8
				return p
			}()},
		{"arcnet ipx", LinkARCNET, cat([]byte{1, 2, 0, 0, 0xfa, 0, 0, 1}, make([]byte, 30)), NonIP, 0, schema.Packet{}},
		{"arcnet cut", LinkARCNET, []byte{1, 2, 0, 0, 0xd4, 0, 0}, Malformed, 0, schema.Packet{}},
		{"802.3 snap 802.1h", LinkEthernet, cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(uint16(8+len(dnsQuery))), []byte{0xaa, 0xaa, 0x03, 0, 0, 0xf8}, u16(EthIPv4), dnsQuery), OK, 12, dnsRow},
		{"802.3 snap cisco oui", LinkEthernet, cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(30), []byte{0xaa, 0xaa, 0x03, 0, 0, 0x0c}, u16(0x2000), make([]byte, 22)), NonIP, 0, schema.Packet{}},
		{"802.3 snap length as type", LinkEthernet, cat([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, u16(30), snap(100), make([]byte, 22)), NonIP, 0, schema.Packet{}},
		{"vlan 802.3 snap", LinkEthernet, cat(ether(0x8100), u16(5), u16(uint16(8+len(dnsQuery))), snap(EthIPv4), dnsQuery), OK, 12, vlanRow},
		{"linux sll 802.2", LinkLinuxSLL, cat(make([]byte, 14), u16(4), snap(EthIPv4), dnsQuery), OK, 12, dnsRow},
	}
	runSynthetic(t, tests)
}

// TestRadiotapCutFCS checks that the last 4 bytes of a frame cut by the
// snap length are not taken for its FCS.
func TestRadiotapCutFCS(t *testing.T) {
	frame := cat(radiotapHdr(9, 8, 0x10, 0x02), wlanHdr(0x08, 0x02), snap(EthIPv4), ip4(5, 0, 17, 0), udp(5000, 53, 20), make([]byte, 12))
	for _, tt := range []struct {
		wire    uint32
		payload int
	}{{uint32(len(frame)), 8}, {uint32(len(frame)) + 100, 12}} {
		p := schema.Packet{WireLen: tt.wire, CapLen: uint32(len(frame))}
		var m Meta
		New().Decode(LinkRadiotap, frame, &p, &m)
		if m.Status != OK || len(m.Payload) != tt.payload {
			t.Errorf("wire_len %d: status %d, %d payload bytes; want %d, %d", tt.wire, m.Status, len(m.Payload), OK, tt.payload)
		}
	}
}

// TestFragOffset checks Meta.FragOffset on the fragments of real captures.
func TestFragOffset(t *testing.T) {
	tests := []struct {
		file    string
		offsets []uint16 // per frame
		ids     []uint32
	}{
		{"ipv4_fragmented-1.pcap", []uint16{0, 48, 0}, []uint32{242, 242, 242}},
		{"ipv4_fragmented-3.pcap", []uint16{0, 1480, 2960, 4440, 5920}, []uint32{0x4bc5, 0x4bc5, 0x4bc5, 0x4bc5, 0x4bc5}},
		{"ipv4_fragmented-4.pcap", []uint16{0, 0, 48, 72, 24, 0}, []uint32{0, 0, 0, 0, 0, 0}},
		{"ipv6-fragmented-dns.pcap", []uint16{0, 0, 0, 2896, 0, 0, 1432, 2864}, []uint32{0, 0, 0, 1, 0, 2, 2, 2}},
	}
	d := New()
	for _, tt := range tests {
		var offsets []uint16
		var ids []uint32
		for i, f := range readFrames(t, tt.file) {
			p, m := decodeFrame(d, f, i)
			offsets = append(offsets, m.FragOffset)
			ids = append(ids, p.IPID)
		}
		if diff := cmp.Diff(tt.offsets, offsets); diff != "" {
			t.Errorf("%s: fragment offsets (-want +got):\n%s", tt.file, diff)
		}
		if diff := cmp.Diff(tt.ids, ids); diff != "" {
			t.Errorf("%s: ip ids (-want +got):\n%s", tt.file, diff)
		}
	}
}
