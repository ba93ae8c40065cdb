package decode

import (
	"encoding/binary"

	"github.com/netlens/netlens/schema"
)

// Link types (pcap LINKTYPE_ values) that Decode understands. Any other link
// type gives Status UnknownLink.
const (
	LinkNull      uint16 = 0   // BSD loopback: 4-byte address family in either byte order
	LinkEthernet  uint16 = 1   // Ethernet II and 802.3 with SNAP
	LinkPPP       uint16 = 9   // PPP, with or without HDLC-like framing
	LinkFDDI      uint16 = 10  // FDDI (with bit-swapped or canonical addresses) and LLC/SNAP
	LinkRaw12     uint16 = 12  // raw IP under the DLT_RAW number of some BSDs
	LinkRaw14     uint16 = 14  // raw IP under the DLT_RAW number of other BSDs
	LinkPPPHDLC   uint16 = 50  // PPP in HDLC-like framing, or Cisco PPP
	LinkRaw       uint16 = 101 // raw IPv4 or IPv6
	LinkCHDLC     uint16 = 104 // Cisco HDLC
	LinkIEEE80211 uint16 = 105 // IEEE 802.11 without radio header
	LinkLoop      uint16 = 108 // OpenBSD loopback
	LinkLinuxSLL  uint16 = 113 // Linux cooked capture v1
	LinkRadiotap  uint16 = 127 // IEEE 802.11 after a radiotap header
	LinkARCNET    uint16 = 129 // ARCNET as Linux captures it (LINKTYPE_ARCNET_LINUX)
	LinkIPv4      uint16 = 228 // raw IPv4
	LinkIPv6      uint16 = 229 // raw IPv6
	LinkNFLOG     uint16 = 239 // Linux netfilter log
	LinkIPoIB     uint16 = 242 // IP over InfiniBand, 44-byte pseudo-header
	LinkPKTAP     uint16 = 258 // Apple PKTAP: a metadata header, then a frame of the link type it names
	LinkLinuxSLL2 uint16 = 276 // Linux cooked capture v2
)

// EtherTypes written to Packet.EthType.
const (
	EthIPv4 uint16 = 0x0800
	EthARP  uint16 = 0x0806
	EthRARP uint16 = 0x8035
	EthIPv6 uint16 = 0x86dd
)

const (
	ethVLAN      = 0x8100
	ethQinQ      = 0x88a8
	ethQinQOld   = 0x9100
	ethQinQOld2  = 0x9200
	ethMPLS      = 0x8847
	ethMPLSMulti = 0x8848
	ethPPPoE     = 0x8864
	ethVNTag     = 0x8926 // Cisco VN-Tag: 4 bytes of tag, then the next type

	pppIPv4 = 0x0021
	pppIPv6 = 0x0057

	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// Decoder decodes frames into packet rows. It keeps a small cache of
// address texts (see AddrTexts) so that decoding does not allocate once the
// busy addresses of a capture have been seen. A Decoder is not safe for concurrent use; use one
// per goroutine.
type Decoder struct {
	names AddrTexts
	// NoV4Texts leaves Src and Dst of IPv4 packets empty: their numbers
	// are Meta.Src and Meta.Dst, and the caller makes their texts, with
	// Texts or an AddrTexts of its own, on another goroutine if it likes
	// (on a scan, the text of each new address is a good part of
	// decoding). ARP rows keep their texts.
	NoV4Texts bool
}

// Texts sets Src and Dst of p, an IPv4 packet decoded with NoV4Texts into
// p and m; it leaves other packets as they are.
func (d *Decoder) Texts(p *schema.Packet, m *Meta) {
	if p.IPVersion == 4 && p.Src == "" {
		p.Src, p.Dst = d.names.Text(m.Src), d.names.Text(m.Dst)
	}
}

// New returns a Decoder.
func New() *Decoder {
	return &Decoder{}
}

// Decode decodes one frame of the given link type into p and m.
//
// The caller sets p.Ts, Capture, Frame, LinkType, WireLen and CapLen; Decode
// sets every other field of p (rows may be reused) and all of m. Decode never
// fails: how far it got is m.Status, and fields it did not reach are zero.
// m.Payload aliases data.
func (d *Decoder) Decode(linkType uint16, data []byte, p *schema.Packet, m *Meta) {
	*p = schema.Packet{
		Ts:       p.Ts,
		Capture:  p.Capture,
		Frame:    p.Frame,
		LinkType: p.LinkType,
		WireLen:  p.WireLen,
		CapLen:   p.CapLen,
	}
	*m = Meta{}
	m.Status = d.link(linkType, data, p, m)
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// link decodes the link layer and what it carries.
func (d *Decoder) link(linkType uint16, b []byte, p *schema.Packet, m *Meta) Status {
	switch linkType {
	case LinkEthernet:
		return d.ethernet(b, p, m)
	case LinkLinuxSLL:
		if len(b) < 16 {
			return Malformed
		}
		return d.etherType(be16(b[14:]), b[16:], p, m)
	case LinkLinuxSLL2:
		if len(b) < 20 {
			return Malformed
		}
		return d.etherType(be16(b), b[20:], p, m)
	case LinkRaw, LinkRaw12, LinkRaw14:
		return d.rawIP(b, p, m)
	case LinkIPv4:
		p.EthType = EthIPv4
		return d.ipv4(b, p, m)
	case LinkIPv6:
		p.EthType = EthIPv6
		return d.ipv6(b, p, m)
	case LinkNull, LinkLoop:
		return d.null(b, p, m)
	case LinkPPP:
		if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
			b = b[2:]
		}
		return d.ppp(b, p, m)
	case LinkPPPHDLC:
		if len(b) < 2 {
			return Malformed
		}
		if b[0] == 0x0f || b[0] == 0x8f { // Cisco PPP: an EtherType follows
			if len(b) < 4 {
				return Malformed
			}
			return d.etherType(be16(b[2:]), b[4:], p, m)
		}
		return d.ppp(b[2:], p, m)
	case LinkCHDLC:
		if len(b) < 4 {
			return Malformed
		}
		return d.etherType(be16(b[2:]), b[4:], p, m)
	case LinkNFLOG:
		return d.nflog(b, p, m)
	case LinkIEEE80211:
		return d.wlan(b, false, p, m)
	case LinkRadiotap:
		return d.radiotap(b, p, m)
	case LinkFDDI:
		return d.fddi(b, p, m)
	case LinkIPoIB:
		if len(b) < ipoibHeaderLen {
			return Malformed
		}
		return d.etherType(be16(b[ipoibHeaderLen-4:]), b[ipoibHeaderLen:], p, m)
	case LinkARCNET:
		return d.arcnet(b, p, m)
	case LinkPKTAP:
		return d.pktap(b, p, m)
	}
	return UnknownLink
}

// ethernet decodes an Ethernet II frame, or an 802.3 frame with LLC.
func (d *Decoder) ethernet(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 14 {
		return Malformed
	}
	return d.etherType(be16(b[12:]), b[14:], p, m)
}

// maxLength is the largest value of an 802.3 length field; larger values
// are EtherTypes.
const maxLength = 1500

// llc decodes an IEEE 802.2 LLC header. Only SNAP with an EtherType
// (RFC 1042 or 802.1H bridge tunnel encapsulation) carries IP; other LLC
// frames (spanning tree, NetBIOS, IPX, ...) are not IP.
func (d *Decoder) llc(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 3 || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 {
		return NonIP
	}
	if len(b) < 8 {
		return Malformed
	}
	if b[3] != 0 || b[4] != 0 || b[5] != 0 && b[5] != 0xf8 {
		return NonIP // an organisation's own protocol id, not an EtherType
	}
	t := be16(b[6:])
	if t <= maxLength {
		return NonIP
	}
	return d.etherType(t, b[8:], p, m)
}

// etherType strips VLAN tags, VN-Tags, MPLS labels and PPPoE session headers, then
// decodes the network layer. A type up to 1500 is an 802.3 length field:
// an LLC header follows.
func (d *Decoder) etherType(t uint16, b []byte, p *schema.Packet, m *Meta) Status {
	tagged := false
loop:
	for {
		switch t {
		case ethVLAN, ethQinQ, ethQinQOld, ethQinQOld2:
			if len(b) < 4 {
				p.EthType = t
				return Malformed
			}
			if !tagged {
				p.VLAN = be16(b) & 0x0fff
				tagged = true
			}
			t = be16(b[2:])
			b = b[4:]
		case ethVNTag:
			if len(b) < 6 {
				p.EthType = t
				return Malformed
			}
			t = be16(b[4:])
			b = b[6:]
		case ethMPLS, ethMPLSMulti:
			for {
				if len(b) < 4 {
					p.EthType = t
					return Malformed
				}
				bottom := b[2]&1 == 1
				b = b[4:]
				if bottom {
					break
				}
			}
			if len(b) == 0 {
				p.EthType = t
				return Malformed
			}
			switch b[0] >> 4 {
			case 4:
				t = EthIPv4
			case 6:
				t = EthIPv6
			default:
				p.EthType = t
				return NonIP
			}
		case ethPPPoE:
			if len(b) < 8 {
				p.EthType = t
				return Malformed
			}
			switch be16(b[6:]) {
			case pppIPv4:
				t = EthIPv4
			case pppIPv6:
				t = EthIPv6
			default:
				p.EthType = t
				return NonIP
			}
			b = b[8:]
		default:
			if t <= maxLength { // an 802.3 length field: LLC follows
				return d.llc(b, p, m)
			}
			break loop
		}
	}
	p.EthType = t
	switch t {
	case EthIPv4:
		return d.ipv4(b, p, m)
	case EthIPv6:
		return d.ipv6(b, p, m)
	case EthARP, EthRARP:
		return d.arp(b, p)
	}
	return NonIP
}

// rawIP decodes an IP packet without link header, by its version nibble.
func (d *Decoder) rawIP(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) == 0 {
		return Malformed
	}
	switch b[0] >> 4 {
	case 4:
		p.EthType = EthIPv4
		return d.ipv4(b, p, m)
	case 6:
		p.EthType = EthIPv6
		return d.ipv6(b, p, m)
	}
	return Malformed
}

// null decodes BSD null/loop framing: a 4-byte address family in host or
// network byte order.
func (d *Decoder) null(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 4 {
		return Malformed
	}
	af := binary.LittleEndian.Uint32(b)
	if af > 0xffff {
		af = be32(b)
	}
	switch af {
	case 2:
		p.EthType = EthIPv4
		return d.ipv4(b[4:], p, m)
	case 24, 28, 30: // AF_INET6 of NetBSD/OpenBSD, FreeBSD, Darwin
		p.EthType = EthIPv6
		return d.ipv6(b[4:], p, m)
	}
	return NonIP
}

// ppp decodes a PPP protocol field (possibly compressed to one byte) and
// what follows it.
func (d *Decoder) ppp(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) == 0 {
		return Malformed
	}
	var proto uint16
	if b[0]&1 == 1 {
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			return Malformed
		}
		proto, b = be16(b), b[2:]
	}
	switch proto {
	case pppIPv4:
		p.EthType = EthIPv4
		return d.ipv4(b, p, m)
	case pppIPv6:
		p.EthType = EthIPv6
		return d.ipv6(b, p, m)
	}
	return NonIP
}

// nflog finds the packet payload TLV of a Linux NFLOG record. TLV lengths
// and types are in the byte order of the capturing host.
func (d *Decoder) nflog(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 4 {
		return Malformed
	}
	b = b[4:]
	for len(b) >= 4 {
		n := int(binary.LittleEndian.Uint16(b))
		typ := binary.LittleEndian.Uint16(b[2:])
		if n < 4 || n > len(b) {
			n = int(be16(b))
			typ = be16(b[2:])
		}
		if n < 4 || n > len(b) {
			return Malformed
		}
		if typ == 9 { // NFULA_PAYLOAD
			return d.rawIP(b[4:n], p, m)
		}
		n = (n + 3) &^ 3
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return NonIP
}

// arp decodes the protocol addresses of an IPv4 ARP or RARP packet.
func (d *Decoder) arp(b []byte, p *schema.Packet) Status {
	if len(b) < 8 {
		return Malformed
	}
	hlen, plen := int(b[4]), int(b[5])
	if be16(b[2:]) != EthIPv4 || plen != 4 {
		return NonIP
	}
	if len(b) < 8+2*hlen+8 {
		return Malformed
	}
	spa := 8 + hlen
	tpa := spa + 4 + hlen
	p.Src = d.names.Text4(be32(b[spa:]))
	p.Dst = d.names.Text4(be32(b[tpa:]))
	return NonIP
}
