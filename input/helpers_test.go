package input

import (
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// frameSum is a frame reduced to comparable values.
type frameSum struct {
	Ts       int64
	LinkType uint16
	WireLen  uint32
	CapLen   uint32
	Index    uint32
	CRC      uint32
}

func sum(f *Frame) frameSum {
	return frameSum{Ts: f.Ts, LinkType: f.LinkType, WireLen: f.WireLen, CapLen: f.CapLen, Index: f.Index, CRC: crc32.ChecksumIEEE(f.Data)}
}

// readAll reads r to the end and closes it; err is the error that ended it,
// nil for io.EOF.
func readAll(t testing.TB, r Reader) (frames []frameSum, err error) {
	t.Helper()
	var f Frame
	for {
		err = r.Next(&f)
		if err != nil {
			break
		}
		frames = append(frames, sum(&f))
	}
	if cerr := r.Close(); cerr != nil {
		t.Errorf("close: %v", cerr)
	}
	if err == io.EOF {
		err = nil
	}
	return frames, err
}

// openAll opens path and reads it to the end.
func openAll(t testing.TB, path string) ([]frameSum, error) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	return readAll(t, r)
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// errorSummary is an error reduced to comparable values.
type errorSummary struct {
	Format     bool // is a *FormatError
	File       string
	Offset     int64
	Record     uint64
	Reason     string
	Unexpected bool // wraps io.ErrUnexpectedEOF
	Unknown    bool // wraps ErrUnknownFormat
	Empty      bool // wraps ErrEmpty
}

func summarize(err error) *errorSummary {
	if err == nil {
		return nil
	}
	s := &errorSummary{Unexpected: errors.Is(err, io.ErrUnexpectedEOF), Unknown: errors.Is(err, ErrUnknownFormat), Empty: errors.Is(err, ErrEmpty)}
	var fe *FormatError
	if errors.As(err, &fe) {
		s.Format, s.File, s.Offset, s.Record, s.Reason = true, fe.File, fe.Offset, fe.Record, fe.Reason
	} else {
		s.Reason = err.Error()
	}
	return s
}
