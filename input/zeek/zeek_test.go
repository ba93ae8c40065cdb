package zeek

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump reads r to its end, going on after bad rows, and writes each
// record and error on a line.
func dump(t testing.TB, r record.Reader) string {
	t.Helper()
	var b strings.Builder
	var f record.Flow
	for i := 0; i < 10000; i++ {
		err := r.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a RowError", err)
			}
			fmt.Fprintf(&b, "error: %v (fatal %v)\n", err, re.Fatal)
			if re.Fatal {
				break
			}
			continue
		}
		fmt.Fprintf(&b, "line %d: %d..%d (%gs) proto %d v%d %s:%d -> %s:%d pkts %d/%d bytes %d/%d payload %d/%d state %q local %v/%v service %q flags %#x/%#x has %#x\n",
			f.Line, f.Start, f.End, f.Duration, f.Proto, f.IPVersion, f.A, f.APort, f.B, f.BPort,
			f.PktsAToB, f.PktsBToA, f.BytesAToB, f.BytesBToA, f.PayloadAToB, f.PayloadBToA,
			f.State, f.ALocal, f.BLocal, f.Service, f.TCPFlagsA, f.TCPFlagsB, uint32(f.Has))
		if f.AAddr.String() != f.A || f.BAddr.String() != f.B {
			t.Errorf("line %d: addresses %v, %v do not match %q, %q", f.Line, f.AAddr, f.BAddr, f.A, f.B)
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return b.String()
}

func open(t *testing.T, name string) io.ReadCloser {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return f
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}
}

// TestGolden reads the logs of testdata: real ones of Zeek's tests (their
// masked times replaced) and edge cases written for this test.
func TestGolden(t *testing.T) {
	for _, name := range []string{"vxlan.conn.log", "dhcp.conn.log.gz", "socks-bro2.1.conn.log", "edge.conn.log", "edge.conn.json.log"} {
		t.Run(name, func(t *testing.T) {
			r := open(t, name)
			head := make([]byte, 512)
			n, _ := io.ReadFull(r, head)
			head = head[:n]
			rest := io.MultiReader(strings.NewReader(string(head)), r)
			var rd record.Reader
			switch {
			case IsTSV(head):
				rd = NewTSV(struct {
					io.Reader
					io.Closer
				}{rest, r}, name)
			case IsJSON(head):
				rd = NewJSON(struct {
					io.Reader
					io.Closer
				}{rest, r}, name)
			default:
				t.Fatalf("%s: neither TSV nor JSON", name)
			}
			got := dump(t, rd)
			testenv.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
		})
	}
}

// TestHeaderErrors checks the faults that end a log.
func TestHeaderErrors(t *testing.T) {
	const head = "#separator \\x09\n#path\tconn\n"
	for _, tt := range []struct{ name, log, want string }{
		{"not conn", "#separator \\x09\n#path\tdns\n", `x:2: column #path: "dns": netlens reads conn logs only`},
		{"no id fields", head + "#fields\tts\tproto\n", "x:3: column #fields: no field id.orig_h: not a conn log netlens can read (it needs [ts id.orig_h id.orig_p id.resp_h id.resp_p proto])"},
		{"row before fields", head + "1\t2\n", "x:3: a row before the #fields line of its log"},
		{"row after close", head + "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n#close\tx\n1\t1.1.1.1\t1\t2.2.2.2\t2\tudp\n", "x:5: a row before the #fields line of its log"},
		{"separator of two bytes", "#separator ab\n", `x:1: column #separator: "ab": netlens reads separators of one byte`},
		{"header before separator", "#fields\tts\n", "x:1: a header line before #separator: not a Zeek log"},
		{"long line", head + strings.Repeat("x", 2<<20), "x:3: line longer than 1048576 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewTSV(strings.NewReader(tt.log), "x")
			var f record.Flow
			err := r.Next(&f)
			var re *record.RowError
			if !errors.As(err, &re) || !re.Fatal || err.Error() != tt.want {
				t.Errorf("got %v (%#v), want fatal %q", err, re, tt.want)
			}
			if err := r.Next(&f); err == nil || err == io.EOF {
				t.Errorf("read on after a fatal error: %v", err)
			}
		})
	}
}

// TestHistoryFlags checks the TCP flags read from a history.
func TestHistoryFlags(t *testing.T) {
	for _, tt := range []struct {
		h    string
		a, b uint16
	}{
		{"ShADadFf", flagSYN | flagACK | flagFIN, flagSYN | flagACK | flagFIN},
		{"Sr", flagSYN, flagRST},
		{"^hADad", flagACK, flagSYN | flagACK},
		{"", 0, 0},
		{"STWIQCGTtwiqcgt", flagSYN, 0},
	} {
		a, b := historyFlags([]byte(tt.h))
		if a != tt.a || b != tt.b {
			t.Errorf("%q: %#x/%#x, want %#x/%#x", tt.h, a, b, tt.a, tt.b)
		}
	}
}
