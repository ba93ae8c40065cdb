package ingest_test

import (
	"context"
	"net/netip"
	"path/filepath"
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
	cfg.Node = netip.MustParseAddr("192.0.2.1")
	st, err = ingest.Run(context.Background(), ds2, []string{pcap}, cfg)
	if err != nil || st.PeerMessages != 0 {
		t.Errorf("node elsewhere: %d rows, %v; want none", st.PeerMessages, err)
	}
}
