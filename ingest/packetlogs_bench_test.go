package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
)

// BenchmarkIngestDarknet ingests a raw darknet log of 2,000,000 packets
// from 100,000 senders (uncompressed, 250 MB) into a fresh dataset per
// iteration, and reports packets/s and the processor time per packet, all
// threads together.
func BenchmarkIngestDarknet(b *testing.B) {
	const rows = 2_000_000
	path := filepath.Join(b.TempDir(), "darknet.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, ",ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n")
	for i := range rows {
		src := uint32(i*2654435761) % 100_000
		ts := int64(1614643200_000000000) + int64(i)*1_296_000 // 30 days
		fmt.Fprintf(w, "-,%d.%09d,2048,%d.%d.%d.%d,%d,203.0.113.%d,%d,6,60,2,0,%d,%d,-,-,-,-,-\n",
			ts/1e9, ts%1e9, 11+src%200, src>>8&0xff, src&0xff, 7+src%31,
			1024+i%60000, i%256, []int{23, 445, 22, 80, 8080}[i%5], uint32(i)*2246822519, 30+i%200)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var packets int64
	cpu := cpuTime()
	for b.Loop() {
		ds, err := dataset.OpenWrite(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		st, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig())
		if err != nil || st.Packets != rows {
			b.Fatalf("%d packets: %v", st.Packets, err)
		}
		packets += st.Packets
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	if c := cpuTime() - cpu; c > 0 {
		b.ReportMetric(float64(c.Nanoseconds())/float64(packets), "cpu-ns/packet")
	}
}
