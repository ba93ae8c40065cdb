// Package testcapture writes captures for tests: Hostile, a capture whose
// DNS names are markup, for the tests that check every view shows them as
// text.
//
// Only tests import testcapture.
package testcapture

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// HostileNames are the names that a DNS response of Hostile gives three
// addresses, as the dns table stores them (presentation form: a space is
// \032, parentheses are escaped).
var HostileNames = map[string]string{
	"203.0.113.7": `<img/src=x/onerror=alert\(1\)>`,
	"203.0.113.8": `<img\032src=x\032onerror=alert\(1\)>`,
	"203.0.113.9": `</script><script>alert\(1\)</script>`,
}

// Hostile writes a pcap in which a DNS response names 203.0.113.7,
// .8 and .9 with markup, then a host talks to them over TCP and UDP.
func Hostile(t testing.TB, path string) {
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
		name := []byte(wireName(HostileNames[addr]))
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

func serialize(t testing.TB, l gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := l.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}
