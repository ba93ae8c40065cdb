package btclog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
)

// FuzzReader reads any bytes as a node log: it must never panic, return
// only *record.RowError values and io.EOF, give up after a fatal error, and give rows
// of the table its layout names.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.csv")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\"Time\",\"a inbound\",\"b outbound\"\n1732280400000,1.5,undefined\n1732287600000,2,3\n"))
	f.Add([]byte("timestamp,in,out\n2025-01-22 14:00:00+00:00,-1,5\n2025-01-22 15:00:00+00:00,1,5\n"))
	f.Add([]byte(",peer_id,peer_addr,connection_time,peer_conn_type\n0,0,1.2.3.4:8333,3 days 09:30:00,inbound\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		limit := bytes.Count(data, []byte{'\n'})*64 + 2
		for i := 0; i < limit; i++ {
			var row Row
			err := rd.Next(&row)
			if err == io.EOF {
				return
			}
			if err != nil {
				var e *record.RowError
				if !errors.As(err, &e) {
					t.Fatalf("%v is not an *record.RowError", err)
				}
				if e.Fatal {
					if err2 := rd.Next(&row); err2 != err {
						t.Fatalf("after fatal %v: %v", err, err2)
					}
					return
				}
				continue
			}
			if rd.Table() == "peer_messages" && row.Message.Layout != rd.Layout() {
				t.Fatalf("row of layout %q from a %s file", row.Message.Layout, rd.Layout())
			}
		}
		t.Fatalf("more than %d rows or errors", limit)
	})
}
