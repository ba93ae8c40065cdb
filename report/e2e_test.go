package report

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
)

// Names that a DNS response gives three addresses, as the dns table stores
// them (presentation form: a space is \032, parentheses are escaped).
var hostileNames = map[string]string{
	"203.0.113.7": `<img/src=x/onerror=alert\(1\)>`,
	"203.0.113.8": `<img\032src=x\032onerror=alert\(1\)>`,
	"203.0.113.9": `</script><script>alert\(1\)</script>`,
}

// hostileCapture writes a pcap in which a DNS response names 203.0.113.7,
// .8 and .9 with markup, then a host talks to them over TCP and UDP.
func hostileCapture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	client := net.IPv4(10, 0, 0, 2).To4()
	resolver := net.IPv4(192, 0, 2, 53).To4()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	write := func(at time.Duration, src, dst net.IP, transport gopacket.SerializableLayer, payload []byte) {
		t.Helper()
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, src[3]}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, dst[3]}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst}
		ls := []gopacket.SerializableLayer{eth, ip, transport}
		switch tl := transport.(type) {
		case *layers.TCP:
			ip.Protocol = layers.IPProtocolTCP
			tl.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			ip.Protocol = layers.IPProtocolUDP
			tl.SetNetworkLayerForChecksum(ip)
		}
		if payload != nil {
			ls = append(ls, gopacket.Payload(payload))
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: start.Add(at), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}

	// A query and its answer per name.
	for i, addr := range []string{"203.0.113.7", "203.0.113.8", "203.0.113.9"} {
		name := []byte(wireName(hostileNames[addr]))
		q := []layers.DNSQuestion{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN}}
		query := &layers.DNS{ID: uint16(7 + i), RD: true, Questions: q}
		at := time.Duration(i) * 30 * time.Millisecond
		write(at, client, resolver, &layers.UDP{SrcPort: layers.UDPPort(33333 + i), DstPort: 53}, serialize(t, query))
		answer := &layers.DNS{ID: uint16(7 + i), QR: true, RD: true, RA: true, Questions: q, Answers: []layers.DNSResourceRecord{
			{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 300, IP: net.ParseIP(addr).To4()},
		}}
		write(at+10*time.Millisecond, resolver, client, &layers.UDP{SrcPort: 53, DstPort: layers.UDPPort(33333 + i)}, serialize(t, answer))
	}

	// TCP to .7: a handshake, then requests in two bursts and their answers.
	web := net.ParseIP("203.0.113.7").To4()
	at := 100 * time.Millisecond
	seq, ack := uint32(1000), uint32(5000)
	write(at, client, web, &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, SYN: true, Window: 65535}, nil)
	write(at+10*time.Millisecond, web, client, &layers.TCP{SrcPort: 80, DstPort: 40000, Seq: ack, Ack: seq + 1, SYN: true, ACK: true, Window: 65535}, nil)
	seq, ack = seq+1, ack+1
	write(at+20*time.Millisecond, client, web, &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, Ack: ack, ACK: true, Window: 65535}, nil)
	for i := range 40 {
		at = time.Second + time.Duration(i)*50*time.Millisecond
		if i >= 20 {
			at += 3 * time.Second
		}
		req := []byte("GET /" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: example.org\r\n\r\n" + strings.Repeat("x", 10*i))
		write(at, client, web, &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, Ack: ack, ACK: true, PSH: true, Window: 65535}, req)
		seq += uint32(len(req))
		resp := []byte("HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("y", 100+20*i))
		write(at+5*time.Millisecond, web, client, &layers.TCP{SrcPort: 80, DstPort: 40000, Seq: ack, Ack: seq, ACK: true, PSH: true, Window: 65535}, resp)
		ack += uint32(len(resp))
	}
	write(at+time.Second, client, web, &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, Ack: ack, FIN: true, ACK: true, Window: 65535}, nil)
	write(at+time.Second+5*time.Millisecond, web, client, &layers.TCP{SrcPort: 80, DstPort: 40000, Seq: ack, Ack: seq + 1, FIN: true, ACK: true, Window: 65535}, nil)

	// UDP to .8 and .9.
	for i := range 30 {
		at := 2*time.Second + time.Duration(i*i)*10*time.Millisecond
		write(at, client, net.ParseIP("203.0.113.8").To4(), &layers.UDP{SrcPort: 5000, DstPort: 9999}, []byte(strings.Repeat("u", 50+i)))
		if i%3 == 0 {
			write(at+time.Millisecond, client, net.ParseIP("203.0.113.9").To4(), &layers.UDP{SrcPort: 5001, DstPort: 4444}, []byte(strings.Repeat("v", 300)))
		}
	}
}

// wireName turns a presentation name back into the label bytes it came
// from: \DDD is a byte, \c is c.
func wireName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			n, _ := strconv.Atoi(s[i+1 : i+4])
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		i++
		b.WriteByte(s[i])
	}
	return b.String()
}

func serialize(t *testing.T, l gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := l.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestEndToEnd ingests a capture with hostile DNS names, runs the whole
// catalogue on DuckDB, writes the report and opens it in Chromium.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	pcap := filepath.Join(tmp, "hostile.pcap")
	hostileCapture(t, pcap)

	ds, err := dataset.OpenWrite(filepath.Join(tmp, "dataset"))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := ingest.Run(ctx, ds, []string{pcap}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Packets != 131 || stats.DNS != 3 {
		t.Errorf("ingested %d packets and %d DNS answers, want 131 and 3", stats.Packets, stats.DNS)
	}
	eng, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		t.Fatal(err)
	}
	for addr, name := range hostileNames {
		if env.Names[addr] != name {
			t.Errorf("name of %s = %q, want %q", addr, env.Names[addr], name)
		}
	}

	r := &Report{
		Title: "hostile.pcap", Created: time.Now().UTC(), Version: "test", Engine: eng.Name(),
		Inputs: ds.Manifest().Inputs,
		Summary: []Fact{
			{"packets", strconv.FormatInt(stats.Packets, 10)},
			{"flows", strconv.FormatInt(stats.Flows, 10)},
			{"DNS answers", strconv.FormatInt(stats.DNS, 10)},
		},
	}
	charts := 0
	for _, a := range catalog.All() {
		m := a.Meta()
		if missing := analysis.Requires(m, eng.Tables()); len(missing) > 0 {
			r.Skipped = append(r.Skipped, Skip{Name: m.Name, Title: m.Title, Reason: "needs " + strings.Join(missing, ", ")})
			continue
		}
		start := time.Now()
		res, err := analysis.Run(ctx, a, env, nil)
		r.Sections = append(r.Sections, Section{Meta: m, Result: res, Err: err, Elapsed: time.Since(start)})
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		charts += len(res.Charts)
	}
	if len(r.Sections) != len(catalog.All()) {
		t.Errorf("%d analyses ran, want all %d; skipped: %+v", len(r.Sections), len(catalog.All()), r.Skipped)
	}

	dir := filepath.Join(tmp, "report")
	start := time.Now()
	if err := Write(ctx, dir, r, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	t.Logf("report of %d analyses with %d charts written in %v", len(r.Sections), charts, time.Since(start).Round(time.Millisecond))

	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hostileNames {
		if strings.Contains(string(b), name) {
			t.Errorf("index.html holds %q raw", name)
		}
	}
	doc := parsePage(t, dir)
	var ids []string
	for _, n := range find(doc, byClass("div", "netlens-chart")) {
		id, _ := attr(n, "data-chart-id")
		ids = append(ids, id)
	}
	if len(ids) != charts {
		t.Errorf("%d chart containers, want %d", len(ids), charts)
	}
	if errs := texts(find(doc, byClass("p", "error"))); len(errs) != 0 {
		t.Errorf("errors in the page: %q", errs)
	}
	for _, a := range find(doc, byTag("a")) {
		if href, _ := attr(a, "href"); !strings.HasPrefix(href, "#") {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(href))); err != nil {
				t.Errorf("link %q: %v", href, err)
			}
		}
	}
	var shown []string
	for _, name := range hostileNames {
		shown = append(shown, name)
	}
	p := checkInBrowser(t, dir, ids, shown)
	screenshot(t, p, "e2e.png")
}
