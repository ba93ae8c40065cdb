package catalog

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

var sample = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

// envFor ingests path once per test binary and returns an analysis environment on it.
var envFor = func() func(t *testing.T, path string) *analysis.Env {
	var mu sync.Mutex
	envs := map[string]*analysis.Env{}
	return func(t *testing.T, path string) *analysis.Env {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if env, ok := envs[path]; ok {
			return env
		}
		dir, err := os.MkdirTemp("", "netlens-catalog-")
		if err != nil {
			t.Fatal(err)
		}
		removeAtEnd(dir)
		ds, err := dataset.OpenWrite(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig()); err != nil {
			t.Fatal(err)
		}
		eng, err := duckdb.Open(context.Background(), ds)
		if err != nil {
			t.Fatal(err)
		}
		atEnd(func() { eng.Close() })
		env, err := analysis.NewEnv(context.Background(), eng)
		if err != nil {
			t.Fatal(err)
		}
		envs[path] = env
		return env
	}
}()

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range All() {
		m := a.Meta()
		if m.Name == "" || m.Group == "" || m.Title == "" || len(m.Doc) < 80 || len(m.Tables) == 0 {
			t.Errorf("%q: incomplete meta %+v", m.Name, m)
		}
		if seen[m.Name] {
			t.Errorf("%q registered twice", m.Name)
		}
		seen[m.Name] = true
		if _, err := analysis.ParseValues(m.Params, nil); err != nil {
			t.Errorf("%s: defaults do not parse: %v", m.Name, err)
		}
		if got, ok := ByName(m.Name); !ok || got.Meta().Name != m.Name {
			t.Errorf("ByName(%q) = %v, %v", m.Name, got, ok)
		}
	}
}

func TestParams(t *testing.T) {
	a, _ := ByName("bursts")
	for _, tt := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"gap": "1s"}, ""},
		{map[string]string{"gap": "soon"}, `parameter gap="soon": not a duration`},
		{map[string]string{"min_size": "-3"}, "must be at least 0"},
		{map[string]string{"ip_version": "5"}, "must be one of 0, 4, 6"},
		{map[string]string{"src": "10.0.0.300"}, "not an IP address"},
		{map[string]string{"colour": "red"}, `unknown parameter "colour" (parameters: dst, gap, ip_version, min_size, payload, src)`},
	} {
		_, err := analysis.ParseValues(a.Meta().Params, tt.set)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%v: error %v, want %q", tt.set, err, tt.want)
		}
	}
}

// TestDetectBursts runs the burst algorithm on hand-made streams whose
// bursts are worked out by hand from the notebook's loop.
func TestDetectBursts(t *testing.T) {
	ms := int64(time.Millisecond)
	cases := []struct {
		name    string
		ts      []int64 // milliseconds
		size    []int64
		minSize int64
		want    []int
	}{
		{"empty", nil, nil, 100, []int{}},
		{"one packet", []int64{0}, []int64{500}, 100, []int{0}},
		// Large packets 100 ms apart: one burst with the small ones between.
		{"one burst", []int64{0, 50, 100, 150, 200}, []int64{500, 10, 500, 10, 500}, 100, []int{1, 1, 1, 1, 1}},
		// A 1 s pause splits two bursts; the packet after the pause starts the second.
		{"two bursts", []int64{0, 100, 1100, 1200}, []int64{500, 500, 500, 500}, 100, []int{1, 1, 2, 2}},
		// Small packets between two distant large ones are singletons: no burst.
		{"lonely", []int64{0, 400, 800, 2000}, []int64{500, 10, 10, 500}, 100, []int{0, 0, 0, 0}},
		// The last large packet is 0.3 s or more after the previous one: not in its burst.
		{"gap is exclusive", []int64{0, 100, 400}, []int64{500, 500, 500}, 100, []int{1, 1, 0}},
		// Trailing small packets: the walk ends at the last packet, which joins when close enough.
		{"trailing small", []int64{0, 100, 150}, []int64{500, 500, 10}, 100, []int{1, 1, 1}},
		// min_size 0: every packet is large.
		{"all large", []int64{0, 100, 500, 550}, []int64{0, 0, 0, 0}, 0, []int{1, 1, 2, 2}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			ts := make([]int64, len(tt.ts))
			for i, v := range tt.ts {
				ts[i] = v * ms
			}
			got := detectBursts(ts, tt.size, 300*ms, tt.minSize)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bursts (-want +got):\n%s", diff)
			}
		})
	}
}

// render writes a result as text: notes, every table as TSV, and a line per chart.
func render(res *analysis.Result) string {
	var b strings.Builder
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, t := range res.Tables {
		fmt.Fprintf(&b, "\ntable %s (%d rows)\n%s\n", t.Name, len(t.Rows), strings.Join(t.Columns, "\t"))
		for _, r := range t.Rows {
			for i, v := range r {
				if i > 0 {
					b.WriteByte('\t')
				}
				switch x := v.(type) {
				case nil:
					b.WriteString("NULL")
				case float64:
					b.WriteString(strconv.FormatFloat(x, 'g', 10, 64))
				case time.Time:
					b.WriteString(x.Format(time.RFC3339Nano))
				default:
					fmt.Fprint(&b, v)
				}
			}
			b.WriteByte('\n')
		}
	}
	for _, c := range res.Charts {
		points := 0
		for _, s := range c.Series {
			points += len(s.Points) + len(s.Values)
		}
		fmt.Fprintf(&b, "\nchart %s %s %q: %d series, %d points, %d categories, %d bands", c.ID, c.Kind, c.Title, len(c.Series), points, len(c.Categories), len(c.Bands))
		if c.Graph != nil {
			fmt.Fprintf(&b, ", %d nodes, %d edges", len(c.Graph.Nodes), len(c.Graph.Edges))
		}
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
		b.WriteByte('\n')
	}
	for name, f := range res.Files {
		fmt.Fprintf(&b, "\nfile %s: %d bytes\n", name, len(f))
	}
	return b.String()
}

// TestGolden runs every analysis with its defaults on the bundled sample
// capture and compares the whole result with testdata/<name>.golden.
func TestGolden(t *testing.T) {
	env := envFor(t, sample)
	for _, a := range All() {
		name := a.Meta().Name
		t.Run(name, func(t *testing.T) {
			res, err := analysis.Run(context.Background(), a, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, filepath.Join("testdata", name+".golden"), render(res), *update)
		})
	}
}

// tsharkLines runs tshark -q -z stat on path and returns its output lines.
func tsharkLines(t *testing.T, path, stat string) []string {
	tshark := testenv.Tool(t, "tshark")
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, "-n", "-q", "-r", path, "-z", stat)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", stat, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// endpointLine is a line of tshark's endpoints table: address, packets,
// bytes, tx packets, tx bytes, rx packets, rx bytes (exact numbers).
var endpointLine = regexp.MustCompile(`^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)

// TestTalkersAgainstTshark: packets and bytes each address sent and
// received, from talkers, equal tshark's endpoints,ip and endpoints,ipv6.
func TestTalkersAgainstTshark(t *testing.T) {
	env := envFor(t, sample)
	a, _ := ByName("talkers")
	res, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	type counts struct{ packets, bytes int64 }
	sent, recv := map[string]counts{}, map[string]counts{}
	for _, r := range res.Tables[0].Rows {
		sent[r[0].(string)] = counts{r[3].(int64), r[4].(int64)}
	}
	for _, r := range res.Tables[1].Rows {
		recv[r[0].(string)] = counts{r[3].(int64), r[4].(int64)}
	}
	n := 0
	for _, stat := range []string{"endpoints,ip", "endpoints,ipv6"} {
		for _, line := range tsharkLines(t, sample, stat) {
			m := endpointLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			addr := m[1]
			want := [4]int64{}
			for i := range want {
				want[i], _ = strconv.ParseInt(m[4+i], 10, 64)
			}
			s, r := sent[addr], recv[addr]
			if got := [4]int64{s.packets, s.bytes, r.packets, r.bytes}; got != want {
				t.Errorf("%s: netlens sent packets, bytes, received packets, bytes %v; tshark %v", addr, got, want)
			}
		}
	}
	all := map[string]bool{}
	for a := range sent {
		all[a] = true
	}
	for a := range recv {
		all[a] = true
	}
	if n != len(all) || n == 0 {
		t.Errorf("tshark lists %d endpoints, netlens %d addresses", n, len(all))
	}
}

var convTCPLine = regexp.MustCompile(`^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+\d+ \S+\s+(\d+)\s+`)

// TestPortsAgainstTshark: packets per TCP and UDP source and destination
// port, from ports, equal the sums over tshark's conv,tcp and conv,udp.
func TestPortsAgainstTshark(t *testing.T) {
	env := envFor(t, sample)
	a, _ := ByName("ports")
	res, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range res.Tables[0].Rows {
		got[fmt.Sprintf("%s %s %d", r[0], r[1], r[2])] = r[5].(int64)
	}
	want := map[string]int64{}
	for _, p := range []string{"TCP", "UDP"} {
		for _, line := range tsharkLines(t, sample, "conv,"+strings.ToLower(p)) {
			m := convTCPLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			ba, _ := strconv.ParseInt(m[5], 10, 64) // frames B -> A
			ab, _ := strconv.ParseInt(m[6], 10, 64) // frames A -> B
			pa, pb := m[2], m[4]
			for _, k := range []struct {
				side, port string
				n          int64
			}{{"source", pa, ab}, {"destination", pb, ab}, {"source", pb, ba}, {"destination", pa, ba}} {
				if k.n > 0 {
					want[p+" "+k.side+" "+k.port] += k.n
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("tshark lists no TCP or UDP conversations")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packets per port (-tshark +netlens):\n%s", diff)
	}
}

// TestIATPercentilesFromEngine: when the gaps take too many distinct values
// for a histogram, the engine computes the percentiles over all addresses,
// and they are the same as those of the counts per address and gap. The
// percentiles come from a query of their own only when the engine sorted
// each address' gaps (too many pairs of address and gap).
func TestIATPercentilesFromEngine(t *testing.T) {
	env := envFor(t, sample)
	a, _ := ByName("iat")
	want, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n, m int) { maxHistogram, maxAddrHistogram = n, m }(maxHistogram, maxAddrHistogram)
	maxHistogram, maxAddrHistogram = 10, 10
	got, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Charts) == 0 || want.Charts[0].ID != "iat_ecdf" || len(want.Charts[0].Series) != 2 {
		t.Fatalf("charts %v: want the ECDF of both sides first", want.Charts)
	}
	if diff := cmp.Diff(want.Charts[0], got.Charts[0]); diff != "" {
		t.Errorf("ECDF from the engine differs from the histogram's (-histogram +engine):\n%s", diff)
	}
}

// TestIATFromEngine: when there are too many (address, gap) pairs for
// histograms, the engine sorts each address' gaps, and iat's tables and
// charts are the same.
func TestIATFromEngine(t *testing.T) {
	env := envFor(t, sample)
	a, _ := ByName("iat")
	want, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { maxAddrHistogram = n }(maxAddrHistogram)
	maxAddrHistogram = 10
	got, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Tables) != 2 || len(want.Tables[0].Rows) < 5 {
		t.Fatalf("tables %v: want both sides, with 5 or more addresses", want.Tables)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("iat from the engine differs from the histograms' (-histograms +engine):\n%s", diff)
	}
}
