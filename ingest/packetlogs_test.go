package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/internal/testenv"
)

// ingestPaths ingests paths into a fresh dataset with cfg and opens it.
func ingestPaths(t *testing.T, paths []string, cfg ingest.Config) ingested {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ingest.Run(context.Background(), ds, paths, cfg)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return ingested{st, eng}
}

// TestDarknetLogs ingests the two published samples of DarkVec's raw traces
// with a log of bad rows: the rows before the first bad one are kept, or
// with --skip-bad every good row, and the bad ones are counted.
func TestDarknetLogs(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "darknet")
	paths := []string{
		filepath.Join(dir, "darknet01_20210501_sample.csv.gz"),
		filepath.Join(dir, "darknet01_20210502_sample.csv.gz"),
		filepath.Join("..", "input", "darknet", "testdata", "bad.csv"),
	}
	for _, skip := range []bool{false, true} {
		cfg := ingest.DefaultConfig()
		cfg.SkipBad = skip
		in := ingestPaths(t, paths, cfg)
		wantBad, wantRows := int64(0), uint64(1)
		if skip {
			wantBad, wantRows = 10, 3
		}
		for i, r := range in.stats.Files {
			switch {
			case r.Format != "darknet" || r.Table != "packets":
				t.Errorf("%s: format %q, table %q", r.Path, r.Format, r.Table)
			case i < 2 && (r.Err != nil || r.Frames != 3000):
				t.Errorf("%s: %d rows, %v", r.Path, r.Frames, r.Err)
			case i == 2 && (r.Frames != wantRows || r.BadRows != wantBad):
				t.Errorf("skip-bad %v: %s: %d rows, %d bad; want %d, %d", skip, r.Path, r.Frames, r.BadRows, wantRows, wantBad)
			}
		}
		var re *input.RowError
		if bad := in.stats.Files[2]; !skip && (!errors.As(bad.Err, &re) || re.Line != 3 || !strings.Contains(re.Error(), "bad.csv:3: column 2 (ts)")) {
			t.Errorf("bad.csv: error %v, want one at line 3, column 2", bad.Err)
		}
		n := query(t, in.eng, `SELECT count(*), count(DISTINCT capture) FROM packets`)
		if got := toInt(n[0][0]); got != 6000+int64(wantRows) || toInt(n[0][1]) != 3 || in.stats.Packets != got {
			t.Errorf("skip-bad %v: %d rows in packets of %d inputs (stats %d)", skip, got, toInt(n[0][1]), in.stats.Packets)
		}
	}
}

// TestDarknetAsCapture writes the same packets as a pcap and as a darknet
// log: their rows of packets agree in every column the log has, and in
// the gaps between packets of each address that ingest adds, so that the
// analyses of captures and those of darknet logs read either.
func TestDarknetAsCapture(t *testing.T) {
	dir := t.TempDir()
	pcapPath, csvPath := filepath.Join(dir, "telescope.pcap"), filepath.Join(dir, "telescope.csv")
	f, err := os.Create(pcapPath)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	log.WriteString(",ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n")
	rng := rand.New(rand.NewPCG(4, 2))
	ts := time.Date(2021, 3, 31, 23, 59, 0, 0, time.UTC)
	flags := []uint16{0x02, 0x12, 0x04, 0x10, 0x11}
	for i := range 500 {
		ts = ts.Add(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		src := net.IPv4(192, 0, 2, byte(1+rng.IntN(8)))
		dst := net.IPv4(198, 51, 100, byte(rng.IntN(256)))
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: uint8(30 + rng.IntN(220)), SrcIP: src, DstIP: dst}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
		sport, dport := uint16(1024+rng.IntN(64000)), uint16(rng.IntN(65536))
		var l4 gopacket.SerializableLayer
		fl, seq := "-", "-"
		if i%5 == 4 {
			ip.Protocol = layers.IPProtocolUDP
			u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
			_ = u.SetNetworkLayerForChecksum(ip)
			l4 = u
		} else {
			ip.Protocol = layers.IPProtocolTCP
			tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: rng.Uint32(), Window: 1024, DataOffset: 5}
			fv := flags[rng.IntN(len(flags))]
			tcp.FIN, tcp.SYN, tcp.RST, tcp.ACK = fv&0x01 != 0, fv&0x02 != 0, fv&0x04 != 0, fv&0x10 != 0
			_ = tcp.SetNetworkLayerForChecksum(ip)
			l4 = tcp
			fl, seq = fmt.Sprint(fv), fmt.Sprint(tcp.Seq)
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}, data); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&log, "%s,%d.%09d,2048,%s,%d,%s,%d,%d,%d,%s,0,%s,%d,-,-,-,-,-\n", ts.Format("2006-01-02 15:04:05.000000000"),
			ts.Unix(), ts.Nanosecond(), src, sport, dst, dport, ip.Protocol, len(data), fl, seq, ip.TTL)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvPath, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const shared = `SELECT epoch_ns(ts), frame, link_type, wire_len, eth_type, ip_version, src, dst, ttl, proto, sport, dport,
		tcp_seq, tcp_flags, src_gap_ns, dst_gap_ns FROM packets ORDER BY ts, frame`
	fromPcap := query(t, ingestPaths(t, []string{pcapPath}, ingest.DefaultConfig()).eng, shared)
	fromLog := query(t, ingestPaths(t, []string{csvPath}, ingest.DefaultConfig()).eng, shared)
	if len(fromPcap) != 500 {
		t.Fatalf("%d rows from the pcap, want 500", len(fromPcap))
	}
	if diff := cmp.Diff(fromPcap, fromLog); diff != "" {
		t.Errorf("packets differ (-pcap +darknet log):\n%s", diff)
	}
}
