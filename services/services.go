// Package services names the well-known service of a TCP or UDP port:
// the table flows and analyses share. It imports nothing from netlens.
package services

const (
	protoTCP = 6
	protoUDP = 17
)

// services names the well-known service of a responder port, as
// "name/protocol".
var services = buildServices([]struct {
	proto uint8
	port  uint16
	name  string
}{
	{protoTCP, 20, "ftp-data"},
	{protoTCP, 21, "ftp"},
	{protoTCP, 22, "ssh"},
	{protoTCP, 23, "telnet"},
	{protoTCP, 25, "smtp"},
	{protoTCP, 53, "dns"},
	{protoTCP, 80, "http"},
	{protoTCP, 110, "pop3"},
	{protoTCP, 111, "sunrpc"},
	{protoTCP, 135, "msrpc"},
	{protoTCP, 139, "netbios-ssn"},
	{protoTCP, 143, "imap"},
	{protoTCP, 179, "bgp"},
	{protoTCP, 389, "ldap"},
	{protoTCP, 443, "https"},
	{protoTCP, 445, "smb"},
	{protoTCP, 465, "smtps"},
	{protoTCP, 554, "rtsp"},
	{protoTCP, 587, "submission"},
	{protoTCP, 631, "ipp"},
	{protoTCP, 636, "ldaps"},
	{protoTCP, 853, "dns-over-tls"},
	{protoTCP, 993, "imaps"},
	{protoTCP, 995, "pop3s"},
	{protoTCP, 1080, "socks"},
	{protoTCP, 1433, "mssql"},
	{protoTCP, 1883, "mqtt"},
	{protoTCP, 3306, "mysql"},
	{protoTCP, 3389, "rdp"},
	{protoTCP, 5060, "sip"},
	{protoTCP, 5222, "xmpp"},
	{protoTCP, 5432, "postgresql"},
	{protoTCP, 5900, "vnc"},
	{protoTCP, 6379, "redis"},
	{protoTCP, 6667, "irc"},
	{protoTCP, 8080, "http-alt"},
	{protoTCP, 8333, "bitcoin"},
	{protoTCP, 8443, "https-alt"},
	{protoTCP, 8883, "mqtts"},
	{protoUDP, 53, "dns"},
	{protoUDP, 67, "dhcp"},
	{protoUDP, 68, "dhcp"},
	{protoUDP, 69, "tftp"},
	{protoUDP, 123, "ntp"},
	{protoUDP, 137, "netbios-ns"},
	{protoUDP, 138, "netbios-dgm"},
	{protoUDP, 161, "snmp"},
	{protoUDP, 162, "snmptrap"},
	{protoUDP, 443, "quic"},
	{protoUDP, 500, "isakmp"},
	{protoUDP, 514, "syslog"},
	{protoUDP, 546, "dhcpv6"},
	{protoUDP, 547, "dhcpv6"},
	{protoUDP, 1194, "openvpn"},
	{protoUDP, 1900, "ssdp"},
	{protoUDP, 3478, "stun"},
	{protoUDP, 4500, "ipsec-nat-t"},
	{protoUDP, 5060, "sip"},
	{protoUDP, 5353, "mdns"},
	{protoUDP, 5355, "llmnr"},
	{protoUDP, 51820, "wireguard"},
})

func buildServices(list []struct {
	proto uint8
	port  uint16
	name  string
}) map[uint32]string {
	m := make(map[uint32]string, len(list))
	for _, s := range list {
		suffix := "/tcp"
		if s.proto == protoUDP {
			suffix = "/udp"
		}
		m[uint32(s.proto)<<16|uint32(s.port)] = s.name + suffix
	}
	return m
}

// Lookup returns the well-known service of port for the IP protocol proto
// as "name/protocol" (e.g. "https/tcp"), or "" when it has none.
func Lookup(proto uint8, port uint16) string {
	if proto != protoTCP && proto != protoUDP {
		return ""
	}
	return services[uint32(proto)<<16|uint32(port)]
}
