package flowcsv

import (
	"bytes"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump reads r to its end, going on after bad rows, and writes each
// record and error on a line.
func dump(t testing.TB, r record.Reader) string {
	t.Helper()
	var b strings.Builder
	if l, ok := r.(interface{ Layout() string }); ok {
		fmt.Fprintf(&b, "layout %s\n", l.Layout())
	}
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
		fmt.Fprintf(&b, "line %d: %s..%s (%gs) proto %d v%d %q:%d -> %q:%d pkts %d/%d bytes %d/%d payload %d/%d flags %#x/%#x state %q local %v/%v service %q name %q users %q/%q kind %q has %#x\n",
			f.Line, time.Unix(0, f.Start).UTC().Format(time.RFC3339Nano), time.Unix(0, f.End).UTC().Format(time.RFC3339Nano), f.Duration, f.Proto, f.IPVersion,
			f.A, f.APort, f.B, f.BPort, f.PktsAToB, f.PktsBToA, f.BytesAToB, f.BytesBToA, f.PayloadAToB, f.PayloadBToA, f.TCPFlagsA, f.TCPFlagsB,
			f.State, f.ALocal, f.BLocal, f.Service, f.Name, f.UserA, f.UserB, f.Kind, uint32(f.Has))
		if f.AAddr.IsValid() != (f.A != "") || f.BAddr.IsValid() != (f.B != "") {
			t.Errorf("line %d: addresses %v %v, text %q %q", f.Line, f.AAddr, f.BAddr, f.A, f.B)
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return b.String()
}

// mappings are the --columns of the testdata files that need one.
var mappings = map[string]string{
	"custom.csv": "start=first_seen,end=last_seen,a=src,b=dst,a_port=sport,b_port=dport,proto=proto,pkts_a_to_b=pkts,bytes_a_to_b=octets",
}

// TestGolden reads the CSV files of testdata: the three layouts of seed
// 001, a layout of one's own with a mapping, and bad rows.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !IsCSV(b) {
				t.Fatal("not recognised as a CSV")
			}
			var m map[string]string
			if s := mappings[name]; s != "" {
				if m, err = ParseMapping(s); err != nil {
					t.Fatal(err)
				}
			}
			r, err := NewCSV(bytes.NewReader(b), name, m)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, filepath.Join("testdata", strings.TrimSuffix(name, ".csv")+".golden"), dump(t, r), *update)
		})
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tt := range []struct {
		header, mapping, want string
	}{
		{"when,who,what", "", `no column for start, a (or user_a), b (or user_b): the header (when, who, what) is no known layout of flow records; name the columns with --columns start=COLUMN,a=COLUMN,b=COLUMN,...`},
		{"when,src,dst", "start=when,a=src,b=dest", `--columns b=dest: the file has no column "dest" (it has when, src, dst)`},
		{"when,src,dst", "start=when,a=src,b=src", `column "src" would fill both a and b`},
	} {
		var m map[string]string
		if tt.mapping != "" {
			var err error
			if m, err = ParseMapping(tt.mapping); err != nil {
				t.Fatal(err)
			}
		}
		_, err := newPlan(strings.Split(tt.header, ","), m)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s with %q: %v, want %s", tt.header, tt.mapping, err, tt.want)
		}
	}
	for s, want := range map[string]string{
		"start":             `"start": want flows_column=file_column`,
		"begin=x":           `"begin=x": no flows column "begin" a file can fill`,
		"a=x,a=y":           `"a=y": a is mapped twice`,
		"flow_id=id":        `"flow_id=id": no flows column "flow_id" a file can fill`,
		"start=t, a=s,b=d,": "",
	} {
		_, err := ParseMapping(s)
		if want == "" && err != nil || want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)) {
			t.Errorf("ParseMapping(%q): %v, want %q", s, err, want)
		}
	}
}

func TestIsCSV(t *testing.T) {
	for head, want := range map[string]bool{
		"start,end,ip_a,ip_b\n1,2,3,4\n":  true,
		"\xef\xbb\xbfa;b;c\r\n":           true,
		"a\tb\tc\n":                       true,
		",start,a,b\n":                    true, // pandas' unnamed index
		"hello, world\n":                  false,
		"1,2,3\n":                         false,
		"a,b,c\x00\n":                     false,
		"#separator \\x09\n#fields\tts\n": false,
		`"a,b",c` + "\n":                  false,
	} {
		if got := IsCSV([]byte(head)); got != want {
			t.Errorf("IsCSV(%q) = %v", head, got)
		}
	}
}

// pandasFlow is a typical flow as pyarrow writes a pandas frame: times in
// microseconds, counts as int64 or float64, a boolean.
type pandasFlow struct {
	Start     time.Time `parquet:"start,timestamp(microsecond)"`
	End       time.Time `parquet:"end,timestamp(microsecond)"`
	User      string    `parquet:"user"`
	DestIP    string    `parquet:"dest_ip"`
	UserPort  int64     `parquet:"user_port"`
	DestPort  int64     `parquet:"dest_port"`
	BytesUp   float64   `parquet:"bytes_up"`
	BytesDown int64     `parquet:"bytes_down"`
	Protocol  int32     `parquet:"protocol"`
	FQDN      *string   `parquet:"fqdn,optional"`
	Local     bool      `parquet:"local"`
}

// TestParquet reads a Parquet file of typical flows as pandas writes it.
func TestParquet(t *testing.T) {
	name := "www.example.org"
	t0 := time.Date(2019, 3, 5, 12, 34, 56, 789000000, time.UTC)
	rows := []pandasFlow{
		{Start: t0, End: t0.Add(4211 * time.Millisecond), User: "u-0001", DestIP: "203.0.113.10", UserPort: 51234, DestPort: 443, BytesUp: 1520, BytesDown: 48211, Protocol: 6, FQDN: &name},
		{Start: t0.Add(time.Hour), End: t0.Add(time.Hour), User: "u-0002", DestIP: "10.45.0.1", UserPort: 40000, DestPort: 53, BytesUp: 64, BytesDown: 180, Protocol: 17, Local: true},
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !IsParquet(buf.Bytes()[:4]) {
		t.Fatal("not recognised")
	}
	r, err := NewParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil, "typical.parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join("testdata", "typical.parquet.golden"), dump(t, r), *update)
}

// FuzzCSV reads arbitrary bytes as a CSV of flow records: it must never
// panic, and return RowErrors only, ending at the first fatal one.
func FuzzCSV(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, mappings[filepath.Base(p)])
	}
	f.Fuzz(func(t *testing.T, data []byte, mapping string) {
		m, err := ParseMapping(mapping)
		if err != nil {
			m = nil
		}
		r, err := NewCSV(bytes.NewReader(data), "fuzz", m)
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
					if r.Next(&fl) != err {
						t.Fatal("read on after a fatal error")
					}
					return
				}
				continue
			}
			if fl.End < fl.Start || fl.Duration < 0 || (fl.A != "") != fl.AAddr.IsValid() || (fl.B != "") != fl.BAddr.IsValid() {
				t.Fatalf("bad record %+v", fl)
			}
		}
		t.Fatal("more records than lines")
	})
}

// FuzzParquet reads arbitrary bytes as a Parquet file of flow records: it
// must never panic, and return RowErrors only.
func FuzzParquet(f *testing.F) {
	name := "www.example.org"
	t0 := time.Date(2019, 3, 5, 12, 34, 56, 789000000, time.UTC)
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []pandasFlow{{Start: t0, End: t0, User: "u", DestIP: "192.0.2.1", DestPort: 443, BytesUp: 1, Protocol: 6, FQDN: &name}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewParquet(bytes.NewReader(data), int64(len(data)), nil, "fuzz", nil)
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) || !re.Fatal {
				t.Fatalf("%v is not a fatal RowError", err)
			}
			return
		}
		defer r.Close()
		var fl record.Flow
		for i := 0; i < 1<<16; i++ {
			err := r.Next(&fl)
			if err == io.EOF {
				return
			}
			var re *record.RowError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("%v is not a RowError", err)
			}
			if re != nil && re.Fatal {
				return
			}
		}
	})
}

// TestParquetDuckDB reads the flows of TestParquet as DuckDB writes them,
// with each of its page compressions: the same records come out. DuckDB
// types 1520.0 as DECIMAL(5,1), an integer of tenths in the file.
func TestParquetDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := `SELECT * FROM (VALUES
		(TIMESTAMP '2019-03-05 12:34:56.789', TIMESTAMP '2019-03-05 12:35:01', 'u-0001', '203.0.113.10', 51234, 443, 1520.0, 48211, 6::INTEGER, 'www.example.org', false),
		(TIMESTAMP '2019-03-05 13:34:56.789', TIMESTAMP '2019-03-05 13:34:56.789', 'u-0002', '10.45.0.1', 40000, 53, 64.0, 180, 17::INTEGER, NULL, true)
	) t("start", "end", "user", dest_ip, user_port, dest_port, bytes_up, bytes_down, protocol, fqdn, "local")`
	want, err := os.ReadFile(filepath.Join("testdata", "typical.parquet.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, codec := range []string{"uncompressed", "snappy", "zstd", "gzip"} {
		t.Run(codec, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "flows.parquet")
			if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION %s)", rows, p, codec)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewParquet(bytes.NewReader(b), int64(len(b)), nil, "typical.parquet", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(t, r); got != string(want) {
				t.Errorf("records:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
