package nfdump

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netlens/netlens/input/internal/record"
)

// benchCSV writes n records as nfdump 1.7.1 prints them (-o csv, 48
// columns), with 4,096 local and 65,536 remote hosts.
func benchCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n")
	t := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		t = t.Add(time.Duration(rng.IntN(20)) * time.Millisecond)
		d := time.Duration(rng.IntN(5000)) * time.Millisecond
		local, remote := rng.IntN(1<<12), rng.IntN(1<<16)
		fmt.Fprintf(&b, "%s,%s,%.3f,10.0.%d.%d,%d.%d.%d.7,%d,%d,%s,...AP.SF,0,0,%d,%d,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,127.0.0.1,0/0,1,2024-03-01 00:00:00.000\n",
			t.Format("2006-01-02 15:04:05"), t.Add(d).Format("2006-01-02 15:04:05"), d.Seconds(),
			local>>8, local&0xff, remote>>12+1, remote>>8&0xf, remote&0xff,
			1024+rng.IntN(60000), []int{443, 53, 80, 8080}[i%4], []string{"TCP", "UDP"}[i%2], 1+rng.IntN(100), 40+rng.IntN(100000))
	}
	return b.Bytes()
}

// BenchmarkCSV measures reading nfdump's CSV, in records per second on one
// core.
func BenchmarkCSV(b *testing.B) {
	data := benchCSV(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var f record.Flow
	n := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench")
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
