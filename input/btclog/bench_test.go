package btclog

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkTracepoint reads a tracepoint log of 100,000 messages held in
// memory: the reader's cost per row, without decompression or I/O.
func BenchmarkTracepoint(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n")
	types := []string{"inv", "tx", "getdata", "ping", "pong", "block"}
	for i := range 100_000 {
		fmt.Fprintf(&buf, "2025-02-10 %02d:%02d:%02d.%06d+00:00,%d,%s,%s,%s,%s,%d\n", i/3600%24, i/60%60, i%60, i*7919%1000000,
			i%117, []string{"203.0.113.5:8333", "[2001:db8::7]:8333"}[i%2], []string{"inbound", "outbound-full-relay"}[i%3/2],
			[]string{"in", "out"}[i%2], types[i%len(types)], i%997)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var row Row
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Next(&row) == nil {
			n++
		}
		if n != 100_000 {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "rows/s")
}
