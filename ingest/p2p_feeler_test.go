package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// p2pCapture writes a pcap of TCP connections carrying Bitcoin messages
// that btcd's wire package encodes.
type p2pCapture struct {
	t     *testing.T
	w     *pcapgo.Writer
	start time.Time
}

// p2pTCP is one connection of a p2pCapture: client is the dialler.
type p2pTCP struct {
	cap            *p2pCapture
	client, server net.IP
	cport, sport   uint16
	seq            [2]uint32 // next sequence number of each side
}

func (c *p2pCapture) packet(at time.Duration, k *p2pTCP, fromServer bool, tcp *layers.TCP, payload []byte) {
	c.t.Helper()
	src, dst := k.client, k.server
	tcp.SrcPort, tcp.DstPort = layers.TCPPort(k.cport), layers.TCPPort(k.sport)
	side := 0
	if fromServer {
		src, dst, side = dst, src, 1
		tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
	}
	tcp.Seq, tcp.Ack, tcp.Window = k.seq[side], k.seq[1-side], 65535
	if tcp.SYN && !tcp.ACK {
		tcp.Ack = 0
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, src[3]}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, dst[3]}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst, Protocol: layers.IPProtocolTCP}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		c.t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		c.t.Fatal(err)
	}
	b := buf.Bytes()
	ts := c.start.Add(at)
	if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
		c.t.Fatal(err)
	}
	k.seq[side] += uint32(len(payload))
	if tcp.SYN || tcp.FIN {
		k.seq[side]++
	}
}

// open writes the three-way handshake.
func (c *p2pCapture) open(at time.Duration, client, server string, cport, sport uint16) *p2pTCP {
	k := &p2pTCP{cap: c, client: net.ParseIP(client).To4(), server: net.ParseIP(server).To4(), cport: cport, sport: sport,
		seq: [2]uint32{1000, 5000}}
	c.packet(at, k, false, &layers.TCP{SYN: true}, nil)
	c.packet(at+time.Millisecond, k, true, &layers.TCP{SYN: true, ACK: true}, nil)
	c.packet(at+2*time.Millisecond, k, false, &layers.TCP{ACK: true}, nil)
	return k
}

// send writes msg in one segment from one side, and its ACK.
func (k *p2pTCP) send(at time.Duration, fromServer bool, msgs ...wire.Message) {
	k.cap.t.Helper()
	var b bytes.Buffer
	for _, m := range msgs {
		if err := wire.WriteMessage(&b, m, wire.ProtocolVersion, wire.MainNet); err != nil {
			k.cap.t.Fatal(err)
		}
	}
	k.cap.packet(at, k, fromServer, &layers.TCP{ACK: true, PSH: true}, b.Bytes())
	k.cap.packet(at+time.Millisecond, k, !fromServer, &layers.TCP{ACK: true}, nil)
}

// close writes a FIN from one side, the other's FIN and the last ACK.
func (k *p2pTCP) close(at time.Duration, fromServer bool) {
	k.cap.packet(at, k, fromServer, &layers.TCP{FIN: true, ACK: true}, nil)
	k.cap.packet(at+time.Millisecond, k, !fromServer, &layers.TCP{FIN: true, ACK: true}, nil)
	k.cap.packet(at+2*time.Millisecond, k, fromServer, &layers.TCP{ACK: true}, nil)
}

// wtxidRelay is BIP 339's wtxidrelay, which btcd's wire does not have: a
// command without payload.
type wtxidRelay struct{}

func (wtxidRelay) BtcDecode(io.Reader, uint32, wire.MessageEncoding) error { return nil }
func (wtxidRelay) BtcEncode(io.Writer, uint32, wire.MessageEncoding) error { return nil }
func (wtxidRelay) Command() string                                         { return "wtxidrelay" }
func (wtxidRelay) MaxPayloadLength(uint32) uint32                          { return 0 }

// version is a version message; relay false as Bitcoin Core sends on
// block-relay-only and feeler connections.
func version(relay bool) *wire.MsgVersion {
	me := wire.NewNetAddressIPPort(net.IPv4zero, 0, wire.SFNodeNetwork)
	you := wire.NewNetAddressIPPort(net.IPv4zero, 0, wire.SFNodeNetwork)
	v := wire.NewMsgVersion(me, you, 42, 900000)
	v.UserAgent = "/Satoshi:29.0.0/"
	v.DisableRelayTx = !relay
	return v
}

// TestP2PFeeler writes connections of a node at 10.0.0.1 that differ in
// what makes a feeler (outbound, the node's handshake only, the node's
// close within ingest.FeelerWindow), and checks each one's type.
func TestP2PFeeler(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feeler.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &p2pCapture{t: t, w: pcapgo.NewWriter(f), start: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	if err := c.w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	const node = "10.0.0.1"
	handshake := func(k *p2pTCP, at time.Duration, relay bool) {
		k.send(at, false, version(relay))
		k.send(at+20*time.Millisecond, true, version(true), wtxidRelay{}, wire.NewMsgSendAddrV2(), wire.NewMsgVerAck())
		k.send(at+40*time.Millisecond, false, wtxidRelay{}, wire.NewMsgSendAddrV2(), wire.NewMsgVerAck())
	}
	want := map[string]string{}
	// A feeler: Bitcoin Core's, relay=0, closed by the node 0.3 s in.
	k := c.open(0, node, "203.0.113.1", 40001, 8333)
	handshake(k, 10*time.Millisecond, false)
	k.close(300*time.Millisecond, false)
	want["203.0.113.1:8333"] = "feeler"
	// A feeler closed by a reset instead of a FIN.
	k = c.open(time.Second, node, "203.0.113.2", 40002, 8333)
	handshake(k, time.Second+10*time.Millisecond, false)
	c.packet(time.Second+200*time.Millisecond, k, false, &layers.TCP{RST: true, ACK: true}, nil)
	want["203.0.113.2:8333"] = "feeler"
	// The node sent a ping after the handshake: a block-relay-only
	// connection that ended early.
	k = c.open(2*time.Second, node, "203.0.113.3", 40003, 8333)
	handshake(k, 2*time.Second+10*time.Millisecond, false)
	k.send(2*time.Second+100*time.Millisecond, false, wire.NewMsgPing(7))
	k.close(2*time.Second+300*time.Millisecond, false)
	want["203.0.113.3:8333"] = "block-relay-only"
	// The peer closed first: the node did not end it.
	k = c.open(3*time.Second, node, "203.0.113.4", 40004, 8333)
	handshake(k, 3*time.Second+10*time.Millisecond, true)
	k.close(3*time.Second+300*time.Millisecond, true)
	want["203.0.113.4:8333"] = "outbound-full-relay"
	// Closed by the node after the handshake, but later than the window.
	k = c.open(4*time.Second, node, "203.0.113.5", 40005, 8333)
	handshake(k, 4*time.Second+10*time.Millisecond, false)
	k.close(4*time.Second+ingest.FeelerWindow+time.Second, false)
	want["203.0.113.5:8333"] = "block-relay-only"
	// Inbound, closed by the node right after the handshake: inbound.
	k = c.open(5*time.Second, "198.51.100.9", node, 50000, 8333)
	k.send(5*time.Second+10*time.Millisecond, false, version(true))
	k.send(5*time.Second+30*time.Millisecond, true, version(true), wire.NewMsgVerAck())
	k.send(5*time.Second+50*time.Millisecond, false, wire.NewMsgVerAck())
	k.close(5*time.Second+100*time.Millisecond, true)
	want["198.51.100.9:50000"] = "inbound"
	// Still open when the capture ends: not known to be a feeler.
	k = c.open(30*time.Second, node, "203.0.113.6", 40006, 8333)
	handshake(k, 30*time.Second+10*time.Millisecond, false)
	want["203.0.113.6:8333"] = "block-relay-only"
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	got := map[string]string{}
	for _, r := range query(t, eng, `SELECT peer_addr, min(conn_type), max(conn_type), min(node), max(node), count(*) FROM peer_messages GROUP BY peer_addr`) {
		if r[1] != r[2] || r[3] != node || r[4] != node {
			t.Errorf("%s: types %v..%v, nodes %v..%v", r[0], r[1], r[2], r[3], r[4])
		}
		got[fmt.Sprint(r[0])] = fmt.Sprint(r[1])
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("connection types (-want +got):\n%s", d)
	}
	// Peer ids follow the SYNs, written in this order.
	order := "203.0.113.1:8333 203.0.113.2:8333 203.0.113.3:8333 203.0.113.4:8333 203.0.113.5:8333 198.51.100.9:50000 203.0.113.6:8333"
	if r := query(t, eng, `SELECT string_agg(peer_addr, ' ' ORDER BY peer_id) FROM peer_conns`); r[0][0] != order {
		t.Errorf("peers in order of peer_id: %v; want %s", r[0][0], order)
	}

	// What tshark's Bitcoin dissector finds in the capture, per sender
	// and command, is what the node's rows say.
	t.Run("tshark", func(t *testing.T) {
		tshark := testenv.Tool(t, "tshark")
		out, err := exec.Command(tshark, "-r", path, "-Y", "bitcoin", "-T", "fields", "-E", "occurrence=a",
			"-e", "ip.src", "-e", "tcp.srcport", "-e", "bitcoin.command").Output()
		if err != nil {
			t.Fatal(err)
		}
		theirs := map[string]int64{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 {
				t.Fatalf("tshark: %q", line)
			}
			who := "peer"
			if f[0] == node {
				who = "node"
			}
			for _, cmd := range strings.Split(f[2], ",") {
				theirs[who+" "+cmd]++
			}
		}
		ours := map[string]int64{}
		for _, r := range query(t, eng, `SELECT direction, msg_type, sum(messages) FROM peer_messages GROUP BY direction, msg_type`) {
			who := "node"
			if r[0] == "in" {
				who = "peer"
			}
			ours[fmt.Sprintf("%s %s", who, r[1])] = toInt(r[2])
		}
		if d := cmp.Diff(theirs, ours); d != "" {
			t.Errorf("messages per sender and command (-tshark +netlens):\n%s", d)
		}
	})
}
