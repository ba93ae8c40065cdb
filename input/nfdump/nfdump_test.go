package nfdump

import (
	"bytes"
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
	for i := 0; i < 100000; i++ {
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
		fmt.Fprintf(&b, "line %d: %d..%d (%gs) proto %d v%d %s %d -> %s %d pkts %d/%d bytes %d/%d flags %#x has %#x\n",
			f.Line, f.Start, f.End, f.Duration, f.Proto, f.IPVersion, f.A, f.APort, f.B, f.BPort,
			f.PktsAToB, f.PktsBToA, f.BytesAToB, f.BytesBToA, f.TCPFlagsA, uint32(f.Has))
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return b.String()
}

func fixtures(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	return files
}

// TestGolden reads nfdump's real output of testdata, in both layouts.
func TestGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !IsCSV(b) {
				t.Fatal("not recognised")
			}
			r, err := NewReader(bytes.NewReader(b), filepath.Base(path))
			if err != nil {
				t.Fatal(err)
			}
			got := dump(t, r)
			if strings.Contains(got, "error") {
				t.Errorf("errors reading a real file:\n%s", got)
			}
			testenv.Golden(t, strings.TrimSuffix(path, ".csv")+".golden", got, *update)
		})
	}
}

// The two layouts of the same records give the same flows, but for the
// start times that the older one prints in whole seconds, and its flags.
func TestLayoutsAgree(t *testing.T) {
	for _, name := range []string{"dlink", "ftp_ipv6", "icmp_icmp-ping", "icmp_icmp6-ping"} {
		read := func(file string) []record.Flow {
			b, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(b), file)
			if err != nil {
				t.Fatal(err)
			}
			var out []record.Flow
			for {
				var f record.Flow
				err := r.Next(&f)
				if err == io.EOF {
					return out
				}
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, f)
			}
		}
		old, cur := read(name+".nfdump-1.7.1.csv"), read(name+".nfdump-1.7.6.csv")
		if len(old) != len(cur) {
			t.Fatalf("%s: %d and %d records", name, len(old), len(cur))
		}
		for i := range old {
			o, c := old[i], cur[i]
			if o.Start > c.Start || c.Start-o.Start >= 1e9 || o.End-o.Start != c.End-c.Start {
				t.Errorf("%s record %d: 1.7.1 %d..%d, 1.7.6 %d..%d", name, i, o.Start, o.End, c.Start, c.End)
			}
			o.Start, o.End, o.Line, c.Start, c.End, c.Line = 0, 0, 0, 0, 0, 0
			o.TCPFlagsA, o.Has = 0, o.Has&^record.HasTCPFlags
			if o.Flow != c.Flow || o.Has != c.Has {
				t.Errorf("%s record %d:\n1.7.1 %+v\n1.7.6 %+v", name, i, o, c)
			}
		}
	}
}

// TestRowErrors checks bad rows, the header and the summary.
func TestRowErrors(t *testing.T) {
	const head = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n"
	const good = "2016-04-15 15:08:38.569,0.199,17,192.168.0.20,5353,224.0.0.251,5353,6,1630,1\n"
	for _, tt := range []struct{ name, csv, want string }{
		{"bad address", head + good + "2016-04-15 15:08:38.569,0.199,17,192.168.0.300,5353,224.0.0.251,5353,6,1630,1\n" + good,
			"x:3: column srcAddr: \"192.168.0.300\" is not an IP address (fatal false)"},
		{"bad time", head + "2016-04-31 15:08:38.569,0.199,17,192.168.0.20,5353,224.0.0.251,5353,6,1630,1\n",
			"x:2: column firstSeen: \"2016-04-31 15:08:38.569\" is not a time (2006-01-02 15:04:05.000, or epoch seconds or milliseconds) (fatal false)"},
		{"fields", head + "2016-04-15 15:08:38.569,0.199,17\n", "x:2: 3 fields, the header names 10 (fatal false)"},
		{"proto", head + "2016-04-15 15:08:38.569,0.199,XYZ,192.168.0.20,5353,224.0.0.251,5353,6,1630,1\n", "x:2: column proto: \"XYZ\" is not an IP protocol (fatal false)"},
		{"icmp", head + "2016-04-15 15:08:38.569,0.199,1,192.168.0.20,0,224.0.0.251,3.x,6,1630,1\n", "x:2: column dstPort: \"3.x\" is not an ICMP type and code (fatal false)"},
		{"summary", "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt\n2016-04-15 15:08:38,2016-04-15 15:08:39,0.2,10.0.0.1,10.0.0.2,1,2,TCP,...A..S.,2,100\nSummary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n2,200,4,0,0,0\n",
			"x:3: column Summary: the Summary says 2 flows, 4 packets, 200 bytes; the records hold 1, 2, 100 (fatal true)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.csv), "x")
			if err != nil {
				t.Fatal(err)
			}
			got := dump(t, r)
			if !strings.Contains(got, "error: "+tt.want+"\n") {
				t.Errorf("got\n%s\nwant the error %s", got, tt.want)
			}
		})
	}
	if _, err := NewReader(strings.NewReader("firstSeen,srcAddr,dstAddr,packets\n"), "x"); err == nil || err.Error() != "x:1: column pr or proto: not in the header: not nfdump's CSV" {
		t.Errorf("header without proto: %v", err)
	}
}

func TestIsCSV(t *testing.T) {
	for head, want := range map[string]bool{
		"ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt\n":                                                                      true,
		"firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\r\n":                                      true,
		"cnt,af,firstSeen,lastSeen,proto,srcAddr,srcPort,dstAddr,dstPort,srcAS,dstAS,input,output,flags,srcTos,packets,bytes\n": true,
		"start,end,ip_a,ip_b,a_port,b_port,bytes_a_to_b,bytes_b_to_a,protocol\n":                                                false,
		"#separator \\x09\n": false,
	} {
		if got := IsCSV([]byte(head)); got != want {
			t.Errorf("IsCSV(%q) = %v", head, got)
		}
	}
}

// FuzzCSV reads arbitrary bytes as nfdump's CSV: it must never panic, and
// return RowErrors only, ending at the first fatal one.
func FuzzCSV(f *testing.F) {
	for _, p := range fixtures(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) || !re.Fatal {
				t.Fatalf("header error %v is not a fatal RowError", err)
			}
			return
		}
		var fl record.Flow
		for i := 0; i <= bytes.Count(data, []byte{'\n'})+1; i++ {
			err := r.Next(&fl)
			if err == io.EOF {
				return
			}
			if err != nil {
				var re *record.RowError
				if !errors.As(err, &re) || re.Line < 1 {
					t.Fatalf("%v is not a RowError with a line", err)
				}
				if re.Fatal {
					return
				}
				continue
			}
			if fl.A != fl.AAddr.String() || fl.B != fl.BAddr.String() || fl.End < fl.Start || fl.Duration < 0 {
				t.Fatalf("bad record %+v", fl)
			}
		}
		t.Fatal("more records than lines")
	})
}
