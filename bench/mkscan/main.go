// Command mkscan writes a capture of a scan, what a network telescope or
// an attacked server sees: TCP SYNs from random sources, each its own flow,
// all alive at once under the usual timeouts. The same seed gives the same
// capture, byte for byte.
//
//	go run ./bench/mkscan -o scan-2M.pcap -n 2000000 -duration 30s
//
// With -scanners, a few sources each sweep the network (a telescope's
// view of busy scanners) rather than every SYN coming from a source of its
// own.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Ports the SYNs go to, as scanners favour them.
var ports = []uint16{22, 23, 80, 443, 445, 2323, 3389, 5555, 8080, 8443}

func main() {
	out := flag.String("o", "scan.pcap", "output pcap")
	n := flag.Int("n", 2_000_000, "SYNs to write")
	dur := flag.Duration("duration", 30*time.Second, "time the SYNs are spread over")
	seed := flag.Uint64("seed", 1, "seed of the random sources, ports and gaps")
	dst := flag.String("dst", "198.51.0.0/16", "the scanned network (IPv4, /8 to /32)")
	scanners := flag.Int("scanners", 0, "send every SYN from one of this many sources, each sweeping the network, rather than each from a random source (0)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkscan [-o FILE] [-n SYNS] [-duration D] [-seed N] [-dst PREFIX]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *n, *dur, *seed, *dst, *scanners); err != nil {
		fmt.Fprintln(os.Stderr, "mkscan:", err)
		os.Exit(1)
	}
}

func run(out string, n int, dur time.Duration, seed uint64, dstNet string, scanners int) error {
	var a, b, c, d, bits uint32
	if _, err := fmt.Sscanf(dstNet, "%d.%d.%d.%d/%d", &a, &b, &c, &d, &bits); err != nil || bits < 8 || bits > 32 {
		return fmt.Errorf("bad -dst %q: want an IPv4 prefix of /8 to /32", dstNet)
	}
	dstBase, dstMask := a<<24|b<<16|c<<8|d, uint32(1)<<(32-bits)-1
	if n <= 0 || dur <= 0 || scanners < 0 {
		return fmt.Errorf("-n and -duration must be positive, -scanners not negative")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5ca4))
	sources := make([]uint32, scanners)
	for i := range sources {
		sources[i] = randomSource(rng)
	}
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	step := float64(dur.Nanoseconds()) / float64(n)
	frame := make([]byte, 54)
	copy(frame[0:6], []byte{0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01})  // the telescope's router
	copy(frame[6:12], []byte{0x00, 0x0c, 0x29, 0x5e, 0x7a, 0x02}) // its upstream
	binary.BigEndian.PutUint16(frame[12:], 0x0800)
	for i := range n {
		var src uint32
		if scanners > 0 {
			src = sources[rng.IntN(scanners)]
		} else {
			src = randomSource(rng)
		}
		dst := dstBase&^dstMask | rng.Uint32()&dstMask
		synFrame(frame, src, dst, uint16(1024+rng.IntN(64512)), ports[rng.IntN(len(ports))], rng.Uint32(), uint16(rng.Uint32()))
		ts := start + int64(float64(i)*step+rng.Float64()*step)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, ts).UTC(), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mkscan: %s: %d SYNs over %v\n", out, n, dur)
	return nil
}

// randomSource returns a random globally routable unicast IPv4 address
// (not 0/8, 10/8, 127/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16 or
// 224/3).
func randomSource(rng *rand.Rand) uint32 {
	for {
		a := rng.Uint32()
		switch o := a >> 24; {
		case o == 0, o == 10, o == 127, o >= 224,
			a>>20 == 172<<4|1, a>>16 == 192<<8|168, a>>22 == 100<<2|1, a>>16 == 169<<8|254:
			continue
		}
		return a
	}
}

// synFrame writes into b (an Ethernet header already in place) an IPv4 TCP
// SYN from src:sport to dst:dport, with valid checksums.
func synFrame(b []byte, src, dst uint32, sport, dport uint16, seq uint32, ipid uint16) {
	ip := b[14:34]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], 40)
	binary.BigEndian.PutUint16(ip[4:], ipid)
	binary.BigEndian.PutUint16(ip[6:], 0)
	ip[8], ip[9] = 240, 6
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint32(ip[12:], src)
	binary.BigEndian.PutUint32(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))

	tcp := b[34:54]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], 0)
	tcp[12], tcp[13] = 5<<4, 0x02
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	binary.BigEndian.PutUint16(tcp[16:], 0)
	binary.BigEndian.PutUint16(tcp[18:], 0)
	pseudo := src>>16 + src&0xffff + dst>>16 + dst&0xffff + 6 + 20
	binary.BigEndian.PutUint16(tcp[16:], checksum(tcp, pseudo))
}

// checksum is the Internet checksum of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum>>16 != 0 {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
