package btclog

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/input/internal/record"
)

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		size uint64
		v6   bool
		want uint64
	}{
		{0, false, 0},
		{24, false, 24 + 52 + 26},
		{1448, false, 1448 + 78},
		{1449, false, 1449 + 2*78},
		{1428, true, 1428 + 108},
		{1429, true, 1429 + 2*108},
	} {
		if got := Estimate(tc.size, tc.v6); got != tc.want {
			t.Errorf("Estimate(%d, %v) = %d, want %d", tc.size, tc.v6, got, tc.want)
		}
	}
}

func TestTracepoint(t *testing.T) {
	f, err := os.Open("testdata/tracepoint.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, rows := readAll(t, f, "tracepoint.csv")
	if rd.Layout() != Tracepoint {
		t.Fatalf("layout %s", rd.Layout())
	}
	type row struct {
		Ts                      int64
		ID                      int64
		Addr, Conn, Dir, Type   string
		Payload, Message, TCPIP uint64
	}
	var got []row
	for _, r := range rows {
		m := r.Message
		if m.Period != 0 || *m.Messages != 1 || m.TCPIPMeasured || m.Layout != Tracepoint {
			t.Fatalf("line %d: %+v", r.Line, m)
		}
		got = append(got, row{m.Ts, *m.PeerID, m.PeerAddr, m.ConnType, m.Direction, m.MsgType, *m.PayloadSize, *m.MessageSize, *m.TCPIPSize})
	}
	const t0 = 1737554400000000000 // 2025-01-22 14:00:00 UTC
	want := []row{
		{t0 + 1000, 7, "203.0.113.5:8333", "outbound-full-relay", "out", "version", 126, 150, 150 + 78},
		{t0 + 250e6, 7, "203.0.113.5:8333", "outbound-full-relay", "in", "version", 126, 150, 150 + 78},
		{t0 + 250100e3, 7, "203.0.113.5:8333", "outbound-full-relay", "in", "verack", 0, 24, 24 + 78},
		{t0 + 1e9, 12, "[2001:db8::7]:8333", "inbound", "in", "ping", 8, 32, 32 + 108},
		{t0 + 15e8, 12, "[2001:db8::7]:8333", "inbound", "out", "pong", 8, 32, 32 + 108},
		{t0 + 600e9, 7, "203.0.113.5:8333", "outbound-full-relay", "in", "block", 1500000, 1500024, 1500024 + 1036*78},
		{t0 + 1200e9, 13, "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion:8333", "inbound", "in", "addrv2", 20000, 20024, 20024 + 14*78},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestPeerDaily(t *testing.T) {
	f, err := os.Open("testdata/peer_daily.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, rows := readAll(t, f, "peer_daily.csv")
	if rd.Layout() != Peer || len(rows) != 3 {
		t.Fatalf("layout %s, %d rows", rd.Layout(), len(rows))
	}
	for _, r := range rows {
		m := r.Message
		if m.Period != 86400 || *m.PeerID != 12 || *m.Messages != *m.PayloadSize/8 {
			t.Fatalf("line %d: %+v", r.Line, m)
		}
	}
	if *rows[2].Message.TCPIPSize != 208 || rows[1].Message.Direction != "out" {
		t.Errorf("rows %+v", rows)
	}
}

// TestBadLines: each bad line is an *record.RowError naming its line and column,
// and the reader goes on to the good line after them.
func TestBadLines(t *testing.T) {
	f, err := os.Open("testdata/bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(f, "bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	var good []int64
	for {
		var row Row
		err := rd.Next(&row)
		if err == io.EOF {
			break
		}
		var e *record.RowError
		if errors.As(err, &e) {
			errs = append(errs, err.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		good = append(good, row.Line)
	}
	want := []string{
		`bad.csv:2: column peer_id: "x" is not an integer`,
		`bad.csv:3: column timestamp: "2025-02-30 14:00:00+00:00" is not a time`,
		`bad.csv:4: column flow: "sideways" is neither in nor out`,
		`bad.csv:5: column size: "-8" is not a byte count`,
		`bad.csv:6: 3 fields, the header has 7`,
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{7}, good); diff != "" {
		t.Errorf("good lines (-want +got):\n%s", diff)
	}
}

func TestSniff(t *testing.T) {
	for head, want := range map[string]string{
		"timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n":                     Tracepoint,
		",peer_id,peer_addr,peer_conn_type,flow,msg_type,size\r\n":                            Tracepoint,
		",peer_id,peer_addr,connection_time,peer_conn_type\n":                                 ConnMap,
		"timestamp,msg_type,peer_id,peer_addr,flow,payload_size,message_size,tcpip_size\n1,2": Peer,
		"\"Time\",\"alice inbound\",\"bob inbound\"\n":                                        Node,
		"timestamp,IPIngressBytes,IPEgressBytes\n":                                            Accounting,
		"timestamp,in,out": Accounting,
		"ts,peer_id,peer_addr,peer_conn_type,flow,msg_type":     "",
		"peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n": "",
		"#separator \\x09\n": "",
	} {
		got, _, _ := Sniff([]byte(head))
		if got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}
