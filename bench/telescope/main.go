// Command telescope writes a synthetic month of a network telescope
// (darknet) in DarkVec's raw trace layout (see input/darknet), or as a
// pcap of the same packets: what netlens' darknet analyses are measured
// on at scale. The same flags and seed give the same bytes.
//
// Senders are of three kinds:
//
//   - the ground-truth scanners, with their real addresses from DarkVec's
//     big_gt.csv: each class has its own behaviour, drawn from the class
//     name and the seed: a port set (a few ports, a list of services,
//     UDP services, or every port of the range swept over the month), a
//     period of its bursts (each burst sweeps the telescope's addresses),
//     a source port and a TCP stack fingerprint (zmap-like bare SYNs, or
//     a Linux stack's options);
//   - Mirai-like bots: Poisson senders to 23 and 2323 whose TCP sequence
//     number is the destination address (the Mirai fingerprint, mirai=1);
//   - unknown noise: heavy-tailed (Pareto) packet counts over random
//     lifetimes, to popular ports and random ones, a little backscatter
//     (SYN-ACKs and RSTs) and ICMP echo.
//
// Packets per sender are fixed ahead, so the month holds exactly -packets
// packets; they come out in time order from a heap of the senders'
// next packets, streaming: memory is bounded by the senders.
//
//	go run ./bench/telescope -packets 15000000 -o month.csv.zst
//	go run ./bench/telescope -packets 300000000 -o - | netlens ingest - -d ds
//	go run ./bench/telescope -packets 1000000 -format pcap -o month.pcap
//	go run ./bench/telescope -packets 15000000 -daily -o dir/   # dir/darknet_YYYYMMDD.csv.zst
package main

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func main() {
	packets := flag.Int64("packets", 15_000_000, "packets of the month")
	senders := flag.Int("senders", 0, "senders (default: 177,000 at 15 M packets, DarkVec's month, growing as the square root of packets)")
	days := flag.Int("days", 30, "days of the month")
	start := flag.String("start", "2021-03-02", "first day (UTC)")
	seed := flag.Uint64("seed", 1, "seed")
	gtPath := flag.String("gt", "", "DarkVec's big_gt.csv (default: the shared corpus')")
	out := flag.String("o", "-", "output file, - for standard output; .gz or .zst compresses; with -daily a directory")
	format := flag.String("format", "csv", "csv (DarkVec's raw layout) or pcap (Ethernet, nanoseconds)")
	daily := flag.Bool("daily", false, "one file per day in the directory -o, as a telescope writes them")
	flag.Parse()
	t0, err := time.Parse("2006-01-02", *start)
	if err != nil || *packets < 1 || *days < 1 || (*format != "csv" && *format != "pcap") {
		flag.Usage()
		os.Exit(2)
	}
	if *gtPath == "" {
		*gtPath = filepath.Join("..", "shared", "corpus", "darknet", "big_gt.csv")
	}
	gt, err := readGT(*gtPath)
	if err != nil {
		fail(err)
	}
	n := *senders
	if n == 0 {
		n = int(177_000 * math.Sqrt(float64(*packets)/15e6))
	}
	m := newMonth(*seed, t0.UnixNano(), int64(*days)*int64(24*time.Hour), *packets, n, gt)
	began := time.Now()
	written, err := m.write(*out, *format, *daily)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "telescope: %d packets from %d senders (%d labelled, %d classes) over %d days in %.1f s\n",
		written, len(m.senders), m.labelled, len(m.classes), *days, time.Since(began).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "telescope:", err)
	os.Exit(1)
}

// readGT reads DarkVec's ground truth: ip,class.
func readGT(path string) (map[string][]netip.Addr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	gt := map[string][]netip.Addr{}
	for i, r := range recs {
		if i == 0 && r[0] == "ip" {
			continue
		}
		a, err := netip.ParseAddr(strings.TrimSpace(r[0]))
		if err != nil || len(r) < 2 {
			return nil, fmt.Errorf("%s:%d: %q is not an address", path, i+1, r[0])
		}
		gt[strings.TrimSpace(r[1])] = append(gt[strings.TrimSpace(r[1])], a)
	}
	return gt, nil
}

// The telescope's addresses: three /24s.
var telescope = [3][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}

const telescopeSize = 3 * 256

// dstAt returns the i-th address of the telescope.
func dstAt(i int) uint32 {
	i %= telescopeSize
	p := telescope[i/256]
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(i%256)
}

// Kinds of behaviour.
const (
	kindPorts       = iota // bursts over a small port set, each burst one port over the telescope
	kindSweep              // bursts stepping through the whole port range over the month
	kindServices           // UDP and TCP services, a few probes per burst
	kindICMP               // ICMP echo, traceroute-like
	kindMirai              // Poisson, 23 and 2323, Mirai fingerprint
	kindNoise              // Poisson over a lifetime, popular and random ports
	kindBackscatter        // SYN-ACK and RST from 80 and 443 to random high ports
)

// class is the behaviour of a ground-truth class.
type class struct {
	name    string
	kind    int
	ports   []uint16
	udp     bool
	period  int64 // ns between bursts
	burst   int   // packets per burst
	options bool  // Linux-like TCP options (74-byte SYNs)
	sport   int   // fixed source port, or -1 for random
	ttl     uint8
}

// sender is one source address with its packets to come.
type sender struct {
	addr    uint32
	class   int // index in month.classes, -1 for none
	kind    int
	left    int64 // packets still to send
	next    int64 // time of the next one
	from    int64 // its lifetime
	until   int64
	step    int // packets sent so far
	dst     int // next destination index
	port    int // index into the port set, or port for a sweep
	ttl     uint8
	sport   uint16
	options bool
	rng     rand.PCG
}

type month struct {
	start, span int64
	classes     []class
	senders     []sender
	labelled    int
	heap        senderHeap
}

// popular are ports scanned most, in order of popularity.
var popular = []uint16{23, 445, 22, 3389, 80, 8080, 1433, 5555, 443, 2323, 81, 8443, 3306, 5900, 6379, 25, 21, 110, 139, 135, 9200, 27017, 5060, 11211, 8000, 8888, 7547, 37215, 52869, 60001}

// services are the UDP ports of service scanners.
var services = []uint16{53, 123, 161, 1900, 5353, 11211, 19, 111, 137, 389, 500, 520, 623, 1434, 3702, 5683, 10001, 17185}

func newMonth(seed uint64, start, span, packets int64, nSenders int, gt map[string][]netip.Addr) *month {
	m := &month{start: start, span: span}
	rng := rand.New(rand.NewPCG(seed, 0x7e1e5c09e))
	names := make([]string, 0, len(gt))
	for name := range gt {
		names = append(names, name)
	}
	slices.Sort(names)
	used := map[uint32]bool{}
	for _, name := range names {
		c := newClass(name, seed)
		ci := len(m.classes)
		m.classes = append(m.classes, c)
		for _, a := range gt[name] {
			if !a.Is4() {
				continue
			}
			v := binary.BigEndian.Uint32(a.AsSlice())
			if used[v] {
				continue
			}
			used[v] = true
			m.senders = append(m.senders, sender{addr: v, class: ci, kind: c.kind})
		}
	}
	m.labelled = len(m.senders)
	// The rest: a fifth Mirai-like bots, a twentieth backscatter, the
	// others noise.
	for len(m.senders) < max(nSenders, m.labelled+1) {
		v := rng.Uint32()
		if b := byte(v >> 24); b == 0 || b == 10 || b == 127 || b >= 224 || used[v] {
			continue
		}
		used[v] = true
		kind := kindNoise
		switch r := rng.IntN(100); {
		case r < 20:
			kind = kindMirai
		case r < 25:
			kind = kindBackscatter
		}
		m.senders = append(m.senders, sender{addr: v, class: -1, kind: kind})
	}
	// Packets: the labelled senders get 30%, the bots 20%, the rest 50%,
	// each share split by heavy-tailed (Pareto) weights.
	weights := make([]float64, len(m.senders))
	var sums [3]float64
	group := func(s *sender) int {
		switch {
		case s.class >= 0:
			return 0
		case s.kind == kindMirai:
			return 1
		}
		return 2
	}
	for i := range m.senders {
		s := &m.senders[i]
		alpha := 1.1
		if s.class >= 0 {
			alpha = 3 // scanners of one class send alike
		}
		w := math.Pow(1-rng.Float64(), -1/alpha)
		weights[i] = w
		sums[group(s)] += w
	}
	share := [3]float64{0.3, 0.2, 0.5}
	counts := make([]int64, len(m.senders))
	var total int64
	for i := range m.senders {
		g := group(&m.senders[i])
		counts[i] = max(1, int64(float64(packets)*share[g]*weights[i]/sums[g]))
		total += counts[i]
	}
	// Make the total exact: take from or give to the largest senders.
	order := make([]int, len(counts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(counts[b] - counts[a]) })
	for k := 0; total != packets; k = (k + 1) % len(order) {
		i := order[k%max(1, min(len(order), 1000))]
		switch {
		case total > packets && counts[i] > 1:
			d := min(counts[i]-1, total-packets)
			counts[i] -= d
			total -= d
		case total < packets:
			counts[i] += packets - total
			total = packets
		}
	}
	for i := range m.senders {
		s := &m.senders[i]
		s.left = counts[i]
		s.rng = *rand.NewPCG(seed, uint64(s.addr)<<8|uint64(i&0xff))
		r := rand.New(&s.rng)
		s.ttl = uint8(30 + r.IntN(220))
		s.sport = uint16(1024 + r.IntN(64000))
		s.dst = r.IntN(telescopeSize)
		if s.class >= 0 {
			c := &m.classes[s.class]
			s.ttl = c.ttl - uint8(r.IntN(8))
			if c.sport >= 0 {
				s.sport = uint16(c.sport)
			}
			s.options = c.options
			s.port = r.IntN(65536)
			// Scanners are there all month, each starting somewhere in
			// its first period.
			s.from = start + r.Int64N(min(c.period, span))
			s.until = start + span
		} else {
			s.options = r.IntN(3) == 0
			// Others live from an hour to the whole month.
			life := int64(math.Min(float64(span), float64(time.Hour)*math.Pow(720, r.Float64())))
			s.from = start + r.Int64N(span-life+1)
			s.until = s.from + life
		}
		s.next = s.from
		m.schedule(s, r)
	}
	m.heap = make(senderHeap, 0, len(m.senders))
	for i := range m.senders {
		m.heap = append(m.heap, &m.senders[i])
	}
	heap.Init(&m.heap)
	return m
}

// newClass draws the behaviour of a class from its name and the seed.
func newClass(name string, seed uint64) class {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	c := class{name: name, sport: -1, ttl: uint8(50 + r.IntN(200))}
	c.period = int64(time.Hour) * int64([]int{1, 2, 4, 6, 8, 12, 24, 24, 48}[r.IntN(9)])
	c.burst = 16 + r.IntN(200)
	c.options = r.IntN(3) == 0
	if r.IntN(2) == 0 {
		c.sport = []int{54321, 61000, 40000 + r.IntN(20000)}[r.IntN(3)]
	}
	switch {
	case name == "censys" || name == "internetcensus" || name == "alphastrike" || r.IntN(6) == 0:
		c.kind = kindSweep
	case name == "shadowserver" || name == "u_stanford" || r.IntN(6) == 0:
		c.kind = kindServices
		c.ports = pick(r, services, 3+r.IntN(8))
		c.ports = append(c.ports, pick(r, popular, 2+r.IntN(4))...)
	case name == "u_caida_ark":
		c.kind = kindICMP
	default:
		c.kind = kindPorts
		c.ports = pick(r, popular, 1+r.IntN(6))
		for range r.IntN(20) { // and some of its own
			c.ports = append(c.ports, uint16(1024+r.IntN(64000)))
		}
	}
	return c
}

// pick returns n distinct ports of ports.
func pick(r *rand.Rand, ports []uint16, n int) []uint16 {
	p := slices.Clone(ports)
	r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p[:min(n, len(p))]
}

// schedule sets s.next to the time of its next packet, given that
// s.step packets were sent; s.left > 0.
func (m *month) schedule(s *sender, r *rand.Rand) {
	switch s.kind {
	case kindPorts, kindSweep, kindServices, kindICMP:
		c := &m.classes[s.class]
		if s.step > 0 && s.step%c.burst == 0 {
			// The next burst, one period on with some jitter, or sooner
			// when the packets left would not fit the month.
			period := c.period
			bursts := (s.left + int64(c.burst) - 1) / int64(c.burst)
			if rest := s.until - s.next; bursts*period > rest {
				period = max(int64(time.Second), rest/(bursts+1))
			}
			s.next += period + r.Int64N(period/10+1)
		} else if s.step > 0 {
			s.next += int64(time.Millisecond) + r.Int64N(int64(40*time.Millisecond))
		}
	default:
		// Sorted uniform points over the rest of the lifetime.
		rest := s.until - s.next
		u := 1 - math.Pow(r.Float64(), 1/float64(s.left))
		s.next += int64(u * float64(rest))
	}
	if s.next >= m.start+m.span {
		s.next = m.start + m.span - 1
	}
}

// packet is one packet of the month.
type packet struct {
	ts       int64
	src, dst uint32
	sport    uint16
	dport    uint16
	proto    uint8
	flags    uint8
	seq      uint32
	ttl      uint8
	options  bool // TCP SYN options: MSS, SACK permitted, timestamps, window scale
	mirai    bool
	length   int // Ethernet frame length
	tsval    uint32
}

// emit makes the next packet of s and schedules the one after.
func (m *month) emit(s *sender, p *packet) {
	r := rand.New(&s.rng)
	*p = packet{ts: s.next, src: s.addr, ttl: s.ttl, sport: s.sport, proto: 6, flags: 0x02, seq: r.Uint32(), options: s.options}
	switch s.kind {
	case kindPorts:
		c := &m.classes[s.class]
		p.dst = dstAt(s.dst)
		p.dport = c.ports[(s.step/c.burst+s.port)%len(c.ports)]
		s.dst++
	case kindSweep:
		p.dst = dstAt(s.dst)
		p.dport = uint16(s.port + s.step) // one port after the other: the class sweeps them all
		s.dst++
	case kindServices:
		c := &m.classes[s.class]
		p.dst = dstAt(s.dst)
		p.dport = c.ports[(s.step+s.port)%len(c.ports)]
		if slices.Contains(services, p.dport) {
			p.proto = 17
		}
		s.dst += 1 + r.IntN(5)
	case kindICMP:
		p.dst = dstAt(s.dst)
		p.proto, p.sport = 1, 0
		s.dst += 1 + r.IntN(64)
	case kindMirai:
		p.dst = dstAt(r.IntN(telescopeSize))
		p.dport = 23
		if r.IntN(10) == 0 {
			p.dport = 2323
		}
		p.seq, p.mirai, p.options = p.dst, true, false
		p.sport = uint16(1024 + r.IntN(64000))
	case kindNoise:
		p.dst = dstAt(r.IntN(telescopeSize))
		if r.IntN(3) == 0 {
			p.dport = uint16(r.IntN(65536))
		} else {
			// Zipf-like over the popular ports.
			p.dport = popular[min(len(popular)-1, int(math.Pow(float64(len(popular)), r.Float64()*r.Float64())))]
		}
		switch r.IntN(20) {
		case 0:
			p.proto = 17
		case 1:
			p.proto, p.sport, p.dport = 1, 0, 0
		}
	case kindBackscatter:
		p.dst = dstAt(r.IntN(telescopeSize))
		p.sport = []uint16{80, 443}[r.IntN(2)]
		p.dport = uint16(1024 + r.IntN(64000))
		p.flags = []uint8{0x12, 0x04, 0x14}[r.IntN(3)]
		p.options = false
	}
	if p.proto != 6 {
		p.flags, p.options = 0, false
	}
	p.length = frameLen(p)
	if p.options {
		p.tsval = uint32(p.ts / 1e6)
	}
	s.step++
	s.left--
	if s.left > 0 {
		m.schedule(s, r)
	}
}

// frameLen is the Ethernet frame length of p, without FCS, padded to 60.
func frameLen(p *packet) int {
	n := 14 + 20
	switch p.proto {
	case 6:
		n += 20
		if p.options {
			n += 20
		}
	case 17:
		n += 8 + 32
	case 1:
		n += 8 + 32
	}
	return max(n, 60)
}

// next returns the next packet of the month in time order, or false.
func (m *month) next(p *packet) bool {
	for len(m.heap) > 0 {
		s := m.heap[0]
		m.emit(s, p)
		if s.left == 0 {
			heap.Pop(&m.heap)
		} else {
			heap.Fix(&m.heap, 0)
		}
		return true
	}
	return false
}

// senderHeap orders senders by the time of their next packet, then address.
type senderHeap []*sender

func (h senderHeap) Len() int { return len(h) }
func (h senderHeap) Less(i, j int) bool {
	return h[i].next < h[j].next || h[i].next == h[j].next && h[i].addr < h[j].addr
}
func (h senderHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *senderHeap) Push(x any)   { *h = append(*h, x.(*sender)) }
func (h *senderHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// write writes the month to out and returns the packets written.
func (m *month) write(out, format string, daily bool) (int64, error) {
	var (
		w    *output
		day  int64 = -1
		n    int64
		p    packet
		line []byte
		err  error
	)
	ext := ".csv.zst"
	if format == "pcap" {
		ext = ".pcap.zst"
	}
	for m.next(&p) {
		if d := p.ts / int64(24*time.Hour); daily && d != day {
			if w != nil {
				if err := w.close(); err != nil {
					return n, err
				}
			}
			day = d
			name := filepath.Join(out, "darknet_"+time.Unix(0, p.ts).UTC().Format("20060102")+ext)
			if w, err = create(name, format); err != nil {
				return n, err
			}
		} else if w == nil {
			if w, err = create(out, format); err != nil {
				return n, err
			}
		}
		if format == "pcap" {
			line = appendFrame(line[:0], &p)
		} else {
			line = appendCSV(line[:0], &p)
		}
		if _, err := w.buf.Write(line); err != nil {
			return n, err
		}
		n++
	}
	if w != nil {
		return n, w.close()
	}
	return n, nil
}

// output is a file being written, maybe compressed.
type output struct {
	buf    *bufio.Writer
	comp   io.WriteCloser
	file   *os.File
	format string
}

const csvHeader = ",ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n"

func create(name, format string) (*output, error) {
	o := &output{format: format, file: os.Stdout}
	if name != "-" {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		o.file = f
	}
	var w io.Writer = o.file
	switch {
	case strings.HasSuffix(name, ".gz"):
		z, _ := gzip.NewWriterLevel(o.file, gzip.BestSpeed)
		o.comp, w = z, z
	case strings.HasSuffix(name, ".zst"):
		z, err := zstd.NewWriter(o.file, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		o.comp, w = z, z
	}
	o.buf = bufio.NewWriterSize(w, 1<<20)
	if format == "pcap" {
		var h [24]byte
		binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d) // nanoseconds
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], 65535)
		binary.LittleEndian.PutUint32(h[20:], 1) // Ethernet
		o.buf.Write(h[:])
	} else {
		o.buf.WriteString(csvHeader)
	}
	return o, nil
}

func (o *output) close() error {
	err := o.buf.Flush()
	if o.comp != nil {
		err = errors.Join(err, o.comp.Close())
	}
	if o.file != os.Stdout {
		err = errors.Join(err, o.file.Close())
	}
	return err
}

// appendCSV appends p as a row of DarkVec's raw layout.
func appendCSV(b []byte, p *packet) []byte {
	t := time.Unix(0, p.ts).UTC()
	b = t.AppendFormat(b, "2006-01-02 15:04:05.000000000")
	b = append(b, ',')
	b = appendUint(b, uint64(p.ts/1e9))
	b = append(b, '.')
	frac := p.ts % 1e9
	for d := int64(1e8); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	b = append(b, ",2048,"...)
	b = appendIP(b, p.src)
	b = append(b, ',')
	b = appendPort(b, p.proto, p.sport)
	b = append(b, ',')
	b = appendIP(b, p.dst)
	b = append(b, ',')
	b = appendPort(b, p.proto, p.dport)
	b = append(b, ',')
	b = appendUint(b, uint64(p.proto))
	b = append(b, ',')
	b = appendUint(b, uint64(p.length))
	b = append(b, ',')
	if p.proto != 6 {
		b = append(b, "-,-,-,"...)
	} else {
		b = appendUint(b, uint64(p.flags))
		if p.mirai {
			b = append(b, ",1,"...)
		} else {
			b = append(b, ",0,"...)
		}
		b = appendUint(b, uint64(p.seq))
		b = append(b, ',')
	}
	b = appendUint(b, uint64(p.ttl))
	if p.options {
		b = append(b, ",1460,7,"...)
		b = appendUint(b, uint64(p.tsval))
		b = append(b, ",-,1\n"...)
	} else {
		b = append(b, ",-,-,-,-,-\n"...)
	}
	return b
}

// appendPort appends a port, or "-" for ICMP, which has none.
func appendPort(b []byte, proto uint8, port uint16) []byte {
	if proto == 1 {
		return append(b, '-')
	}
	return appendUint(b, uint64(port))
}

func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

func appendIP(b []byte, v uint32) []byte {
	b = appendUint(b, uint64(v>>24))
	b = append(b, '.')
	b = appendUint(b, uint64(v>>16&0xff))
	b = append(b, '.')
	b = appendUint(b, uint64(v>>8&0xff))
	b = append(b, '.')
	return appendUint(b, uint64(v&0xff))
}

// appendFrame appends p as a pcap record of an Ethernet frame.
func appendFrame(b []byte, p *packet) []byte {
	le, be := binary.LittleEndian, binary.BigEndian
	b = le.AppendUint32(b, uint32(p.ts/1e9))
	b = le.AppendUint32(b, uint32(p.ts%1e9))
	b = le.AppendUint32(b, uint32(p.length))
	b = le.AppendUint32(b, uint32(p.length))
	frame := len(b)
	b = append(b, 0, 0x1b, 0x21, 0, 0, 1, 0, 0x1b, 0x21, 0, 0, 2, 0x08, 0x00)
	ipStart := len(b)
	ipLen := 20
	switch p.proto {
	case 6:
		ipLen += 20
		if p.options {
			ipLen += 20
		}
	default:
		ipLen += 8 + 32
	}
	b = append(b, 0x45, 0)
	b = be.AppendUint16(b, uint16(ipLen))
	b = be.AppendUint16(b, uint16(p.seq))
	b = append(b, 0, 0, p.ttl, p.proto, 0, 0)
	b = be.AppendUint32(b, p.src)
	b = be.AppendUint32(b, p.dst)
	var sum uint32
	for i := ipStart; i < ipStart+20; i += 2 {
		sum += uint32(be.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	be.PutUint16(b[ipStart+10:], ^uint16(sum))
	switch p.proto {
	case 6:
		b = be.AppendUint16(b, p.sport)
		b = be.AppendUint16(b, p.dport)
		b = be.AppendUint32(b, p.seq)
		b = be.AppendUint32(b, 0)
		off := byte(5)
		if p.options {
			off = 10
		}
		b = append(b, off<<4, p.flags)
		b = be.AppendUint16(b, 1024)
		b = append(b, 0, 0, 0, 0)
		if p.options {
			b = append(b, 2, 4, 0x05, 0xb4, 4, 2, 8, 10)
			b = be.AppendUint32(b, p.tsval)
			b = append(b, 0, 0, 0, 0, 1, 3, 3, 7)
		}
	case 17:
		b = be.AppendUint16(b, p.sport)
		b = be.AppendUint16(b, p.dport)
		b = be.AppendUint16(b, 8+32)
		b = append(b, 0, 0)
		b = append(b, make([]byte, 32)...)
	default:
		b = append(b, 8, 0, 0, 0, 0, 0, 0, 0)
		b = append(b, make([]byte, 32)...)
	}
	for len(b)-frame < p.length {
		b = append(b, 0)
	}
	return b
}
