package output

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/netlens/netlens/engine"
)

// edgeRows are rows like those of a scan's table of edges: a new source
// address per row, one of 65,536 destinations, names mostly NULL and
// small counts.
func edgeRows(n int) *engine.Table {
	t := &engine.Table{Columns: []string{"src", "src_name", "dst", "dst_name", "packets", "bytes", "payload_bytes"}}
	t.Rows = make([][]any, n)
	for i := range n {
		var name any
		if i%1000 == 0 {
			name = "host.example.org"
		}
		t.Rows[i] = []any{
			fmt.Sprintf("%d.%d.%d.%d", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff), name,
			fmt.Sprintf("10.0.%d.%d", i*7>>8&0xff, i*7&0xff), nil,
			int64(1 + i%3), int64(60 * (1 + i%3)), int64(0)}
	}
	return t
}

var edgeTypes = []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"}

// packetRows are rows like those of a report's tables of packets (a
// stream, a timeline): a timestamp in nanoseconds, two addresses and a
// length.
func packetRows(n int) *engine.Table {
	t := &engine.Table{Columns: []string{"ts", "src", "dst", "payload_len"}}
	t.Rows = make([][]any, n)
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		t.Rows[i] = []any{start.Add(time.Duration(i) * 1_234_567), "10.0.0.7", "10.0.0.22", int64(i % 1500)}
	}
	return t
}

var packetTypes = []string{"TIMESTAMP_NS", "VARCHAR", "VARCHAR", "BIGINT"}

// BenchmarkWriteStreams writes a scan's table of edges and a table of
// packets to CSV and Parquet from one read each, as a report writes its
// streamed tables.
func BenchmarkWriteStreams(b *testing.B) {
	for _, tt := range []struct {
		name  string
		t     *engine.Table
		types []string
	}{
		{"edges", edgeRows(256 << 10), edgeTypes},
		{"packets", packetRows(256 << 10), packetTypes},
	} {
		for _, f := range []Format{CSV, Parquet} {
			b.Run(tt.name+"/"+f.String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					errs := WriteStreams(context.Background(), streamOf(tt.t, tt.types, 0, nil), []Target{{W: io.Discard, Format: f}})
					if errs[0] != nil {
						b.Fatal(errs[0])
					}
				}
			})
		}
	}
}
