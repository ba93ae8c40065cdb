package pcap_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/input/pcap"
)

// synthetic returns a little-endian microsecond pcap of n Ethernet frames of
// size bytes, one microsecond apart.
func synthetic(n, size int) []byte {
	buf := make([]byte, 24, 24+n*(16+size))
	binary.LittleEndian.PutUint32(buf[0:], pcap.MagicMicro)
	binary.LittleEndian.PutUint16(buf[4:], 2)
	binary.LittleEndian.PutUint16(buf[6:], 4)
	binary.LittleEndian.PutUint32(buf[16:], 65535)
	binary.LittleEndian.PutUint32(buf[20:], 1)
	rec := make([]byte, 16+size)
	for i := range n {
		binary.LittleEndian.PutUint32(rec[0:], 1_700_000_000+uint32(i/1_000_000))
		binary.LittleEndian.PutUint32(rec[4:], uint32(i%1_000_000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(size))
		binary.LittleEndian.PutUint32(rec[12:], uint32(size))
		rec[16] = byte(i)
		buf = append(buf, rec...)
	}
	return buf
}

func BenchmarkPcapReader(b *testing.B) {
	for _, size := range []int{60, 1514} {
		const frames = 100_000
		data := synthetic(frames, size)
		b.Run(map[int]string{60: "60B", 1514: "1514B"}[size], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var f input.Frame
			for b.Loop() {
				r, err := pcap.NewReader(bytes.NewReader(data), "bench.pcap")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
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
				if n != frames {
					b.Fatalf("read %d frames, want %d", n, frames)
				}
			}
			b.ReportMetric(float64(frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
