package decode

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/schema"
)

// frame is one captured frame of a test capture.
type frame struct {
	linkType uint16
	ts       int64
	wireLen  uint32
	data     []byte
}

// readFrames reads every frame of testdata/name (pcap or pcapng).
func readFrames(tb testing.TB, name string) []frame {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var frames []frame
	if len(raw) >= 4 && bytes.Equal(raw[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return frames
			}
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			frames = append(frames, frame{uint16(intf.LinkType), ci.Timestamp.UnixNano(), uint32(ci.Length), data})
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		frames = append(frames, frame{uint16(r.LinkType()), ci.Timestamp.UnixNano(), uint32(ci.Length), data})
	}
}

// decodeFrame decodes f the way the ingest pipeline does.
func decodeFrame(d *Decoder, f frame, index int) (schema.Packet, Meta) {
	p := schema.Packet{
		Ts:       f.ts,
		Frame:    uint32(index + 1),
		LinkType: f.linkType,
		WireLen:  f.wireLen,
		CapLen:   uint32(len(f.data)),
	}
	var m Meta
	d.Decode(f.linkType, f.data, &p, &m)
	return p, m
}
