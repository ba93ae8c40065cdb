package decode

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addPayloads seeds f with the transport payloads of the test captures
// whose application is one of apps, at most limit per capture.
func addPayloads(f *testing.F, limit int, add func(payload []byte, proto uint8), apps ...string) {
	ents, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	d := New()
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".pcap") {
			continue
		}
		n := 0
		for i, fr := range readFrames(f, e.Name()) {
			p, m := decodeFrame(d, fr, i)
			for _, app := range apps {
				if p.App == app && len(m.Payload) > 0 && n < limit {
					add(bytes.Clone(m.Payload), p.Proto)
					n++
				}
			}
		}
	}
}

// FuzzParseDNS parses arbitrary messages: ParseDNS must not panic, must
// give printable names that fit in 255 wire bytes, at most one record per
// 11 bytes, the same result twice in a row, and the same result over TCP.
// Hand-made hostile messages are in testdata/fuzz/FuzzParseDNS.
func FuzzParseDNS(f *testing.F) {
	addPayloads(f, 16, func(b []byte, proto uint8) { f.Add(b, proto == protoTCP) }, AppDNS, AppMDNS)
	var m, again DNSMessage
	f.Fuzz(func(t *testing.T, payload []byte, overTCP bool) {
		err := ParseDNS(payload, overTCP, &m)
		if err != nil && !errors.Is(err, ErrDNSShort) && !errors.Is(err, ErrDNSMalformed) {
			t.Fatalf("error %v is neither short nor malformed", err)
		}
		if len(m.Answers) > len(payload)/11 {
			t.Fatalf("%d records in %d bytes", len(m.Answers), len(payload))
		}
		checkDNSName(t, m.Question.Name)
		for _, a := range m.Answers {
			checkDNSName(t, a.Name)
			if a.Section < DNSAnswerSection || a.Section > DNSAdditionalSection {
				t.Fatalf("section %d", a.Section)
			}
			switch a.Type {
			case dnsTypeNS, dnsTypeCNAME, dnsTypePTR, dnsTypeDNAME, dnsTypeMX, dnsTypeSRV:
				checkDNSName(t, a.Data)
			}
		}
		err2 := ParseDNS(payload, overTCP, &again)
		if errText(err) != errText(err2) {
			t.Fatalf("second parse: error %v, first %v", err2, err)
		}
		if diff := cmp.Diff(m, again, dnsCmp...); diff != "" {
			t.Fatalf("second parse differs (-first +second):\n%s", diff)
		}
		if overTCP || len(payload) > 0xffff {
			return
		}
		err2 = ParseDNS(tcpDNS(payload, len(payload)), true, &again)
		if errText(err) != errText(err2) {
			t.Fatalf("over TCP: error %v, over UDP %v", err2, err)
		}
		if diff := cmp.Diff(m, again, dnsCmp...); diff != "" {
			t.Fatalf("over TCP differs (-UDP +TCP):\n%s", diff)
		}
	})
}

// checkDNSName fails unless s is printable ASCII whose labels, unescaped,
// fit in a 255-byte wire name.
func checkDNSName(t *testing.T, s string) {
	t.Helper()
	if s == "" {
		return
	}
	wire, label := 1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f || ('A' <= c && c <= 'Z'):
			t.Fatalf("name %q: byte %#x", s, c)
		case c == '\\':
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				if i+3 >= len(s) {
					t.Fatalf("name %q: cut escape", s)
				}
				i += 3
			} else {
				i++
			}
			label++
		case c == '.':
			if label == 0 || label > 63 {
				t.Fatalf("name %q: label of %d bytes", s, label)
			}
			wire += 1 + label
			label = 0
		default:
			label++
		}
	}
	if label == 0 || label > 63 {
		t.Fatalf("name %q: last label of %d bytes", s, label)
	}
	if wire += 1 + label; wire > dnsMaxName {
		t.Fatalf("name %q: %d wire bytes", s, wire)
	}
}

// FuzzTLSServerName reads arbitrary first segments: a name found must be a
// lower-case host name that the payload holds.
func FuzzTLSServerName(f *testing.F) {
	addPayloads(f, 8, func(b []byte, _ uint8) { f.Add(b) }, AppTLS)
	f.Add(clientHello(sniExt(sniEntry(0, "Fuzz.Example.com"))))
	f.Add(clientHello(ext(43, vec(1, u16b(0x0304))), sniExt(sniEntry(1, "x"), sniEntry(0, "a.b"))))
	f.Fuzz(func(t *testing.T, payload []byte) {
		name, ok := TLSServerName(payload)
		if !ok {
			if name != "" {
				t.Fatalf("name %q without ok", name)
			}
			return
		}
		checkHostName(t, name)
		if !bytes.Contains(bytes.ToLower(payload), []byte(strings.TrimSuffix(name, "."))) {
			t.Fatalf("name %q not in the payload", name)
		}
	})
}

// FuzzHTTPHost reads arbitrary requests: a host found must be a lower-case
// host name that the first 4 KiB of the payload hold, or an IPv6 address.
func FuzzHTTPHost(f *testing.F) {
	addPayloads(f, 8, func(b []byte, _ uint8) { f.Add(b) }, AppHTTP)
	f.Add([]byte("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.0\nHOST: Example.COM:80\n\n"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		host, ok := HTTPHost(payload)
		if !ok {
			if host != "" {
				t.Fatalf("host %q without ok", host)
			}
			return
		}
		if strings.Contains(host, ":") {
			return // an IPv6 address in the form netip prints it
		}
		checkHostName(t, host)
		head := payload[:min(len(payload), maxHTTPHead)]
		if !bytes.Contains(bytes.ToLower(head), []byte(host)) {
			t.Fatalf("host %q not in the payload", host)
		}
	})
}

func checkHostName(t *testing.T, s string) {
	t.Helper()
	if s == "" || len(s) > maxHostName || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		t.Fatalf("host %q", s)
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			t.Fatalf("host %q: byte %#x", s, c)
		}
	}
}

// TestFuzzSeedsPresent keeps the hand-made seed corpus from going missing.
func TestFuzzSeedsPresent(t *testing.T) {
	want := map[string]int{"FuzzParseDNS": 12, "FuzzTLSServerName": 4, "FuzzHTTPHost": 4}
	got := map[string]int{}
	for dir := range want {
		ents, err := os.ReadDir("testdata/fuzz/" + dir)
		if err != nil {
			t.Fatal(err)
		}
		got[dir] = len(ents)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed files (-want +got):\n%s", diff)
	}
}
