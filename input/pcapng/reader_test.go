package pcapng_test

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
	"github.com/netlens/netlens/input/pcapng"
)

// summary is what a test compares after reading a whole capture.
type summary struct {
	Frames      int
	First, Last int64 // timestamps of the first and last frame
	CapBytes    uint64
	WireBytes   uint64
	CRC         uint32   // CRC-32 over the data of all frames, in order
	LinkTypes   []uint16 // link types in order of appearance, runs collapsed
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
	r, err := pcapng.NewReader(bytes.NewReader(data), "test.pcapng")
	if err != nil {
		return summary{Err: describe(t, err)}
	}
	defer r.Close()
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
	if fe.File != "test.pcapng" {
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

// TestGopacketCorpus reads the pcapng test files of pcapng-test-generator,
// in both byte orders. The expected values were checked against tshark.
func TestGopacketCorpus(t *testing.T) {
	const t0 = 1340954905298858000 // 2012-06-29 07:28:25.298858 UTC
	ms := func(n int64) int64 { return t0 + n*1_000_000 }
	tests := []struct {
		file string
		want summary
	}{
		{"test001", summary{Frames: 4, CapBytes: 1312, WireBytes: 1312, CRC: 0x91f3ca76, LinkTypes: []uint16{1}}},
		{"test002", summary{}},
		{"test003", summary{}},
		{"test004", summary{Frames: 4, First: t0, Last: ms(3), CapBytes: 448, WireBytes: 1312, CRC: 0x9c8936bd, LinkTypes: []uint16{1}}},
		{"test005", summary{Frames: 4, First: t0, Last: ms(3), CapBytes: 448, WireBytes: 1312, CRC: 0x9c8936bd, LinkTypes: []uint16{1}}},
		{"test006", summary{Frames: 5, First: t0, Last: ms(4), CapBytes: 552, WireBytes: 1480, CRC: 0x1e7e0024, LinkTypes: []uint16{1, 0, 1}}},
		{"test007", summary{Frames: 1, First: t0, Last: t0, CapBytes: 96, WireBytes: 314, CRC: 0x91993e77, LinkTypes: []uint16{1}}},
		// if_tsresol 10^-9 applied to microsecond values.
		{"test008", summary{Frames: 4, First: 1340954905298858, Last: 1340954905301858, CapBytes: 448, WireBytes: 1312, CRC: 0x9c8936bd, LinkTypes: []uint16{1}}},
		{"test009", summary{Frames: 2, First: t0, Last: ms(1), CapBytes: 656, WireBytes: 656, CRC: 0x0ac9f9dc, LinkTypes: []uint16{1}}},
		// Simple packet blocks carry no timestamp: they take the last one seen.
		{"test010", summary{Frames: 4, CapBytes: 1312, WireBytes: 1312, CRC: 0x91f3ca76, LinkTypes: []uint16{1}}},
		{"test011", summary{Frames: 4, Last: ms(2), CapBytes: 1312, WireBytes: 1312, CRC: 0x91f3ca76, LinkTypes: []uint16{1}}},
		{"test012", summary{Frames: 4, CapBytes: 1258, WireBytes: 1312, CRC: 0xa1a33d9a, LinkTypes: []uint16{1}}},
		{"test013", summary{}},
		{"test014", summary{}},
		{"test015", summary{}},
		{"test016", summary{Frames: 4, Last: ms(2), CapBytes: 1312, WireBytes: 1312, CRC: 0x91f3ca76, LinkTypes: []uint16{1}}},
		{"test017", summary{}},
		{"test018", summary{Frames: 4, Last: ms(2), CapBytes: 1312, WireBytes: 1312, CRC: 0x91f3ca76, LinkTypes: []uint16{1}}},
		{"test100", summary{Frames: 5, Last: ms(3), CapBytes: 1480, WireBytes: 1480, CRC: 0xcd5a2b95, LinkTypes: []uint16{1, 0}}},
		{"test101", summary{Frames: 4, First: t0, Last: ms(3), CapBytes: 488, WireBytes: 1138, CRC: 0x92ff7e9c, LinkTypes: []uint16{1, 0}}},
		{"test102", summary{Frames: 5, First: t0, Last: ms(3), CapBytes: 798, WireBytes: 1480, CRC: 0x301e7fec, LinkTypes: []uint16{1, 0}}},
		{"test200", summary{}},
		{"test201", summary{Frames: 4, First: t0, Last: ms(3), CapBytes: 520, WireBytes: 1138, CRC: 0x7f0a9f5c, LinkTypes: []uint16{1, 0}}},
		{"test202", summary{Frames: 8, First: t0, Last: ms(3), CapBytes: 1040, WireBytes: 2304, CRC: 0x1c1817d8, LinkTypes: []uint16{1, 0, 1, 0}}},
		// The second section claims version 2.0.
		{"test901", summary{Frames: 1, First: t0, Last: t0, CapBytes: 314, WireBytes: 314, CRC: 0xcdea39dc, LinkTypes: []uint16{1},
			Err: &errSummary{Offset: 480, Record: 4, Reason: "unsupported pcapng version 2.0"}}},
		// if_tsresol 2^-8.
		{"test902", summary{Frames: 1, First: 1519128000195312500, Last: 1519128000195312500, CapBytes: 314, WireBytes: 314, CRC: 0xcdea39dc, LinkTypes: []uint16{1}}},
	}
	for _, order := range []string{"le", "be"} {
		for _, tt := range tests {
			t.Run(order+"/"+tt.file, func(t *testing.T) {
				got := read(t, testdata(t, filepath.Join(order, tt.file+".pcapng")))
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("summary mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		file string
		want summary
	}{
		{"empty.pcapng", summary{}},
		{"ldap_issue-32.pcapng", summary{Frames: 6, First: 1695728003815495640, Last: 1695728003823355668, CapBytes: 867, WireBytes: 867, CRC: 0x30e0d4e4, LinkTypes: []uint16{113}}},
		{"irc-dcc-send_cut.pcapng", summary{Frames: 610, First: 1753735709964970000, Last: 1753735774221119000, CapBytes: 702698, WireBytes: 702698, CRC: 0x20a82d25, LinkTypes: []uint16{1},
			Err: &errSummary{Offset: 723688, Record: 613, Reason: "block cut: 1181 of 1548 bytes", Unexpected: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, read(t, testdata(t, tt.file))); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// order is a byte order that can both encode and append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// builder writes pcapng blocks in one byte order.
type builder struct {
	o   order
	buf []byte
}

func (b *builder) block(typ uint32, body []byte) *builder {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b.buf = b.o.AppendUint32(b.buf, typ)
	b.buf = b.o.AppendUint32(b.buf, n)
	b.buf = append(b.buf, body...)
	b.buf = b.o.AppendUint32(b.buf, n)
	return b
}

func (b *builder) shb(major uint16) *builder {
	body := b.o.AppendUint32(nil, 0x1a2b3c4d)
	body = b.o.AppendUint16(body, major)
	body = b.o.AppendUint16(body, 0)
	body = b.o.AppendUint64(body, 0xffff_ffff_ffff_ffff)
	return b.block(pcapng.BlockSectionHeader, body)
}

// option encodes one option.
func (b *builder) option(code uint16, val []byte) []byte {
	o := b.o.AppendUint16(nil, code)
	o = b.o.AppendUint16(o, uint16(len(val)))
	o = append(o, val...)
	for len(o)%4 != 0 {
		o = append(o, 0)
	}
	return o
}

func (b *builder) idb(linkType uint16, snap uint32, opts ...[]byte) *builder {
	body := b.o.AppendUint16(nil, linkType)
	body = b.o.AppendUint16(body, 0)
	body = b.o.AppendUint32(body, snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	return b.block(pcapng.BlockInterface, body)
}

func (b *builder) epb(iface uint32, ts uint64, orig uint32, data []byte) *builder {
	body := b.o.AppendUint32(nil, iface)
	body = b.o.AppendUint32(body, uint32(ts>>32))
	body = b.o.AppendUint32(body, uint32(ts))
	body = b.o.AppendUint32(body, uint32(len(data)))
	body = b.o.AppendUint32(body, orig)
	body = append(body, data...)
	return b.block(pcapng.BlockEnhancedPacket, body)
}

func (b *builder) opb(iface uint16, ts uint64, orig uint32, data []byte) *builder {
	body := b.o.AppendUint16(nil, iface)
	body = b.o.AppendUint16(body, 0)
	body = b.o.AppendUint32(body, uint32(ts>>32))
	body = b.o.AppendUint32(body, uint32(ts))
	body = b.o.AppendUint32(body, uint32(len(data)))
	body = b.o.AppendUint32(body, orig)
	body = append(body, data...)
	return b.block(pcapng.BlockObsoletePacket, body)
}

func (b *builder) spb(orig uint32, data []byte) *builder {
	return b.block(pcapng.BlockSimplePacket, append(b.o.AppendUint32(nil, orig), data...))
}

// patched returns a copy of data with v written at off in byte order o.
func patched(data []byte, off int, o binary.ByteOrder, v uint32) []byte {
	c := bytes.Clone(data)
	o.PutUint32(c[off:], v)
	return c
}

func TestReaderBuilt(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	pkt := []byte("0123456789abcdef")
	crc := crc32.ChecksumIEEE(pkt)
	crc2 := crc32.Update(crc, crc32.IEEETable, pkt)
	nb := func(o order) *builder { return &builder{o: o} }
	// A section header (28 bytes) and an interface (20 bytes) start at 0 and
	// 28; the first packet block starts at 48.
	good := nb(le).shb(1).idb(1, 0).epb(0, 1_700_000_000_000_000, 16, pkt).buf
	tests := []struct {
		name string
		data []byte
		want summary
	}{
		{"microseconds by default", good,
			summary{Frames: 1, First: 1_700_000_000_000_000_000, Last: 1_700_000_000_000_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"milliseconds", nb(be).shb(1).idb(1, 0, nb(be).option(9, []byte{3})).epb(0, 1_700_000_000_123, 16, pkt).buf,
			summary{Frames: 1, First: 1_700_000_000_123_000_000, Last: 1_700_000_000_123_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"picoseconds", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{12})).epb(0, 98_765_123_456_789_999, 16, pkt).buf,
			summary{Frames: 1, First: 98_765_123_456_789, Last: 98_765_123_456_789, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"seconds", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{0})).epb(0, 1_700_000_000, 16, pkt).buf,
			summary{Frames: 1, First: 1_700_000_000_000_000_000, Last: 1_700_000_000_000_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"2^-10 with an offset", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{0x80 | 10}), nb(le).option(14, le.AppendUint64(nil, 100))).epb(0, 3<<10|512, 16, pkt).buf,
			summary{Frames: 1, First: 103_500_000_000, Last: 103_500_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"2^-40", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{0x80 | 40})).epb(0, 5<<40|1<<39, 16, pkt).buf,
			summary{Frames: 1, First: 5_500_000_000, Last: 5_500_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"negative offset", nb(be).shb(1).idb(1, 0, nb(be).option(14, be.AppendUint64(nil, uint64(0xffff_ffff_ffff_fff6)))).epb(0, 0, 16, pkt).buf,
			summary{Frames: 1, First: -10_000_000_000, Last: -10_000_000_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},
		{"two interfaces, two link types", nb(le).shb(1).idb(1, 0).idb(101, 0, nb(le).option(9, []byte{9})).epb(1, 7, 40, pkt).epb(0, 8, 16, pkt).buf,
			summary{Frames: 2, First: 7, Last: 8_000, CapBytes: 32, WireBytes: 56, CRC: crc2, LinkTypes: []uint16{101, 1}}},
		{"obsolete packet block", nb(le).shb(1).idb(1, 0).opb(0, 2_000_000, 60, pkt).buf,
			summary{Frames: 1, First: 2_000_000_000, Last: 2_000_000_000, CapBytes: 16, WireBytes: 60, CRC: crc, LinkTypes: []uint16{1}}},
		{"simple packet cut by snaplen", nb(le).shb(1).idb(1, 10).epb(0, 5, 16, pkt[:10]).spb(16, pkt).buf,
			summary{Frames: 2, First: 5_000, Last: 5_000, CapBytes: 20, WireBytes: 32, CRC: crc32.Update(crc32.ChecksumIEEE(pkt[:10]), crc32.IEEETable, pkt[:10]), LinkTypes: []uint16{1}}},
		{"simple packet shorter than original", nb(le).shb(1).idb(1, 0).spb(100, pkt).buf,
			summary{Frames: 1, CapBytes: 16, WireBytes: 100, CRC: crc, LinkTypes: []uint16{1}}},
		{"sections in both byte orders", append(nb(le).shb(1).idb(1, 0).epb(0, 1, 16, pkt).buf, nb(be).shb(1).idb(105, 0).epb(0, 2, 16, pkt).buf...),
			summary{Frames: 2, First: 1_000, Last: 2_000, CapBytes: 32, WireBytes: 32, CRC: crc2, LinkTypes: []uint16{1, 105}}},
		{"unknown blocks skipped", nb(le).shb(1).block(0x0bad, []byte("custom")).idb(1, 0).block(0x1234, nil).epb(0, 1, 16, pkt).block(5, make([]byte, 12)).buf,
			summary{Frames: 1, First: 1_000, Last: 1_000, CapBytes: 16, WireBytes: 16, CRC: crc, LinkTypes: []uint16{1}}},

		{"interfaces reset by a new section", nb(le).shb(1).idb(1, 0).shb(1).epb(0, 1, 16, pkt).buf,
			summary{Err: &errSummary{Offset: 76, Record: 4, Reason: "packet on interface 0, but the section describes 0"}}},
		{"undefined interface", nb(le).shb(1).idb(1, 0).epb(1, 1, 16, pkt).buf,
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "packet on interface 1, but the section describes 1"}}},
		{"undefined interface in an obsolete block", nb(le).shb(1).opb(0, 1, 16, pkt).buf,
			summary{Err: &errSummary{Offset: 28, Record: 2, Reason: "packet on interface 0, but the section describes 0"}}},
		{"simple packet without interface", nb(be).shb(1).spb(16, pkt).buf,
			summary{Err: &errSummary{Offset: 28, Record: 2, Reason: "simple packet block before any interface description"}}},
		{"captured length beyond the block", patched(good, 48+20, le, 17),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "enhanced packet: captured length 17 exceeds the 16 bytes of the block"}}},
		{"trailing length differs", patched(good, len(good)-4, le, 44),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block type 0x6: trailing length 44 differs from length 48"}}},
		{"length not a multiple of 4", patched(good, 48+4, le, 47),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block type 0x6: length 47 is not a multiple of 4"}}},
		{"length below the minimum", patched(good, 48+4, le, 28),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block type 0x6: length 28 is below the minimum of 32"}}},
		{"impossible length", patched(good, 48+4, le, 0xffff_fff0),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block type 0x6: impossible length 4294967280"}}},
		{"length beyond the file", patched(good, 48+4, le, 1<<20),
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block cut: 48 of 1048576 bytes", Unexpected: true}}},
		{"cut mid block header", good[:52],
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block header cut after 4 of 8 bytes", Unexpected: true}}},
		{"cut mid block", good[:60],
			summary{Err: &errSummary{Offset: 48, Record: 3, Reason: "block cut: 12 of 48 bytes", Unexpected: true}}},
		{"cut mid section header", good[:10],
			summary{Err: &errSummary{Record: 1, Reason: "section header cut after 10 of 28 bytes", Unexpected: true}}},
		{"cut in the first block header", good[:3],
			summary{Err: &errSummary{Record: 1, Reason: "block header cut after 3 of 8 bytes", Unexpected: true}}},
		{"empty", nil,
			summary{Err: &errSummary{Record: 1, Reason: "block header cut after 0 of 8 bytes", Unexpected: true}}},
		{"not pcapng", good[28:],
			summary{Err: &errSummary{Record: 1, Reason: "not a pcapng file: first block type 01000000"}}},
		{"bad byte-order magic", patched(good, 8, le, 0x01020304),
			summary{Err: &errSummary{Record: 1, Reason: "section header: bad byte-order magic 04030201"}}},
		{"section header trailing length", patched(good, 24, le, 32),
			summary{Err: &errSummary{Record: 1, Reason: "section header: trailing length 32 differs from length 28"}}},
		{"section header too short", patched(good, 4, le, 24),
			summary{Err: &errSummary{Record: 1, Reason: "block type 0xa0d0d0a: length 24 is below the minimum of 28"}}},
		{"unsupported version", nb(le).shb(2).buf,
			summary{Err: &errSummary{Record: 1, Reason: "unsupported pcapng version 2.0"}}},
		{"option overruns the interface block", nb(le).shb(1).block(1, append(make([]byte, 8), nb(le).option(9, make([]byte, 8))[:8]...)).buf,
			summary{Err: &errSummary{Offset: 28, Record: 2, Reason: "interface description: option 9 of 8 bytes overruns the block"}}},
		{"decimal resolution too fine", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{20})).buf,
			summary{Err: &errSummary{Offset: 28, Record: 2, Reason: "interface description: unsupported if_tsresol 10^-20"}}},
		{"binary resolution too fine", nb(le).shb(1).idb(1, 0, nb(le).option(9, []byte{0x80 | 64})).buf,
			summary{Err: &errSummary{Offset: 28, Record: 2, Reason: "interface description: unsupported if_tsresol 2^-64"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, read(t, tt.data)); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
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
	src := &closeRecorder{Reader: bytes.NewReader(testdata(t, "le/test004.pcapng"))}
	r, err := pcapng.NewReader(src, "test.pcapng")
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

func TestReaderNoAllocs(t *testing.T) {
	b := &builder{o: binary.LittleEndian}
	b.shb(1).idb(1, 0)
	pkt := make([]byte, 60)
	for i := range 10_000 {
		b.epb(0, uint64(i), 60, pkt)
	}
	r, err := pcapng.NewReader(bytes.NewReader(b.buf), "test.pcapng")
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

func BenchmarkPcapngReader(b *testing.B) {
	const frames = 100_000
	bl := &builder{o: binary.LittleEndian}
	bl.shb(1).idb(1, 0)
	pkt := make([]byte, 60)
	for i := range frames {
		bl.epb(0, uint64(i), 60, pkt)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(bl.buf)))
	var f input.Frame
	for b.Loop() {
		r, err := pcapng.NewReader(bytes.NewReader(bl.buf), "bench.pcapng")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Next(&f) == nil {
			n++
		}
		if n != frames {
			b.Fatalf("read %d frames, want %d", n, frames)
		}
	}
	b.ReportMetric(float64(frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
