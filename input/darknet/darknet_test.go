package darknet

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestSniff(t *testing.T) {
	tests := []struct {
		head   string
		layout string
		ok     bool
	}{
		{head: "0,ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp\n1,2", layout: Raw, ok: true},
		{head: "ts src_ip dst_ip dst_port proto ttl\n", layout: Raw, ok: true},
		{head: "\xef\xbb\xbfts\tsrc_ip\tdst_ip\tdst_port\tproto\tpck_len\r\n", layout: Raw, ok: true},
		{head: "ts,src_ip,src_port,dst_ip,dst_port,proto,bytes,packets\n"}, // flow records: no field of a packet
		{head: "ts,ip,port,proto,pp,class\n", layout: Preprocessed, ok: true},
		{head: ",ts,ip,port,proto\n", layout: Preprocessed, ok: true},
		{head: "ts,src_ip,dst_ip,proto\n"},                // no dst_port
		{head: "ts,src_ip,dst_ip,dst_port,proto,proto\n"}, // proto twice
		{head: "ts,ip,port\n"},                        // no proto
		{head: "start,end,a,a_port,b,b_port,proto\n"}, // flow records
		{head: "timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n"},
		{head: "#separator \\x09\n#set_separator\t,\n"},
		{head: ""},
	}
	for _, tt := range tests {
		layout, ok := Sniff([]byte(tt.head))
		if layout != tt.layout || ok != tt.ok {
			t.Errorf("Sniff(%q) = %q, %v; want %q, %v", tt.head, layout, ok, tt.layout, tt.ok)
		}
	}
}

// readAll reads every row of the log in data, and the errors, as text.
func readAll(t *testing.T, name string, data []byte) (rows []schema.Packet, errs []string) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var p schema.Packet
		err := r.Next(&p)
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err.Error())
			if record.Ends(err) {
				return rows, errs
			}
			continue
		}
		rows = append(rows, p)
	}
}

// TestCorpusSamples reads the two published samples of DarkVec's raw
// traces and compares every row with the same file read independently:
// encoding/csv, strconv, and the time as an exact rational number of
// seconds. The unnamed datetime column, pandas' reading of the same
// float, agrees with ts within a microsecond on every row.
func TestCorpusSamples(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "darknet")
	for _, name := range []string{"darknet01_20210501_sample.csv.gz", "darknet01_20210502_sample.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			data := gunzip(t, filepath.Join(dir, name))
			rows, errs := readAll(t, name, data)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			want := independent(t, data)
			if len(rows) != 3000 || len(want) != 3000 {
				t.Fatalf("%d rows, independently %d; want 3000", len(rows), len(want))
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows differ (-independent +reader):\n%s", diff)
			}
		})
	}
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// independent reads a raw darknet log with encoding/csv.
func independent(t *testing.T, data []byte) []schema.Packet {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	num := func(rec []string, name string) uint64 {
		s := rec[col[name]]
		if s == "-" {
			return 0
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s %q: %v", name, s, err)
		}
		return v
	}
	var out []schema.Packet
	for i, rec := range recs[1:] {
		sec, ok := new(big.Rat).SetString(rec[col["ts"]])
		if !ok {
			t.Fatalf("row %d: ts %q", i+1, rec[col["ts"]])
		}
		ns := new(big.Int).Quo(new(big.Int).Mul(sec.Num(), big.NewInt(1e9)), sec.Denom())
		dt, err := time.Parse("2006-01-02 15:04:05.999999999", rec[0])
		if err != nil {
			t.Fatal(err)
		}
		if d := dt.UnixNano() - ns.Int64(); d > 1000 || d < -1000 {
			t.Errorf("row %d: datetime %s and ts %s differ by %d ns", i+1, rec[0], rec[col["ts"]], d)
		}
		out = append(out, schema.Packet{
			Ts: ns.Int64(), Frame: uint32(i + 1), LinkType: 1, WireLen: uint32(num(rec, "pck_len")),
			EthType: uint16(num(rec, "ethtype")), IPVersion: 4, Src: rec[col["src_ip"]], Dst: rec[col["dst_ip"]],
			TTL: uint8(num(rec, "ttl")), Proto: uint8(num(rec, "proto")), Sport: uint16(num(rec, "src_port")),
			Dport: uint16(num(rec, "dst_port")), TCPSeq: uint32(num(rec, "tcp_seq")), TCPFlags: uint16(num(rec, "tcp_flags")),
		})
	}
	return out
}

// TestLayouts reads small logs of each layout, whose rows are written out
// by hand.
func TestLayouts(t *testing.T) {
	at := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixNano()
	}
	tests := []struct {
		file   string
		layout string
		want   []schema.Packet
	}{
		{file: "preprocessed.csv", layout: Preprocessed, want: []schema.Packet{
			{Ts: at("2021-03-02T00:00:00.123456Z"), Frame: 1, LinkType: 1, IPVersion: 4, Src: "45.12.49.222", Proto: 6, Dport: 23},
			{Ts: at("2021-03-02T00:00:01Z"), Frame: 2, LinkType: 1, IPVersion: 6, Src: "2001:db8::1", Proto: 1},
			{Ts: at("2021-03-02T00:00:02.5Z"), Frame: 3, LinkType: 1, IPVersion: 4, Src: "159.203.165.156", Proto: 17, Dport: 53},
			{Ts: at("2021-03-02T00:00:03.000000001Z"), Frame: 4, LinkType: 1, IPVersion: 4, Src: "71.6.199.23", Proto: 47, Dport: 1723},
			{Ts: at("2021-03-02T23:59:59.999999999Z"), Frame: 5, LinkType: 1, IPVersion: 4, Src: "src_ipaddr7", Proto: 255},
		}},
		{file: "spaces.log", layout: Raw, want: []schema.Packet{
			{Ts: 1619827200_160742000, Frame: 1, LinkType: 1, WireLen: 60, EthType: 0x0800, IPVersion: 4, Src: "192.0.2.1", Dst: "198.51.100.7",
				TTL: 243, Proto: 6, Sport: 57340, Dport: 11676, TCPSeq: 1546020250, TCPFlags: 2},
			{Ts: 1619827200_500000000, Frame: 2, LinkType: 1, WireLen: 90, EthType: 0x86dd, IPVersion: 6, Src: "2001:db8::1", Dst: "2001:db8:ffff::9",
				TTL: 64, Proto: 58},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(data), tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if r.Layout() != tt.layout {
				t.Errorf("layout %q, want %q", r.Layout(), tt.layout)
			}
			rows, errs := readAll(t, tt.file, data)
			if len(errs) > 0 {
				t.Errorf("errors: %v", errs)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("rows differ (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBadRows reads a log of bad rows: each gives an error naming its
// line and column, and the rows around them are read.
func TestBadRows(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), "bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for {
		var p schema.Packet
		err := r.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *record.RowError
			if !errors.As(err, &re) || re.Fatal {
				t.Fatalf("%v: not a row error the reader goes on after", err)
			}
			fmt.Fprintf(&out, "%v\n", err)
			continue
		}
		fmt.Fprintf(&out, "row %d: ts %d src %s dport %d wire_len %d\n", p.Frame, p.Ts, p.Src, p.Dport, p.WireLen)
	}
	testenv.Golden(t, filepath.Join("testdata", "bad.golden"), out.String(), *update)
}

// TestHeaders refuses a file that is not a darknet log, naming line 1.
func TestHeaders(t *testing.T) {
	for _, head := range []string{"", "a,b,c\n1,2,3\n", "ts,ip,port\n"} {
		_, err := NewReader(strings.NewReader(head), "x.csv")
		var re *record.RowError
		if !errors.As(err, &re) || !re.Fatal || re.Line != 1 || re.File != "x.csv" {
			t.Errorf("%q: %v, want a fatal row error at x.csv:1", head, err)
		}
	}
}
