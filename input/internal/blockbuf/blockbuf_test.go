package blockbuf

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// step is one call to Next and what it gave.
type step struct {
	N      int
	Got    []byte
	Err    string
	Offset int64 // Offset after the call
}

func run(b *Buffer, sizes []int) []step {
	var out []step
	for _, n := range sizes {
		p, err := b.Next(n)
		s := step{N: n, Got: bytes.Clone(p), Offset: b.Offset()}
		if err != nil {
			s.Err = err.Error()
		}
		out = append(out, s)
	}
	return out
}

func seq(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

func TestNext(t *testing.T) {
	data := seq(0, 100)
	boom := errors.New("boom")
	tests := []struct {
		name  string
		rd    io.Reader
		size  int
		sizes []int
		want  []step
	}{
		{"whole reads", bytes.NewReader(data), 0, []int{10, 0, 90, 1}, []step{
			{N: 10, Got: seq(0, 10), Offset: 10},
			{N: 0, Got: []byte{}, Offset: 10},
			{N: 90, Got: seq(10, 90), Offset: 100},
			{N: 1, Got: []byte{}, Err: "EOF", Offset: 100},
		}},
		{"one byte at a time, tiny buffer", iotest.OneByteReader(bytes.NewReader(data)), 4, []int{3, 30, 60, 10}, []step{
			{N: 3, Got: seq(0, 3), Offset: 3},
			{N: 30, Got: seq(3, 30), Offset: 33},
			{N: 60, Got: seq(33, 60), Offset: 93},
			{N: 10, Got: seq(93, 7), Err: "unexpected EOF", Offset: 100},
		}},
		{"read error after data", io.MultiReader(bytes.NewReader(data[:20]), iotest.ErrReader(boom)), 8, []int{15, 15, 1}, []step{
			{N: 15, Got: seq(0, 15), Offset: 15},
			{N: 15, Got: seq(15, 5), Err: "boom", Offset: 20},
			{N: 1, Got: []byte{}, Err: "boom", Offset: 20},
		}},
		{"data and EOF together", iotest.DataErrReader(bytes.NewReader(data[:10])), 0, []int{4, 6, 1}, []step{
			{N: 4, Got: seq(0, 4), Offset: 4},
			{N: 6, Got: seq(4, 6), Offset: 10},
			{N: 1, Got: []byte{}, Err: "EOF", Offset: 10},
		}},
		{"reader that never progresses", emptyReader{}, 0, []int{1}, []step{
			{N: 1, Got: []byte{}, Err: "multiple Read calls return no data or error", Offset: 0},
		}},
		{"negative size", bytes.NewReader(data), 0, []int{-1, 2}, []step{
			{N: -1, Err: "negative read size", Offset: 0},
			{N: 2, Got: seq(0, 2), Offset: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Buffer
			b.Init(tt.rd, tt.size)
			if diff := cmp.Diff(tt.want, run(&b, tt.sizes)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// TestGrowOnlyWithData checks that a request for far more than the stream
// holds does not allocate the requested size.
func TestGrowOnlyWithData(t *testing.T) {
	var b Buffer
	b.Init(bytes.NewReader(seq(0, 100)), 0)
	p, err := b.Next(1 << 30)
	if err != io.ErrUnexpectedEOF || len(p) != 100 {
		t.Fatalf("Next = %d bytes, %v", len(p), err)
	}
	if cap(b.buf) > startSize {
		t.Errorf("buffer grew to %d bytes for 100 bytes of data", cap(b.buf))
	}
}

// TestGrowToSize checks that a long stream gets the full buffer and large
// requests grow it further.
func TestGrowToSize(t *testing.T) {
	data := bytes.Repeat(seq(0, 256), 4096) // 1 MiB
	var b Buffer
	b.Init(bytes.NewReader(data), DefaultSize)
	for range 2 {
		if _, err := b.Next(startSize); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.buf) != DefaultSize {
		t.Errorf("buffer is %d bytes after a long read, want %d", len(b.buf), DefaultSize)
	}
	p, err := b.Next(DefaultSize + 1)
	if err != nil || !bytes.Equal(p, data[2*startSize:2*startSize+DefaultSize+1]) {
		t.Fatalf("large Next: %d bytes, %v", len(p), err)
	}
	if b.Offset() != 2*startSize+DefaultSize+1 {
		t.Errorf("Offset = %d", b.Offset())
	}
}
