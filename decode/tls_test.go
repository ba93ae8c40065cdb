package decode

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// goClientHello returns the first TLS record that crypto/tls writes as a
// client asking for serverName.
func goClientHello(t *testing.T, serverName string) []byte {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := tls.Client(client, &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12})
		_ = c.Handshake() // fails when the server side closes
		c.Close()
	}()
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(server, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(server, body); err != nil {
		t.Fatal(err)
	}
	server.Close()
	<-done
	return append(hdr, body...)
}

// vec returns b prefixed with its length in n bytes (1, 2 or 3).
func vec(n int, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	var out []byte
	switch n {
	case 1:
		out = []byte{byte(len(body))}
	case 2:
		out = binary.BigEndian.AppendUint16(nil, uint16(len(body)))
	case 3:
		out = []byte{byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	}
	return append(out, body...)
}

func u16b(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// ext returns one extension of the given type.
func ext(typ uint16, data ...[]byte) []byte { return append(u16b(typ), vec(2, data...)...) }

// sniExt returns a server_name extension listing names of the given types.
func sniExt(entries ...[]byte) []byte { return ext(0, vec(2, entries...)) }

func sniEntry(typ byte, name string) []byte { return append([]byte{typ}, vec(2, []byte(name))...) }

// clientHello builds a TLS 1.3 ClientHello record (RFC 8446 section 4.1.2)
// carrying the given extensions.
func clientHello(exts ...[]byte) []byte {
	random := bytes.Repeat([]byte{0xab}, 32)
	hello := bytes.Join([][]byte{
		u16b(0x0303),                        // legacy_version
		random,                              // random
		vec(1, bytes.Repeat([]byte{7}, 32)), // legacy_session_id
		vec(2, u16b(0x1301), u16b(0x1302)),  // cipher_suites
		vec(1, []byte{0}),                   // legacy_compression_methods
		vec(2, exts...),                     // extensions
	}, nil)
	hs := append([]byte{1}, vec(3, hello)...)
	return append([]byte{0x16, 3, 1}, vec(2, hs)...)
}

func TestTLSServerName(t *testing.T) {
	versions := ext(43, vec(1, u16b(0x0304)))
	alpn := ext(16, vec(2, vec(1, []byte("h2"))))
	tests := []struct {
		name    string
		payload []byte
		want    string
		wantOK  bool
	}{
		{"crypto/tls client", goClientHello(t, "example.com"), "example.com", true},
		{"crypto/tls client, upper case", goClientHello(t, "WWW.Example.COM"), "www.example.com", true},
		{"server_name only", clientHello(sniExt(sniEntry(0, "fw.example.com"))), "fw.example.com", true},
		{"server_name after others", clientHello(versions, alpn, sniExt(sniEntry(0, "a.example"))), "a.example", true},
		{"unknown name type first", clientHello(sniExt(sniEntry(9, "x"), sniEntry(0, "b.example"))), "b.example", true},
		{"final dot", clientHello(sniExt(sniEntry(0, "example.com."))), "example.com", true},
		{"underscore and digits", clientHello(sniExt(sniEntry(0, "_srv.host-1.example"))), "_srv.host-1.example", true},
		{"253 characters", clientHello(sniExt(sniEntry(0, strings.Repeat("a.", 126)+"b"))), strings.Repeat("a.", 126) + "b", true},
		{"254 characters", clientHello(sniExt(sniEntry(0, strings.Repeat("a.", 126)+"bc"))), "", false},
		{"no server_name", clientHello(versions, alpn), "", false},
		{"no extensions", clientHello(), "", false},
		{"only other name types", clientHello(sniExt(sniEntry(1, "example.com"))), "", false},
		{"empty name", clientHello(sniExt(sniEntry(0, ""))), "", false},
		{"empty list", clientHello(sniExt()), "", false},
		{"markup", clientHello(sniExt(sniEntry(0, "<script>.example"))), "", false},
		{"space", clientHello(sniExt(sniEntry(0, "exa mple.com"))), "", false},
		{"NUL", clientHello(sniExt(sniEntry(0, "example.com\x00.evil"))), "", false},
		{"empty label", clientHello(sniExt(sniEntry(0, "a..example"))), "", false},
		{"leading dot", clientHello(sniExt(sniEntry(0, ".example"))), "", false},
		{"two final dots", clientHello(sniExt(sniEntry(0, "example.."))), "", false},
		{"a dot", clientHello(sniExt(sniEntry(0, "."))), "", false},
		{"name longer than its list", clientHello(ext(0, u16b(10), []byte{0}, u16b(200), []byte("example.com"))), "", false},
		{"application data record", append([]byte{0x17}, clientHello(sniExt(sniEntry(0, "x.example")))[1:]...), "", false},
		{"ServerHello", func() []byte {
			b := clientHello(sniExt(sniEntry(0, "x.example")))
			b[5] = 2
			return b
		}(), "", false},
		{"SSL 2 hello", []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15}, "", false},
		{"empty", nil, "", false},
		{"record header only", []byte{0x16, 3, 1, 0, 0}, "", false},
	}
	for _, tt := range tests {
		got, ok := TLSServerName(tt.payload)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: (%q, %v), want (%q, %v)", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestTLSServerNameCut cuts ClientHellos at every length: the name is found
// exactly when the server_name extension is complete.
func TestTLSServerNameCut(t *testing.T) {
	const name = "cut.example.org"
	tests := []struct {
		label string
		hello []byte
	}{
		{"crypto/tls", goClientHello(t, name)},
		{"built", clientHello(ext(43, vec(1, u16b(0x0304))), sniExt(sniEntry(0, name)), ext(16, vec(2, vec(1, []byte("h2")))))},
	}
	for _, tt := range tests {
		at := bytes.Index(tt.hello, []byte(name))
		if at < 0 || bytes.Count(tt.hello, []byte(name)) != 1 {
			t.Fatalf("%s: name found %d times", tt.label, bytes.Count(tt.hello, []byte(name)))
		}
		end := at + len(name) // the extension holds one entry and ends with the name
		for n := range len(tt.hello) + 1 {
			got, ok := TLSServerName(tt.hello[:n])
			if wantOK := n >= end; ok != wantOK || (ok && got != name) {
				t.Fatalf("%s cut at %d of %d (name ends at %d): (%q, %v)", tt.label, n, len(tt.hello), end, got, ok)
			}
		}
	}
}

// TestTLSServerNameCorpus reads the ClientHellos of the test captures: none
// of them asks for a server name (the camera sends SSL 2 compatible hellos,
// which cannot carry extensions).
func TestTLSServerNameCorpus(t *testing.T) {
	tests := []struct {
		file   string
		frames []int // frames holding a ClientHello, TLS or SSL 2
	}{
		{"iot_dlinkcam_setup-a-2.pcap", []int{191, 435, 460}},
		{"tls_irc-starttls.pcap", []int{8}},
	}
	for _, tt := range tests {
		d := New()
		hellos := 0
		for i, f := range readFrames(t, tt.file) {
			p, m := decodeFrame(d, f, i)
			if p.App != AppTLS {
				continue
			}
			got, ok := TLSServerName(m.Payload)
			if ok {
				t.Errorf("%s frame %d: server name %q", tt.file, i+1, got)
			}
			pl := m.Payload
			tlsHello := len(pl) > 5 && pl[0] == tlsRecordHandshake && pl[5] == tlsClientHello
			sslv2Hello := len(pl) > 2 && pl[0]&0x80 != 0 && pl[2] == 1
			if tlsHello || sslv2Hello {
				if hellos >= len(tt.frames) || tt.frames[hellos] != i+1 {
					t.Errorf("%s: ClientHello in frame %d, want frames %v", tt.file, i+1, tt.frames)
				}
				hellos++
			}
		}
		if hellos != len(tt.frames) {
			t.Errorf("%s: %d ClientHellos, want %d", tt.file, hellos, len(tt.frames))
		}
	}
}

func TestHTTPHost(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
		wantOK  bool
	}{
		{"plain", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com", true},
		{"port and upper case", "POST /x HTTP/1.1\r\nUser-Agent: t\r\nHOST: Example.COM:8080\r\n\r\n", "example.com", true},
		{"no space, LF only", "HEAD / HTTP/1.0\nhost:example.com\n\n", "example.com", true},
		{"tabs and spaces", "GET / HTTP/1.1\r\nHost: \t fw.example.com \t\r\n\r\n", "fw.example.com", true},
		{"IPv4 with port", "GET / HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n", "10.0.0.1", true},
		{"IPv6 literal", "GET / HTTP/1.1\r\nHost: [2001:DB8:0::1]:443\r\n\r\n", "2001:db8::1", true},
		{"IPv6 literal without port", "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", "::1", true},
		{"final dot", "GET / HTTP/1.1\r\nHost: example.com.\r\n\r\n", "example.com", true},
		{"two final dots", "GET / HTTP/1.1\r\nHost: example.com..\r\n\r\n", "", false},
		{"empty port", "GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n", "example.com", true},
		{"header cut before the body ends", "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nCook", "example.com", true},
		{"Host line cut", "GET / HTTP/1.1\r\nHost: examp", "", false},
		{"no Host", "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", "", false},
		{"Host in the body", "POST / HTTP/1.1\r\nContent-Length: 19\r\n\r\nHost: example.com\r\n", "", false},
		{"Hostname is not Host", "GET / HTTP/1.1\r\nHostname: a.example\r\nX-Host: b.example\r\n\r\n", "", false},
		{"response", "HTTP/1.1 200 OK\r\nHost: example.com\r\n\r\n", "", false},
		{"not HTTP", "SSH-2.0-OpenSSH\r\nHost: example.com\r\n\r\n", "", false},
		{"markup", "GET / HTTP/1.1\r\nHost: <script>\r\n\r\n", "", false},
		{"space inside", "GET / HTTP/1.1\r\nHost: a b.example\r\n\r\n", "", false},
		{"bad port", "GET / HTTP/1.1\r\nHost: example.com:80x\r\n\r\n", "", false},
		{"port too long", "GET / HTTP/1.1\r\nHost: example.com:123456\r\n\r\n", "", false},
		{"bare IPv6", "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", "", false},
		{"IPv6 zone", "GET / HTTP/1.1\r\nHost: [fe80::1%eth0]\r\n\r\n", "", false},
		{"IPv4 in brackets", "GET / HTTP/1.1\r\nHost: [10.0.0.1]\r\n\r\n", "", false},
		{"unclosed bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "", false},
		{"empty", "", "", false},
		{"request line only", "GET / HTTP/1.1", "", false},
		{"Host within 4 KiB", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 4096-16-5-19) + "\r\nHost: example.com\r\n\r\n", "example.com", true},
		{"Host past 4 KiB", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 4096-16-5-18) + "\r\nHost: example.com\r\n\r\n", "", false},
	}
	for _, tt := range tests {
		got, ok := HTTPHost([]byte(tt.payload))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: (%q, %v), want (%q, %v)", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestHTTPHostCorpus(t *testing.T) {
	tests := []struct {
		file  string
		hosts map[int]string // frame -> host; every other http frame has none
	}{
		{"http_get.pcap", map[int]string{4: "bro.org"}},
		{"nflog-http.pcap", map[int]string{6: "www.example.net"}},
		{"mpls-in-vlan.pcap", map[int]string{1: "aaaaaaaaaaaaa", 3: "ww.example.org"}},
		{"mixed-vlan-mpls.pcap", map[int]string{15: "www.icir.org"}},
		{"iot_dlinkcam_setup-a-2.pcap", map[int]string{
			166: "10.10.10.37", 177: "10.10.10.37", 234: "10.10.10.37", 247: "10.10.10.37",
			273: "10.10.10.37", 288: "10.10.10.37", 298: "10.10.10.37", 326: "10.10.10.37",
			358: "10.10.10.37", 370: "10.10.10.37", 382: "10.10.10.37", 504: "10.10.10.37",
		}},
	}
	for _, tt := range tests {
		d := New()
		found := 0
		for i, f := range readFrames(t, tt.file) {
			p, m := decodeFrame(d, f, i)
			if p.App != AppHTTP {
				continue
			}
			got, ok := HTTPHost(m.Payload)
			want, wantOK := tt.hosts[i+1]
			if got != want || ok != wantOK {
				t.Errorf("%s frame %d: (%q, %v), want (%q, %v)", tt.file, i+1, got, ok, want, wantOK)
			}
			if ok {
				found++
			}
		}
		if found != len(tt.hosts) {
			t.Errorf("%s: %d hosts, want %d", tt.file, found, len(tt.hosts))
		}
	}
}
