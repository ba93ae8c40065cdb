package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// TestMonth writes a small month twice: the same bytes each time, exactly
// the packets asked for, in time order, every Mirai-flagged SYN with the
// destination address as its sequence number, and the ground-truth
// senders among the sources.
func TestMonth(t *testing.T) {
	gt, err := readGT(filepath.Join(testenv.Corpus(t), "darknet", "big_gt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	gen := func() []byte {
		m := newMonth(7, time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC).UnixNano(), 3*int64(24*time.Hour), 60_000, 15_000, gt)
		var b []byte
		var p packet
		b = append(b, csvHeader...)
		for m.next(&p) {
			b = appendCSV(b, &p)
		}
		return b
	}
	a, b := gen(), gen()
	if !bytes.Equal(a, b) {
		t.Fatal("two months of the same seed differ")
	}
	recs, err := csv.NewReader(bytes.NewReader(a)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 60_001 {
		t.Fatalf("%d rows, want 60000", len(recs)-1)
	}
	labelled := map[string]bool{}
	for _, addrs := range gt {
		for _, a := range addrs {
			labelled[a.String()] = true
		}
	}
	var last string
	senders, known, mirai := map[string]bool{}, map[string]bool{}, 0
	for i, r := range recs[1:] {
		if r[0] < last {
			t.Fatalf("row %d: %s before %s", i+1, r[0], last)
		}
		last = r[0]
		senders[r[3]] = true
		if labelled[r[3]] {
			known[r[3]] = true
		}
		if r[10] == "1" {
			mirai++
			dst := netip.MustParseAddr(r[5]).As4()
			if r[11] != strconv.FormatUint(uint64(binary.BigEndian.Uint32(dst[:])), 10) || r[6] != "23" && r[6] != "2323" {
				t.Errorf("row %d: Mirai-flagged with tcp_seq %s to %s:%s", i+1, r[11], r[5], r[6])
			}
		}
	}
	if len(senders) != 15_000 || len(known) < 5000 || mirai == 0 {
		t.Errorf("%d senders, %d of the ground truth, %d Mirai packets", len(senders), len(known), mirai)
	}
}

// TestPcapMatchesCSV writes the same small month as a pcap and as a CSV:
// netlens ingests the same packets from both, in every column the CSV
// has (ICMP aside, whose type and code only the pcap has).
func TestPcapMatchesCSV(t *testing.T) {
	gt, err := readGT(filepath.Join(testenv.Corpus(t), "darknet", "big_gt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, format := range []string{"csv", "pcap"} {
		m := newMonth(3, time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC).UnixNano(), int64(24*time.Hour), 20_000, 12_000, gt)
		if n, err := m.write(filepath.Join(dir, "month."+format), format, false); err != nil || n != 20_000 {
			t.Fatalf("%s: %d packets, %v", format, n, err)
		}
	}
	const shared = `SELECT epoch_ns(ts), frame, wire_len, eth_type, ip_version, src, dst, ttl, proto,
		CASE WHEN proto = 1 THEN 0 ELSE sport END, CASE WHEN proto = 1 THEN 0 ELSE dport END,
		tcp_seq, tcp_flags, src_gap_ns, dst_gap_ns FROM packets ORDER BY frame`
	var got [2][][]any
	for i, format := range []string{"csv", "pcap"} {
		ds, err := dataset.OpenWrite(filepath.Join(dir, "ds-"+format))
		if err != nil {
			t.Fatal(err)
		}
		st, err := ingest.Run(context.Background(), ds, []string{filepath.Join(dir, "month."+format)}, ingest.DefaultConfig())
		if err != nil || st.Packets != 20_000 || st.Files[0].Err != nil {
			t.Fatalf("%s: %d packets, %v", format, st.Packets, errors.Join(err, st.Files[0].Err))
		}
		eng, err := duckdb.Open(context.Background(), ds)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := eng.Query(context.Background(), shared)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := engine.Collect(rows, -1)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = tab.Rows
		eng.Close()
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("packets differ (-csv +pcap):\n%s", diff)
	}
}
