package decode

// Application names written to Packet.App.
const (
	AppDNS     = "dns"
	AppMDNS    = "mdns"
	AppDHCP    = "dhcp"
	AppNTP     = "ntp"
	AppSSDP    = "ssdp"
	AppTLS     = "tls"
	AppHTTP    = "http"
	AppQUIC    = "quic"
	AppBitcoin = "bitcoin"
)

// payloadRule recognises an application from the first payload bytes of a
// transport protocol, whatever the ports.
type payloadRule struct {
	proto uint8
	app   string
	match func([]byte) bool
}

// payloadRules are tried first, in order.
var payloadRules = [...]payloadRule{
	{protoTCP, AppTLS, isTLSHandshake},
	{protoTCP, AppHTTP, isHTTP},
	{protoTCP, AppBitcoin, isBitcoin},
	{protoUDP, AppQUIC, isQUICLongHeader},
}

// portRule names the application of a well-known port.
type portRule struct {
	proto uint8
	port  uint16
	app   string
}

// portRules are tried when no payload rule matched, on the lower port of the
// packet first (servers tend to have the lower port).
var portRules = [...]portRule{
	{protoUDP, 53, AppDNS},
	{protoTCP, 53, AppDNS},
	{protoUDP, 5353, AppMDNS},
	{protoUDP, 67, AppDHCP},
	{protoUDP, 68, AppDHCP},
	{protoUDP, 546, AppDHCP},
	{protoUDP, 547, AppDHCP},
	{protoUDP, 123, AppNTP},
	{protoUDP, 1900, AppSSDP},
	{protoTCP, 443, AppTLS},
	{protoTCP, 8443, AppTLS},
	{protoTCP, 80, AppHTTP},
	{protoTCP, 8080, AppHTTP},
	{protoUDP, 443, AppQUIC},
	{protoTCP, 8333, AppBitcoin},
}

// portApps indexes portRules by port: portApps[proto index][port] is an
// index into portRules plus one, 0 for none.
var portApps = buildPortApps()

func buildPortApps() *[2][65536]uint8 {
	var t [2][65536]uint8
	for i, r := range portRules {
		t[protoIndex(r.proto)][r.port] = uint8(i + 1)
	}
	return &t
}

func protoIndex(proto uint8) int {
	if proto == protoUDP {
		return 1
	}
	return 0
}

// guessApp names the application of a TCP or UDP packet from its first
// payload bytes and its ports, or returns "" when it does not know.
func guessApp(proto uint8, sport, dport uint16, payload []byte) string {
	if len(payload) > 0 {
		for i := range payloadRules {
			r := &payloadRules[i]
			if r.proto == proto && r.match(payload) {
				return r.app
			}
		}
	}
	lo, hi := sport, dport
	if hi < lo {
		lo, hi = hi, lo
	}
	t := &portApps[protoIndex(proto)]
	if i := t[lo]; i != 0 {
		return portRules[i-1].app
	}
	if i := t[hi]; i != 0 {
		return portRules[i-1].app
	}
	return ""
}

// isTLSHandshake matches a TLS record header of type handshake, SSL 3.0 to
// TLS 1.3.
func isTLSHandshake(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

// httpStarts are the payload prefixes of HTTP/1 requests and responses.
var httpStarts = [...]string{
	"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "TRACE ", "PATCH ", "HTTP/1.",
}

func isHTTP(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch b[0] {
	case 'G', 'P', 'H', 'D', 'O', 'C', 'T':
	default:
		return false
	}
	for _, s := range httpStarts {
		if len(b) >= len(s) && string(b[:len(s)]) == s {
			return true
		}
	}
	return false
}

// isBitcoin matches the network magic of a Bitcoin P2P message: main,
// testnet3, testnet4, signet and regtest.
func isBitcoin(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch be32(b) {
	case 0xf9beb4d9, 0x0b110907, 0x1c163f28, 0x0a03cf40, 0xfabfb5da:
		return true
	}
	return false
}

// isQUICLongHeader matches a QUIC long header (RFC 9000 17.2): header form
// and fixed bits set, a known version and a destination connection id of at
// most 20 bytes.
func isQUICLongHeader(b []byte) bool {
	if len(b) < 7 || b[0]&0xc0 != 0xc0 || b[5] > 20 {
		return false
	}
	switch v := be32(b[1:]); {
	case v == 1, v == 0x6b3343cf: // v1, v2
		return true
	case v&0xffffff00 == 0xff000000: // IETF drafts
		return true
	}
	return false
}
