package catalog

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/services"
)

// scanPacket is one packet of the generated telescope.
type scanPacket struct {
	ts    time.Time
	src   netip.Addr
	port  uint16
	proto uint8
}

// scanClass is the behaviour of a class of generated senders: the
// port/proto pairs it hits, in the hours it is active.
type scanClass struct {
	name  string
	pairs [][2]uint16 // port, proto
}

var scanClasses = []scanClass{
	{"mirai", [][2]uint16{{23, 6}, {2323, 6}}},
	{"censys", [][2]uint16{{80, 6}, {443, 6}, {22, 6}}},
	{"shodan", [][2]uint16{{445, 6}, {3306, 6}}},
	{"stretchoid", [][2]uint16{{53, 17}, {123, 17}}},
	{"binaryedge", [][2]uint16{{25, 6}, {1080, 6}, {8080, 6}}},
	{"netscout", [][2]uint16{{5060, 17}, {0, 1}}}, // folded by default: unknown
}

// telescopeDays is the span of the generated telescope.
const telescopeDays = 2

// genTelescope generates two days of packets: each class's senders are
// active in the hours of the class's own schedule and then hit the
// class's pairs, the noise senders hit random pairs now and then. It
// returns the packets in time order and the class of each labelled sender.
func genTelescope(seed uint64) ([]scanPacket, map[string]string) {
	rng := rand.New(rand.NewPCG(seed, 11))
	start := time.Date(2021, 3, 30, 0, 0, 0, 0, time.UTC)
	const hours = 24 * telescopeDays
	var pkts []scanPacket
	classOf := map[string]string{}
	for ci, c := range scanClasses {
		active := make([]bool, hours)
		for h := range active {
			active[h] = rng.Float64() < 0.4
		}
		for s := 0; s < 15; s++ {
			src := netip.AddrFrom4([4]byte{10, byte(ci + 1), byte(s / 200), byte(1 + s%200)})
			classOf[src.String()] = c.name
			for h := 0; h < hours; h++ {
				if !active[h] || rng.Float64() < 0.2 {
					continue
				}
				for _, p := range c.pairs {
					for range 1 + rng.IntN(2) {
						at := start.Add(time.Duration(h)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour))))
						pkts = append(pkts, scanPacket{at, src, p[0], uint8(p[1])})
					}
				}
			}
		}
	}
	for s := 0; s < 40; s++ {
		src := netip.AddrFrom4([4]byte{172, 16, byte(s / 200), byte(1 + s%200)})
		n := 3 + rng.IntN(30) // some below the filter's 10
		for range n {
			at := start.Add(time.Duration(rng.Int64N(int64(hours * time.Hour))))
			pkts = append(pkts, scanPacket{at, src, uint16(1 + rng.IntN(65535)), 6})
		}
	}
	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].ts.Before(pkts[j].ts) })
	return pkts, classOf
}

// writeTelescope writes pkts as a pcap of Ethernet frames.
func writeTelescope(t testing.TB, path string, pkts []scanPacket) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	dst := []byte{198, 51, 100, 7}
	for _, p := range pkts {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: p.src.AsSlice(), DstIP: dst, Protocol: layers.IPProtocol(p.proto)}
		ls := []gopacket.SerializableLayer{
			&layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}, ip}
		switch p.proto {
		case 6:
			tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(p.port), SYN: true, Window: 1024}
			tcp.SetNetworkLayerForChecksum(ip)
			ls = append(ls, tcp)
		case 17:
			udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(p.port)}
			udp.SetNetworkLayerForChecksum(ip)
			ls = append(ls, udp, gopacket.Payload([]byte{0}))
		default:
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)})
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// telescopeEnv is the environment of the generated telescope with its
// class labels, made once per test binary.
var telescopeEnv = sync.OnceValues(func() (*analysis.Env, []scanPacket) {
	t := &onceT{}
	pkts, classOf := genTelescope(1)
	dir := t.TempDir()
	pcap := filepath.Join(dir, "telescope.pcap")
	writeTelescope(t, pcap, pkts)
	var b strings.Builder
	b.WriteString("ip,class\n")
	srcs := make([]string, 0, len(classOf))
	for s := range classOf {
		srcs = append(srcs, s)
	}
	slices.Sort(srcs)
	for _, s := range srcs {
		fmt.Fprintf(&b, "%s,%s\n", s, classOf[s])
	}
	gt := filepath.Join(dir, "gt.csv")
	if err := os.WriteFile(gt, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.OpenWrite(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ds, []string{pcap}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := labels.Load(ds, "test", labels.Class, []string{gt}, false); err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	atEnd(func() { eng.Close() })
	env, err := analysis.NewEnv(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	return env, pkts
})

// naiveCorpus is DarkVec's get_corpus written again over the packets:
// the senders of at least 10 packets, per hour and service a list of
// them in time order, sorted by hour then service, repeats in a row
// dropped. Sentences are lists of addresses.
func naiveCorpus(pkts []scanPacket) [][]string {
	count := map[netip.Addr]int{}
	for _, p := range pkts {
		count[p.src]++
	}
	type key struct {
		hour    int64
		service string
	}
	groups := map[key][]string{}
	for _, p := range pkts {
		if count[p.src] < 10 {
			continue
		}
		k := key{p.ts.Unix() / 3600, services.DarkVec(p.port, p.proto)}
		groups[k] = append(groups[k], p.src.String())
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].hour != keys[j].hour {
			return keys[i].hour < keys[j].hour
		}
		return keys[i].service < keys[j].service
	})
	var out [][]string
	for _, k := range keys {
		var s []string
		for i, w := range groups[k] {
			if i+1 < len(groups[k]) && groups[k][i+1] == w {
				continue
			}
			s = append(s, w)
		}
		out = append(out, s)
	}
	return out
}

func TestDarkVecCorpus(t *testing.T) {
	env, pkts := telescopeEnv()
	v, err := analysis.ParseValues(embeddings{}.Meta().Params, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := darknetRange(context.Background(), env, v)
	if err != nil {
		t.Fatal(err)
	}
	corpus, senders, err := darkvecCorpus(context.Background(), env, r, v)
	if err != nil {
		t.Fatal(err)
	}
	name := make([]string, len(senders))
	for s, id := range senders {
		name[id] = s
	}
	var got [][]string
	for i := range corpus.Ends {
		var s []string
		for _, id := range corpus.Sentence(i) {
			s = append(s, name[id])
		}
		got = append(got, s)
	}
	// Packets at the same nanosecond from different senders: netlens
	// orders them by sender, the generator by generation. There are none
	// in practice; check it so that the comparison is exact.
	for i := 1; i < len(pkts); i++ {
		if pkts[i].ts.Equal(pkts[i-1].ts) {
			t.Fatalf("generated packets %d and %d at the same time", i-1, i)
		}
	}
	want := naiveCorpus(pkts)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("corpus (-want +got):\n%s", diff)
	}
	if len(want) < 100 {
		t.Errorf("only %d sentences", len(want))
	}
}

func TestEmbeddings(t *testing.T) {
	env, pkts := telescopeEnv()
	set := map[string]string{"dim": "50", "epochs": "10"}
	res, err := analysis.Run(context.Background(), embeddings{}, env, set)
	if err != nil {
		t.Fatal(err)
	}
	_, classOf := genTelescope(1)
	// The senders of the last day that pass the filter, by count.
	count := map[string]int{}
	lastDay := map[string]bool{}
	last := pkts[len(pkts)-1].ts.Truncate(24 * time.Hour)
	for _, p := range pkts {
		count[p.src.String()]++
		if !p.ts.Before(last) {
			lastDay[p.src.String()] = true
		}
	}
	var wantSenders []string
	support := map[string]int{}
	for s := range lastDay {
		if count[s] >= 10 {
			wantSenders = append(wantSenders, s)
			if c := classOf[s]; c != "" && c != "netscout" {
				support[c]++
			}
		}
	}
	slices.Sort(wantSenders)
	var gotSenders []string
	for _, row := range tableOf(t, res, "embeddings").Rows {
		gotSenders = append(gotSenders, analysis.AsString(row[0]))
		if len(row) != 51 {
			t.Fatalf("row of %d columns, want 51", len(row))
		}
	}
	if diff := cmp.Diff(wantSenders, gotSenders); diff != "" {
		t.Errorf("senders (-want +got):\n%s", diff)
	}
	correct, total := 0, 0
	for _, row := range tableOf(t, res, "embeddings_knn").Rows {
		c := analysis.AsString(row[0])
		if got := int(analysis.AsInt(row[1])); got != support[c] {
			t.Errorf("%s: support %d, want %d", c, got, support[c])
		}
		delete(support, c)
		correct += int(analysis.AsInt(row[3]))
		total += int(analysis.AsInt(row[1]))
	}
	if len(support) > 0 {
		t.Errorf("classes missing from the report: %v", support)
	}
	if acc := float64(correct) / float64(total); acc < 0.9 {
		t.Errorf("7-NN accuracy %.3f, want >= 0.9 (%v)", acc, res.Notes)
	}
	// The netscout senders are unknown: the vote proposes a class for
	// them only when their neighbours are of one; the noise senders that
	// pass the filter are unknown too.
	for _, row := range tableOf(t, res, "embeddings_proposals").Rows {
		if classOf[analysis.AsString(row[0])] != "" && classOf[analysis.AsString(row[0])] != "netscout" {
			t.Errorf("proposal for a labelled sender: %v", row)
		}
	}
	clusters := tableOf(t, res, "embeddings_clusters").Rows
	size := 0
	for _, row := range clusters {
		size += int(analysis.AsInt(row[1]))
		if s := analysis.AsFloat(row[2]); s < -1 || s > 1 {
			t.Errorf("silhouette %v out of [-1, 1]", s)
		}
	}
	if size != len(wantSenders) {
		t.Errorf("clusters hold %d senders, want %d", size, len(wantSenders))
	}
	// Same seed, same threads: the same vectors; more threads: others.
	again, err := analysis.Run(context.Background(), embeddings{}, env, set)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(render(res), render(again)); diff != "" {
		t.Errorf("second run differs:\n%s", diff)
	}
	t.Logf("%v", res.Notes)
}

func tableOf(t *testing.T, res *analysis.Result, name string) analysis.Table {
	t.Helper()
	for _, tab := range res.Tables {
		if tab.Name == name {
			return tab
		}
	}
	t.Fatalf("no table %s", name)
	return analysis.Table{}
}
