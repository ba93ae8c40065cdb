// Package decode turns a captured frame into a packets row without
// allocating: link layers, VLAN/MPLS, IPv4/IPv6, TCP/UDP/ICMP/ARP, and a guess
// of the application protocol. It also reads the names a capture reveals:
// DNS and mDNS answers, the TLS server name (SNI) of a ClientHello and the
// Host of an HTTP request.
//
// decode must not import flow, dataset or anything downstream.
package decode

import "net/netip"

// Status says how far decoding got.
type Status uint8

// Decoding outcomes. Anything but OK and NonIP is counted in ingest statistics.
const (
	OK          Status = iota // an IP packet, decoded through its transport header when there is one
	NonIP                     // a valid frame without IP (ARP, LLDP, ...)
	UnknownLink               // a link type netlens does not decode
	Malformed                 // a header is cut or inconsistent; fields up to it are filled
)

// Meta carries what downstream stages need beside the row, without allocation.
type Meta struct {
	Status   Status
	Src, Dst netip.Addr // IP addresses, invalid for non-IP packets
	Payload  []byte     // captured transport payload (may be shorter than payload_len); aliases the frame

	// FragOffset is where the data of an IP fragment (Packet.Frag) starts
	// in its datagram, in bytes: 0 for the first fragment, which holds the
	// transport header. The datagram is identified by Packet.IPID.
	FragOffset uint16
}
