//go:build unix

package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/internal/testenv"
)

// corpusCapture returns a real capture of the shared corpus and its bytes.
func corpusCapture(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(testenv.Corpus(t), "pcaps", "iot-sentinel", "D-LinkCam", "Setup-A-1-STA.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// fileInput ingests the capture at path into a dataset of its own and
// returns the manifest's input: what a stream with its bytes must match.
func fileInput(t *testing.T, path string) dataset.Input {
	t.Helper()
	ds := openDS(t)
	if _, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	return ds.Manifest().Inputs[0]
}

// streamInput is the part of a manifest input that a stream and a file of
// the same bytes share: all but the name, the path and the ingest.
type streamInput struct {
	ID, SHA256 string
	Size       int64
	Frames     uint64
	Error      string
}

func shared(in dataset.Input) streamInput {
	return streamInput{ID: in.ID, SHA256: in.SHA256, Size: in.Size, Frames: in.Frames, Error: in.Error}
}

// checkStreamIngest checks that ds holds one input, read from a stream of
// data under the name path, as it would hold the same bytes from a file,
// and that no copy of the stream is left in the dataset directory.
func checkStreamIngest(t *testing.T, ds *dataset.Dataset, st *ingest.Stats, path string, file dataset.Input, data []byte) {
	t.Helper()
	ins := ds.Manifest().Inputs
	if len(ins) != 1 {
		t.Fatalf("manifest has %d inputs, want 1", len(ins))
	}
	sum := sha256.Sum256(data)
	want := streamInput{ID: file.ID, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Frames: file.Frames}
	if diff := cmp.Diff(want, shared(ins[0])); diff != "" {
		t.Errorf("manifest input of the stream (-want +got):\n%s", diff)
	}
	if ins[0].Path != path || st.Files[0].Path != path || st.Packets != int64(file.Frames) {
		t.Errorf("input path %q, result path %q, %d packets; want %q and %d packets", ins[0].Path, st.Files[0].Path, st.Packets, path, file.Frames)
	}
	left, err := filepath.Glob(filepath.Join(ds.Dir(), ".ingest-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("copies of streams left behind: %v %v", left, err)
	}
}

// TestIngestFIFO ingests a real capture fed into a FIFO by another
// goroutine: the manifest records the stream's size, sha256 and frames, and
// the capture id the same bytes have as a file.
func TestIngestFIFO(t *testing.T) {
	capPath, data := corpusCapture(t)
	file := fileInput(t, capPath)
	fifo, fed := feedFIFO(t, data)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ds := openDS(t)
	st, err := ingest.Run(ctx, ds, []string{fifo}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := fed(); err != nil {
		t.Fatal(err)
	}
	checkStreamIngest(t, ds, st, fifo, file, data)
}

// TestIngestStdin ingests a capture piped into standard input, named "-".
func TestIngestStdin(t *testing.T) {
	capPath, data := corpusCapture(t)
	file := fileInput(t, capPath)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(pr.Fd()), 0); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Dup2(saved, 0)
		_ = syscall.Close(saved)
	}()
	pr.Close()
	go func() {
		_, _ = pw.Write(data)
		pw.Close()
	}()
	ds := openDS(t)
	st, err := ingest.Run(context.Background(), ds, []string{input.Stdin}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	checkStreamIngest(t, ds, st, input.Stdin, file, data)
}

// TestIngestFIFONeverFed gives up promptly, when its context ends, on a
// FIFO that no one writes, and leaves the dataset as it was.
func TestIngestFIFONeverFed(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "never.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ds := openDS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ingest.Run(ctx, ds, []string{fifo}, ingest.DefaultConfig())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v, want soon after the 300ms deadline", d)
	}
	if !errors.Is(err, ingest.ErrInterrupted) {
		t.Errorf("Run = %v, want ErrInterrupted", err)
	}
	if n := len(ds.Manifest().Inputs); n != 0 {
		t.Errorf("manifest has %d inputs, want none", n)
	}
	left, _ := filepath.Glob(filepath.Join(ds.Dir(), ".ingest-*"))
	if len(left) > 0 {
		t.Errorf("copies of streams left behind: %v", left)
	}
}

// TestIngestDevZero rejects /dev/zero as no known capture format at once.
func TestIngestDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	ds := openDS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := ingest.Run(ctx, ds, []string{"/dev/zero"}, ingest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("read /dev/zero until the deadline")
	}
	if len(st.Files) != 1 || !errors.Is(st.Files[0].Err, input.ErrUnknownFormat) || st.Files[0].Frames != 0 {
		t.Fatalf("files %+v, want /dev/zero failed with an unknown format", st.Files)
	}
	if msg := st.Files[0].Err.Error(); !strings.HasPrefix(msg, "/dev/zero: ") || !strings.Contains(msg, "unknown format (first bytes 00000000)") {
		t.Errorf("error %q does not name /dev/zero and its first bytes", msg)
	}
}

// An ingest into a dataset that another ingest holds fails before it reads
// a stream input, which stays whole for the next try.
func TestIngestStreamLockedLeavesStream(t *testing.T) {
	_, data := corpusCapture(t)
	ds := openDS(t)
	held, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Abort()
	// The writer's open blocks until a reader opens the FIFO.
	fifo, fed := feedFIFO(t, data)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ingest.Run(ctx, ds, []string{fifo}, ingest.DefaultConfig()); !errors.Is(err, dataset.ErrLocked) {
		t.Fatalf("Run = %v, want ErrLocked", err)
	}
	r, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := fed(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(data) {
		t.Errorf("the stream lost %d of its %d bytes to the refused ingest", len(data)-len(got), len(data))
	}
}

// feedFIFO makes a FIFO in a temporary directory and writes data into it
// from a goroutine; the returned function waits for the writer.
func feedFIFO(t *testing.T, data []byte) (string, func() error) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "stream")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fed := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			fed <- err
			return
		}
		_, err = f.Write(data)
		fed <- errors.Join(err, f.Close())
	}()
	return fifo, func() error { return <-fed }
}
