package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/internal/testenv"
)

var notebookAll = flag.Bool("notebook.all", false, "cross-check the notebooks on every IoT capture of the corpus, not only notebookCaptures")

// notebookCaptures are the corpus captures (under pcaps/) that
// TestNotebooks runs the notebooks' code on: one setup of each camera, with
// mDNS, SSDP, DNS, DHCP, NTP, TFTP, ICMP and IGMP among them, bursts and
// none, and a top stream whose destination is tied with another.
var notebookCaptures = []string{
	"iot-sentinel/D-LinkCam/Setup-A-1-STA.pcap",
	"iot-sentinel/D-LinkDayCam/Setup-A-1-STA.pcap",
	"iot-sentinel/D-LinkDayCam/Setup-C-11-STA.pcap",
	"iot-sentinel/EdimaxCam1/Setup-A-1-STA.pcap",
	"iot-sentinel/EdimaxCam2/Setup-A-3-STA.pcap",
	"iot-sentinel/EdnetCam1/Setup-A-1-STA.pcap",
	"iot-sentinel/EdnetCam2/Setup-C-6-STA.pcap",
}

// What testdata/notebook.py prints for a capture: every number of the
// notebooks.
type (
	notebook struct {
		Scapy, Pandas string
		Bindings      map[string][]struct {
			Fields map[string]int
			Layer  string
		}
		Overview    map[string]int64
		Talkers     struct{ Sent, Received nbSums }
		Ports       map[string]struct{ Source, Destination nbSums }
		TimelineSrc nbSeries  `json:"timeline_src"`
		TimelineTCP *nbSeries `json:"timeline_tcp_port"`
		TimelineUDP *nbSeries `json:"timeline_udp_port"`
		IAT         map[string]map[string]map[string]float64
		Stream      struct {
			Src, Dst string
			Tied     bool
			Time     []int64
			Gap      []*float64
			Load     []int64
		}
		Bursts map[string]nbBursts
	}
	// nbSums are payload sums in the notebooks' unit (MiB or KiB), by
	// address or port.
	nbSums struct {
		Address []string
		Port    []int64
		Size    []float64
	}
	// nbSeries are the packets from the top source address or port.
	nbSeries struct {
		Src   string
		Port  int64
		Tied  bool // with another for the top
		Time  []int64
		Dst   []string
		Dport []int64
		Load  []int64
	}
	nbBursts struct {
		Threshold int64
		Time      []int64
		Load      []int64
		Burst     []int64
		Length    []int64
		MeanSize  []float64 `json:"mean_size"`
	}
)

// timeTolerance is how far a time of the notebooks may be from netlens':
// they hold times as float64 seconds since the epoch (pkt.time, then
// pd.to_datetime), which resolve about 0.24 µs in 2016.
const timeTolerance = 500 * time.Nanosecond

// TestNotebooks runs the SHD-Identification notebooks' own code (seeds 002
// and 003, scapy and pandas: testdata/notebook.py) on IoT captures of the
// corpus, and compares every number it computes with netlens' analyses run
// with payload=scapy and ip_version=4: the overview, the talkers, the
// ports, the payload over time from the top source and ports, the
// inter-arrival and inter-departure statistics, the top stream and its
// bursts with both notebooks' thresholds. Times may differ by
// timeTolerance, nothing else. It also checks that the bindings of scapy
// that decide what counts 1 are netlens' (scapyBindings).
func TestNotebooks(t *testing.T) {
	python := testenv.Python(t, "scapy.all", "pandas")
	pcaps := filepath.Join(testenv.Corpus(t), "pcaps")
	captures := notebookCaptures
	if *notebookAll {
		all, err := filepath.Glob(filepath.Join(pcaps, "iot-sentinel", "*", "*.pcap"))
		if err != nil || len(all) == 0 {
			t.Fatalf("no IoT captures in %s: %v", pcaps, err)
		}
		captures = nil
		for _, p := range all {
			captures = append(captures, strings.TrimPrefix(p, pcaps+string(filepath.Separator)))
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "notebook.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{script}, captures...)...)
	cmd.Dir = pcaps
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var numbers map[string]*notebook
	if err := json.Unmarshal(out, &numbers); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	total := 0
	for i, c := range captures {
		nb := numbers[c]
		if nb == nil {
			t.Fatalf("%s printed nothing for %s", script, c)
		}
		if i == 0 {
			t.Logf("scapy %s, pandas %s", nb.Scapy, nb.Pandas)
			checkBindings(t, nb)
		}
		t.Run(strings.TrimPrefix(c, "iot-sentinel/"), func(t *testing.T) {
			total += compareNotebook(t, envFor(t, filepath.Join(pcaps, c)), nb)
		})
	}
	t.Logf("%d captures: %d numbers of the notebooks equal to netlens'", len(captures), total)
}

// checkBindings compares what scapy decodes above IP, TCP and UDP with
// what scapyPayloadSQL takes for named layers.
func checkBindings(t *testing.T, nb *notebook) {
	t.Helper()
	var first, always []uint8
	for _, b := range nb.Bindings["IP"] {
		p := uint8(b.Fields["proto"])
		if p == 6 || p == 17 {
			continue
		}
		if _, ok := b.Fields["frag"]; ok {
			first = append(first, p)
		} else {
			always = append(always, p)
		}
	}
	slices.Sort(first)
	slices.Sort(always)
	if !slices.Equal(slices.Compact(first), scapyProtosFirst) || !slices.Equal(slices.Compact(always), scapyProtosAlways) {
		t.Errorf("scapy's IP bindings: first fragment %v, any fragment %v; netlens: %v, %v", first, always, scapyProtosFirst, scapyProtosAlways)
	}
	for _, l := range []struct {
		name  string
		proto uint8
	}{{"TCP", 6}, {"UDP", 17}} {
		var theirs []scapyBinding
		ports := map[uint16]bool{1: true} // and a port no binding names
		for _, b := range nb.Bindings[l.name] {
			s := scapyBinding{l.proto, uint16(b.Fields["sport"]), uint16(b.Fields["dport"])}
			theirs = append(theirs, s)
			ports[s.sport], ports[s.dport] = true, true
		}
		bound := func(bs []scapyBinding, sport, dport uint16) bool {
			return slices.ContainsFunc(bs, func(b scapyBinding) bool {
				return b.proto == l.proto && (b.sport == 0 || b.sport == sport) && (b.dport == 0 || b.dport == dport)
			})
		}
		for sp := range ports {
			for dp := range ports {
				if s, n := bound(theirs, sp, dp), bound(scapyBindings, sp, dp); s != n {
					t.Errorf("%s %d -> %d: scapy decodes it into a named layer: %v, netlens: %v", l.name, sp, dp, s, n)
				}
			}
		}
	}
}

// tally compares numbers of the notebooks with netlens' and counts the
// equal ones.
type tally struct {
	t     *testing.T
	equal int
}

func (c *tally) same(what string, nb, nl any) {
	c.t.Helper()
	if nb != nl {
		c.t.Errorf("%s: notebook %v, netlens %v", what, nb, nl)
		return
	}
	c.equal++
}

func (c *tally) near(what string, nb, nl, tol float64) {
	c.t.Helper()
	if math.Abs(nb-nl) > tol {
		c.t.Errorf("%s: notebook %v, netlens %v", what, nb, nl)
		return
	}
	c.equal++
}

func (c *tally) time(what string, nb int64, nl any) {
	c.t.Helper()
	c.near(what, float64(nb), float64(nl.(time.Time).UnixNano()), float64(timeTolerance))
}

// gap compares a gap in seconds; nil is NaT in the notebooks, NULL in netlens.
func (c *tally) gap(what string, nb *float64, nl any) {
	c.t.Helper()
	if nb == nil || nl == nil {
		c.same(what+" is missing", nb == nil, nl == nil)
		return
	}
	c.near(what, *nb, analysis.AsFloat(nl), timeTolerance.Seconds())
}

// column returns the values of column name of table of res, by row.
func column(t *testing.T, res *analysis.Result, table, name string) []any {
	t.Helper()
	for _, tab := range res.Tables {
		if tab.Name != table {
			continue
		}
		i := slices.Index(tab.Columns, name)
		if i < 0 {
			t.Fatalf("table %s has no column %s (%v)", table, name, tab.Columns)
		}
		vals := make([]any, len(tab.Rows))
		for j, r := range tab.Rows {
			vals[j] = r[i]
		}
		return vals
	}
	t.Fatalf("no table %s", table)
	return nil
}

// compareNotebook compares every number of nb with the analyses on env and
// returns how many are equal.
func compareNotebook(t *testing.T, env *analysis.Env, nb *notebook) int {
	run := func(name string, set map[string]string) *analysis.Result {
		t.Helper()
		a, _ := ByName(name)
		res, err := analysis.Run(context.Background(), a, env, set)
		if err != nil {
			t.Fatalf("%s %v: %v", name, set, err)
		}
		return res
	}
	scapy := func(more ...string) map[string]string {
		return with(map[string]string{"payload": "scapy", "ip_version": "4"}, more...)
	}
	counts := map[string]int{}
	check := func(name string, f func(c *tally)) {
		c := &tally{t: t}
		f(c)
		counts[name] += c.equal
	}

	check("overview", func(c *tally) {
		res := run("overview", map[string]string{"ip_version": "4"})
		layers, packets := column(t, res, "overview", "layer"), column(t, res, "overview", "packets")
		got := map[string]int64{}
		for i := range layers {
			got[layers[i].(string)] = analysis.AsInt(packets[i])
		}
		for nbName, nlName := range map[string]string{"All": "All", "IP": "IPv4", "TCP": "TCP", "UDP": "UDP", "IP_Other": "Other IPv4", "Other": "Non-IPv4"} {
			c.same("packets "+nbName, nb.Overview[nbName], got[nlName])
		}
	})

	check("talkers", func(c *tally) {
		res := run("talkers", scapy())
		for _, side := range []struct {
			table string
			nb    nbSums
		}{{"talkers_sent", nb.Talkers.Sent}, {"talkers_received", nb.Talkers.Received}} {
			addrs, bytes := column(t, res, side.table, "address"), column(t, res, side.table, "payload_bytes")
			c.same(side.table+" addresses", len(side.nb.Address), len(addrs))
			got := map[string]float64{}
			for i, a := range addrs {
				got[a.(string)] = float64(analysis.AsInt(bytes[i])) / (1 << 20)
			}
			for i, a := range side.nb.Address {
				c.same(side.table+" "+a+" MiB", side.nb.Size[i], got[a])
			}
		}
	})

	check("ports", func(c *tally) {
		res := run("ports", scapy())
		protos, sides, ports, bytes := column(t, res, "ports", "proto"), column(t, res, "ports", "side"), column(t, res, "ports", "port"), column(t, res, "ports", "payload_bytes")
		got := map[string]float64{}
		n := map[string]int{}
		for i := range protos {
			k := fmt.Sprint(protos[i], " ", sides[i])
			got[fmt.Sprint(k, " ", ports[i])] = float64(analysis.AsInt(bytes[i])) / (1 << 10)
			n[k]++
		}
		for _, proto := range []string{"TCP", "UDP"} {
			for _, side := range []struct {
				name string
				nb   nbSums
			}{{"source", nb.Ports[proto].Source}, {"destination", nb.Ports[proto].Destination}} {
				k := proto + " " + side.name
				c.same(k+" ports", len(side.nb.Port), n[k])
				for i, p := range side.nb.Port {
					c.same(fmt.Sprintf("%s port %d KiB", k, p), side.nb.Size[i], got[fmt.Sprint(k, " ", p)])
				}
			}
		}
	})

	check("timeline", func(c *tally) {
		// A tie for the top source is broken by the address in netlens,
		// by chance in the notebooks: netlens is told theirs.
		set := scapy()
		if nb.TimelineSrc.Tied {
			set = scapy("src", nb.TimelineSrc.Src)
		}
		res := run("timeline", set)
		src := column(t, res, "timeline_src", "src")
		ts, dst, load := column(t, res, "timeline_src", "ts"), column(t, res, "timeline_src", "dst"), column(t, res, "timeline_src", "payload_len")
		c.same("packets from the top source", len(nb.TimelineSrc.Time), len(ts))
		for i := range min(len(ts), len(nb.TimelineSrc.Time)) {
			c.same("top source", nb.TimelineSrc.Src, src[i])
			c.time(fmt.Sprintf("top source packet %d time", i), nb.TimelineSrc.Time[i], ts[i])
			c.same(fmt.Sprintf("top source packet %d destination", i), nb.TimelineSrc.Dst[i], dst[i])
			c.same(fmt.Sprintf("top source packet %d payload", i), nb.TimelineSrc.Load[i], analysis.AsInt(load[i]))
		}
		for _, p := range []struct {
			table string
			nb    *nbSeries
		}{{"timeline_tcp_port", nb.TimelineTCP}, {"timeline_udp_port", nb.TimelineUDP}} {
			ts, sport, dport, load := column(t, res, p.table, "ts"), column(t, res, p.table, "sport"), column(t, res, p.table, "dport"), column(t, res, p.table, "payload_len")
			if p.nb == nil {
				c.same(p.table+" packets", 0, len(ts))
				continue
			}
			if p.nb.Tied { // netlens has no parameter for the top port
				t.Logf("%s: the top port is tied with another in the notebook: not compared", p.table)
				continue
			}
			c.same(p.table+" packets", len(p.nb.Time), len(ts))
			for i := range min(len(ts), len(p.nb.Time)) {
				c.same(p.table+" port", p.nb.Port, analysis.AsInt(sport[i]))
				c.time(fmt.Sprintf("%s packet %d time", p.table, i), p.nb.Time[i], ts[i])
				c.same(fmt.Sprintf("%s packet %d destination port", p.table, i), p.nb.Dport[i], analysis.AsInt(dport[i]))
				c.same(fmt.Sprintf("%s packet %d payload", p.table, i), p.nb.Load[i], analysis.AsInt(load[i]))
			}
		}
	})

	check("iat", func(c *tally) {
		res := run("iat", map[string]string{"ip_version": "4"})
		for _, side := range []string{"arrival", "departure"} {
			table := "iat_" + side
			addrs := column(t, res, table, "address")
			c.same(table+" addresses", len(nb.IAT[side]), len(addrs))
			for _, stat := range []string{"packets", "mean_s", "median_s", "p95_s", "min_s", "max_s"} {
				vals := column(t, res, table, stat)
				for i, a := range addrs {
					want, ok := nb.IAT[side][a.(string)]
					if !ok {
						t.Errorf("%s: %s is not in the notebook's", table, a)
						continue
					}
					what := fmt.Sprintf("%s %s %s", table, a, stat)
					if stat == "packets" {
						c.same(what, int64(want[stat]), analysis.AsInt(vals[i]))
					} else {
						c.near(what, want[stat], analysis.AsFloat(vals[i]), timeTolerance.Seconds())
					}
				}
			}
		}
	})

	// The top stream: tied destinations are given to netlens as above.
	stream := scapy()
	if nb.Stream.Tied {
		stream = scapy("src", nb.Stream.Src, "dst", nb.Stream.Dst)
	}
	check("stream", func(c *tally) {
		res := run("stream", stream)
		src, dst := column(t, res, "stream", "src"), column(t, res, "stream", "dst")
		ts, load, gap := column(t, res, "stream", "ts"), column(t, res, "stream", "payload_len"), column(t, res, "stream", "inter_arrival_s")
		c.same("stream packets", len(nb.Stream.Time), len(ts))
		for i := range min(len(ts), len(nb.Stream.Time)) {
			c.same("stream source", nb.Stream.Src, src[i])
			c.same("stream destination", nb.Stream.Dst, dst[i])
			c.time(fmt.Sprintf("stream packet %d time", i), nb.Stream.Time[i], ts[i])
			c.same(fmt.Sprintf("stream packet %d payload", i), nb.Stream.Load[i], analysis.AsInt(load[i]))
			c.gap(fmt.Sprintf("stream packet %d inter-arrival time", i), nb.Stream.Gap[i], gap[i])
		}
	})

	bursts := map[string]int{}
	check("bursts", func(c *tally) {
		for name, b := range nb.Bursts {
			set := stream
			if name != "mean" {
				set = with(stream, "min_size", strconv.FormatInt(b.Threshold, 10))
			}
			res := run("bursts", set)
			bursts[name] = len(column(t, res, "bursts", "burst"))
			c.same(name+" threshold", b.Threshold, noteMinSize(t, res))
			ts, load := column(t, res, "bursts_packets", "ts"), column(t, res, "bursts_packets", "payload_len")
			burst, length, mean := column(t, res, "bursts_packets", "burst"), column(t, res, "bursts_packets", "burst_length"), column(t, res, "bursts_packets", "burst_mean_size")
			c.same(name+" packets", len(b.Time), len(ts))
			// The notebook numbers bursts by pandas' category codes: from 1
			// when a packet is in none (code 0), from 0 when all are in one.
			shift := int64(1)
			if slices.Contains(b.Length, 0) {
				shift = 0
			}
			for i := range min(len(ts), len(b.Time)) {
				what := fmt.Sprintf("%s packet %d", name, i)
				c.time(what+" time", b.Time[i], ts[i])
				c.same(what+" payload", b.Load[i], analysis.AsInt(load[i]))
				c.same(what+" burst", b.Burst[i]+shift, analysis.AsInt(burst[i]))
				c.same(what+" burst length", b.Length[i], analysis.AsInt(length[i]))
				c.same(what+" burst mean size", b.MeanSize[i], analysis.AsFloat(mean[i]))
			}
		}
	})

	sum := 0
	var parts []string
	for _, name := range []string{"overview", "talkers", "ports", "timeline", "iat", "stream", "bursts"} {
		sum += counts[name]
		parts = append(parts, fmt.Sprintf("%s %d", name, counts[name]))
	}
	t.Logf("equal: %s (%d numbers; stream %s -> %s: %d bursts over int(1.1 x mean) = %d bytes, %d over 300)", strings.Join(parts, ", "), sum,
		nb.Stream.Src, nb.Stream.Dst, bursts["mean"], nb.Bursts["mean"].Threshold, bursts["300"])
	return sum
}

// with returns a copy of m with more key, value pairs set.
func with(m map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

var minSizeNote = regexp.MustCompile(`min_size (\d+) bytes`)

// noteMinSize returns the burst size threshold a bursts result notes.
func noteMinSize(t *testing.T, res *analysis.Result) int64 {
	t.Helper()
	for _, n := range res.Notes {
		if m := minSizeNote.FindStringSubmatch(n); m != nil {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			return v
		}
	}
	t.Fatalf("no min_size in the notes %q", res.Notes)
	return 0
}
