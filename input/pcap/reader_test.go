package pcap_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/input/pcap"
)

// summary is what a test compares after reading a whole capture.
type summary struct {
	Frames      int
	First, Last int64 // timestamps of the first and last frame
	CapBytes    uint64
	WireBytes   uint64
	CRC         uint32 // CRC-32 over the data of all frames, in order
	LinkTypes   []uint16
	Err         *errSummary
}

type errSummary struct {
	Offset     int64
	Record     uint64
	Reason     string
	Unexpected bool // wraps io.ErrUnexpectedEOF
}

func read(t *testing.T, data []byte) summary {
	t.Helper()
	r, err := pcap.NewReader(bytes.NewReader(data), "test.pcap")
	if err != nil {
		return summary{Err: describe(t, err)}
	}
	defer r.Close()
	return drain(t, r)
}

func drain(t *testing.T, r input.Reader) summary {
	t.Helper()
	var s summary
	var f input.Frame
	for {
		err := r.Next(&f)
		if err == io.EOF {
			return s
		}
		if err != nil {
			s.Err = describe(t, err)
			if again := r.Next(&f); again != err {
				t.Errorf("error not sticky: %v, then %v", err, again)
			}
			return s
		}
		s.Frames++
		if uint32(s.Frames) != f.Index {
			t.Fatalf("frame %d has index %d", s.Frames, f.Index)
		}
		if int(f.CapLen) != len(f.Data) {
			t.Fatalf("frame %d: caplen %d, %d bytes", s.Frames, f.CapLen, len(f.Data))
		}
		if s.Frames == 1 {
			s.First = f.Ts
		}
		s.Last = f.Ts
		s.CapBytes += uint64(f.CapLen)
		s.WireBytes += uint64(f.WireLen)
		s.CRC = crc32.Update(s.CRC, crc32.IEEETable, f.Data)
		if len(s.LinkTypes) == 0 || s.LinkTypes[len(s.LinkTypes)-1] != f.LinkType {
			s.LinkTypes = append(s.LinkTypes, f.LinkType)
		}
	}
}

func describe(t *testing.T, err error) *errSummary {
	t.Helper()
	var fe *input.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *input.FormatError", err, err)
	}
	if fe.File != "test.pcap" {
		t.Errorf("FormatError.File = %q", fe.File)
	}
	return &errSummary{Offset: fe.Offset, Record: fe.Record, Reason: fe.Reason, Unexpected: errors.Is(err, io.ErrUnexpectedEOF)}
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// patch returns a copy of b with v written at off in byte order o.
func patch(b []byte, off int, o binary.ByteOrder, v uint32) []byte {
	c := bytes.Clone(b)
	o.PutUint32(c[off:], v)
	return c
}

// httpGet is the summary of testdata/http_get.pcap (14 frames); its 6th
// record starts at offset 590 and holds 1514 bytes.
var httpGet = summary{Frames: 14, First: 1362692526869344000, Last: 1362692527080972000,
	CapBytes: 6087, WireBytes: 6087, CRC: 0x3a48cb41, LinkTypes: []uint16{1}}

// first5 is the summary of the first five frames of http_get.pcap.
var first5 = summary{Frames: 5, First: 1362692526869344000, Last: 1362692527008509000,
	CapBytes: 486, WireBytes: 486, CRC: 0xb3412e02, LinkTypes: []uint16{1}}

func with(s summary, e *errSummary) summary {
	s.Err = e
	return s
}

func TestReader(t *testing.T) {
	get := testdata(t, "http_get.pcap")
	tests := []struct {
		name string
		data []byte
		want summary
	}{
		{"little-endian microseconds", get, httpGet},
		{"big-endian microseconds", testdata(t, "ipoib.pcap"), summary{Frames: 30, First: 1555605152697187000, Last: 1555605229323197000,
			CapBytes: 4574, WireBytes: 4574, CRC: 0x69bff39c, LinkTypes: []uint16{242}}},
		{"little-endian nanoseconds", testdata(t, "tcp-handshake-nano.pcap"), summary{Frames: 3, First: 1418145369924505488, Last: 1418145370052115157,
			CapBytes: 220, WireBytes: 220, CRC: 0x1cf77afb, LinkTypes: []uint16{113}}},
		{"big-endian nanoseconds", swapped(t, get, true), summary{Frames: 14, First: 1362692526000869344, Last: 1362692527000080972,
			CapBytes: 6087, WireBytes: 6087, CRC: 0x3a48cb41, LinkTypes: []uint16{1}}},
		{"big-endian copy of little-endian", swapped(t, get, false), httpGet},
		{"FCS bits above the link type", patch(get, 20, binary.LittleEndian, 0x1000_0001), httpGet},
		{"caplen above origlen", testdata(t, "http_get_incl_gt_orig.pcap"), httpGet},
		{"header only", get[:24], summary{}},
		{"cut mid-header", testdata(t, "http_get_cut_midheader.pcap"), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "record header cut after 8 of 16 bytes", Unexpected: true})},
		{"cut mid-record", testdata(t, "http_get_cut_midrecord.pcap"), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "record data cut: 757 of 1514 bytes", Unexpected: true})},
		{"cut after a record header", get[:590+16], with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "record data cut: 0 of 1514 bytes", Unexpected: true})},
		{"impossible record length", patch(get, 590+8, binary.LittleEndian, 0x7fff_ffff), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "impossible record length 2147483647"})},
		{"record above 256 KiB with a small snaplen", patch(get, 590+8, binary.LittleEndian, 300_000), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "impossible record length 300000"})},
		{"record above 16 MiB with a huge snaplen", patch(patch(get, 16, binary.LittleEndian, 0xffff_ffff), 590+8, binary.LittleEndian, 16<<20+1), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "impossible record length 16777217"})},
		{"large record allowed by snaplen, then cut", patch(patch(get, 16, binary.LittleEndian, 1<<20), 590+8, binary.LittleEndian, 1<<20), with(first5,
			&errSummary{Offset: 590, Record: 6, Reason: "record data cut: 5729 of 1048576 bytes", Unexpected: true})},
		{"bad magic", testdata(t, "http_get.pcap")[4:], summary{Err: &errSummary{Reason: "not a pcap file: magic 02000400"}}},
		{"unsupported version", patch(get, 4, binary.LittleEndian, 0x0000_0003), summary{Err: &errSummary{Reason: "unsupported pcap version 3.0"}}},
		{"file header cut", get[:7], summary{Err: &errSummary{Reason: "file header cut after 7 of 24 bytes", Unexpected: true}}},
		{"empty", nil, summary{Err: &errSummary{Reason: "file header cut after 0 of 24 bytes", Unexpected: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, read(t, tt.data)); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// swapped rewrites a little-endian microsecond pcap as big-endian, optionally
// relabelled as nanosecond (so each fraction is read as nanoseconds).
func swapped(t *testing.T, le []byte, nano bool) []byte {
	t.Helper()
	out := bytes.Clone(le)
	magic := uint32(pcap.MagicMicro)
	if nano {
		magic = pcap.MagicNano
	}
	binary.BigEndian.PutUint32(out, magic)
	swap16 := func(off int) { binary.BigEndian.PutUint16(out[off:], binary.LittleEndian.Uint16(le[off:])) }
	swap32 := func(off int) { binary.BigEndian.PutUint32(out[off:], binary.LittleEndian.Uint32(le[off:])) }
	swap16(4)
	swap16(6)
	for off := 8; off < 24; off += 4 {
		swap32(off)
	}
	for off := 24; off+16 <= len(le); {
		for k := 0; k < 16; k += 4 {
			swap32(off + k)
		}
		off += 16 + int(binary.LittleEndian.Uint32(le[off+8:]))
	}
	return out
}

func TestReaderHeader(t *testing.T) {
	type header struct {
		LinkType     uint16
		SnapLen      uint32
		Nano         bool
		Major, Minor uint16
	}
	tests := []struct {
		file string
		want header
	}{
		{"http_get.pcap", header{LinkType: 1, SnapLen: 65535, Major: 2, Minor: 4}},
		{"ipoib.pcap", header{LinkType: 242, SnapLen: 262144, Major: 2, Minor: 4}},
		{"tcp-handshake-nano.pcap", header{LinkType: 113, SnapLen: 262144, Nano: true, Major: 2, Minor: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := pcap.NewReader(bytes.NewReader(testdata(t, tt.file)), tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := header{LinkType: r.LinkType(), SnapLen: r.SnapLen(), Nano: r.Nanosecond()}
			got.Major, got.Minor = r.Version()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// oneByteReader returns at most one byte per Read, to exercise refills at
// every position.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestReaderSmallReads(t *testing.T) {
	r, err := pcap.NewReader(oneByteReader{bytes.NewReader(testdata(t, "http_get.pcap"))}, "test.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(httpGet, drain(t, r)); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r, err := pcap.NewReader(&failingReader{data: testdata(t, "http_get.pcap")[:606], err: boom}, "test.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var f input.Frame
	for range 5 {
		if err := r.Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	err = r.Next(&f)
	var fe *input.FormatError
	if !errors.As(err, &fe) || !errors.Is(err, boom) {
		t.Fatalf("Next = %v, want a FormatError wrapping boom", err)
	}
	want := input.FormatError{File: "test.pcap", Offset: 590, Record: 6, Reason: "record data cut: 0 of 1514 bytes: boom", Err: boom}
	if diff := cmp.Diff(want, *fe, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

type closeRecorder struct {
	io.Reader
	closed int
}

func (c *closeRecorder) Close() error {
	c.closed++
	return nil
}

func TestReaderClose(t *testing.T) {
	src := &closeRecorder{Reader: bytes.NewReader(testdata(t, "http_get.pcap"))}
	r, err := pcap.NewReader(src, "test.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var f input.Frame
	if err := r.Next(&f); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
	if src.closed != 1 {
		t.Errorf("underlying reader closed %d times, want 1", src.closed)
	}
}

// TestReaderNoAllocs checks that reading a frame allocates nothing.
func TestReaderNoAllocs(t *testing.T) {
	data := synthetic(10_000, 60)
	r, err := pcap.NewReader(bytes.NewReader(data), "synthetic.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var f input.Frame
	allocs := testing.AllocsPerRun(5000, func() {
		if err := r.Next(&f); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %.2f times per frame, want 0", allocs)
	}
}
