package zeek

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
)

// benchLog writes a conn.log of n connections in Zeek's ASCII format, as
// a busy site's: 4,096 local hosts talking to 65,536 remote ones, TCP and
// UDP, the fields of Zeek's default conn.log.
func benchLog(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-03-01-00-00-00\n")
	b.WriteString("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n")
	b.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n")
	ts := 1709251200.0
	for i := range n {
		ts += rng.Float64() / 100
		proto, svc, state, hist := "tcp", "ssl", "SF", "ShADadFf"
		if i%3 == 0 {
			proto, svc, state, hist = "udp", "dns", "SF", "Dd"
		}
		op, rp := rng.IntN(1000)+1, rng.IntN(1000)+1
		// 4,096 local hosts, 65,536 remote ones.
		local, remote := rng.IntN(1<<12), rng.IntN(1<<16)
		fmt.Fprintf(&b, "%.6f\tC%016x\t10.0.%d.%d\t%d\t%d.%d.%d.%d\t%d\t%s\t%s\t%.6f\t%d\t%d\t%s\tT\tF\t0\t%s\t%d\t%d\t%d\t%d\t(empty)\n",
			ts, rng.Uint64(), local>>8, local&0xff, 1024+rng.IntN(60000),
			remote>>12+1, remote>>8&0xf, remote&0xff, 7, []int{443, 53, 80, 8080}[i%4],
			proto, svc, rng.Float64()*10, op*100, rp*1000, state, hist, op, op*100+op*40, rp, rp*1000+rp*40)
	}
	return b.Bytes()
}

// BenchmarkTSV measures reading a conn.log in Zeek's ASCII format, in
// records per second on one core.
func BenchmarkTSV(b *testing.B) {
	data := benchLog(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var f record.Flow
	n := 0
	for b.Loop() {
		r := NewTSV(bytes.NewReader(data), "bench")
		for {
			err := r.Next(&f)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
