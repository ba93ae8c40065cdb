package decode

import (
	"bytes"
	"net/netip"
)

// maxHTTPHead bounds how much of a request HTTPHost looks at.
const maxHTTPHead = 4096

// HTTPHost returns the host of the Host header of an HTTP/1.x request at the
// start of payload, lower case, without port, final dot or the brackets of
// an IPv6 literal.
//
// Only complete header lines within the first 4 KiB are read. ok is false
// when payload does not start with a request method, when no Host header
// is found there, or when its value is not a host name (see TLSServerName)
// or an IP literal.
func HTTPHost(payload []byte) (host string, ok bool) {
	if !isHTTP(payload) || bytes.HasPrefix(payload, []byte("HTTP/")) {
		return "", false
	}
	b := payload[:min(len(payload), maxHTTPHead)]
	i := bytes.IndexByte(b, '\n') // end of the request line
	if i < 0 {
		return "", false
	}
	b = b[i+1:]
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return "", false
		}
		line := bytes.TrimSuffix(b[:i], []byte("\r"))
		b = b[i+1:]
		if len(line) == 0 { // end of the header
			return "", false
		}
		if len(line) >= 5 && bytes.EqualFold(line[:5], []byte("host:")) {
			return hostHeader(bytes.Trim(line[5:], " \t"))
		}
	}
}

// hostHeader returns the host of a Host header value: a host name or IPv4
// address, or an IPv6 literal in brackets, either with an optional port.
func hostHeader(v []byte) (string, bool) {
	if len(v) > 0 && v[0] == '[' {
		end := bytes.IndexByte(v, ']')
		if end < 0 || !isPort(v[end+1:]) {
			return "", false
		}
		return ipv6Literal(v[1:end])
	}
	if i := bytes.LastIndexByte(v, ':'); i >= 0 {
		if !isPort(v[i:]) {
			return "", false
		}
		v = v[:i]
	}
	return hostText(v)
}

// isPort reports whether b is empty or a colon and up to five digits.
func isPort(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0] != ':' || len(b) > 6 {
		return false
	}
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ipv6Literal returns the text of the IPv6 address inside the brackets of
// an IPv6 literal, in the form netip prints it.
func ipv6Literal(b []byte) (string, bool) {
	a, err := netip.ParseAddr(string(b))
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}
