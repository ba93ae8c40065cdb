package input

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// knownFormats is the end of the reason of an unknown format: the list of
// formats, from the one list.
func knownFormats() string {
	_, known, _ := strings.Cut(unknownReason("", nil), "; ")
	return known
}

// TestSniffAndOpenFlows recognises captures and files of flow records from
// their content, compressed or not, and reads the records.
func TestSniffAndOpenFlows(t *testing.T) {
	dir := t.TempDir()
	vxlan := filepath.Join("zeek", "testdata", "vxlan.conn.log")
	for _, tt := range []struct {
		name    string
		path    string
		want    Format
		records int
	}{
		{"pcap", filepath.Join("testdata", "http_get.pcap"), Format{Name: "pcap", Table: "packets"}, -1},
		{"zeek tsv", vxlan, Format{Name: "zeek-tsv", Table: "flows"}, 5},
		{"zeek tsv zstd", writeFile(t, dir, "conn.log.zst", zstdBytes(t, testdata(t, filepath.Join("..", vxlan)))), Format{Name: "zeek-tsv", Table: "flows", Compression: "zstd"}, 5},
		{"zeek tsv gzip", filepath.Join("zeek", "testdata", "dhcp.conn.log.gz"), Format{Name: "zeek-tsv", Table: "flows", Compression: "gzip"}, 4},
		{"zeek json", filepath.Join("zeek", "testdata", "edge.conn.json.log"), Format{Name: "zeek-json", Table: "flows"}, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sniff(context.Background(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Sniff (-want +got):\n%s", diff)
			}
			var read atomic.Int64
			r, err := OpenFlows(context.Background(), tt.path, "name", FlowOptions{BytesRead: &read})
			if tt.records < 0 {
				if !errors.Is(err, ErrNotFlows) {
					t.Errorf("OpenFlows of a capture: %v, want ErrNotFlows", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			var rec FlowRecord
			for {
				err := r.Next(&rec)
				if err == io.EOF {
					break
				}
				var re *RowError
				if errors.As(err, &re) && !re.Fatal {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if err := r.Close(); err != nil {
				t.Error(err)
			}
			if n != tt.records || read.Load() == 0 {
				t.Errorf("read %d records, %d bytes; want %d records", n, read.Load(), tt.records)
			}
			if _, err := Open(tt.path); !errors.Is(err, ErrNotCapture) {
				t.Errorf("Open of flow records: %v, want ErrNotCapture", err)
			}
		})
	}
}
