package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
)

// How many payload bytes a packet has: the payload parameter of the
// analyses that add up or draw payload (graph, talkers, ports, timeline,
// stream, bursts).
//
// payload=ip is the transport payload from the headers: the column
// packets.payload_len.
//
// payload=scapy is what the SHD-Identification notebooks count. They walk
// each packet's layers as scapy decoded them, stop at the first layer that
// is not IP, TCP, UDP or Raw, and take len(Raw.load.hex())//2 of the Raw
// layer; a packet without one has NaN there, and len(NaN.hex())//2 is
// len("nan")//2 = 1. So a packet counts the bytes of its Raw layer, or 1
// when scapy made no Raw layer of its payload: when it has none, and when
// scapy decoded it into a named layer, which scapy does by the ports
// (scapyBindings: DNS and mDNS, DHCP, NTP, TFTP, NetBIOS, SNMP, ... over
// UDP; DNS, SMB, LDAP, ... over TCP) and by the IP protocol (ICMP, GRE,
// ESP, ...). Everything needed is in the columns of packets, so the count
// is one SQL expression (scapyPayloadSQL).
//
// Where scapy's count is not reproduced: a payload on a bound port that
// scapy fails to decode as its protocol (cut short, malformed) is Raw to
// scapy, with its length, here 1; the notebooks' loop stops at an 802.1Q
// header, so their rows of VLAN-tagged packets have no addresses (and count
// 1); scapy walks into IP in IP; scapy's IP filter drops IPv6, which is
// counted here by the same rules.

// payloadParam is the parameter that chooses how payload bytes are counted.
var payloadParam = analysis.Param{
	Name: "payload", Kind: analysis.String, Default: payloadIP, Choices: []string{payloadIP, payloadScapy},
	Doc: "ip: transport payload bytes from the headers (0 without payload); " +
		"scapy: as the scapy notebooks count (the Raw layer's bytes, else 1; with ip_version=4 their numbers)",
}

// The values of the payload parameter.
const (
	payloadIP    = "ip"
	payloadScapy = "scapy"
)

// payloadDoc explains both ways of counting payload, for the explanation
// of every analysis that has the payload parameter.
const payloadDoc = `payload=ip (the default) counts the transport payload from the IP and transport ` +
	`headers: 0 bytes for a packet without payload, and what a packet cut by the snap length carried. ` +
	`payload=scapy counts as the scapy notebooks do (len(Raw.load.hex())//2): the bytes of scapy's Raw layer, ` +
	`and 1 for every packet that has none, which is not only a packet without payload (len(NaN.hex())//2 = 1) ` +
	`but also every packet whose payload scapy decodes into a named layer by its ports or protocol: ` +
	`DNS, mDNS, DHCP, NTP, TFTP, NetBIOS, SNMP, ... over UDP, DNS, SMB, LDAP, ... over TCP, and ICMP, GRE, ESP. ` +
	`With ip_version=4 (scapy's IP filter drops IPv6) it gives the notebooks' numbers.`

// payloadSQL returns the SQL expression of a packet's payload bytes as the
// payload parameter of v counts them.
func payloadSQL(v analysis.Values) string {
	if v.String("payload") == payloadScapy {
		return scapyPayloadSQL
	}
	return "payload_len"
}

// payloadNotes tell the reader that payload was counted as scapy does.
func payloadNotes(v analysis.Values) []string {
	if v.String("payload") == payloadScapy {
		return []string{"payload counted as scapy does: the Raw layer's bytes, else 1 (payload=scapy)"}
	}
	return nil
}

// scapyBinding is a layer binding of scapy above TCP or UDP: a payload
// whose ports match is decoded into a named layer, not Raw. A zero port
// matches any.
type scapyBinding struct {
	proto        uint8
	sport, dport uint16
}

// either binds ports on either end: scapy's bind_layers(..., sport=p) and
// (..., dport=p).
func either(proto uint8, ports ...uint16) []scapyBinding {
	var b []scapyBinding
	for _, p := range ports {
		b = append(b, scapyBinding{proto, p, 0}, scapyBinding{proto, 0, p})
	}
	return b
}

// scapyBindings are the bindings of scapy 2.5.0 (Debian 12's python3-scapy)
// above TCP and UDP, with the layers that scapy.all loads: TCP.payload_guess
// and UDP.payload_guess. The cross-check against the notebooks' code
// compares them with the scapy it runs.
var scapyBindings = slices.Concat(
	// DNS, Kerberos, DCE/RPC, LDAP, SMB and NetBIOS sessions, PPTP, Skinny.
	either(6, 53, 88, 135, 139, 389, 445, 1723, 2000, 3268),
	// DNS and mDNS, Kerberos, HSRP, IPsec NAT traversal, ISAKMP, L2TP,
	// CLDAP, LLMNR, MGCP, Mobile IP, NetBIOS names, NetFlow and sFlow, NTP,
	// RADIUS, RIP, SNMP, VXLAN.
	either(17, 53, 88, 123, 137, 161, 162, 389, 434, 500, 520, 1701, 1812, 1813, 1985, 2029, 2055, 2056,
		2727, 3799, 4500, 4789, 4790, 5353, 5355, 6343, 6633, 8472, 9995, 9996),
	[]scapyBinding{
		{17, 0, 69}, {17, 0, 138}, {17, 0, 546}, {17, 0, 547}, {17, 0, 48879}, // TFTP, NetBIOS datagrams, DHCPv6, VXLAN
		{17, 17754, 0},                           // ZigBee encapsulation
		{17, 68, 67}, {17, 67, 68}, {17, 67, 67}, // DHCP (BOOTP)
	},
)

// IP protocols scapy decodes into a named layer above IPv4 (IP.payload_guess):
// scapyProtosFirst only in the first fragment (ICMP, IP in IP, GRE),
// scapyProtosAlways in any (IPv6 in IPv4, ESP, AH, VRRP, SCTP). Above IPv6,
// ICMPv6 (58) is named too.
var (
	scapyProtosFirst  = []uint8{1, 4, 47}
	scapyProtosAlways = []uint8{41, 50, 51, 112, 132}
)

// scapyPayloadSQL is the SQL expression of a packet's payload as scapy
// counts it: 1 where scapy decodes the payload into a named layer, else the
// captured bytes of the Raw layer, or 1 when there are none.
//
// The bytes a snap length cut off are missing from the end of the payload
// (a cut frame is assumed to have no trailer). A fragment after the first
// is Raw: one without more-fragments, or a TCP or UDP fragment without
// ports (netlens decodes no transport header there); an IPv4 fragment of
// another protocol with more-fragments set is taken for the first (a middle
// one is not told apart). UDP's Raw layer is cut to the UDP length field:
// scapy's UDP.extract_padding slices the payload at len - 8, which counts
// from the end when len is below 8.
var scapyPayloadSQL = func() string {
	captured := "CASE WHEN cap_len >= wire_len THEN payload_len " +
		"WHEN payload_len + cap_len > wire_len THEN payload_len + cap_len - wire_len ELSE 0 END"
	udpData := "CASE WHEN udp_len >= 8 THEN least(" + captured + ", udp_len - 8) " +
		"WHEN " + captured + " + udp_len > 8 THEN " + captured + " + udp_len - 8 ELSE 0 END"
	return "CASE" +
		" WHEN proto IN (" + join(scapyProtosAlways) + ") THEN 1" +
		" WHEN frag AND (ip_version = 4 AND ip_flags % 2 = 0 OR proto IN (6, 17) AND sport = 0 AND dport = 0)" +
		" THEN greatest(" + captured + ", 1)" +
		" WHEN proto = 6 AND (" + bindingsSQL(6) + ") THEN 1" +
		" WHEN proto = 17 AND (" + bindingsSQL(17) + ") THEN 1" +
		" WHEN proto = 17 THEN greatest(" + udpData + ", 1)" +
		" WHEN proto IN (" + join(scapyProtosFirst) + ") OR ip_version = 6 AND proto = 58 THEN 1" +
		" ELSE greatest(" + captured + ", 1) END"
}()

// bindingsSQL is the SQL condition on sport and dport of scapy's bindings
// of proto.
func bindingsSQL(proto uint8) string {
	var src, dst []uint16
	var pairs []string
	for _, b := range scapyBindings {
		switch {
		case b.proto != proto:
		case b.dport == 0:
			src = append(src, b.sport)
		case b.sport == 0:
			dst = append(dst, b.dport)
		default:
			pairs = append(pairs, fmt.Sprintf("sport = %d AND dport = %d", b.sport, b.dport))
		}
	}
	slices.Sort(src)
	slices.Sort(dst)
	conds := []string{"sport IN (" + join(src) + ")", "dport IN (" + join(dst) + ")"}
	for _, p := range pairs {
		conds = append(conds, "("+p+")")
	}
	return strings.Join(conds, " OR ")
}

// join writes numbers as a SQL list.
func join[T uint8 | uint16](ns []T) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ", ")
}
