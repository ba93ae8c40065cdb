// Command w2v measures netlens' word2vec (package embed) against gensim on
// the same DarkVec corpus: it generates a telescope month whose senders
// behave by class (the addresses and classes of DarkVec's big_gt.csv),
// writes DarkVec's corpus of it as text, and trains on it.
//
//	go run ./bench/w2v gen -gt big_gt.csv -packets 15000000 -o DIR [-pcap month.pcap]
//	go run ./bench/w2v train -dir DIR [-threads 2] [-epochs 1]
//
// gen writes DIR/corpus.txt (one sentence a line, addresses separated by
// spaces: per hour and DarkVec service the senders that passed the filter
// of 10 packets in the month, in time order, repeats in a row dropped,
// sentences by hour then service), DIR/eval.csv (the senders of the last
// day and their class, "unknown" for none or a folded one) and DIR/gt.csv
// (ip,class of every labelled sender, for netlens label); with -pcap, the
// packets too, as TCP SYNs, UDP datagrams and ICMP echo requests. train
// trains embed with DarkVec's hyper-parameters on corpus.txt and prints,
// as JSON, the training time and the leave-one-out 7-NN accuracy over the
// labelled senders of eval.csv. The same seed gives the same files.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/embed"
	"github.com/netlens/netlens/services"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: w2v gen|train [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "train":
		err = train(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "w2v:", err)
		os.Exit(1)
	}
}

// fold are the classes DarkVec's notebooks read as unknown.
var fold = map[string]bool{"criminalip": true, "adscore": true, "quadmetrics": true, "esrg_stanford": true, "netscout": true}

// sender is one generated sender.
type sender struct {
	addr  netip.Addr
	class string // "" for none
	group int    // behaviour: a class index, or -1 for noise
	rate  float64
}

// behaviour is how the senders of a class act: the port/proto pairs they
// hit, in the hours h with h % period == phase, each sender active then
// with probability active.
type behaviour struct {
	pairs         [][2]uint16
	period, phase int
	active        float64
	packets       int // per pair and active hour, at most
}

const (
	days  = 30
	hours = days * 24
)

var start = time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	gtPath := fs.String("gt", "../shared/corpus/darknet/big_gt.csv", "DarkVec's ground truth (ip,class)")
	target := fs.Int("packets", 15_000_000, "packets of the month, about")
	noise := fs.Int("noise", 150_000, "senders without class")
	mirai := fs.Int("mirai", 10_000, "Mirai-like senders (class mirai)")
	seed := fs.Uint64("seed", 1, "seed")
	dir := fs.String("o", "bench/out/w2v", "output directory")
	pcapPath := fs.String("pcap", "", "also write the packets to this pcap")
	fs.Parse(args)
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	gt, err := readGT(*gtPath)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 1))
	// Behaviours: one per class of the ground truth, and Mirai's.
	classes := map[string]int{}
	var names []string
	for _, g := range gt {
		if _, ok := classes[g[1]]; !ok {
			classes[g[1]] = len(names)
			names = append(names, g[1])
		}
	}
	popular := [][2]uint16{{23, 6}, {2323, 6}, {22, 6}, {80, 6}, {443, 6}, {445, 6}, {3389, 6}, {8080, 6},
		{5555, 6}, {1433, 6}, {3306, 6}, {25, 6}, {21, 6}, {53, 17}, {123, 17}, {161, 17}, {1900, 17},
		{5060, 17}, {11211, 17}, {6379, 6}, {9200, 6}, {1080, 6}, {6881, 17}, {0, 1}, {137, 17}, {8443, 6}}
	periods := []int{1, 2, 3, 4, 6, 8, 12, 24}
	bs := make([]behaviour, len(names)+1)
	for i := range bs {
		b := &bs[i]
		for _, p := range rng.Perm(len(popular))[:1+rng.IntN(4)] {
			b.pairs = append(b.pairs, popular[p])
		}
		if rng.Float64() < 0.3 { // a sweep of random ports too
			for range 3 + rng.IntN(10) {
				b.pairs = append(b.pairs, [2]uint16{uint16(1 + rng.IntN(65535)), 6})
			}
		}
		b.period = periods[rng.IntN(len(periods))]
		b.phase = rng.IntN(b.period)
		b.active = 0.3 + 0.6*rng.Float64()
		b.packets = 1 + rng.IntN(3)
	}
	miraiB := len(names)
	bs[miraiB] = behaviour{pairs: [][2]uint16{{23, 6}, {2323, 6}, {23, 6}}, period: 1, active: 0.05, packets: 2}
	var senders []sender
	seen := map[netip.Addr]bool{}
	for _, g := range gt {
		a, err := netip.ParseAddr(g[0])
		if err != nil || !a.Is4() || seen[a] {
			continue
		}
		seen[a] = true
		senders = append(senders, sender{addr: a, class: g[1], group: classes[g[1]]})
	}
	randomAddr := func() netip.Addr {
		for {
			a := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(222)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
			if !seen[a] && !a.IsPrivate() && !a.IsLoopback() {
				seen[a] = true
				return a
			}
		}
	}
	for range *mirai {
		senders = append(senders, sender{addr: randomAddr(), class: "mirai", group: miraiB})
	}
	for range *noise {
		// Heavy-tailed packets per hour: most send a few in the month.
		senders = append(senders, sender{addr: randomAddr(), group: -1, rate: math.Min(50, 0.002/math.Pow(rng.Float64()+1e-9, 0.9))})
	}
	// Scale the classes' packets to the target.
	expected := 0.0
	for _, s := range senders {
		if s.group < 0 {
			expected += s.rate * hours
			continue
		}
		b := bs[s.group]
		expected += float64(hours/b.period) * b.active * float64(len(b.pairs)) * (float64(b.packets) + 1) / 2
	}
	scale := float64(*target) / expected
	// Packets hour by hour, each from a generator of its own hour, twice:
	// first to count each sender's packets (the filter), then to write.
	type pkt struct {
		ts    int64
		src   int32
		port  uint16
		proto uint8
	}
	hour := func(h int, out []pkt) []pkt {
		r := rand.New(rand.NewPCG(*seed, uint64(h)+2))
		t0 := start.Add(time.Duration(h) * time.Hour).UnixNano()
		emit := func(i int, p [2]uint16) {
			out = append(out, pkt{t0 + r.Int64N(int64(time.Hour)), int32(i), p[0], uint8(p[1])})
		}
		for i, s := range senders {
			if s.group < 0 {
				for n := poisson(r, s.rate*scale); n > 0; n-- {
					emit(i, popular[r.IntN(len(popular))])
				}
				continue
			}
			b := bs[s.group]
			if h%b.period != b.phase || r.Float64() >= math.Min(1, b.active) {
				continue
			}
			for _, p := range b.pairs {
				for n := poisson(r, scale*(float64(b.packets)+1)/2); n > 0; n-- {
					emit(i, p)
				}
			}
		}
		slices.SortFunc(out, func(a, b pkt) int {
			if a.ts != b.ts {
				return int(a.ts - b.ts)
			}
			return int(a.src - b.src)
		})
		return out
	}
	count := make([]int, len(senders))
	var buf []pkt
	total := 0
	for h := range hours {
		buf = hour(h, buf[:0])
		for _, p := range buf {
			count[p.src]++
		}
		total += len(buf)
	}
	fmt.Fprintf(os.Stderr, "w2v: %d packets from %d senders\n", total, len(senders))

	cf, err := os.Create(filepath.Join(*dir, "corpus.txt"))
	if err != nil {
		return err
	}
	cw := bufio.NewWriterSize(cf, 1<<20)
	var pw *pcapgo.Writer
	var pbw *bufio.Writer
	var pf *os.File
	if *pcapPath != "" {
		if pf, err = os.Create(*pcapPath); err != nil {
			return err
		}
		pbw = bufio.NewWriterSize(pf, 1<<20)
		pw = pcapgo.NewWriterNanos(pbw)
		if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			return err
		}
	}
	lastDay := make([]bool, len(senders))
	sentences, words := 0, 0
	frame := gopacket.NewSerializeBuffer()
	for h := range hours {
		buf = hour(h, buf[:0])
		bySvc := map[string][]int32{}
		for _, p := range buf {
			if pw != nil {
				if err := writePacket(pw, frame, senders[p.src].addr, p.ts, p.port, p.proto); err != nil {
					return err
				}
			}
			if count[p.src] < 10 {
				continue
			}
			if h >= hours-24 {
				lastDay[p.src] = true
			}
			svc := services.DarkVec(p.port, p.proto)
			s := bySvc[svc]
			if len(s) > 0 && s[len(s)-1] == p.src {
				continue
			}
			bySvc[svc] = append(s, p.src)
		}
		svcs := make([]string, 0, len(bySvc))
		for s := range bySvc {
			svcs = append(svcs, s)
		}
		sort.Strings(svcs)
		for _, s := range svcs {
			for i, id := range bySvc[s] {
				if i > 0 {
					cw.WriteByte(' ')
				}
				cw.WriteString(senders[id].addr.String())
			}
			cw.WriteByte('\n')
			sentences++
			words += len(bySvc[s])
		}
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := cf.Close(); err != nil {
		return err
	}
	if pw != nil {
		if err := pbw.Flush(); err != nil {
			return err
		}
		if err := pf.Close(); err != nil {
			return err
		}
	}
	// The senders of the last day, by address, and the ground truth.
	var eval, truth []string
	for i, s := range senders {
		if s.class != "" {
			truth = append(truth, s.addr.String()+","+s.class)
		}
		if lastDay[i] {
			c := s.class
			if c == "" || fold[c] {
				c = "unknown"
			}
			eval = append(eval, s.addr.String()+","+c)
		}
	}
	sort.Strings(eval)
	if err := os.WriteFile(filepath.Join(*dir, "eval.csv"), []byte("ip,class\n"+strings.Join(eval, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "gt.csv"), []byte("ip,class\n"+strings.Join(truth, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "w2v: corpus of %d sentences, %d words; %d senders on the last day\n", sentences, words, len(eval))
	return nil
}

// poisson draws from a Poisson distribution of mean m (Knuth's method for
// small means, a rounded normal beyond 30).
func poisson(r *rand.Rand, m float64) int {
	if m > 30 {
		return max(0, int(math.Round(m+math.Sqrt(m)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func writePacket(w *pcapgo.Writer, buf gopacket.SerializeBuffer, src netip.Addr, ts int64, port uint16, proto uint8) error {
	ip := &layers.IPv4{Version: 4, TTL: 240, SrcIP: src.AsSlice(), DstIP: []byte{198, 51, byte(port >> 8), byte(port)}, Protocol: layers.IPProtocol(proto)}
	ls := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: []byte{0, 0x1b, 0x21, 0x3a, 0x4f, 1}, DstMAC: []byte{0, 0x0c, 0x29, 0x5e, 0x7a, 2}, EthernetType: layers.EthernetTypeIPv4}, ip}
	var seq [4]byte
	binary.BigEndian.PutUint32(seq[:], uint32(ts))
	switch proto {
	case 6:
		tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(port), SYN: true, Window: 1024, Seq: binary.BigEndian.Uint32(seq[:])}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, tcp)
	case 17:
		udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(port)}
		udp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, udp)
	default:
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)})
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return err
	}
	b := buf.Bytes()
	return w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, ts).UTC(), CaptureLength: len(b), Length: len(b)}, b)
}

func readGT(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out [][2]string
	for _, r := range recs[1:] {
		if len(r) >= 2 {
			out = append(out, [2]string{r[0], r[1]})
		}
	}
	return out, nil
}

func train(args []string) error {
	fs := flag.NewFlagSet("train", flag.ExitOnError)
	dir := fs.String("dir", "bench/out/w2v", "directory of gen's files")
	threads := fs.Int("threads", 2, "training threads")
	epochs := fs.Int("epochs", 1, "epochs")
	k := fs.Int("k", 7, "neighbours")
	batch := fs.Int("batch", 10000, "words of a job")
	fs.Parse(args)
	data, err := os.ReadFile(filepath.Join(*dir, "corpus.txt"))
	if err != nil {
		return err
	}
	ids := map[string]int32{}
	corpus := &embed.Corpus{}
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		for _, w := range strings.Fields(line) {
			id, ok := ids[w]
			if !ok {
				id = int32(len(ids))
				ids[w] = id
			}
			corpus.Tokens = append(corpus.Tokens, id)
		}
		corpus.Ends = append(corpus.Ends, len(corpus.Tokens))
	}
	data = nil
	cfg := embed.DarkVec()
	cfg.Threads, cfg.Epochs, cfg.BatchWords = *threads, *epochs, *batch
	t0, c0 := time.Now(), cpuSeconds()
	vec, err := embed.Train(corpus, len(ids), cfg)
	if err != nil {
		return err
	}
	trainS, trainCPU := time.Since(t0).Seconds(), cpuSeconds()-c0
	acc, n, err := evaluate(filepath.Join(*dir, "eval.csv"), ids, vec, *k, *threads)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"trainer": "netlens", "threads": *threads, "words": len(corpus.Tokens), "vocab": len(ids),
		"train_s": math.Round(trainS*100) / 100, "train_cpu_s": math.Round(trainCPU*100) / 100,
		"knn_accuracy": acc, "labelled": n})
}

// cpuSeconds is the CPU time the process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// evaluate is DarkVec's leave-one-out k-NN over the senders of eval.csv.
func evaluate(path string, ids map[string]int32, vec *embed.Matrix, k, threads int) (float64, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, 0, err
	}
	recs = recs[1:]
	m := embed.NewMatrix(len(recs), vec.Cols)
	classID := map[string]int32{}
	labels := make([]int32, len(recs))
	var queries []int
	var truth []int32
	for i, r := range recs {
		copy(m.Row(i), vec.Row(int(ids[r[0]])))
		c, ok := classID[r[1]]
		if !ok {
			c = int32(len(classID))
			classID[r[1]] = c
		}
		labels[i] = c
		if r[1] != "unknown" {
			queries = append(queries, i)
			truth = append(truth, c)
		}
	}
	pred, _ := embed.Classify(m, labels, len(classID), queries, k, threads)
	_, acc := embed.Evaluate(truth, pred, nil)
	return acc, len(queries), nil
}
