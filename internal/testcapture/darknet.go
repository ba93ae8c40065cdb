package testcapture

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DarknetPacket is one packet of Darknet: what the darknet analyses read.
type DarknetPacket struct {
	TS    time.Time
	Src   string
	Dport uint16 // 0 for ICMP and GRE
	Proto uint8  // 6, 17, 1 or 47
}

// DarknetStart is the first instant of Darknet's traffic: five days from
// the night Europe/Rome moves to summer time (2021-03-28 01:00 UTC), so
// that days in UTC and in Rome differ, by one hour and then by two.
var DarknetStart = time.Date(2021, 3, 26, 22, 30, 0, 0, time.UTC)

// DarknetClasses is the ground truth of Darknet's senders as an ip,class
// CSV file (the layout of DarkVec's big_gt.csv): the known scanners, one
// of a class the seed folds (netscout), and one that sends nothing.
func DarknetClasses() string {
	var b strings.Builder
	b.WriteString("ip,class\n")
	for i := range 6 {
		fmt.Fprintf(&b, "198.51.100.%d,stretchoid\n", 10+i)
	}
	for i := range 3 {
		fmt.Fprintf(&b, "198.51.100.%d,engin-umich\n", 30+i)
	}
	for i := range 4 {
		fmt.Fprintf(&b, "198.51.100.%d,shodan\n", 50+i)
	}
	b.WriteString("198.51.100.70,netscout\n198.51.100.71,netscout\n198.51.100.99,censys\n")
	return b.String()
}

// Darknet writes a pcap of telescope traffic to path, deterministic from
// seed, and returns its packets in time order: scanners of ground-truth
// classes with their own ports and rhythms (stretchoid on web ports every
// hour, engin-umich on telnet in sweeps, shodan on many ports, netscout
// folded into unknown), heavy-tailed unknown senders on TCP, UDP, ICMP and
// GRE, and one-packet senders. Times have microseconds, as DarkVec's
// traces, and several packets share a time.
func Darknet(t testing.TB, path string, seed uint64) []DarknetPacket {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 4))
	span := 5 * 24 * time.Hour
	var pkts []DarknetPacket
	at := func() time.Time {
		return DarknetStart.Add(time.Duration(rng.Int64N(int64(span/time.Microsecond))) * time.Microsecond)
	}
	add := func(ts time.Time, src string, port uint16, proto uint8) {
		pkts = append(pkts, DarknetPacket{TS: ts, Src: src, Dport: port, Proto: proto})
	}
	// stretchoid: web ports, once an hour each, from a random minute.
	for i := range 6 {
		src := fmt.Sprintf("198.51.100.%d", 10+i)
		off := time.Duration(rng.IntN(3600)) * time.Second
		for h := time.Duration(0); h < span; h += time.Hour {
			if rng.IntN(4) == 0 {
				continue
			}
			add(DarknetStart.Add(h+off), src, []uint16{80, 443, 8080, 8443}[rng.IntN(4)], 6)
		}
	}
	// engin-umich: telnet sweeps, twice a day.
	for i := range 3 {
		src := fmt.Sprintf("198.51.100.%d", 30+i)
		for d := time.Duration(0); d < span; d += 12 * time.Hour {
			start := DarknetStart.Add(d + time.Duration(rng.IntN(7200))*time.Second)
			for k := range 20 + rng.IntN(20) {
				add(start.Add(time.Duration(k)*time.Millisecond*250), src, []uint16{23, 23, 2323}[rng.IntN(3)], 6)
			}
		}
	}
	// shodan: many ports, TCP and UDP.
	for i := range 4 {
		src := fmt.Sprintf("198.51.100.%d", 50+i)
		for range 150 + rng.IntN(100) {
			proto := uint8(6)
			if rng.IntN(4) == 0 {
				proto = 17
			}
			add(at(), src, uint16(rng.IntN(65536)), proto)
		}
	}
	// netscout, folded into unknown: ICMP and 445.
	for _, src := range []string{"198.51.100.70", "198.51.100.71"} {
		for range 40 + rng.IntN(40) {
			if rng.IntN(2) == 0 {
				add(at(), src, 0, 1)
			} else {
				add(at(), src, 445, 6)
			}
		}
	}
	// Unknown senders: heavy-tailed packet counts, popular ports.
	ports := []uint16{445, 23, 22, 80, 3389, 1433, 5555, 8080, 6379, 53, 137, 123, 5060, 60001, 1023, 1024, 49151, 49152}
	for i := range 300 {
		src := fmt.Sprintf("203.0.%d.%d", 113+i/200, 1+i%200)
		n := int(1 / (rng.Float64()*0.98 + 0.02)) // 1 to 50, heavy-tailed
		for range n {
			switch r := rng.IntN(20); {
			case r == 0:
				add(at(), src, 0, 1)
			case r == 1:
				add(at(), src, 0, 47)
			case r < 6:
				add(at(), src, []uint16{53, 137, 123, 5060, 1900, 60001}[rng.IntN(6)], 17)
			default:
				add(at(), src, ports[rng.IntN(len(ports))], 6)
			}
		}
	}
	// Packets that share a time with another, from another sender.
	for i := range 20 {
		p := pkts[rng.IntN(len(pkts))]
		add(p.TS, fmt.Sprintf("192.0.2.%d", 200+i%5), 3389, 6)
	}
	slices.SortStableFunc(pkts, func(a, b DarknetPacket) int { return a.TS.Compare(b.TS) })
	WriteDarknet(t, path, pkts)
	return pkts
}

// WriteDarknet writes the packets to a pcap, each to an address of the
// telescope 100.64.0.0/24 (the i-th to 100.64.0.i%256).
func WriteDarknet(t testing.TB, path string, pkts []DarknetPacket) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		src := net.ParseIP(p.Src).To4()
		dst := net.IPv4(100, 64, 0, byte(i%256)).To4()
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 50, SrcIP: src, DstIP: dst, Id: uint16(i), Protocol: layers.IPProtocol(p.Proto)}
		ls := []gopacket.SerializableLayer{eth, ip}
		switch p.Proto {
		case 6:
			tcp := &layers.TCP{SrcPort: layers.TCPPort(40000 + i%1000), DstPort: layers.TCPPort(p.Dport), Seq: uint32(i), SYN: true, Window: 1024}
			tcp.SetNetworkLayerForChecksum(ip)
			ls = append(ls, tcp)
		case 17:
			udp := &layers.UDP{SrcPort: layers.UDPPort(50000 + i%1000), DstPort: layers.UDPPort(p.Dport)}
			udp.SetNetworkLayerForChecksum(ip)
			ls = append(ls, udp, gopacket.Payload("probe"))
		case 1:
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: uint16(i)})
		default:
			ls = append(ls, gopacket.Payload([]byte{0, 0, 8, 0}))
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: p.TS, CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
}
