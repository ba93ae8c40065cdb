package flowcsv

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
)

// zz is v as a compact-protocol zigzag varint of one byte.
func zz(v int) byte { return byte(v<<1) ^ byte(v>>7) }

func TestCheckChunk(t *testing.T) {
	// header is a PageHeader: type, uncompressed and compressed sizes, then
	// extra fields, then its stop byte.
	header := func(compressed int, extra ...byte) []byte {
		h := []byte{0x15, zz(0), 0x15, zz(compressed), 0x15, zz(compressed)}
		return append(append(h, extra...), 0)
	}
	page := func(h []byte, n int) []byte { return append(h, bytes.Repeat([]byte{7}, n)...) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name  string
		chunk []byte
		err   string // "" for none
	}{
		{"two pages", cat(page(header(10), 10), page(header(3), 3)), ""},
		// A data page header (field 5) holding statistics (field 8) with a max
		// value (field 5, binary) of 3 bytes, and a list of two i32.
		{"nested fields", page(header(2, 0x1c, 0x15, zz(2), 0x3c, 0x58, 3, 'a', 'b', 'c', 0, 0, 0x19, 0x25, zz(1), zz(2)), 2), ""},
		{"a page past its chunk", page(header(50), 10), "the page at offset 4 states 50 bytes, more than its column chunk holds (10)"},
		{"a text longer than the chunk", page(header(1, 0x18, 0xff, 0xff, 0xff, 0xff, 0x07), 1), "a length of 2147483647 bytes, more than the column chunk holds"},
		{"a list longer than the chunk", page(header(1, 0x19, 0xf5, 0xff, 0xff, 0x7f), 1), "more than the column chunk holds"},
		{"a cut header", []byte{0x15, zz(0), 0x15}, "it runs past the end of its column chunk"},
		{"no page size", []byte{0x15, zz(0), 0}, "no compressed_page_size"},
		{"an unknown type", []byte{0x1d, 0}, "an unknown Thrift type 13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := append([]byte("PAR1"), tc.chunk...)
			err := checkChunk(bytes.NewReader(file), 4, int64(len(file)))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("checkChunk: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("checkChunk: %v, want an error saying %q", err, tc.err)
			}
		})
	}
}

// A footer length past the file's start is an error before anything the
// length states is allocated.
func TestParquetFooterLength(t *testing.T) {
	data := []byte("PAR1\x15\x04\x19\xccHPAR1")
	_, err := NewParquet(bytes.NewReader(data), int64(len(data)), nil, "f.parquet", nil)
	var re *record.RowError
	if !errors.As(err, &re) || !re.Fatal || !strings.Contains(err.Error(), "the footer's length, 1221335300 bytes, is more than the file holds (13 bytes)") {
		t.Fatalf("NewParquet: %v", err)
	}
}

func TestDecimalText(t *testing.T) {
	for _, tc := range []struct {
		bytes []byte // big-endian two's complement
		scale int32
		want  string
	}{
		{[]byte{0x3b, 0x60}, 1, "1520.0"},
		{[]byte{0x3b, 0x60}, 0, "15200"},
		{[]byte{0x05}, 3, "0.005"},
		{[]byte{0xff, 0xfb}, 2, "-0.05"},
		{[]byte{0xc4, 0xa0}, 1, "-1520.0"},
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0}, 0, "-2361183241434822606848"},
		{nil, 2, "0.00"},
	} {
		if got := string(decimalText(nil, twosComplement(tc.bytes), tc.scale)); got != tc.want {
			t.Errorf("decimalText(%x, %d) = %s, want %s", tc.bytes, tc.scale, got, tc.want)
		}
	}
}
