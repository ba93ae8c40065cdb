package ingest_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
)

// BenchmarkIngest ingests a capture made of 500 copies of the sample
// (312,000 packets, 69 MB) into a fresh dataset per iteration.
func BenchmarkIngest(b *testing.B) {
	path := repeatCapture(b, sample, 500)
	b.ReportAllocs()
	var packets int64
	for b.Loop() {
		ds, err := dataset.OpenWrite(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		st, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		packets += st.Packets
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
}

// repeatCapture writes n copies of the capture at src, one after the other
// with a 10-minute gap (longer than every flow timeout), as a nanosecond
// pcap file, and returns its path.
func repeatCapture(b *testing.B, src string, n int) string {
	b.Helper()
	r, err := input.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	type frame struct {
		ts      int64
		wireLen uint32
		data    []byte
	}
	var (
		frames   []frame
		f        input.Frame
		linkType uint16
	)
	for {
		err := r.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		linkType = f.LinkType
		frames = append(frames, frame{f.Ts, f.WireLen, append([]byte(nil), f.Data...)})
	}
	if len(frames) == 0 {
		b.Fatal("no frames in " + src)
	}

	path := filepath.Join(b.TempDir(), "repeated.pcap")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(out)
	le := binary.LittleEndian
	hdr := le.AppendUint32(nil, 0xa1b23c4d) // nanosecond pcap
	hdr = le.AppendUint16(hdr, 2)
	hdr = le.AppendUint16(hdr, 4)
	hdr = le.AppendUint64(hdr, 0) // time zone, accuracy
	hdr = le.AppendUint32(hdr, 262144)
	hdr = le.AppendUint32(hdr, uint32(linkType))
	w.Write(hdr)
	span := frames[len(frames)-1].ts - frames[0].ts + int64(10*time.Minute)
	rec := make([]byte, 16)
	for i := range n {
		for _, fr := range frames {
			ts := fr.ts + int64(i)*span
			le.PutUint32(rec[0:], uint32(ts/1e9))
			le.PutUint32(rec[4:], uint32(ts%1e9))
			le.PutUint32(rec[8:], uint32(len(fr.data)))
			le.PutUint32(rec[12:], fr.wireLen)
			w.Write(rec)
			w.Write(fr.data)
		}
	}
	if err := errors.Join(w.Flush(), out.Close()); err != nil {
		b.Fatal(err)
	}
	return path
}
