package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
)

// writeRecords writes n flow records of a busy site (4,096 local hosts,
// 65,536 remote ones, TCP and UDP) into dir, as a Zeek conn.log and as a
// CSV in netlens' column names, and returns their paths.
func writeRecords(b *testing.B, dir string, n int) (zeekLog, csvFile string) {
	b.Helper()
	zeekLog, csvFile = filepath.Join(dir, "conn.log"), filepath.Join(dir, "flows.csv")
	zf, err := os.Create(zeekLog)
	if err != nil {
		b.Fatal(err)
	}
	cf, err := os.Create(csvFile)
	if err != nil {
		b.Fatal(err)
	}
	zw, cw := bufio.NewWriterSize(zf, 1<<20), bufio.NewWriterSize(cf, 1<<20)
	zw.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-03-01-00-00-00\n")
	zw.WriteString("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n")
	zw.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n")
	cw.WriteString("start,end,a,a_port,b,b_port,proto,pkts_a_to_b,pkts_b_to_a,bytes_a_to_b,bytes_b_to_a,state\n")
	rng := rand.New(rand.NewPCG(1, 2))
	t := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range n {
		t += int64(rng.IntN(20_000))
		dur := int64(rng.IntN(10_000_000))
		local, remote := rng.IntN(1<<12), rng.IntN(1<<16)
		a, b := fmt.Sprintf("10.0.%d.%d", local>>8, local&0xff), fmt.Sprintf("%d.%d.%d.7", remote>>12+1, remote>>8&0xf, remote&0xff)
		ap, bp := 1024+rng.IntN(60000), []int{443, 53, 80, 8080}[i%4]
		proto, pnum, hist := "tcp", 6, "ShADadFf"
		if i%3 == 0 {
			proto, pnum, hist = "udp", 17, "Dd"
		}
		op, rp := rng.IntN(1000)+1, rng.IntN(1000)+1
		fmt.Fprintf(zw, "%d.%06d\tC%016x\t%s\t%d\t%s\t%d\t%s\t-\t%d.%06d\t%d\t%d\tSF\tT\tF\t0\t%s\t%d\t%d\t%d\t%d\t(empty)\n",
			t/1e6, t%1e6, rng.Uint64(), a, ap, b, bp, proto, dur/1e6, dur%1e6, op*100, rp*1000, hist, op, op*140, rp, rp*1040)
		fmt.Fprintf(cw, "%d,%d,%s,%d,%s,%d,%d,%d,%d,%d,%d,SF\n", t*1000, (t+dur)*1000, a, ap, b, bp, pnum, op, rp, op*140, rp*1040)
	}
	for _, err := range []error{zw.Flush(), cw.Flush(), zf.Close(), cf.Close()} {
		if err != nil {
			b.Fatal(err)
		}
	}
	return zeekLog, csvFile
}

// BenchmarkIngestRecords ingests 500,000 flow records, as a Zeek conn.log
// and as a CSV, into a fresh dataset per iteration: reading on one core,
// Parquet writing on the other.
func BenchmarkIngestRecords(b *testing.B) {
	zeekLog, csvFile := writeRecords(b, b.TempDir(), 500_000)
	for _, bc := range []struct{ name, path string }{{"zeek-tsv", zeekLog}, {"csv", csvFile}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var records int64
			cpu0 := cpuTime()
			for b.Loop() {
				ds, err := dataset.OpenWrite(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				st, err := ingest.Run(context.Background(), ds, []string{bc.path}, ingest.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				if st.Files[0].Err != nil {
					b.Fatal(st.Files[0].Err)
				}
				records += st.Records
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			// CPU time of every thread: on a busy machine, what the
			// ingest costs rather than what it got.
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
			}
		})
	}
}
