package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// Captures whose conversations tshark counts differently, and why. They are
// still checked against capinfos.
var convExceptions = map[string]string{
	"derived/http_get_incl_gt_orig.pcap":                      "a record claims fewer bytes on the wire than it holds: tshark counts the claim (600 bytes), netlens the larger captured length (610)",
	"gopacket/pcapng-be/test901.pcapng":                       "a second section of pcapng version 2.0: tshark stops without printing statistics",
	"gopacket/pcapng-le/test901.pcapng":                       "a second section of pcapng version 2.0: tshark stops without printing statistics",
	"tcpdump/dsa.pcap":                                        "tshark refuses link type 284 (DSA tags)",
	"tcpdump/bigtcp-ipv4-vxlan-ipv6.pcap":                     "tunnel (VXLAN): tshark lists the inner conversations, netlens the outer ones",
	"tcpdump/of13_ericsson.pcapng":                            "tunnel (OpenFlow packet-in): tshark lists the packets carried inside OpenFlow messages",
	"tcpdump/pptp.pcap":                                       "tunnel (PPTP/GRE): tshark lists the inner conversations, netlens the outer ones",
	"zeek/erspan.pcap":                                        "tunnel (ERSPAN/GRE): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_4in6.pcap":                                  "tunnel (IPv4 in IPv6): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_6in4.pcap":                                  "tunnel (IPv6 in IPv4): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_Teredo.pcap":                                "tunnel (Teredo): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_geneve.pcap":                                "tunnel (Geneve): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_gre-sample.pcap":                            "tunnel (GRE): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap": "tunnel (GTP): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_gtp_pdp_ctx_messages.pcapng":                "tunnel (GTP): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_vxlan.pcap":                                 "tunnel (VXLAN): tshark lists the inner conversations, netlens the outer ones",
	"zeek/tunnels_socks.pcap":                                 "tunnel (SOCKS): tshark lists the inner conversations, netlens the outer ones",
	"zeek/ipv4_fragmented-1.pcap":                             "IP fragments: tshark counts a reassembled datagram once, in the frame of its last fragment; netlens counts every fragment in its datagram's flow",
	"zeek/ipv4_fragmented-3.pcap":                             "IP fragments: tshark counts a reassembled datagram once, in the frame of its last fragment; netlens counts every fragment in its datagram's flow",
	"zeek/ipv4_fragmented-4.pcap":                             "IP fragments: tshark counts a reassembled datagram once, in the frame of its last fragment; netlens counts every fragment in its datagram's flow",
	"zeek/ipv6-fragmented-dns.pcap":                           "IP fragments: tshark counts a reassembled datagram once, in the frame of its last fragment; netlens counts every fragment in its datagram's flow",
	"zeek/tcp_truncated-header.pcap":                          "frame 1's TCP header is cut by the snap length: tshark leaves it out of the conversation (so its A is the server), netlens keeps it (its ports were captured)",
}

// Captures capinfos cannot give a count for, the packets netlens reads, and why.
var capinfosExceptions = map[string]struct {
	packets int64
	why     string
}{
	"derived/bad_magic.pcap":            {0, "not a capture: netlens names the first bytes and the formats it knows"},
	"tcpdump/dsa.pcap":                  {8, "capinfos refuses link type 284 (DSA tags); netlens reads the frames and counts an unknown link type"},
	"gopacket/pcapng-be/test901.pcapng": {1, "a second section of pcapng version 2.0: both stop there after 1 packet, capinfos without printing its count"},
	"gopacket/pcapng-le/test901.pcapng": {1, "a second section of pcapng version 2.0: both stop there after 1 packet, capinfos without printing its count"},
}

// Captures whose timestamps capinfos prints differently, and why.
var timeExceptions = map[string]string{
	"tcpdump/timestamp_invalid_nano.pcap": "a nanosecond field >= 1e9: capinfos prints a negative fraction, netlens carries it into the seconds",
}

// corpusCaptures lists every capture file below the corpus' pcaps directory.
func corpusCaptures(t *testing.T) (root string, rel []string) {
	root = filepath.Join(testenv.Corpus(t), "pcaps")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".txt") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			return nil
		}
		r, _ := filepath.Rel(root, p)
		rel = append(rel, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(rel)
	return root, rel
}

// ingested is one capture ingested alone into its own dataset.
type ingested struct {
	stats *ingest.Stats
	eng   engine.Engine
}

// ingestAlone ingests path into a fresh dataset without timeouts, so flows
// are whole conversations as tshark counts them: a flow ends only when a new
// SYN reuses its ports after it closed, as a new tcp.stream starts in tshark.
func ingestAlone(t *testing.T, path string) ingested {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := ingest.DefaultConfig()
	cfg.Flow.IdleTCP, cfg.Flow.IdleUDP, cfg.Flow.IdleOther, cfg.Flow.Active, cfg.Flow.CloseDelay = 0, 0, 0, 0, 0
	st, err := ingest.Run(context.Background(), ds, []string{path}, cfg)
	if err != nil {
		t.Fatalf("ingest %s: %v", path, err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return ingested{st, eng}
}

func query(t *testing.T, eng engine.Engine, q string) [][]any {
	t.Helper()
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	tab, err := engine.Collect(rows, -1)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return tab.Rows
}

func toInt(v any) int64 { return analysis.AsInt(v) }

// parseEpoch turns capinfos' "1362692526.869344" into nanoseconds and the
// unit of its last digit (1000 here): capinfos prints times at the
// resolution of the capture.
func parseEpoch(s string) (ns, unit int64, err error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 {
		return 0, 0, fmt.Errorf("bad time %q", s)
	}
	unit = 1
	for range 9 - len(frac) {
		unit *= 10
	}
	f, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	return n*1e9 + f, unit, err
}

// floorTo rounds ns down to a multiple of unit.
func floorTo(ns, unit int64) int64 {
	r := ns % unit
	if r < 0 {
		r += unit
	}
	return ns - r
}

// TestCorpus ingests every corpus capture alone and checks it against
// Wireshark's tools: packet count and first/last packet time equal
// capinfos'; per IP pair and direction, frames and bytes from packets equal
// tshark's conv,ip / conv,ipv6; per TCP and UDP conversation, frames and
// bytes each way, start and duration from flows equal tshark's conv,tcp /
// conv,udp. Where the tools define a thing differently, the case is listed
// above with the reason.
func TestCorpus(t *testing.T) {
	capinfos := testenv.Tool(t, "capinfos")
	tshark := testenv.Tool(t, "tshark")
	root, files := corpusCaptures(t)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(root, rel)
			in := ingestAlone(t, path)
			timed := true
			t.Run("capinfos", func(t *testing.T) { timed = checkCapinfos(t, capinfos, rel, path, in) })
			t.Run("tshark", func(t *testing.T) { checkConversations(t, tshark, rel, path, in, timed) })
		})
	}
}

// checkCapinfos compares count and time span with capinfos. It reports
// whether every packet has a time.
func checkCapinfos(t *testing.T, capinfos, rel, path string, in ingested) (timed bool) {
	// capinfos prints its line also for a cut capture, after an error.
	cmd := exec.Command(capinfos, "-T", "-r", "-c", "-a", "-e", "-S", "-M", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, capErr := cmd.Output()
	got := query(t, in.eng, "SELECT count(*), min(epoch_ns(ts)), max(epoch_ns(ts)) FROM packets")[0]
	readErr := in.stats.Files[0].Err
	f := strings.Split(strings.TrimSpace(string(out)), "\t")
	if len(f) != 4 {
		ex, ok := capinfosExceptions[rel]
		if !ok {
			t.Fatalf("capinfos cannot read %s (%s); netlens read %d packets, error %v: list the case in capinfosExceptions",
				rel, strings.TrimSpace(stderr.String()), toInt(got[0]), readErr)
		}
		if n := toInt(got[0]); n != ex.packets {
			t.Fatalf("netlens read %d packets, want %d (%s)", n, ex.packets, ex.why)
		}
		t.Logf("capinfos: %s; netlens: %d packets, %v (%s)", strings.TrimSpace(stderr.String()), toInt(got[0]), readErr, ex.why)
		return true
	}
	if (capErr != nil) != (readErr != nil) {
		t.Errorf("capinfos error %v (%s), netlens error %v: both or neither should find a fault", capErr, strings.TrimSpace(stderr.String()), readErr)
	}
	want, _ := strconv.ParseInt(f[1], 10, 64)
	if n := toInt(got[0]); n != want {
		t.Fatalf("packets: netlens %d, capinfos %d (reader error: %v)", n, want, readErr)
	}
	if f[2] == "n/a" {
		return false // some packets without a time (pcapng simple packet blocks)
	}
	if want == 0 {
		return true
	}
	if why, ok := timeExceptions[rel]; ok {
		t.Logf("times not compared: %s", why)
		return true
	}
	first, unit, err1 := parseEpoch(f[2])
	last, _, err2 := parseEpoch(f[3])
	if err1 != nil || err2 != nil {
		t.Fatalf("capinfos times %q %q", f[2], f[3])
	}
	if a, b := floorTo(toInt(got[1]), unit), floorTo(toInt(got[2]), unit); a != first || b != last {
		t.Errorf("time span: netlens %d..%d, capinfos %d..%d", a, b, first, last)
	}
	return true
}

// conv is one line of tshark's -z conv output.
type conv struct {
	a, b               string // endpoints as printed: address, or address:port
	framesBA, framesAB int64
	bytesBA, bytesAB   string
	start, duration    float64
}

var convLine = regexp.MustCompile(`^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ (?:bytes|kB|MB|GB))\s+(\d+)\s+(\d+ (?:bytes|kB|MB|GB))\s+\d+\s+\d+ (?:bytes|kB|MB|GB)\s+(-?[\d.]+)\s+([\d.]+)\s*$`)

// tsharkConvs runs tshark once and returns its conversations by table
// ("IPv4", "IPv6", "TCP", "UDP").
func tsharkConvs(t *testing.T, tshark, path string) map[string][]conv {
	cmd := exec.Command(tshark, "-n", "-r", path, "-q", "-z", "conv,ip", "-z", "conv,ipv6", "-z", "conv,tcp", "-z", "conv,udp")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && !bytes.Contains(stderr.Bytes(), []byte("cut short")) {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.String())
	}
	res := map[string][]conv{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, " Conversations") {
			table = strings.TrimSuffix(line, " Conversations")
			continue
		}
		m := convLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := conv{a: m[1], b: m[2], bytesBA: m[4], bytesAB: m[6]}
		c.framesBA, _ = strconv.ParseInt(m[3], 10, 64)
		c.framesAB, _ = strconv.ParseInt(m[5], 10, 64)
		c.start, _ = strconv.ParseFloat(m[7], 64)
		c.duration, _ = strconv.ParseFloat(m[8], 64)
		res[table] = append(res[table], c)
	}
	return res
}

// bytesMatch reports whether n bytes is what tshark prints as s ("5477 bytes", "12 kB").
func bytesMatch(n int64, s string) bool {
	num, unit, _ := strings.Cut(s, " ")
	v, _ := strconv.ParseInt(num, 10, 64)
	scale := map[string]int64{"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
	if scale == 1 {
		return n == v
	}
	return math.Abs(float64(n)-float64(v*scale)) < float64(scale)
}

type dir struct{ frames, bytes int64 }

// checkConversations compares IP pairs and TCP/UDP conversations with tshark.
// Without timed, starts and durations are not compared.
func checkConversations(t *testing.T, tshark, rel, path string, in ingested, timed bool) {
	if why, ok := convExceptions[rel]; ok {
		t.Skip(why)
	}
	if in.stats.Files[0].Err != nil && in.stats.Files[0].Frames == 0 {
		t.Skipf("netlens reads no packets: %v", in.stats.Files[0].Err)
	}
	want := tsharkConvs(t, tshark, path)
	if in.stats.Packets == 0 {
		if len(want) > 0 {
			t.Fatalf("netlens read no packets, tshark lists conversations: %v", want)
		}
		return
	}

	// IP pairs from packets.
	pairs := map[[2]string]dir{}
	for _, r := range query(t, in.eng, "SELECT src, dst, count(*), sum(wire_len) FROM packets WHERE ip_version IN (4, 6) GROUP BY ALL") {
		pairs[[2]string{r[0].(string), r[1].(string)}] = dir{toInt(r[2]), toInt(r[3])}
	}
	seen := map[[2]string]bool{}
	for _, c := range append(want["IPv4"], want["IPv6"]...) {
		ab, ba := pairs[[2]string{c.a, c.b}], pairs[[2]string{c.b, c.a}]
		if c.a == c.b { // a host talking to itself: tshark puts it all in one direction
			ba = dir{}
		}
		seen[[2]string{c.a, c.b}], seen[[2]string{c.b, c.a}] = true, true
		if ab.frames != c.framesAB || ba.frames != c.framesBA || !bytesMatch(ab.bytes, c.bytesAB) || !bytesMatch(ba.bytes, c.bytesBA) {
			t.Errorf("ip %s <-> %s: netlens %d frames %d bytes / %d frames %d bytes; tshark %d %s / %d %s",
				c.a, c.b, ab.frames, ab.bytes, ba.frames, ba.bytes, c.framesAB, c.bytesAB, c.framesBA, c.bytesBA)
		}
	}
	for k, v := range pairs {
		if !seen[k] {
			t.Errorf("ip %s -> %s: netlens has %d frames, tshark none", k[0], k[1], v.frames)
		}
	}

	// TCP and UDP conversations from flows.
	firstTs := toInt(query(t, in.eng, "SELECT epoch_ns(ts) FROM packets WHERE frame = 1")[0][0])
	type flowRow struct {
		a, b      string
		ab, ba    dir
		start     float64
		duration  float64
		matchedTo int
	}
	for proto, table := range map[int]string{6: "TCP", 17: "UDP"} {
		flows := map[string][]*flowRow{} // by unordered endpoints
		rows := query(t, in.eng, fmt.Sprintf(`
			SELECT f.a || ':' || f.a_port, f.b || ':' || f.b_port, f.pkts_a_to_b, f.pkts_b_to_a,
			       coalesce(sum(p.wire_len) FILTER (WHERE p.src = f.a AND p.sport = f.a_port), 0),
			       coalesce(sum(p.wire_len) FILTER (WHERE NOT (p.src = f.a AND p.sport = f.a_port)), 0),
			       epoch_ns(f.start), f.duration
			FROM flows f JOIN packets p USING (flow_id)
			WHERE f.proto = %d
			GROUP BY ALL ORDER BY 7`, proto))
		for _, r := range rows {
			fr := &flowRow{a: r[0].(string), b: r[1].(string),
				ab: dir{toInt(r[2]), toInt(r[4])}, ba: dir{toInt(r[3]), toInt(r[5])},
				start: float64(toInt(r[6])-firstTs) / 1e9, duration: r[7].(float64)}
			k := unordered(fr.a, fr.b)
			flows[k] = append(flows[k], fr)
		}
		for _, c := range want[table] {
			k := unordered(c.a, c.b)
			var f *flowRow
			for _, cand := range flows[k] {
				if cand.matchedTo == 0 && (!timed || math.Abs(cand.start-c.start) < 2e-6) {
					f = cand
					break
				}
			}
			if f == nil {
				t.Errorf("%s %s <-> %s at %.6f: no netlens flow", table, c.a, c.b, c.start)
				continue
			}
			f.matchedTo = 1
			ab, ba := f.ab, f.ba
			if f.a != c.a { // tshark's A is netlens' b
				ab, ba = ba, ab
			}
			if ab.frames != c.framesAB || ba.frames != c.framesBA || !bytesMatch(ab.bytes, c.bytesAB) || !bytesMatch(ba.bytes, c.bytesBA) {
				t.Errorf("%s %s <-> %s: netlens %d frames %d bytes / %d frames %d bytes; tshark %d %s / %d %s",
					table, c.a, c.b, ab.frames, ab.bytes, ba.frames, ba.bytes, c.framesAB, c.bytesAB, c.framesBA, c.bytesBA)
			}
			if timed && math.Abs(f.duration-c.duration) > 0.00005+1e-9 {
				t.Errorf("%s %s <-> %s: duration netlens %.6f, tshark %.4f", table, c.a, c.b, f.duration, c.duration)
			}
		}
		for _, fs := range flows {
			for _, f := range fs {
				if f.matchedTo == 0 {
					t.Errorf("%s %s <-> %s at %.6f: netlens flow (%d+%d frames) that tshark does not list", table, f.a, f.b, f.start, f.ab.frames, f.ba.frames)
				}
			}
		}
	}
}

func unordered(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + " " + b
}
