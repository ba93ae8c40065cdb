package flowcsv

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netlens/netlens/input/internal/record"
)

// benchCSV writes n flow records as pandas writes seed 001's no-user
// flows: dates with microseconds, 4,096 local hosts and 65,536 remote
// ones.
func benchCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("start,end,ip_a,ip_b,a_port,b_port,bytes_a_to_b,bytes_b_to_a,protocol\n")
	t := time.Date(2019, 3, 5, 0, 0, 0, 0, time.UTC)
	for i := range n {
		t = t.Add(time.Duration(rng.IntN(20_000)) * time.Microsecond)
		local, remote := rng.IntN(1<<12), rng.IntN(1<<16)
		fmt.Fprintf(&b, "%s,%s,10.0.%d.%d,%d.%d.%d.7,%d,%d,%d,%d,%d\n",
			t.Format("2006-01-02 15:04:05.000000"), t.Add(time.Duration(rng.IntN(1e9))).Format("2006-01-02 15:04:05.000000"),
			local>>8, local&0xff, remote>>12+1, remote>>8&0xf, remote&0xff,
			1024+rng.IntN(60000), []int{443, 53, 80, 1900}[i%4], rng.IntN(1e6), rng.IntN(1e7), []int{6, 17}[i%2])
	}
	return b.Bytes()
}

// BenchmarkCSV measures reading a CSV of flow records, in records per
// second on one core.
func BenchmarkCSV(b *testing.B) {
	data := benchCSV(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var f record.Flow
	n := 0
	for b.Loop() {
		r, err := NewCSV(bytes.NewReader(data), "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
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
