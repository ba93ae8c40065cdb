package ingest_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/ingest"
)

// dnsResponse is a DNS response to a query for the name made of labels,
// with one A record for it (a pointer to the question's name).
func dnsResponse(id uint16, labels ...string) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0, 0, 1, 0, 1)                           // root, type A, class IN
	b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4) // the question's name, A, IN, TTL 60, 4 bytes
	return append(b, 192, 0, 2, 7)
}

// TestDNSLongNames: a DNS name longer than 255 bytes is not read, and is
// counted in the ingest's statistics.
func TestDNSLongNames(t *testing.T) {
	long := []string{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 63), "example"}
	var pcap bytes.Buffer
	w := pcapgo.NewWriter(&pcap)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	server, client := net.IPv4(192, 0, 2, 53).To4(), net.IPv4(10, 0, 0, 2).To4()
	for i, msg := range [][]byte{dnsResponse(1, "ok", "example"), dnsResponse(2, long...), dnsResponse(3, long...)} {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: server, DstIP: client, Protocol: layers.IPProtocolUDP}
		udp := &layers.UDP{SrcPort: 53, DstPort: 33333}
		udp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4},
			ip, udp, gopacket.Payload(msg))
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Date(2025, 3, 1, 12, 0, i, 0, time.UTC)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "long-names.pcap")
	if err := os.WriteFile(path, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(context.Background(), openDS(t), []string{path}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 3 || st.DNS != 1 || st.DNSLongNames != 2 {
		t.Errorf("packets %d, dns rows %d, long names %d; want 3, 1, 2", st.Packets, st.DNS, st.DNSLongNames)
	}
}
