package darknet

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/netlens/netlens/schema"
)

// benchLog returns a raw darknet log of n rows from 50,000 senders to a
// /24, as a telescope writes it.
func benchLog(n int) []byte {
	var b bytes.Buffer
	b.WriteString(",ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n")
	for i := range n {
		src := uint32(i*2654435761) % 50000
		fmt.Fprintf(&b, "2021-03-02 00:%02d:%02d.%06d000,%d.%06d,2048,%d.%d.%d.%d,%d,203.0.113.%d,%d,6,60,2,0,%d,%d,-,-,-,-,-\n",
			i/60%60, i%60, i%1000000, 1614643200+i/1000, i%1000000, 11+src%200, src>>8&0xff, src&0xff, 7+src%31,
			1024+i%60000, i%256, []int{23, 445, 22, 80, 8080}[i%5], uint32(i)*2246822519, 30+i%200)
	}
	return b.Bytes()
}

// BenchmarkReader reads a raw darknet log from memory: the parse alone,
// which must not allocate per row.
func BenchmarkReader(b *testing.B) {
	const rows = 200_000
	data := benchLog(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var p schema.Packet
	cpu := cpuTime()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	if c := cpuTime() - cpu; c > 0 {
		b.ReportMetric(float64(c.Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	}
}
