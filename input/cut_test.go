package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cliTool returns the path of a command-line tool, or skips the test (fails
// it when CI is set).
func cliTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	requireOrSkip(t, name, err)
	return p
}

// cliOutput runs a command and returns its standard output; a decompressor
// given a cut file writes what it decoded and exits with an error, which is
// expected here.
func cliOutput(t *testing.T, dir string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run()
	return out.Bytes()
}

// plainFrames reads a plain capture from memory with the plain readers.
func plainFrames(t *testing.T, data []byte) []frameSum {
	t.Helper()
	s := &stream{r: bytes.NewReader(data)}
	r, err := openFormat(s, "cli output")
	if err != nil {
		return nil // not even a capture header: no frames
	}
	frames, _ := readAll(t, r)
	return frames
}

// TestCutCompressedMatchesCLI cuts real captures, compressed by the
// command-line tools, at 10%, 50% and 90% of their compressed size, and
// checks that Open keeps exactly the frames that the plain reader keeps on
// what the command-line decompressor makes of the same cut file, and that
// the error says the compressed stream is cut, with the file and the
// compressed offset.
//
// bzip2 -dc writes in pieces of 5000 bytes and drops the last piece it
// decoded when the input ends early, so for bzip2 the reference is
// bzip2recover, which keeps every complete block, decompressed with bzip2
// -dc; bzip2 -dc alone is logged.
func TestCutCompressedMatchesCLI(t *testing.T) {
	corpus, err := corpusDir()
	requireOrSkip(t, "corpus", err)
	captures := []string{
		filepath.Join(corpus, "zeek", "ssh_ssh.pcap"),
		filepath.Join(corpus, "zeek", "irc-dcc-send.pcapng"),
	}
	type codec struct {
		name     string
		compress []string // command and arguments, reading stdin
		tool     string
	}
	codecs := []codec{
		{"gzip", []string{"gzip", "-c"}, "gzip"},
		{"bzip2", []string{"bzip2", "-c"}, "bzip2"},
		{"bzip2-100k", []string{"bzip2", "-1", "-c"}, "bzip2"},
		{"zstd", []string{"zstd", "-q", "-c"}, "zstd"},
		{"xz", []string{"xz", "-c"}, "xz"},
		{"xz-blocks", []string{"xz", "-c", "--block-size=200KiB"}, "xz"},
	}
	for _, capPath := range captures {
		plain, err := os.ReadFile(capPath)
		if err != nil {
			t.Fatal(err)
		}
		full, err := openAll(t, capPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codecs {
			t.Run(filepath.Base(capPath)+"/"+c.name, func(t *testing.T) {
				tool := cliTool(t, c.tool)
				dir := t.TempDir()
				comp := cliOutput(t, dir, plain, c.compress[0], c.compress[1:]...)
				if len(comp) == 0 {
					t.Fatalf("%s made nothing", strings.Join(c.compress, " "))
				}
				for _, pct := range []int{10, 50, 90} {
					cut := len(comp) * pct / 100
					path := writeFile(t, dir, fmt.Sprintf("cut%d.%s", pct, c.name), comp[:cut])
					var want []frameSum
					if c.tool == "bzip2" {
						want = plainFrames(t, bzip2Recover(t, dir, path))
						t.Logf("%d%%: bzip2 -dc keeps %d frames", pct, len(plainFrames(t, cliOutput(t, dir, nil, tool, "-dc", path))))
					} else {
						want = plainFrames(t, cliOutput(t, dir, nil, tool, "-dc", path))
					}
					got, err := openAll(t, path)
					t.Logf("%d%% (%d of %d compressed bytes): %d frames kept, %d by the command-line tool, of %d", pct, cut, len(comp), len(got), len(want), len(full))
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%d%%: frames differ from the command-line tool's (-want +got):\n%s", pct, diff)
					}
					if len(want) > 0 && !cmp.Equal(full[:len(want)], want) {
						t.Errorf("%d%%: the command-line tool's frames are not the first of the file", pct)
					}
					checkCutError(t, err, path, c.tool, int64(cut))
				}
			})
		}
	}
}

// checkCutError checks that err reports the compressed stream of path as
// cut at offset, naming the file and the offset.
func checkCutError(t *testing.T, err error, path, compression string, offset int64) {
	t.Helper()
	var ce *CompressionError
	if !errors.As(err, &ce) {
		t.Errorf("error %v is not a CompressionError", err)
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != path {
		t.Errorf("error %v is not a FormatError of %s", err, path)
	}
	want := CompressionError{Compression: compression, Offset: offset, Cut: true, Err: io.ErrUnexpectedEOF}
	if got := *ce; got != want {
		t.Errorf("CompressionError = %+v, want %+v", got, want)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("%s stream cut short", compression)) || !strings.Contains(msg, fmt.Sprintf("compressed byte %d", offset)) {
		t.Errorf("error %q does not name the file, the cut %s stream and the offset %d", msg, compression, offset)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

// bzip2Recover returns the data of the complete blocks of a cut bzip2
// file, as bzip2recover finds them and bzip2 -dc decompresses them.
func bzip2Recover(t *testing.T, dir, path string) []byte {
	t.Helper()
	cliTool(t, "bzip2recover")
	work := filepath.Join(dir, "recover")
	if err := os.RemoveAll(work); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, work, "cut.bz2", data)
	cliOutput(t, work, nil, "bzip2recover", "cut.bz2")
	blocks, err := filepath.Glob(filepath.Join(work, "rec*cut.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, b := range blocks { // rec00001cut.bz2, rec00002cut.bz2, ...: lexical order is block order
		out = append(out, cliOutput(t, work, nil, "bzip2", "-dc", b)...)
	}
	return out
}

// TestCorruptCompressed flips a byte in the middle of compressed captures:
// the error must say the stream is corrupt (not cut) and name the file and
// a compressed offset within it. (What comes before the error may be wrong
// already: zstd and bzip2 hand over data before they check its checksum,
// as their command-line tools do.)
func TestCorruptCompressed(t *testing.T) {
	plain := testdata(t, "http_get.pcap")
	full, err := openAll(t, filepath.Join("testdata", "http_get.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		compression string
		data        []byte
	}{
		{"gzip", gzipBytes(t, plain)},
		{"bzip2", testdata(t, "http_get.pcap.bz2")},
		{"zstd", zstdBytes(t, plain)},
		{"xz", xzBytes(t, plain)},
	} {
		t.Run(tt.compression, func(t *testing.T) {
			data := bytes.Clone(tt.data)
			data[len(data)/2] ^= 0x55
			path := writeFile(t, dir, "corrupt."+tt.compression, data)
			got, err := openAll(t, path)
			if len(got) > len(full) {
				t.Errorf("%d frames, more than the %d of the capture", len(got), len(full))
			}
			var ce *CompressionError
			var fe *FormatError
			if !errors.As(err, &ce) || !errors.As(err, &fe) {
				t.Fatalf("error %v: want a FormatError wrapping a CompressionError", err)
			}
			if ce.Cut || ce.Compression != tt.compression || ce.Offset <= 0 || ce.Offset > int64(len(data)) || fe.File != path {
				t.Errorf("error %v: CompressionError %+v, want a corrupt %s stream within %d bytes of %s", err, *ce, tt.compression, len(data), path)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.compression+" stream corrupt at compressed byte") {
				t.Errorf("error %q does not say the %s stream is corrupt", msg, tt.compression)
			}
		})
	}
}
