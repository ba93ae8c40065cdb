package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/ingest"
)

// TestInputHashes ingests captures that the pipeline reads whole (their
// hash taken from the bytes it reads), compressed, and cut short or
// followed by bytes the reader stops before (hashed again from the file),
// and wants each input's sha256 and size in the manifest to be those of
// its file.
func TestInputHashes(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"pcap", data},
		{"pcap.gz", gz.Bytes()},
		{"cut.pcap", data[:len(data)*2/3]},
		{"gzip then more.pcap.gz", append(bytes.Clone(gz.Bytes()), "not gzip"...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.name)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			ds := openDS(t)
			if _, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tt.data)
			ins := ds.Manifest().Inputs
			if len(ins) != 1 || ins[0].SHA256 != hex.EncodeToString(sum[:]) || ins[0].Size != int64(len(tt.data)) {
				t.Fatalf("inputs %+v; want one of %d bytes, sha256 %x", ins, len(tt.data), sum)
			}
		})
	}
}
