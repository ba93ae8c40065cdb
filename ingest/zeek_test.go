package ingest_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// zeekConn is one connection of a Zeek conn.log, read by the test's own
// parser (not netlens').
type zeekConn struct {
	origH, respH             string
	origP, respP             int64
	proto, state             string
	origPkts, respPkts       int64
	origIPBytes, respIPBytes int64
	origBytes, respBytes     int64
}

// tuple names the connection: "proto orig_h:orig_p -> resp_h:resp_p".
func (c zeekConn) tuple() string {
	return fmt.Sprintf("%s %s -> %s", c.proto, hostPort(c.origH, c.origP), hostPort(c.respH, c.respP))
}

func hostPort(h string, p int64) string {
	if strings.Contains(h, ":") {
		return fmt.Sprintf("[%s]:%d", h, p)
	}
	return fmt.Sprintf("%s:%d", h, p)
}

// readZeekLog parses a conn.log in Zeek's ASCII format: the #fields line
// names the columns, '-' is unset (0 for counts), other lines starting
// with '#' (btest's first line among them) are skipped.
func readZeekLog(t *testing.T, path string) []zeekConn {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		cols  map[string]int
		conns []zeekConn
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "#fields\t"); ok {
			cols = map[string]int{}
			for i, name := range strings.Split(v, "\t") {
				cols[name] = i
			}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		v := strings.Split(line, "\t")
		str := func(name string) string {
			i, ok := cols[name]
			if !ok || v[i] == "-" {
				return ""
			}
			return v[i]
		}
		num := func(name string) int64 {
			s := str(name)
			if s == "" {
				return 0
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: %s %q: %v", path, name, s, err)
			}
			return n
		}
		conns = append(conns, zeekConn{
			origH: str("id.orig_h"), origP: num("id.orig_p"), respH: str("id.resp_h"), respP: num("id.resp_p"),
			proto: str("proto"), state: str("conn_state"),
			origPkts: num("orig_pkts"), respPkts: num("resp_pkts"),
			origIPBytes: num("orig_ip_bytes"), respIPBytes: num("resp_ip_bytes"),
			origBytes: num("orig_bytes"), respBytes: num("resp_bytes"),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return conns
}

// zeekLogs lists the conn.logs of the corpus and the trace each was made
// from.
func zeekLogs(t *testing.T) (logs, traces []string) {
	corpus := testenv.Corpus(t)
	logs, err := filepath.Glob(filepath.Join(corpus, "zeek-logs", "*.conn.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no conn.log in %s/zeek-logs: %v", corpus, err)
	}
	sort.Strings(logs)
	for _, l := range logs {
		base := strings.TrimSuffix(filepath.Base(l), ".conn.log")
		m, _ := filepath.Glob(filepath.Join(corpus, "pcaps", "zeek", base+".pcap*"))
		if len(m) != 1 {
			t.Fatalf("%s: %d traces %s.pcap*", l, len(m), base)
		}
		traces = append(traces, m[0])
	}
	return logs, traces
}

// zeekProto names netlens' protocol numbers as Zeek's proto field does.
func zeekProto(p int64) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1, 58:
		return "icmp"
	}
	return "unknown_transport"
}

// zeekDifferences are the differences between netlens' flows and Zeek's
// connections for the corpus traces, by trace and connection, and why.
var zeekDifferences = map[string]map[string]string{
	"dhcp_dhcp.pcap": {
		"udp 128.2.6.97:68 -> 128.2.6.152:67":  rolesFlipped,
		"udp 128.2.6.189:68 -> 128.2.6.152:67": rolesFlipped,
	},
	"mpls-in-vlan.pcap": {
		"tcp 65.65.65.65:32828 -> 65.65.65.65:80": "a lone mid-connection packet from port 80: Zeek makes the end on the well-known port the responder, netlens makes the sender a",
	},
	"tunnels_geneve.pcap": {"icmp 30.0.0.1:8 -> 30.0.0.2:0": tunnelInner("Geneve")},
	"tunnels_vxlan.pcap":  {"icmp 10.0.0.1:8 -> 10.0.0.2:0": tunnelInner("VXLAN")},
	"tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap": {
		"tcp 10.131.47.185:1923 -> 79.101.110.141:80":    tunnelInner("GTP"),
		"udp 239.114.155.111:2152 -> 63.94.149.181:2152": "the outer datagrams are IP fragments: Zeek reassembles them and counts a datagram once, netlens counts every fragment (1 more from a, 39 more from b, each with its IP header)",
	},
}

// rolesFlipped is why Zeek and netlens differ on a connection whose first
// packet came from the server.
const rolesFlipped = "the first packet came from the server's well-known port: Zeek makes that end the responder (history ^, so SHR), netlens the sender of the first packet (S0)"

// tunnelInner is why netlens has no flow for a connection inside a tunnel.
func tunnelInner(tunnel string) string {
	return "inside a " + tunnel + " tunnel: Zeek logs the inner connection too, netlens only the outer one"
}

// TestZeekConnLog assembles the flows of each corpus trace that Zeek's own
// conn.log exists for and compares them, connection by connection, with
// that log: 5-tuple (roles included), conn_state, and packets and IP bytes
// each way. Every difference must be listed, with its reason, in
// zeekDifferences; a listed difference that does not occur fails too.
func TestZeekConnLog(t *testing.T) {
	logs, traces := zeekLogs(t)
	agree, total := 0, 0
	for k, logPath := range logs {
		trace := filepath.Base(traces[k])
		t.Run(trace, func(t *testing.T) {
			ds, err := dataset.OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			cfg := ingest.DefaultConfig()
			cfg.Flow.Active = 0 // Zeek splits no long connection
			if _, err := ingest.Run(context.Background(), ds, []string{traces[k]}, cfg); err != nil {
				t.Fatal(err)
			}
			eng, err := duckdb.Open(context.Background(), ds)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			var flows []zeekConn
			for _, r := range query(t, eng, `SELECT a, a_port, b, b_port, proto, state, pkts_a_to_b, pkts_b_to_a, bytes_a_to_b, bytes_b_to_a FROM flows ORDER BY flow_id`) {
				flows = append(flows, zeekConn{origH: r[0].(string), origP: toInt(r[1]), respH: r[2].(string), respP: toInt(r[3]), proto: zeekProto(toInt(r[4])),
					state: r[5].(string), origPkts: toInt(r[6]), respPkts: toInt(r[7]), origIPBytes: toInt(r[8]), respIPBytes: toInt(r[9])})
			}
			matched := make([]bool, len(flows))
			diffs := map[string]string{} // connection -> what differs
			for _, c := range readZeekLog(t, logPath) {
				total++
				found := -1
				for i, f := range flows {
					if matched[i] || f.proto != c.proto {
						continue
					}
					if f.tuple() == c.tuple() || (f.origH == c.respH && f.origP == c.respP && f.respH == c.origH && f.respP == c.origP) {
						found = i
						break
					}
				}
				if found < 0 {
					diffs[c.tuple()] = "no netlens flow"
					continue
				}
				matched[found] = true
				f := flows[found]
				var what []string
				if f.tuple() != c.tuple() {
					what = append(what, "netlens has the roles the other way: "+f.tuple())
					f.origPkts, f.respPkts, f.origIPBytes, f.respIPBytes = f.respPkts, f.origPkts, f.respIPBytes, f.origIPBytes
				}
				if f.state != c.state {
					what = append(what, fmt.Sprintf("state %s, Zeek %s", f.state, c.state))
				}
				if f.origPkts != c.origPkts || f.respPkts != c.respPkts || f.origIPBytes != c.origIPBytes || f.respIPBytes != c.respIPBytes {
					what = append(what, fmt.Sprintf("packets/IP bytes %d/%d and %d/%d, Zeek %d/%d and %d/%d",
						f.origPkts, f.origIPBytes, f.respPkts, f.respIPBytes, c.origPkts, c.origIPBytes, c.respPkts, c.respIPBytes))
				}
				if len(what) > 0 {
					diffs[c.tuple()] = strings.Join(what, "; ")
					continue
				}
				agree++
			}
			for i, f := range flows {
				if !matched[i] {
					diffs[f.tuple()] = "no Zeek connection"
				}
			}
			listed := zeekDifferences[trace]
			for conn, what := range diffs {
				if _, ok := listed[conn]; !ok {
					t.Errorf("%s: %s: %s: list it in zeekDifferences with the reason", trace, conn, what)
				}
			}
			for conn, why := range listed {
				if _, ok := diffs[conn]; !ok {
					t.Errorf("%s: %s is listed as different (%s) but agrees with Zeek: remove it from zeekDifferences", trace, conn, why)
				}
			}
		})
	}
	t.Logf("Zeek cross-check: %d of %d connections agree", agree, total)
}

// zeekCorpusLogs writes the corpus conn.logs, made readable, into dir:
// without btest's first line, and with the masked timestamps
// (XXXXXXXXXX.XXXXXX) replaced by 1600000000 plus the row number, in
// seconds. It returns the paths written.
func zeekCorpusLogs(t *testing.T, dir string) []string {
	t.Helper()
	logs, _ := zeekLogs(t)
	var out []string
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		row := 0
		for i, line := range strings.SplitAfter(string(b), "\n") {
			if i == 0 && strings.HasPrefix(line, "###") {
				continue
			}
			if rest, ok := strings.CutPrefix(line, "XXXXXXXXXX.XXXXXX"); ok {
				row++
				line = fmt.Sprintf("%d.%06d", 1600000000+row, row) + rest
			}
			sb.WriteString(line)
		}
		p := filepath.Join(dir, filepath.Base(l))
		if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// zeekJSON writes the conn.log at path as Zeek's JSON writer would
// (LogAscii::use_json=T): one object per line, unset fields left out,
// counts and times as numbers, booleans as true and false, sets as
// arrays.
func zeekJSON(t *testing.T, path, out string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names, types []string
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if v, ok := strings.CutPrefix(line, "#fields\t"); ok {
			names = strings.Split(v, "\t")
			continue
		}
		if v, ok := strings.CutPrefix(line, "#types\t"); ok {
			types = strings.Split(v, "\t")
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		var kv []string
		for i, v := range strings.Split(line, "\t") {
			if v == "-" {
				continue
			}
			var js string
			switch ty := types[i]; {
			case ty == "time" || ty == "interval" || ty == "count" || ty == "port" || ty == "int" || ty == "double":
				js = v
			case ty == "bool":
				js = map[string]string{"T": "true", "F": "false"}[v]
			case strings.HasPrefix(ty, "set[") || strings.HasPrefix(ty, "table[") || strings.HasPrefix(ty, "vector["):
				var elems []string
				if v != "(empty)" {
					for _, e := range strings.Split(v, ",") {
						elems = append(elems, strconv.Quote(e))
					}
				}
				js = "[" + strings.Join(elems, ",") + "]"
			default:
				js = strconv.Quote(v)
			}
			kv = append(kv, strconv.Quote(names[i])+":"+js)
		}
		sb.WriteString("{" + strings.Join(kv, ",") + "}\n")
	}
	if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// protoTotals are the totals of a set of connections of one protocol.
type protoTotals struct {
	Flows, PktsA, PktsB, BytesA, BytesB, PayloadA, PayloadB int64
}

// TestZeekRecordTotals ingests the corpus conn.logs as flow records, as
// TSV (one of them gzipped, as a rotated log is) and as JSON lines, and
// checks that the flows table holds exactly their connections: per
// protocol, the number of flows and the packets, IP bytes and payload
// bytes each way, summed by the test from the logs themselves.
func TestZeekRecordTotals(t *testing.T) {
	dir := t.TempDir()
	logs := zeekCorpusLogs(t, dir)
	want := map[string]protoTotals{}
	for _, l := range logs {
		for _, c := range readZeekLog(t, l) {
			w := want[c.proto]
			w.Flows++
			w.PktsA += c.origPkts
			w.PktsB += c.respPkts
			w.BytesA += c.origIPBytes
			w.BytesB += c.respIPBytes
			w.PayloadA += c.origBytes
			w.PayloadB += c.respBytes
			want[c.proto] = w
		}
	}
	// A rotated log, gzipped.
	gz := logs[0] + ".gz"
	writeGzip(t, gz, logs[0])
	if err := os.Remove(logs[0]); err != nil {
		t.Fatal(err)
	}
	tsvInputs := append([]string{gz}, logs[1:]...)
	var jsonInputs []string
	for _, l := range append([]string{gz}, logs[1:]...) {
		src := strings.TrimSuffix(l, ".gz")
		if l == gz {
			src = filepath.Join(dir, "plain-"+filepath.Base(src))
			gunzipTo(t, gz, src)
		}
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".log")+".json.log")
		zeekJSON(t, src, out)
		jsonInputs = append(jsonInputs, out)
	}
	for _, tc := range []struct {
		name   string
		inputs []string
		format string
	}{{"tsv", tsvInputs, "zeek-tsv"}, {"json", jsonInputs, "zeek-json"}} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := dataset.OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			st, err := ingest.Run(context.Background(), ds, tc.inputs, ingest.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range st.Files {
				if r.Err != nil || r.Format != tc.format {
					t.Errorf("%s: format %q, error %v; want %s, none", r.Path, r.Format, r.Err, tc.format)
				}
			}
			eng, err := duckdb.Open(context.Background(), ds)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			got := map[string]protoTotals{}
			for _, r := range query(t, eng, `SELECT proto, count(*), sum(pkts_a_to_b), sum(pkts_b_to_a), sum(bytes_a_to_b), sum(bytes_b_to_a),
				sum(payload_a_to_b), sum(payload_b_to_a) FROM flows GROUP BY proto`) {
				p := zeekProto(toInt(r[0]))
				g := got[p]
				g.Flows += toInt(r[1])
				g.PktsA += toInt(r[2])
				g.PktsB += toInt(r[3])
				g.BytesA += toInt(r[4])
				g.BytesB += toInt(r[5])
				g.PayloadA += toInt(r[6])
				g.PayloadB += toInt(r[7])
				got[p] = g
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("totals per protocol (-conn.log +flows):\n%s", diff)
			}
			if st.Records != int64(sum(want)) || st.Flows != st.Records {
				t.Errorf("stats: %d records, %d flows; want %d each", st.Records, st.Flows, sum(want))
			}
		})
	}
}

func sum(m map[string]protoTotals) (n int64) {
	for _, v := range m {
		n += v.Flows
	}
	return n
}

func writeGzip(t *testing.T, dst, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gunzipTo(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
