package main

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
