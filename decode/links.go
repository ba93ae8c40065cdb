package decode

import "github.com/netlens/netlens/schema"

// ipoibHeaderLen is the length of the header libpcap puts before an IP over
// InfiniBand packet: 20 bytes of source and 20 of destination link-layer
// address (queue pair number and GID), then the RFC 4391 encapsulation
// header, an EtherType and 2 reserved bytes.
const ipoibHeaderLen = 44

// fddiHeaderLen is the FDDI header: frame control, destination and source
// addresses. LLC follows it.
const fddiHeaderLen = 13

// fddi decodes an FDDI frame. Only LLC frames (frame control 0bC1 01ZZZZ,
// asynchronous or synchronous) carry IP; MAC and SMT frames do not. The bit
// order of the addresses does not matter here.
func (d *Decoder) fddi(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < fddiHeaderLen {
		return Malformed
	}
	if b[0]&0x30 != 0x10 {
		return NonIP
	}
	return d.llc(b[fddiHeaderLen:], p, m)
}

// ARCNET protocol ids (RFC 1201, RFC 1051 and ATA 878.1).
const (
	arcIP     = 0xd4
	arcARP    = 0xd5
	arcRARP   = 0xd6
	arcIPv6   = 0xc4
	arcIPOld  = 0xf0 // RFC 1051
	arcARPOld = 0xf1 // RFC 1051
	arcDiag   = 0x80
	arcHdrOld = 5 // source, destination, offset (2), protocol id
	arcHdrLen = 8 // the same, then the RFC 1201 split flag and sequence number (2)
)

// arcnet decodes an ARCNET frame as Linux captures it: reassembled, with a
// source and a destination byte, a 2-byte offset and the protocol id; RFC
// 1201 protocols add a split flag and a sequence number. tcpdump's
// print-arcnet.c reads it the same way.
func (d *Decoder) arcnet(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < arcHdrOld {
		return Malformed
	}
	proto := b[4]
	hl := arcHdrLen
	switch proto {
	case arcIPOld, arcARPOld, arcDiag:
		hl = arcHdrOld
	}
	if len(b) < hl {
		return Malformed
	}
	b = b[hl:]
	switch proto {
	case arcIP, arcIPOld:
		p.EthType = EthIPv4
		return d.ipv4(b, p, m)
	case arcIPv6:
		p.EthType = EthIPv6
		return d.ipv6(b, p, m)
	case arcARP, arcARPOld:
		p.EthType = EthARP
		return d.arp(b, p)
	case arcRARP:
		p.EthType = EthRARP
		return d.arp(b, p)
	}
	return NonIP
}

// PKTAP header layout (Darwin's struct pktap_header): all fields are in the
// byte order of the capturing host, little-endian on every Mac.
const (
	pktapMinLen     = 108 // length of the version 1 header
	pktapTypePacket = 1   // PTH_TYPE_PACKET: a packet follows
)

// pktap decodes an Apple PKTAP record: a header whose first field is its own
// length, second the record type and third the data link type of the
// packet after it.
func (d *Decoder) pktap(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < pktapMinLen {
		return Malformed
	}
	hl := le32(b)
	if hl < pktapMinLen || hl > uint32(len(b)) {
		return Malformed
	}
	if le32(b[4:]) != pktapTypePacket {
		return NonIP
	}
	dlt := le32(b[8:])
	if dlt > 0xffff || uint16(dlt) == LinkPKTAP {
		return Malformed
	}
	return d.link(uint16(dlt), b[hl:], p, m)
}
