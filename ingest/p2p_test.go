package ingest_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// TestP2PCapture ingests the btcd capture of the corpus: four nodes on
// loopback, so every message is a row for its sender (out) and one for its
// receiver (in), measured from the packets.
func TestP2PCapture(t *testing.T) {
	pcap := filepath.Join(testenv.Corpus(t), "bitcoin", "pcap", "btcd-regtest-a.pcap")
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(context.Background(), ds, []string{pcap}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.PeerMessages != 2*12746 || st.PeerConns != 14 {
		t.Errorf("%d peer_messages rows, %d peer_conns rows; want %d, 14", st.PeerMessages, st.PeerConns, 2*12746)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	got := map[string]int64{}
	for _, r := range query(t, eng, `SELECT direction || '/' || conn_type, sum(messages) FROM peer_messages
		WHERE layout = 'p2p' AND tcpip_measured AND tcpip_size >= message_size GROUP BY ALL`) {
		got[r[0].(string)] = toInt(r[1])
	}
	// The sums of the summary's connections: node3 (blocks-only) dials node1
	// and node2 with relay=0 (streams 1 and 2), block-relay-only; the other
	// five outbound connections relay.
	want := map[string]int64{
		"out/outbound-full-relay": 1382 + 1095 + 1128 + 28 + 35, "in/outbound-full-relay": 1386 + 1129 + 1156 + 30 + 480,
		"out/block-relay-only": 1334 + 1097, "in/block-relay-only": 1362 + 1104,
		"out/inbound": 1386 + 1362 + 1104 + 1129 + 1156 + 30 + 480, "in/inbound": 1382 + 1334 + 1097 + 1095 + 1128 + 28 + 35,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("messages per direction and connection type (-want +got):\n%s", d)
	}
	// What the messages took on the wire, measured, is at most the capture's
	// TCP bytes and more than the messages themselves.
	r := query(t, eng, `SELECT (SELECT sum(tcpip_size) FROM peer_messages WHERE direction = 'out'),
		(SELECT sum(message_size) FROM peer_messages WHERE direction = 'out'),
		(SELECT sum(ip_len) FROM packets WHERE proto = 6)`)[0]
	tcpip, msgs, ip := toInt(r[0]), toInt(r[1]), toInt(r[2])
	if tcpip <= msgs || tcpip > ip {
		t.Errorf("tcpip %d bytes: want more than the messages' %d and at most the packets' %d", tcpip, msgs, ip)
	}
	t.Logf("tcpip %d bytes, messages %d, TCP packets %d", tcpip, msgs, ip)
	conns := map[string]int64{}
	for _, r := range query(t, eng, `SELECT conn_type, count(*) FROM peer_conns WHERE messages > 0 AND undecoded_bytes = 0 GROUP BY ALL`) {
		conns[r[0].(string)] = toInt(r[1])
	}
	if d := cmp.Diff(map[string]int64{"inbound": 7, "outbound-full-relay": 5, "block-relay-only": 2}, conns); d != "" {
		t.Errorf("peer_conns per type (-want +got):\n%s", d)
	}

	// With --node, the rows of that node only: here every node's address.
	ds2, _ := dataset.OpenWrite(t.TempDir())
	cfg := ingest.DefaultConfig()
	cfg.Node = netip.MustParseAddrPort("192.0.2.1:0")
	st, err = ingest.Run(context.Background(), ds2, []string{pcap}, cfg)
	if err != nil || st.PeerMessages != 0 {
		t.Errorf("node elsewhere: %d rows, %v; want none", st.PeerMessages, err)
	}
}

// TestP2PNodes checks every node's rows of the btcd capture against
// tshark's summary beside it: four nodes on 127.0.0.1, each the
// address:port it listens on, except node4, which no one dials, so that
// its outbound connections are under the bare address. Per node, peer,
// direction and command, the messages and payload bytes are tshark's; the
// peer ids follow the connections' SYNs; the types follow the client's
// version relay flag.
func TestP2PNodes(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "bitcoin", "pcap")
	sum := readSummary(t, filepath.Join(dir, "btcd-regtest-a.summary.txt"))
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ds, []string{filepath.Join(dir, "btcd-regtest-a.pcap")}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	// The nodes' names: a server of a connection listens on its port.
	name := map[string]string{}
	for _, c := range sum.conns {
		name[c.serverNode] = c.server
	}
	for _, c := range sum.conns {
		if name[c.clientNode] == "" {
			name[c.clientNode] = "127.0.0.1"
		}
	}
	// Peer ids: each node's connections in order of their SYN (stream
	// numbers follow it), the same for both ends.
	type view struct {
		node, peer string
		stream     int
	}
	ids, next, types := map[view]int64{}, map[string]int64{}, map[view]string{}
	for i, c := range sum.conns { // in stream order
		cv, sv := view{name[c.clientNode], c.server, i}, view{name[c.serverNode], c.client, i}
		next[cv.node]++
		ids[cv] = next[cv.node]
		next[sv.node]++
		ids[sv] = next[sv.node]
		types[cv], types[sv] = "outbound-full-relay", "inbound"
		if c.connType == "block-relay-only" {
			types[cv] = "block-relay-only"
		}
	}
	want, got := map[string]string{}, map[string]string{}
	for _, r := range sum.cmds {
		c := sum.conns[r.stream]
		sender, receiver := view{name[r.sender], c.server, r.stream}, view{name[r.receiver], c.client, r.stream}
		if r.dir == "s>c" {
			sender.peer, receiver.peer = c.client, c.server
		}
		for _, x := range []struct {
			v   view
			dir string
		}{{sender, "out"}, {receiver, "in"}} {
			k := fmt.Sprintf("%s %d %s %s %s %s", x.v.node, ids[x.v], x.v.peer, types[x.v], x.dir, r.command)
			want[k] = fmt.Sprintf("%d/%d", r.messages, r.payload)
		}
	}
	for _, r := range query(t, eng, `SELECT node, peer_id, peer_addr, conn_type, direction, msg_type,
		sum(messages), sum(payload_size) FROM peer_messages
		GROUP BY node, peer_id, peer_addr, conn_type, direction, msg_type`) {
		k := fmt.Sprintf("%s %d %s %s %s %s", r[0], toInt(r[1]), r[2], r[3], r[4], r[5])
		got[k] = fmt.Sprintf("%d/%d", toInt(r[6]), toInt(r[7]))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("messages/payload per node, peer, direction and command (-tshark +netlens):\n%s", d)
	}
	conns := map[string]string{}
	for _, r := range query(t, eng, `SELECT node, peer_id, peer_addr, conn_type FROM peer_conns`) {
		conns[fmt.Sprintf("%s %d", r[0], toInt(r[1]))] = fmt.Sprintf("%s %s", r[2], r[3])
	}
	wantConns := map[string]string{}
	for v, id := range ids {
		wantConns[fmt.Sprintf("%s %d", v.node, id)] = v.peer + " " + types[v]
	}
	if d := cmp.Diff(wantConns, conns); d != "" {
		t.Errorf("peer_conns (-want +got):\n%s", d)
	}

	// --node with a port keeps that node's rows only, and names the
	// dialling endpoints of a node no one dials.
	count := func(node string) (n int64) {
		for v := range ids {
			if v.node == node {
				n++
			}
		}
		return n
	}
	for node, as := range map[string]string{"127.0.0.1:18503": "127.0.0.1:18503", "127.0.0.1:18504": "127.0.0.1"} {
		ds2, _ := dataset.OpenWrite(t.TempDir())
		cfg := ingest.DefaultConfig()
		cfg.Node = netip.MustParseAddrPort(node)
		st, err := ingest.Run(context.Background(), ds2, []string{filepath.Join(dir, "btcd-regtest-a.pcap")}, cfg)
		if err != nil || st.PeerConns != count(as) {
			t.Errorf("--node %s: %d peer_conns, %v; want %d", node, st.PeerConns, err, count(as))
			continue
		}
		eng2, err := duckdb.Open(context.Background(), ds2)
		if err != nil {
			t.Fatal(err)
		}
		r := query(t, eng2, `SELECT min(node), max(node), sum(messages) FROM peer_messages`)[0]
		var msgs int64
		for k, v := range got {
			if strings.HasPrefix(k, as+" ") {
				var n, p int64
				fmt.Sscanf(v, "%d/%d", &n, &p)
				msgs += n
			}
		}
		if r[0] != node || r[1] != node || toInt(r[2]) != msgs {
			t.Errorf("--node %s: nodes %v..%v, %d messages; want only it, %d", node, r[0], r[1], toInt(r[2]), msgs)
		}
		eng2.Close()
	}
}

// summary is what readSummary takes from tshark's summary of the btcd
// capture.
type summary struct {
	conns []summaryConn
	cmds  []summaryCmd
}

type summaryConn struct {
	client, server, clientNode, serverNode, connType string
}

type summaryCmd struct {
	stream                         int
	dir, sender, receiver, command string
	messages, payload              int64
}

// readSummary reads the connections and the per-command table of the
// corpus' tshark summary.
func readSummary(t *testing.T, path string) summary {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		s       summary
		section string
	)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = line
			continue
		}
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) < 7 || f[0] == "stream" {
			continue
		}
		switch {
		case strings.HasPrefix(section, "## connections"):
			s.conns = append(s.conns, summaryConn{client: f[1], server: f[2], clientNode: f[3], serverNode: f[4], connType: f[7]})
		case strings.HasPrefix(section, "## per connection"):
			stream, _ := strconv.Atoi(f[0])
			n, _ := strconv.ParseInt(f[5], 10, 64)
			p, _ := strconv.ParseInt(f[6], 10, 64)
			s.cmds = append(s.cmds, summaryCmd{stream: stream, dir: f[1], sender: f[2], receiver: f[3], command: f[4], messages: n, payload: p})
		}
	}
	if len(s.conns) != 7 || len(s.cmds) == 0 {
		t.Fatalf("%s: %d connections, %d command rows", path, len(s.conns), len(s.cmds))
	}
	return s
}
