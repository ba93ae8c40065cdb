package input

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

func xzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// httpGetFrames checks the frames of testdata/http_get.pcap against values
// taken with tshark.
func httpGetFrames(t *testing.T, frames []frameSum) {
	t.Helper()
	type overview struct {
		Frames      int
		First, Last int64
		CapBytes    uint64
	}
	got := overview{Frames: len(frames)}
	if len(frames) > 0 {
		got.First, got.Last = frames[0].Ts, frames[len(frames)-1].Ts
	}
	for _, f := range frames {
		got.CapBytes += uint64(f.CapLen)
	}
	want := overview{Frames: 14, First: 1362692526869344000, Last: 1362692527080972000, CapBytes: 6087}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("http_get.pcap frames (-want +got):\n%s", diff)
	}
}

func TestOpenCompressed(t *testing.T) {
	plain := testdata(t, "http_get.pcap")
	want, err := openAll(t, filepath.Join("testdata", "http_get.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	httpGetFrames(t, want)

	half := len(plain) / 2
	tests := []struct {
		name string
		data []byte
	}{
		{"x.pcap.gz", gzipBytes(t, plain)},
		{"gzip-named.pcap", gzipBytes(t, plain)},
		{"two-members.pcap.gz", append(gzipBytes(t, plain[:half]), gzipBytes(t, plain[half:])...)},
		{"plain-named.pcap.gz", plain},
		{"x.pcap.bz2", testdata(t, "http_get.pcap.bz2")},
		{"x.pcap.zst", zstdBytes(t, plain)},
		{"x.pcap.xz", xzBytes(t, plain)},
		{"xz-named.pcap.gz", xzBytes(t, plain)},
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			name string
			data []byte
		}{"bzip2-command.pcap.bz2", out})
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openAll(t, writeFile(t, dir, tt.name, tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames differ from the plain file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenFormats(t *testing.T) {
	tests := []struct {
		file   string
		frames int
		first  int64
		last   int64
		link   uint16
	}{
		{"http_get.pcap", 14, 1362692526869344000, 1362692527080972000, 1},
		{"ldap_issue-32.pcapng", 6, 1695728003815495640, 1695728003823355668, 113},
		{"rotation.pcap", 20, 1299466805000000000, 1299502795000000000, 101},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			frames, err := openAll(t, filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			type overview struct {
				Frames      int
				First, Last int64
				Link        uint16
			}
			got := overview{Frames: len(frames), First: frames[0].Ts, Last: frames[len(frames)-1].Ts, Link: frames[0].LinkType}
			if diff := cmp.Diff(overview{tt.frames, tt.first, tt.last, tt.link}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	plain := testdata(t, "http_get.pcap")
	badMagic := filepath.Join("testdata", "bad_magic.pcap")
	known := knownFormats()
	tests := []struct {
		name   string
		path   string
		frames int
		want   *errorSummary
	}{
		{"bad magic", badMagic, 0, &errorSummary{Format: true, File: badMagic, Unknown: true,
			Reason: "unknown format (first bytes 00010203); " + known}},
		{"gzip of text", writeFile(t, dir, "text.gz", gzipBytes(t, []byte("hello, world\n"))), 0, &errorSummary{Format: true, File: filepath.Join(dir, "text.gz"), Unknown: true,
			Reason: "unknown format (first bytes after gzip decompression 68656c6c); " + known}},
		{"short file", writeFile(t, dir, "short", []byte{0xd4, 0xc3}), 0, &errorSummary{Format: true, File: filepath.Join(dir, "short"), Unknown: true,
			Reason: "unknown format (first bytes d4c3); " + known}},
		{"empty file", writeFile(t, dir, "empty", nil), 0, &errorSummary{Format: true, File: filepath.Join(dir, "empty"), Empty: true, Reason: "file is empty (0 bytes)"}},
		{"empty gzip stream", writeFile(t, dir, "empty.gz", gzipBytes(t, nil)), 0, &errorSummary{Format: true, File: filepath.Join(dir, "empty.gz"), Empty: true,
			Reason: "file is empty after gzip decompression (0 bytes)"}},
		{"pcap header cut", writeFile(t, dir, "hdr.pcap", plain[:20]), 0, &errorSummary{Format: true, File: filepath.Join(dir, "hdr.pcap"), Unexpected: true,
			Reason: "file header cut after 20 of 24 bytes"}},
		{"cut mid-record", filepath.Join("testdata", "http_get_cut_midrecord.pcap"), 5, &errorSummary{Format: true, File: filepath.Join("testdata", "http_get_cut_midrecord.pcap"),
			Offset: 590, Record: 6, Reason: "record data cut: 757 of 1514 bytes", Unexpected: true}},
		{"cut gzip stream", writeFile(t, dir, "cut.pcap.gz", gzipBytes(t, plain)[:1500]), 0, nil},
		{"missing", filepath.Join(dir, "missing.pcap"), 0, &errorSummary{Reason: "open capture: open " + filepath.Join(dir, "missing.pcap") + ": no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, err := openAll(t, tt.path)
			if err == nil {
				t.Fatalf("read %d frames and no error", len(frames))
			}
			if tt.want == nil {
				return // only that it fails, checked below for cut streams
			}
			if len(frames) != tt.frames {
				t.Errorf("read %d frames before the error, want %d", len(frames), tt.frames)
			}
			if diff := cmp.Diff(tt.want, summarize(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenCutGzip checks that a gzip stream cut short ends in a FormatError
// after the frames that were complete.
func TestOpenCutGzip(t *testing.T) {
	plain := testdata(t, "http_get.pcap")
	// With no compression, gzip output holds the input bytes in order; cut
	// it inside the 6th record (which starts at 590).
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "cut.pcap.gz", buf.Bytes()[:700])
	frames, err := openAll(t, path)
	if len(frames) != 5 {
		t.Errorf("read %d frames, want 5", len(frames))
	}
	got := summarize(err)
	if got == nil || !got.Format || got.Offset != 590 || got.Record != 6 || !got.Unexpected || !strings.HasPrefix(got.Reason, "record data cut: ") {
		t.Errorf("error = %+v, want a cut in record 6 at offset 590", got)
	}
}

// openFDs counts the open file descriptors of the process.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

func TestOpenCloseReleasesFile(t *testing.T) {
	plain := testdata(t, "http_get.pcap")
	dir := t.TempDir()
	paths := []string{
		writeFile(t, dir, "a.pcap", plain),
		writeFile(t, dir, "a.pcap.gz", gzipBytes(t, plain)),
		writeFile(t, dir, "a.pcap.zst", zstdBytes(t, plain)),
		writeFile(t, dir, "a.pcap.xz", xzBytes(t, plain)),
		filepath.Join("testdata", "http_get.pcap.bz2"),
		filepath.Join("testdata", "bad_magic.pcap"),
		writeFile(t, dir, "text.gz", gzipBytes(t, []byte("not a capture"))),
	}
	before := openFDs(t)
	for range 20 {
		for _, p := range paths {
			r, err := Open(p)
			if err == nil {
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("open file descriptors: %d before, %d after", before, after)
	}
}

func TestOpenDirectoryError(t *testing.T) {
	_, err := Open(t.TempDir())
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(dir) = %v, want a read error", err)
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		t.Errorf("Open(dir) = %v, want an I/O error, not a FormatError", err)
	}
}

func TestReadHead(t *testing.T) {
	got, err := readHead(io.MultiReader(bytes.NewReader([]byte{1}), bytes.NewReader([]byte{2, 3})), 6)
	if err != nil || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("readHead = %x, %v; want 010203, nil", got, err)
	}
}
