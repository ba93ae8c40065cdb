package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// nfdumpTotals sums the records of nfdump's CSV at path by protocol, with
// the test's own parser, and returns nfdump's Summary line too (flows,
// bytes, packets), zero when the file has none.
func nfdumpTotals(t *testing.T, path string) (map[string]protoTotals, [3]int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var (
		col     map[string]int
		totals  = map[string]protoTotals{}
		summary [3]int64
	)
	protos := map[string]string{"TCP": "tcp", "6": "tcp", "UDP": "udp", "17": "udp", "ICMP": "icmp", "1": "icmp", "ICMP6": "icmp", "58": "icmp"}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, s, err)
		}
		return n
	}
	for sc.Scan() {
		v := strings.Split(sc.Text(), ",")
		switch {
		case col == nil:
			col = map[string]int{}
			for i, name := range v {
				col[name] = i
			}
			continue
		case v[0] == "Summary":
			sc.Scan()
			sc.Scan()
			s := strings.Split(sc.Text(), ",")
			summary = [3]int64{num(s[0]), num(s[1]), num(s[2])}
			continue
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := col[n]; ok {
					return v[i]
				}
			}
			t.Fatalf("%s: no column %v", path, names)
			return ""
		}
		p, ok := protos[strings.TrimSpace(get("pr", "proto"))]
		if !ok {
			p = "unknown_transport"
		}
		tot := totals[p]
		tot.Flows++
		tot.PktsA += num(get("ipkt", "packets"))
		tot.BytesA += num(get("ibyt", "bytes"))
		totals[p] = tot
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return totals, summary
}

// flowTotals sums the flows of ds by protocol; PktsA and BytesA are the
// sums of both directions.
func flowTotals(t *testing.T, ds *dataset.Dataset) map[string]protoTotals {
	t.Helper()
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	got := map[string]protoTotals{}
	for _, r := range query(t, eng, `SELECT proto, count(*), sum(pkts_a_to_b + pkts_b_to_a), sum(bytes_a_to_b + bytes_b_to_a) FROM flows GROUP BY proto`) {
		p := zeekProto(toInt(r[0]))
		g := got[p]
		g.Flows += toInt(r[1])
		g.PktsA += toInt(r[2])
		g.BytesA += toInt(r[3])
		got[p] = g
	}
	return got
}

// sumTotals adds the totals of every protocol, without the flows when
// paired (merged records are fewer flows).
func sumTotals(m map[string]protoTotals) (flows, pkts, bytes int64) {
	for _, v := range m {
		flows += v.Flows
		pkts += v.PktsA
		bytes += v.BytesA
	}
	return
}

// nfdumpFixtures are real outputs of nfdump (see their README).
func nfdumpFixtures(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "input", "nfdump", "testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no nfdump fixtures: %v", err)
	}
	return files
}

// TestNfdumpRecordTotals ingests nfdump's CSV, alone and with --pair, and
// checks that the flows hold exactly its records: flows, packets and
// bytes per protocol as the test sums them from the file itself, and as
// nfdump's own Summary says where the file has one.
func TestNfdumpRecordTotals(t *testing.T) {
	for _, path := range nfdumpFixtures(t) {
		for _, pair := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pair=%v", filepath.Base(path), pair), func(t *testing.T) {
				want, summary := nfdumpTotals(t, path)
				ds := openDS(t)
				cfg := ingest.DefaultConfig()
				cfg.Pair = pair
				st, err := ingest.Run(context.Background(), ds, []string{path}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if r := st.Files[0]; r.Err != nil || r.Format != "nfdump-csv" {
					t.Fatalf("%+v", r)
				}
				got := flowTotals(t, ds)
				flows, pkts, bytes := sumTotals(want)
				if summary != [3]int64{} && summary != [3]int64{flows, bytes, pkts} {
					t.Errorf("the test's sums %d flows %d bytes %d packets, nfdump's Summary %v", flows, bytes, pkts, summary)
				}
				if pair {
					for p, w := range want {
						w.Flows = got[p].Flows // fewer: checked below
						want[p] = w
					}
					if gotFlows, _, _ := sumTotals(got); gotFlows > flows || gotFlows < (flows+1)/2 || st.Records != flows {
						t.Errorf("%d records paired into %d flows", flows, gotFlows)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("totals per protocol (-nfdump +flows):\n%s", diff)
				}
			})
		}
	}
}

// pairTies are the flows whose two records start in the same millisecond,
// so that --pair cannot tell which end began: it takes the record listed
// first (softflowd exports the client's first), where the capture shows
// the server's SYN (an FTP data connection in active mode).
var pairTies = map[string]bool{
	"tcp [2001:470:4867:99::21]:55647 -> [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49190": true,
	"tcp [2001:470:4867:99::21]:55785 -> [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49189": true,
}

// TestNfdumpPairs checks --pair on real records: softflowd exported the
// FTP over IPv6 and ping captures as one record per direction; paired,
// they are the flows netlens assembles from the captures themselves:
// same ends and roles (but for pairTies), packets and IP bytes each way,
// and state (derived from the records' TCP flags).
func TestNfdumpPairs(t *testing.T) {
	corpus := testenv.Corpus(t)
	dir := filepath.Join("..", "input", "nfdump", "testdata")
	flows := func(ds *dataset.Dataset) map[string]zeekConn {
		eng, err := duckdb.Open(context.Background(), ds)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		m := map[string]zeekConn{}
		for _, r := range query(t, eng, `SELECT a, a_port, b, b_port, proto, state, pkts_a_to_b, pkts_b_to_a, bytes_a_to_b, bytes_b_to_a FROM flows`) {
			c := zeekConn{origH: r[0].(string), origP: toInt(r[1]), respH: r[2].(string), respP: toInt(r[3]), proto: zeekProto(toInt(r[4])),
				state: r[5].(string), origPkts: toInt(r[6]), respPkts: toInt(r[7]), origIPBytes: toInt(r[8]), respIPBytes: toInt(r[9])}
			m[c.tuple()] = c
		}
		return m
	}
	for _, tc := range []struct{ records, capture string }{
		{"ftp_ipv6.nfdump-1.7.1.csv", filepath.Join(corpus, "pcaps", "zeek", "ftp_ipv6.pcap")},
		{"icmp_icmp-ping.nfdump-1.7.6.csv", filepath.Join(corpus, "pcaps", "zeek", "icmp_icmp-ping.pcap")},
		{"dlink.nfdump-1.7.1.csv", sample},
	} {
		t.Run(tc.records, func(t *testing.T) {
			ds := openDS(t)
			cfg := ingest.DefaultConfig()
			cfg.Pair = true
			if _, err := ingest.Run(context.Background(), ds, []string{filepath.Join(dir, tc.records)}, cfg); err != nil {
				t.Fatal(err)
			}
			cds := openDS(t)
			if _, err := ingest.Run(context.Background(), cds, []string{tc.capture}, ingest.DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			fromRecords, fromCapture := flows(ds), flows(cds)
			if len(fromRecords) != len(fromCapture) {
				t.Errorf("%d flows from paired records, %d from the capture", len(fromRecords), len(fromCapture))
			}
			for k, c := range fromCapture {
				r, ok := fromRecords[k]
				if !ok && pairTies[k] {
					flipped := zeekConn{origH: c.respH, origP: c.respP, respH: c.origH, respP: c.origP, proto: c.proto}
					r, ok = fromRecords[flipped.tuple()]
					r.origH, r.origP, r.respH, r.respP = c.origH, c.origP, c.respH, c.respP
					r.origPkts, r.respPkts, r.origIPBytes, r.respIPBytes = r.respPkts, r.origPkts, r.respIPBytes, r.origIPBytes
				} else if pairTies[k] {
					t.Errorf("%s: listed in pairTies, but the roles agree", k)
				}
				if !ok {
					t.Errorf("%s: no flow from the records", k)
					continue
				}
				if r != c {
					t.Errorf("%s:\nfrom the capture %+v\nfrom the records %+v", k, c, r)
				}
			}
		})
	}
}

// TestSoftflowd makes NetFlow records of corpus captures the way an
// operator's exporter does: softflowd reads each capture and exports
// NetFlow v9 to an nfcapd on loopback; nfdump prints them as CSV; netlens
// reads that CSV. The flows must hold exactly nfdump's totals (its Summary)
// and, per protocol, the IP packets and bytes that netlens itself reads
// from the capture.
func TestSoftflowd(t *testing.T) {
	softflowd := "/usr/sbin/softflowd" // not on every user's PATH
	if _, err := os.Stat(softflowd); err != nil {
		softflowd = testenv.Tool(t, "softflowd")
	}
	nfcapd := testenv.Tool(t, "nfcapd")
	nfdump := testenv.Tool(t, "nfdump")
	corpus := testenv.Corpus(t)
	for _, rel := range []string{"iot-sentinel/D-LinkCam/Setup-A-1-STA.pcap", "iot-sentinel/EdimaxCam1/Setup-A-1-STA.pcap", "zeek/ftp_ipv6.pcap", "zeek/icmp_icmp-ping.pcap", "zeek/http_get.pcap"} {
		t.Run(rel, func(t *testing.T) {
			capture := filepath.Join(corpus, "pcaps", rel)
			if _, err := os.Stat(capture); err != nil {
				t.Skip(err)
			}
			dir := t.TempDir()
			csv := filepath.Join(dir, "flows.csv")
			exportFlows(t, softflowd, nfcapd, nfdump, capture, dir, csv)
			want, summary := nfdumpTotals(t, csv)
			flows, pkts, bytes := sumTotals(want)
			if summary != [3]int64{flows, bytes, pkts} {
				t.Errorf("the test's sums %d flows %d bytes %d packets, nfdump's Summary %v", flows, bytes, pkts, summary)
			}
			ds := openDS(t)
			if _, err := ingest.Run(context.Background(), ds, []string{csv}, ingest.DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, flowTotals(t, ds)); diff != "" {
				t.Errorf("totals per protocol (-nfdump +flows):\n%s", diff)
			}
			// The capture itself: IP packets and bytes per protocol.
			cds := openDS(t)
			if _, err := ingest.Run(context.Background(), cds, []string{capture}, ingest.DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			fromPackets := map[string]protoTotals{}
			for _, r := range strings.Split(strings.TrimSpace(tsv(t, cds, `SELECT proto, count(*), sum(ip_len) FROM packets WHERE ip_version > 0 GROUP BY proto`)), "\n") {
				f := strings.Split(r, "\t")
				p, _ := strconv.ParseInt(f[0], 10, 64)
				n, _ := strconv.ParseInt(f[1], 10, 64)
				b, _ := strconv.ParseInt(f[2], 10, 64)
				w := fromPackets[zeekProto(p)]
				w.PktsA += n
				w.BytesA += b
				fromPackets[zeekProto(p)] = w
			}
			for p, w := range want {
				if fp := fromPackets[p]; fp.PktsA != w.PktsA || fp.BytesA != w.BytesA {
					t.Errorf("%s: softflowd's records %d packets %d bytes, the capture %d packets %d bytes", p, w.PktsA, w.BytesA, fp.PktsA, fp.BytesA)
				}
			}
		})
	}
}

// startCollector starts nfcapd writing into store on a free loopback port
// and waits until it listens. Another process may take the port between
// its choice and nfcapd's start: then it tries another one. stop ends
// nfcapd (once) and returns what it printed.
func startCollector(t *testing.T, nfcapd, store string) (port string, stop func() string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = strconv.Itoa(l.LocalAddr().(*net.UDPAddr).Port)
		l.Close()
		collector := exec.Command(nfcapd, "-w", store, "-p", port, "-b", "127.0.0.1")
		var clog strings.Builder
		collector.Stdout, collector.Stderr = &clog, &clog
		if err := collector.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { collector.Wait(); close(exited) }()
		var once sync.Once
		stop = func() string {
			once.Do(func() {
				collector.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					collector.Process.Kill()
					<-exited
				}
			})
			return clog.String()
		}
		switch waitListening(port, exited) {
		case "listening":
			return port, stop
		case "ended":
			if attempt < 5 && strings.Contains(clog.String(), "already in use") {
				continue // the port was taken by another: try another one
			}
			t.Fatalf("nfcapd ended before listening on %s: %s", port, clog.String())
		default:
			t.Fatalf("nfcapd does not listen on %s: %s", port, stop())
		}
	}
}

// waitListening waits up to 5 s for a collector to take port, until it
// has ("listening") or has ended ("ended"), else says "timeout".
func waitListening(port string, exited <-chan struct{}) string {
	for range 50 {
		probe, err := net.ListenPacket("udp", "127.0.0.1:"+port)
		if err == nil {
			probe.Close()
		}
		select {
		case <-exited:
			return "ended"
		case <-time.After(100 * time.Millisecond):
		}
		if err != nil {
			return "listening"
		}
	}
	return "timeout"
}

// exportFlows runs softflowd on capture, exporting to an nfcapd on a free
// loopback port that writes into dir, and nfdump on what nfcapd wrote,
// into csv (times in UTC).
func exportFlows(t *testing.T, softflowd, nfcapd, nfdump, capture, dir, csv string) {
	t.Helper()
	store := filepath.Join(dir, "nfcapd")
	if err := os.Mkdir(store, 0o755); err != nil {
		t.Fatal(err)
	}
	port, stop := startCollector(t, nfcapd, store)
	defer stop()
	// -a: flow times from the capture; -c none: no control socket.
	if out, err := exec.Command(softflowd, "-r", capture, "-n", "127.0.0.1:"+port, "-v", "9", "-c", "none", "-a").CombinedOutput(); err != nil {
		t.Fatalf("softflowd: %v\n%s", err, out)
	}
	time.Sleep(300 * time.Millisecond) // the last datagrams reach nfcapd
	clog := stop()
	files, _ := filepath.Glob(filepath.Join(store, "nfcapd.*"))
	if len(files) == 0 {
		t.Fatalf("nfcapd wrote nothing: %s", clog)
	}
	cmd := exec.Command(nfdump, append([]string{"-o", "csv", "-r"}, files[0])...)
	if len(files) > 1 {
		cmd = exec.Command(nfdump, "-o", "csv", "-R", store)
	}
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nfdump: %v", err)
	}
	if err := os.WriteFile(csv, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
