package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

// darknetSample returns the path of a published sample of DarkVec's raw
// traces (gzip).
func darknetSample(t *testing.T) string {
	return filepath.Join(testenv.Corpus(t), "darknet", "darknet01_20210501_sample.csv.gz")
}

// TestOpenPackets recognises a darknet log from its content, whatever its
// name, reads its rows, and refuses it as a capture.
func TestOpenPackets(t *testing.T) {
	data, err := os.ReadFile(darknetSample(t))
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "noname", data)
	fm, err := Sniff(context.Background(), path)
	if err != nil || fm != (Format{Name: "darknet", Table: schema.Packets.Name, Compression: "gzip"}) {
		t.Fatalf("Sniff: %+v, %v", fm, err)
	}
	r, err := OpenPackets(context.Background(), path, "noname", FlowOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var p schema.Packet
	for {
		err := r.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n != 3000 || r.Layout() != "raw" {
		t.Errorf("%d rows of layout %s, want 3000 of raw", n, r.Layout())
	}
	if _, err := Open(path); !errors.Is(err, ErrNotCapture) {
		t.Errorf("Open: %v, want ErrNotCapture", err)
	}
	if _, err := OpenPackets(context.Background(), filepath.Join("testdata", "http_get.pcap"), "http_get.pcap", FlowOptions{}, nil); !errors.Is(err, ErrNotPacketLog) {
		t.Errorf("OpenPackets of a capture: %v, want ErrNotPacketLog", err)
	}
}

// TestOpenPacketsCut cuts the gzip sample at 30%, 60% and 90% of its size:
// the rows read are those of the complete lines that gzip -dc makes of the
// cut file, and then a fatal error names the file and says the stream is
// cut.
func TestOpenPacketsCut(t *testing.T) {
	gz := cliTool(t, "gzip")
	data, err := os.ReadFile(darknetSample(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, pct := range []int{30, 60, 90} {
		cut := data[:len(data)*pct/100]
		path := writeFile(t, dir, "cut.csv.gz", cut)
		plain := cliOutput(t, dir, cut, gz, "-dc")
		want := bytes.Count(plain, []byte{'\n'}) - 1 // complete lines, less the header
		r, err := OpenPackets(context.Background(), path, "cut.csv.gz", FlowOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var (
			p   schema.Packet
			n   int
			end error
		)
		for {
			if end = r.Next(&p); end != nil {
				break
			}
			n++
		}
		_ = r.Close()
		var re *RowError
		var ce *CompressionError
		if !errors.As(end, &re) || !re.Fatal || re.File != "cut.csv.gz" || !errors.As(end, &ce) || !ce.Cut {
			t.Errorf("%d%%: ended with %v, want a fatal row error of a cut gzip stream", pct, end)
		}
		if n != want {
			t.Errorf("%d%%: %d rows, gzip -dc gives %d complete lines after the header", pct, n, want)
		}
	}
}
