// Command mkcapture builds a large, realistic benchmark capture from real
// ones: it repeats the Ethernet captures it is given, each copy shifted in
// time to follow the previous one and with its IPv4 and IPv6 addresses
// rewritten, so every copy adds new hosts and new flows. With -rewrite=false
// the copies keep their addresses: real traffic as it is, few
// conversations, each copy continuing the last one's flows.
//
//	go run ./bench/mkcapture -o big.pcap -size 1GB ../shared/corpus/pcaps
//	go run ./bench/mkcapture -o mix.pcap -size 400MB -rewrite=false ../shared/corpus/pcaps
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/input"
)

type frame struct {
	ts   int64
	wire int
	data []byte
}

func main() {
	out := flag.String("o", "bench.pcap", "output pcap")
	size := flag.String("size", "1GB", "stop once the output is at least this big (e.g. 200MB, 1GB)")
	rewrite := flag.Bool("rewrite", true, "give every copy its own addresses")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkcapture [-o FILE] [-size 1GB] [-rewrite=false] CAPTURE_OR_DIR...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	limit, err := parseSize(*size)
	if err == nil {
		err = run(*out, limit, *rewrite, flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcapture:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if strings.HasSuffix(strings.ToUpper(s), u.suffix) {
			s, mult = s[:len(s)-len(u.suffix)], u.m
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(n * float64(mult)), nil
}

// load reads the Ethernet frames of every readable capture, in time order.
func load(args []string) ([]frame, error) {
	paths, err := input.Expand(args)
	if err != nil {
		return nil, err
	}
	var frames []frame
	for _, p := range paths {
		r, err := input.Open(p)
		if err != nil {
			continue // not a capture (a README, an index)
		}
		var f input.Frame
		for {
			err := r.Next(&f)
			if err != nil {
				break // a cut capture still gives its frames
			}
			if f.LinkType != uint16(layers.LinkTypeEthernet) || f.Ts <= 0 {
				continue
			}
			frames = append(frames, frame{ts: f.Ts, wire: int(f.WireLen), data: append([]byte(nil), f.Data...)})
		}
		r.Close()
	}
	if len(frames) == 0 {
		return nil, errors.New("no Ethernet frames in the inputs")
	}
	// One copy is the inputs laid end to end, each keeping its own gaps.
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].ts < frames[j].ts })
	return frames, nil
}

func unixNano(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func run(out string, limit int64, rewriteAddrs bool, args []string) error {
	frames, err := load(args)
	if err != nil {
		return err
	}
	// Compress the time axis: gaps longer than a second become a second,
	// so the copies form a dense, busy capture.
	base := frames[0].ts
	shift := int64(0)
	for i := range frames {
		if i > 0 {
			if gap := frames[i].ts - shift - frames[i-1].ts; gap > 1e9 {
				shift += gap - 1e9
			}
		}
		frames[i].ts -= shift
	}
	span := frames[len(frames)-1].ts - base + 1e6

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	var written, packets int64
	buf := make([]byte, 0, 65536)
	for rep := 0; written < limit; rep++ {
		for _, fr := range frames {
			buf = append(buf[:0], fr.data...)
			if rewriteAddrs {
				rewrite(buf, rep)
			}
			ts := fr.ts + int64(rep)*span
			ci := gopacket.CaptureInfo{Timestamp: unixNano(ts), CaptureLength: len(buf), Length: max(fr.wire, len(buf))}
			if err := w.WritePacket(ci, buf); err != nil {
				return err
			}
			written += int64(16 + len(buf))
			packets++
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mkcapture: %s: %d packets, %d bytes\n", out, packets, written+24)
	return nil
}

// rewrite changes the addresses of copy rep so that copies do not share hosts.
func rewrite(b []byte, rep int) {
	if rep == 0 || len(b) < 14 {
		return
	}
	off, et := 12, int(b[12])<<8|int(b[13])
	for (et == 0x8100 || et == 0x88a8) && len(b) >= off+6 {
		off += 4
		et = int(b[off])<<8 | int(b[off+1])
	}
	ip := b[off+2:]
	hi, lo := byte(rep>>8), byte(rep)
	switch {
	case et == 0x0800 && len(ip) >= 20:
		for _, a := range [][]byte{ip[12:16], ip[16:20]} {
			if a[0] < 224 { // keep multicast and broadcast as they are
				a[1] ^= hi
				a[2] ^= lo
			}
		}
	case et == 0x86dd && len(ip) >= 40:
		for _, a := range [][]byte{ip[8:24], ip[24:40]} {
			if a[0] != 0xff {
				a[12] ^= hi
				a[13] ^= lo
			}
		}
	}
}
