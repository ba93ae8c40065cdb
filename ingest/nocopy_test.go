//go:build unix

package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// bigDarknetLog writes a raw darknet log of rows rows (125 bytes each) to
// a file of dir and returns its path.
func bigDarknetLog(t *testing.T, dir string, rows int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(",ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n")
	for i := range rows {
		src := uint32(i*2654435761) % 20_000
		ts := int64(1614643200_000000000) + int64(i)*9_000_000
		fmt.Fprintf(&b, "-,%d.%09d,2048,%d.%d.%d.%d,%d,203.0.113.%d,%d,6,60,2,0,%d,%d,-,-,-,-,-\n",
			ts/1e9, ts%1e9, 11+src%200, src>>8&0xff, src&0xff, 7+src%31,
			1024+i%60000, i%256, []int{23, 445, 22, 80}[i%4], uint32(i)*2246822519, 30+i%200)
	}
	path := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIngestNoCopy reads streams as they come (ingest.Config.NoCopy): a
// capture, a compressed darknet log and one longer than what a relay keeps
// in memory. Each gets a stream- id and the sha256, size and frames its
// bytes get as a file, and the same rows; the same bytes again are
// refused at their end with nothing committed, or replace the input with
// Force.
func TestIngestNoCopy(t *testing.T) {
	corpus := testenv.Corpus(t)
	tests := []struct {
		name string
		path string
	}{
		{"capture", filepath.Join(corpus, "pcaps", "iot-sentinel", "D-LinkCam", "Setup-A-1-STA.pcap")},
		{"darknet gzip", filepath.Join(corpus, "darknet", "darknet01_20210501_sample.csv.gz")},
		{"darknet past the head", bigDarknetLog(t, t.TempDir(), 200_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			file := fileInput(t, tt.path)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cfg := ingest.DefaultConfig()
			cfg.NoCopy = true
			ds := openDS(t)

			fifo, fed := feedFIFO(t, data)
			st, err := ingest.Run(ctx, ds, []string{fifo}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := fed(); err != nil {
				t.Fatal(err)
			}
			ins := ds.Manifest().Inputs
			sum := sha256.Sum256(data)
			if len(ins) != 1 || !strings.HasPrefix(ins[0].ID, "stream-") || len(ins[0].ID) != len("stream-")+16 ||
				ins[0].SHA256 != hex.EncodeToString(sum[:]) || ins[0].Size != int64(len(data)) ||
				ins[0].Frames != file.Frames || ins[0].Error != file.Error || st.Packets+st.Flows == 0 {
				t.Fatalf("inputs %+v, %d packets; want one stream- input of %d bytes, sha256 %x, %d frames", ins, st.Packets, len(data), sum, file.Frames)
			}
			if left, _ := filepath.Glob(filepath.Join(ds.Dir(), ".ingest-*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
			rows := ds.Rows("packets") + ds.Rows("flows")

			fifo, fed = feedFIFO(t, data)
			_, err = ingest.Run(ctx, ds, []string{fifo}, cfg)
			if err == nil || !strings.Contains(err.Error(), "holds the same bytes") || !strings.Contains(err.Error(), "nothing committed") {
				t.Errorf("the same bytes again: %v, want them refused", err)
			}
			_ = fed()
			if got := ds.Manifest().Inputs; len(got) != 1 || got[0].ID != ins[0].ID || ds.Rows("packets")+ds.Rows("flows") != rows {
				t.Errorf("after the refused ingest: inputs %+v, %d rows; want them as before", got, ds.Rows("packets")+ds.Rows("flows"))
			}

			cfg.Force = true
			fifo, fed = feedFIFO(t, data)
			if _, err := ingest.Run(ctx, ds, []string{fifo}, cfg); err != nil {
				t.Fatalf("again with Force: %v", err)
			}
			_ = fed()
			if got := ds.Manifest().Inputs; len(got) != 1 || got[0].ID == ins[0].ID || got[0].SHA256 != ins[0].SHA256 || ds.Rows("packets")+ds.Rows("flows") != rows {
				t.Errorf("with Force: inputs %+v, %d rows; want one new input with the same rows", got, ds.Rows("packets")+ds.Rows("flows"))
			}
		})
	}
}
