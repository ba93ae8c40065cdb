//go:build unix

package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// feedFIFO makes a FIFO in dir and, on a goroutine, opens it for writing
// after a moment and writes data into it; wait returns the writer's error.
func feedFIFO(t *testing.T, dir string, data []byte) (path string, wait func() error) {
	t.Helper()
	path = filepath.Join(dir, "live.pcap")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the reader opens first, as with tcpdump started later
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = f.Write(data)
		done <- errors.Join(err, f.Close())
	}()
	return path, func() error { return <-done }
}

func TestOpenFIFO(t *testing.T) {
	for _, name := range []string{"http_get.pcap", "http_get.pcap.bz2"} {
		t.Run(name, func(t *testing.T) {
			want, err := openAll(t, filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			path, wait := feedFIFO(t, t.TempDir(), testdata(t, name))
			if !IsStream(path) {
				t.Errorf("IsStream(%s) = false", path)
			}
			got, err := openAll(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames of the FIFO differ from the file's (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSourceReadsFIFOOnce merges a FIFO with a file: the FIFO is opened
// once (a second open would wait for a writer that never comes again).
func TestSourceReadsFIFOOnce(t *testing.T) {
	dir := t.TempDir()
	fifo, wait := feedFIFO(t, dir, testdata(t, "http_get.pcap"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := NewSource(ctx, []string{fifo, filepath.Join("testdata", "rotation.pcap")}, []string{"fifo", "rotation"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var f Frame
	perFile := map[int]int{}
	for {
		i, err := s.Next(&f)
		if err != nil {
			break
		}
		perFile[i]++
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	want := []FileStat{{Path: "fifo", Frames: 14}, {Path: "rotation", Frames: 20}}
	if diff := cmp.Diff(want, s.Files()); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if ctx.Err() != nil {
		t.Error("the merge waited for the FIFO until the deadline")
	}
}

// TestOpenFIFONeverFed opens a FIFO that no one writes: the open waits, and
// returns at once, with an error that names the FIFO and wraps the
// context's, when the context ends.
func TestOpenFIFONeverFed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "never.pcap")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			r, err := OpenContext(ctx, path)
			if err == nil {
				r.Close()
				t.Fatal("opened a FIFO no one writes")
			}
			if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
				t.Errorf("returned after %v, want about 200ms", d)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			if want := "open capture: wait for " + path + " to be written: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
		})
	}
}

// TestOpenFIFOCancelMidStream cancels while a writer holds the FIFO open
// without writing more: the blocked read ends.
func TestOpenFIFOCancelMidStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stalled.pcap")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	data := testdata(t, "http_get.pcap")
	release := make(chan struct{})
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.Write(data[:1000])
		<-release
	}()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := OpenContext(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	frames, err := readAll(t, r)
	if len(frames) == 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("%d frames, error %v; want the complete frames, then an error wrapping context.Canceled", len(frames), err)
	}
}

// TestOpenStdin reads a capture piped into standard input, named "-".
func TestOpenStdin(t *testing.T) {
	want, err := openAll(t, filepath.Join("testdata", "http_get.pcap"))
	if err != nil {
		t.Fatal(err)
	}
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
		_, _ = pw.Write(testdata(t, "http_get.pcap"))
		pw.Close()
	}()
	got, err := openAll(t, Stdin)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames from standard input differ from the file's (-want +got):\n%s", diff)
	}
}

// TestOpenDevZero rejects /dev/zero as no known format at once, and
// CopyStream stops after its head.
func TestOpenDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := OpenContext(ctx, "/dev/zero")
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Open(/dev/zero) = %v, want ErrUnknownFormat", err)
	}
	n, err := CopyStream(ctx, io.Discard, "/dev/zero")
	if !errors.Is(err, ErrUnknownFormat) || n > 1<<20 {
		t.Errorf("CopyStream(/dev/zero) = %d bytes, %v; want a few bytes and ErrUnknownFormat", n, err)
	}
	if ctx.Err() != nil {
		t.Error("read /dev/zero until the deadline")
	}
}

// TestCopyStreamFIFO copies a FIFO's bytes as they are.
func TestCopyStreamFIFO(t *testing.T) {
	data := testdata(t, "http_get.pcap.bz2")
	path, wait := feedFIFO(t, t.TempDir(), data)
	var got bytes.Buffer
	n, err := CopyStream(context.Background(), &got, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Errorf("copied %d bytes (%d written), want the %d bytes fed", n, got.Len(), len(data))
	}
}
