package dataset

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/klauspost/compress/huff0"
	kzstd "github.com/klauspost/compress/zstd"
	pzstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/netlens/netlens/internal/pagezstd"
)

// addressTexts returns n random IPv4 addresses as a PLAIN page of texts,
// each after its length, as a scan's sources are written.
func addressTexts(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b []byte
	for range n {
		v := r.Uint32()
		s := strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&255)) + "." + strconv.Itoa(int(v>>8&255)) + "." + strconv.Itoa(int(v&255))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// TestLiteralsFrame checks that zstd's decoder reads back every literals
// frame, whichever kind of block its bytes take, and that texts of
// addresses come out smaller than they went in.
func TestLiteralsFrame(t *testing.T) {
	random := make([]byte, 300<<10)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	tests := []struct {
		name    string
		src     []byte
		smaller bool
	}{
		{"empty", nil, false},
		{"one byte", []byte{42}, false},
		{"below a huffman block", addressTexts(50, 1), false},
		{"one block", addressTexts(3000, 2), true},
		{"block boundary", addressTexts(20000, 3)[:zstdMaxBlock], true},
		{"several blocks", addressTexts(60000, 4), true},
		{"one value repeated", bytes.Repeat([]byte{7}, 200<<10), true},
		{"random bytes", random, false},
		{"255 bytes", random[:255], false},
		{"256 bytes", random[:256], false},
		{"65791 bytes", addressTexts(10000, 5)[:65791], true},
		{"65792 bytes", addressTexts(10000, 5)[:65792], true},
	}
	dec, err := kzstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var s huff0.Scratch
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame, err := appendLiteralsFrame([]byte("kept"), tt.src, &s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(frame, []byte("kept")) {
				t.Fatal("the bytes before the frame were not kept")
			}
			frame = frame[4:]
			got, err := dec.DecodeAll(frame, nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !bytes.Equal(got, tt.src) {
				t.Fatalf("decoded %d bytes, not the %d encoded", len(got), len(tt.src))
			}
			if tt.smaller && len(frame) >= len(tt.src) {
				t.Errorf("frame of %d bytes for %d", len(frame), len(tt.src))
			}
		})
	}
}

// TestCompressChoosesLiterals checks which way pageFile.compress makes the
// pages of PLAIN texts: literals frames for random addresses, zstd for
// addresses that repeat and for dictionary indexes, and that the choice
// holds until the next probe.
func TestCompressChoosesLiterals(t *testing.T) {
	enc, err := pagezstd.NewEncoder(pzstd.SpeedFastest)
	if err != nil {
		t.Fatal(err)
	}
	repeated := bytes.Repeat(addressTexts(500, 11), 20)
	tests := []struct {
		name     string
		page     []byte
		dictOn   bool
		literals bool
	}{
		{"random addresses", addressTexts(12000, 12), false, true},
		{"addresses that repeat", repeated, false, false},
		{"dictionary indexes", addressTexts(12000, 13), true, false},
	}
	dec, err := kzstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &pageFile{zstd: enc}
			col := &pageColumn{fieldColumn: fieldColumn{kind: fieldString}, dictOn: tt.dictOn}
			for page := range litProbe + 2 {
				f.scratch = tt.page
				z, err := f.compress(col)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dec.DecodeAll(z, nil)
				if err != nil || !bytes.Equal(got, tt.page) {
					t.Fatalf("page %d does not decode to itself (%v)", page, err)
				}
				zstdFrame := enc.EncodeAll(tt.page, nil)
				if isLit := !bytes.Equal(z, zstdFrame); isLit != tt.literals {
					t.Fatalf("page %d: literals frame %v, want %v", page, isLit, tt.literals)
				}
			}
		})
	}
}
