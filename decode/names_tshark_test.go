package decode

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nameFiles are the captures whose DNS messages, HTTP Host headers and TLS
// server names are compared with tshark.
var nameFiles = []string{
	"dns53.pcap",
	"dns_mdns.pcap",
	"test_dns.pcap",
	"ipv6-fragmented-dns.pcap",
	"tcpdump_nflog.pcap",
	"iot_edimaxcam1_setup-a-3.pcap",
	"iot_dlinkcam_setup-a-2.pcap",
	"http_get.pcap",
	"nflog-http.pcap",
	"mpls-in-vlan.pcap",
	"mixed-vlan-mpls.pcap",
	"tls_irc-starttls.pcap",
}

// nameFields are the fields asked from tshark, in column order.
var nameFields = []string{
	"frame.number",
	"dns.flags.response", "dns.flags.rcode", "dns.qry.name",
	"dns.resp.name", "dns.resp.type", "dns.resp.ttl", "dns.a", "dns.aaaa", "dns.cname",
	"http.request", "http.host",
	"tls.handshake.type", "tls.handshake.extensions_server_name",
}

// nameRow is what both netlens and tshark say about one frame. For DNS
// only the A, AAAA and CNAME records are compared: tshark gives the data of
// those in fields of their own.
type nameRow struct {
	Response bool
	RCode    uint8
	Question string
	Records  []DNSAnswer // Section is not compared
	Host     string      // HTTP Host or TLS server name
}

// TestNamesTsharkCrossCheck compares ParseDNS, HTTPHost and TLSServerName
// with tshark on every DNS, mDNS, HTTP and TLS frame of nameFiles. It skips
// when tshark is missing, except in CI.
func TestNamesTsharkCrossCheck(t *testing.T) {
	for _, tool := range []string{"tshark", "mergecap"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	merged := filepath.Join(t.TempDir(), "names.pcapng")
	args := []string{"-a", "-F", "pcapng", "-w", merged}
	for _, name := range nameFiles {
		args = append(args, filepath.Join("testdata", name))
	}
	if out, err := exec.Command("mergecap", args...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v: %s", err, out)
	}
	want := tsharkNames(t, merged)
	d := New()
	var m DNSMessage
	counts := map[string]int{}
	for _, name := range nameFiles {
		frames := readFrames(t, name)
		if len(frames) > len(want) {
			t.Fatalf("%s: %d frames, tshark has %d left", name, len(frames), len(want))
		}
		for i, f := range frames {
			p, meta := decodeFrame(d, f, i)
			var got nameRow
			switch p.App {
			case AppDNS, AppMDNS:
				_ = ParseDNS(meta.Payload, p.Proto == protoTCP, &m) // tshark shows cut messages as far as they go too
				got = nameRow{Response: m.Response, Question: m.Question.Name}
				if m.Response {
					got.RCode = m.RCode
				}
				for _, a := range m.Answers {
					if a.Type == dnsTypeA || a.Type == dnsTypeAAAA || a.Type == dnsTypeCNAME {
						a.Section = 0
						got.Records = append(got.Records, a)
					}
				}
				counts["dns"]++
				counts["dns records"] += len(got.Records)
			case AppHTTP:
				got.Host, _ = HTTPHost(meta.Payload)
				counts["http"]++
			case AppTLS:
				got.Host, _ = TLSServerName(meta.Payload)
				counts["tls"]++
			default:
				continue
			}
			if got.Host != "" {
				counts["hosts"]++
			}
			if diff := cmp.Diff(want[i], got); diff != "" {
				t.Errorf("%s frame %d (-tshark +netlens):\n%s", name, i+1, diff)
			}
		}
		want = want[len(frames):]
	}
	if len(want) != 0 {
		t.Errorf("tshark shows %d frames more than the files hold", len(want))
	}
	wantCounts := map[string]int{"dns": 304, "dns records": 313, "http": 191, "tls": 85, "hosts": 17}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("frames compared (-want +got):\n%s", diff)
	}
}

// tsharkNames runs tshark on path, without IP reassembly or TCP stream
// reassembly, and turns its fields into one row per frame.
func tsharkNames(t *testing.T, path string) []nameRow {
	t.Helper()
	args := []string{"-r", path, "-n",
		"-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-o", "tcp.desegment_tcp_streams:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "aggregator=|"}
	for _, f := range nameFields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	var rows []nameRow
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != len(nameFields) {
			t.Fatalf("tshark line %q: %d columns, want %d", line, len(cols), len(nameFields))
		}
		v := make(map[string][]string, len(cols))
		for i, f := range nameFields {
			if cols[i] != "" {
				v[f] = strings.Split(cols[i], "|")
			}
		}
		row, err := tsharkNameRow(v)
		if err != nil {
			t.Fatalf("tshark frame %s: %v", cols[0], err)
		}
		rows = append(rows, row)
	}
	return rows
}

func tsharkNameRow(v map[string][]string) (nameRow, error) {
	var r nameRow
	r.Response = len(v["dns.flags.response"]) > 0 && v["dns.flags.response"][0] == "1"
	if rc := v["dns.flags.rcode"]; len(rc) > 0 {
		n, err := strconv.ParseUint(rc[0], 0, 8)
		if err != nil {
			return r, fmt.Errorf("dns.flags.rcode %q: %w", rc[0], err)
		}
		r.RCode = uint8(n)
	}
	if q := v["dns.qry.name"]; len(q) > 0 {
		r.Question = tsharkDNSName(q[0])
	}
	// dns.resp.type holds every record; dns.resp.name every record but SRV
	// (tshark splits its name into other fields); dns.resp.ttl every record
	// but OPT; dns.a, dns.aaaa and dns.cname the data of their type.
	names, types, ttls := v["dns.resp.name"], v["dns.resp.type"], v["dns.resp.ttl"]
	data := map[uint16][]string{dnsTypeA: v["dns.a"], dnsTypeAAAA: v["dns.aaaa"], dnsTypeCNAME: v["dns.cname"]}
	for i, t := range types {
		typ, err := strconv.ParseUint(t, 0, 16)
		if err != nil {
			return r, fmt.Errorf("dns.resp.type %q: %w", t, err)
		}
		var name string
		if typ != dnsTypeSRV {
			if len(names) == 0 {
				return r, fmt.Errorf("too few record names")
			}
			name, names = names[0], names[1:]
		}
		if typ == 41 { // OPT
			continue
		}
		if len(ttls) == 0 {
			return r, fmt.Errorf("too few TTLs")
		}
		ttl, err := strconv.ParseUint(ttls[0], 0, 32)
		if err != nil {
			return r, fmt.Errorf("dns.resp.ttl %q: %w", ttls[0], err)
		}
		ttls = ttls[1:]
		d := data[uint16(typ)]
		if d == nil && typ != dnsTypeA && typ != dnsTypeAAAA && typ != dnsTypeCNAME {
			continue
		}
		if len(d) == 0 {
			return r, fmt.Errorf("no data for record %d of type %d", i+1, typ)
		}
		text := d[0]
		if typ == dnsTypeCNAME {
			text = tsharkDNSName(text)
		}
		data[uint16(typ)] = d[1:]
		r.Records = append(r.Records, DNSAnswer{Name: tsharkDNSName(name), Type: uint16(typ), TTL: uint32(ttl), Data: text})
	}
	if len(names) != 0 || len(ttls) != 0 {
		return r, fmt.Errorf("%d record names and %d TTLs left", len(names), len(ttls))
	}
	if h := v["http.host"]; len(h) > 0 && len(v["http.request"]) > 0 {
		r.Host = tsharkHost(h[0])
	}
	if sni := v["tls.handshake.extensions_server_name"]; len(sni) > 0 {
		r.Host = strings.ToLower(sni[0])
	}
	return r, nil
}

// tsharkDNSName turns a name as tshark prints it into ParseDNS's text, for
// the characters found in the test captures.
func tsharkDNSName(s string) string {
	if s == "<Root>" {
		return ""
	}
	var b strings.Builder
	for _, c := range []byte(strings.ToLower(s)) {
		switch c {
		case ' ':
			b.WriteString(`\032`)
		case '"', '$', '(', ')', ';', '@', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tsharkHost returns an http.host value without port, lower case.
func tsharkHost(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.HasSuffix(s, "]") {
		s = s[:i]
	}
	return strings.ToLower(strings.Trim(s, "[]"))
}
