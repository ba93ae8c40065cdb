package btclog

import (
	"compress/bzip2"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/internal/testenv"
)

// openCorpus opens a file of the shared corpus' bitcoin directory,
// decompressing bzip2.
func openCorpus(t *testing.T, name string) io.Reader {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Corpus(t), "bitcoin", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if strings.HasSuffix(name, ".bz2") {
		return bzip2.NewReader(f)
	}
	return f
}

// readAll reads every row, failing on any error.
func readAll(t *testing.T, r io.Reader, name string) (*Reader, []Row) {
	t.Helper()
	rd, err := NewReader(r, name)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for {
		var row Row
		err := rd.Next(&row)
		if err == io.EOF {
			return rd, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

// csvSums sums the named columns of a CSV with encoding/csv, skipping
// values that are no number, and counts its records and numbers.
func csvSums(t *testing.T, r io.Reader, cols ...string) (records int, sums []float64, numbers int) {
	t.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, c := range recs[0] {
		idx[c] = i
	}
	sums = make([]float64, len(cols))
	for _, rec := range recs[1:] {
		if strings.Contains(strings.Join(rec, ","), ",-") {
			records-- // a counter reset, skipped
			continue
		}
		for i, c := range cols {
			j, ok := idx[c]
			if !ok {
				t.Fatalf("no column %s in %v", c, recs[0])
			}
			if v, err := strconv.ParseFloat(rec[j], 64); err == nil {
				sums[i] += v
				numbers++
			}
		}
	}
	return records + len(recs) - 1, sums, numbers
}

// TestCorpus reads every file of the corpus' bitcoin directory and checks
// each layout's rows against sums computed from the same file by
// encoding/csv.
func TestCorpus(t *testing.T) {
	type sum struct {
		dir, msgType bool // split by direction / message type
	}
	for _, tc := range []struct {
		file       string
		layout     string
		period     uint32
		cols       []string // summed by encoding/csv
		perLine    int      // rows per line
		sumOf      func(rows []Row) []float64
		wantPeriod bool
	}{
		{"connection_type_data_daily.csv.bz2", ConnType, 86400, []string{"net_size"}, 1, func(rows []Row) []float64 {
			return []float64{sumU(rows, func(r Row) *uint64 { return r.Message.TCPIPSize })}
		}, true},
		{"connection_type_data_hourly.csv.bz2", ConnType, 3600, []string{"net_size"}, 1, func(rows []Row) []float64 {
			return []float64{sumU(rows, func(r Row) *uint64 { return r.Message.TCPIPSize })}
		}, true},
		{"overhead_data_est_daily.csv.bz2", MsgType, 86400, []string{"payload_size", "message_size", "tcpip_size"}, 1, sumSizes, true},
		{"overhead_data_est_hourly.csv.bz2", MsgType, 3600, []string{"payload_size", "message_size", "tcpip_size"}, 1, sumSizes, true},
		{"validation_data_est_daily.csv.bz2", Direction, 86400, []string{"in", "out"}, 2, sumInOut, true},
		{"validation_data_est_hourly.csv.bz2", Direction, 3600, []string{"in", "out"}, 2, sumInOut, true},
		{"validation_data_emp_daily.csv.bz2", Accounting, 86400, []string{"in", "out"}, 2, sumInOut, true},
		{"validation_data_emp_hourly.csv.bz2", Accounting, 3600, []string{"in", "out"}, 2, sumInOut, true},
		{"systemd_preprocessed.csv.bz2", Accounting, 5, []string{"IPIngressBytes", "IPEgressBytes"}, 2, sumInOut, true},
		{"id-addr-mapping.csv.bz2", ConnMap, 0, nil, 1, nil, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rd, rows := readAll(t, openCorpus(t, tc.file), tc.file)
			if rd.Layout() != tc.layout {
				t.Fatalf("layout %s, want %s", rd.Layout(), tc.layout)
			}
			lines, sums, _ := csvSums(t, openCorpus(t, tc.file), tc.cols...)
			if len(rows) != lines*tc.perLine {
				t.Errorf("%d rows from %d lines, want %d", len(rows), lines, lines*tc.perLine)
			}
			if tc.wantPeriod {
				for _, r := range rows {
					if r.Message.Period != tc.period || r.Message.Layout != tc.layout {
						t.Fatalf("line %d: period %d layout %s, want %d %s", r.Line, r.Message.Period, r.Message.Layout, tc.period, tc.layout)
					}
				}
			}
			if tc.sumOf != nil {
				if diff := cmp.Diff(sums, tc.sumOf(rows)); diff != "" {
					t.Errorf("sums (-encoding/csv +btclog):\n%s", diff)
				}
			}
		})
	}
}

func sumU(rows []Row, f func(Row) *uint64) float64 {
	var s float64
	for _, r := range rows {
		if p := f(r); p != nil {
			s += float64(*p)
		}
	}
	return s
}

func sumSizes(rows []Row) []float64 {
	return []float64{
		sumU(rows, func(r Row) *uint64 { return r.Message.PayloadSize }),
		sumU(rows, func(r Row) *uint64 { return r.Message.MessageSize }),
		sumU(rows, func(r Row) *uint64 { return r.Message.TCPIPSize }),
	}
}

func sumInOut(rows []Row) []float64 {
	var in, out float64
	for _, r := range rows {
		switch r.Message.Direction {
		case "in":
			in += float64(*r.Message.TCPIPSize)
		case "out":
			out += float64(*r.Message.TCPIPSize)
		}
	}
	return []float64{in, out}
}

// TestConnMap checks the connection map against the corpus file read with
// encoding/csv: every connection, its type and its duration.
func TestConnMap(t *testing.T) {
	_, rows := readAll(t, openCorpus(t, "id-addr-mapping.csv.bz2"), "id-addr-mapping.csv.bz2")
	recs, err := csv.NewReader(openCorpus(t, "id-addr-mapping.csv.bz2")).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs = recs[1:]
	if len(rows) != len(recs) {
		t.Fatalf("%d rows, want %d", len(rows), len(recs))
	}
	long := 0
	for i, rec := range recs {
		c := rows[i].Conn
		var days, h, m int64
		var s float64
		if _, err := fmtSscanf(rec[3], &days, &h, &m, &s); err != nil {
			t.Fatalf("line %d: %q: %v", i+2, rec[3], err)
		}
		want := days*86400e9 + h*3600e9 + m*60e9 + int64(math.Round(s*1e9))
		if strconv.FormatInt(c.PeerID, 10) != rec[1] || c.PeerAddr != rec[2] || c.ConnType != rec[4] || c.Duration == nil || *c.Duration != want {
			t.Fatalf("line %d: %+v, want %v (%d ns)", i+2, c, rec, want)
		}
		if want > 3600e9 {
			long++
		}
	}
	t.Logf("%d connections, %d longer than an hour", len(rows), long)
}

// TestPeerObserver reads both per-node exports: every defined value
// becomes a row of its node and direction, of rate x 7200 s bytes.
func TestPeerObserver(t *testing.T) {
	for _, tc := range []struct{ file, dir, suffix string }{
		{"peer_observer_inbound_per_node.csv", "in", " inbound"},
		{"peer_observer_outbound_per_node.csv", "out", " outbound"},
	} {
		rd, rows := readAll(t, openCorpus(t, tc.file), tc.file)
		if rd.Layout() != Node {
			t.Fatalf("%s: layout %s", tc.file, rd.Layout())
		}
		recs, err := csv.NewReader(openCorpus(t, tc.file)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{}
		got := map[string]float64{}
		n := 0
		for _, rec := range recs[1:] {
			for j, v := range rec[1:] {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					want[strings.TrimSuffix(recs[0][j+1], tc.suffix)] += math.Round(f * 7200)
					n++
				}
			}
		}
		for _, r := range rows {
			m := r.Message
			if m.Direction != tc.dir || m.Period != 7200 {
				t.Fatalf("%s line %d: direction %s period %d", tc.file, r.Line, m.Direction, m.Period)
			}
			got[m.Node] += float64(*m.PayloadSize)
		}
		if len(rows) != n {
			t.Errorf("%s: %d rows, want %d", tc.file, len(rows), n)
		}
		// Rounding rate x step in milli-bytes first may differ by 1 byte a row.
		if diff := cmp.Diff(want, got, cmpApprox(float64(len(recs)))); diff != "" {
			t.Errorf("%s: bytes per node (-want +got):\n%s", tc.file, diff)
		}
	}
}
