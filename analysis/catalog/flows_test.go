package catalog

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/internal/testflows"
)

// communityEnv is the environment of the generated network with all its
// labels, made once per test binary.
var communityEnv = sync.OnceValues(func() (*analysis.Env, *testflows.Network) {
	net := testflows.Generate(1)
	t := &onceT{}
	ds := net.Dataset(t, t.TempDir(), "user", "org", "category")
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		panic(err)
	}
	atEnd(func() { eng.Close() })
	env, err := analysis.NewEnv(context.Background(), eng)
	if err != nil {
		panic(err)
	}
	return env, net
})

// onceT is the testing.TB of what is made once for all tests: it fails by
// panicking, and its temporary directories stay until the last test ends.
type onceT struct{ testing.TB }

func (onceT) Helper() {}
func (onceT) TempDir() string {
	d, err := os.MkdirTemp("", "netlens-flows-")
	if err != nil {
		panic(err)
	}
	removeAtEnd(d)
	return d
}
func (onceT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (onceT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// runFlows runs analysis name on the generated network.
func runFlows(t *testing.T, name string, set map[string]string) *analysis.Result {
	t.Helper()
	env, _ := communityEnv()
	a, ok := ByName(name)
	if !ok {
		t.Fatalf("no analysis %s", name)
	}
	res, err := analysis.Run(context.Background(), a, env, set)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// table returns the rows of table name of res, each as text.
func table(t *testing.T, res *analysis.Result, name string) []string {
	t.Helper()
	for _, tab := range res.Tables {
		if tab.Name == name {
			var out []string
			for _, r := range tab.Rows {
				parts := make([]string, len(r))
				for i, v := range r {
					switch x := v.(type) {
					case time.Time:
						parts[i] = x.Format(time.RFC3339)
					case float64:
						parts[i] = fmt.Sprintf("%.6g", x)
					case nil:
						parts[i] = "NULL"
					default:
						parts[i] = fmt.Sprint(analysis.AsString(v))
					}
				}
				out = append(out, strings.Join(parts, "|"))
			}
			return out
		}
	}
	t.Fatalf("no table %s", name)
	return nil
}

func ts(ns int64) string { return analysis.Time(ns).Format(time.RFC3339) }

// flowRangeOf is the first and last bin start of width w of the flows.
func flowBins(net *testflows.Network, w int64) []int64 {
	first, last := net.Flows[0].Start, net.Flows[len(net.Flows)-1].Start
	var out []int64
	for b := binStart(first, w); b <= last; b += w {
		out = append(out, b)
	}
	return out
}

// TestLocalExternal: bytes per week by the generator's own users and
// locality, against the analysis' table, every week of the range.
func TestLocalExternal(t *testing.T) {
	_, net := communityEnv()
	week := int64(7 * 24 * time.Hour)
	sums := map[int64]*[5]uint64{}
	for i, f := range net.Flows {
		tr := net.Truth[i]
		b := f.Start - (f.Start-time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC).UnixNano()+52*week)%week // from a Monday
		if sums[b] == nil {
			sums[b] = &[5]uint64{}
		}
		s := sums[b]
		switch {
		case tr.UserA != "" && tr.UserB != "":
			s[4] += f.BytesAToB + f.BytesBToA
		case tr.UserA != "": // up is a's
			if f.BLocal {
				s[2], s[3] = s[2]+f.BytesAToB, s[3]+f.BytesBToA
			} else {
				s[0], s[1] = s[0]+f.BytesAToB, s[1]+f.BytesBToA
			}
		case tr.UserB != "":
			if f.ALocal {
				s[2], s[3] = s[2]+f.BytesBToA, s[3]+f.BytesAToB
			} else {
				s[0], s[1] = s[0]+f.BytesBToA, s[1]+f.BytesAToB
			}
		}
	}
	var want []string
	for _, b := range flowBins(net, week) {
		s := sums[b]
		if s == nil {
			s = &[5]uint64{}
		}
		want = append(want, fmt.Sprintf("%s|%d|%d|%d|%d|%d", ts(b), s[0], s[1], s[2], s[3], s[4]))
	}
	if len(want) != 4 || !strings.HasPrefix(want[0], "2024-03-04T00:00:00Z|") {
		t.Fatalf("the generator's weeks: %q", want)
	}
	res := runFlows(t, "local_external", nil)
	if diff := gocmp.Diff(want, table(t, res, "local_external")); diff != "" {
		t.Errorf("local_external (-want +got):\n%s", diff)
	}
	// Days: zero-filled over the range, the same totals.
	res = runFlows(t, "local_external", map[string]string{"bin": "1d"})
	if got := table(t, res, "local_external"); len(got) != testflows.Days {
		t.Errorf("%d day bins, want %d", len(got), testflows.Days)
	}
}

// TestAnomalies: the seed's classes of no-user flows per day, zero on the
// generator's days off.
func TestAnomalies(t *testing.T) {
	_, net := communityEnv()
	type key struct {
		day  int64
		kind string
	}
	type count struct{ flows, bytes uint64 }
	got := map[key]count{}
	for i, f := range net.Flows {
		tr := net.Truth[i]
		if tr.UserA != "" || tr.UserB != "" {
			continue
		}
		kind := "Unknown"
		switch {
		case f.BPort == 1900 && f.BytesBToA == 0:
			kind = "SSDP query (no answer)"
		case f.BytesBToA == 0:
			kind = "Unanswered"
		}
		k := key{f.Start - f.Start%dayNs, kind}
		c := got[k]
		got[k] = count{c.flows + 1, c.bytes + f.BytesAToB + f.BytesBToA}
	}
	var want []string
	var totals [3]count
	for _, d := range flowBins(net, dayNs) {
		for i, kind := range anomalyKinds {
			c := got[key{d, kind}]
			want = append(want, fmt.Sprintf("%s|%s|%d|%d", ts(d), kind, c.flows, c.bytes))
			totals[i].flows += c.flows
			totals[i].bytes += c.bytes
		}
	}
	if totals[0].flows == 0 || totals[1].flows == 0 || totals[2].flows == 0 {
		t.Fatalf("the generator makes every kind: %+v", totals)
	}
	res := runFlows(t, "anomalies", nil)
	gotRows := table(t, res, "anomalies_daily")
	if diff := gocmp.Diff(want, gotRows); diff != "" {
		t.Errorf("anomalies_daily (-want +got):\n%s", diff)
	}
	for _, off := range net.DayOff {
		for _, kind := range anomalyKinds {
			if !slices.Contains(gotRows, fmt.Sprintf("%s|%s|0|0", off.Format(time.RFC3339), kind)) {
				t.Errorf("day off %s: no zero row of %s", off.Format(time.DateOnly), kind)
			}
		}
	}
	// from and to cut the range; days without flows are zero.
	res = runFlows(t, "anomalies", map[string]string{"from": "2024-03-01", "to": "2024-03-07"})
	rows := table(t, res, "anomalies_daily")
	if len(rows) != 7*3 || !strings.HasPrefix(rows[0], "2024-03-01T00:00:00Z|SSDP query (no answer)|0|0") {
		t.Errorf("from 2024-03-01 to 2024-03-07: %d rows, first %q", len(rows), rows[0])
	}
}

// TestP2P: pairs, days and means, and the sources of one-way flows.
func TestP2P(t *testing.T) {
	_, net := communityEnv()
	type pk struct{ u1, u2, kind string }
	type ps struct{ bytes, days uint64 }
	daily := map[pk]map[int64]uint64{}
	type src struct {
		flows, bytes uint64
		users, ports map[string]bool
	}
	sources := map[string]*src{}
	for i, f := range net.Flows {
		tr := net.Truth[i]
		if tr.UserA == "" || tr.UserB == "" {
			continue
		}
		u1, u2 := min(tr.UserA, tr.UserB), max(tr.UserA, tr.UserB)
		kind := "Two-Way"
		if f.BytesAToB == 0 || f.BytesBToA == 0 {
			kind = "One-Way"
			s, dst, port := tr.UserA, tr.UserB, f.BPort
			if f.BytesAToB == 0 && f.BytesBToA > 0 {
				s, dst, port = tr.UserB, tr.UserA, f.APort
			}
			if sources[s] == nil {
				sources[s] = &src{users: map[string]bool{}, ports: map[string]bool{}}
			}
			sources[s].flows++
			sources[s].bytes += f.BytesAToB + f.BytesBToA
			sources[s].users[dst] = true
			sources[s].ports[fmt.Sprint(port, f.Proto)] = true
		}
		k := pk{u1, u2, kind}
		if daily[k] == nil {
			daily[k] = map[int64]uint64{}
		}
		daily[k][f.Start-f.Start%dayNs] += f.BytesAToB + f.BytesBToA
	}
	var want []string
	for k, days := range daily {
		var s ps
		for _, b := range days {
			s.bytes += b
			s.days++
		}
		want = append(want, fmt.Sprintf("%s|%s|%s|%d|%d|%.6g", k.u1, k.u2, k.kind, s.bytes, s.days, float64(s.bytes)/float64(s.days)))
	}
	res := runFlows(t, "p2p", nil)
	got := table(t, res, "p2p_pairs")
	if len(want) < 5 {
		t.Fatalf("the generator's pairs: %q", want)
	}
	sort.Strings(want)
	if diff := gocmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
		t.Errorf("p2p_pairs (-want +got):\n%s", diff)
	}
	// Ordered by bytes, most first.
	if !slices.IsSortedFunc(got, func(x, y string) int {
		bx, by := strings.Split(x, "|")[3], strings.Split(y, "|")[3]
		return cmp.Compare(len(by), len(bx))*2 + cmp.Compare(by, bx)*boolInt(len(bx) == len(by))
	}) {
		t.Errorf("p2p_pairs not by bytes: %q", got)
	}
	var wantSrc []string
	for _, u := range slices.Sorted(maps.Keys(sources)) {
		s := sources[u]
		wantSrc = append(wantSrc, fmt.Sprintf("%s|%d|%d|%d|%d", u, s.flows, s.bytes, len(s.users), len(s.ports)))
	}
	var gotSrc []string
	for _, r := range table(t, res, "p2p_oneway_sources") {
		gotSrc = append(gotSrc, r[:strings.LastIndex(r, "|")])
	}
	sort.Strings(gotSrc)
	if diff := gocmp.Diff(wantSrc, gotSrc); diff != "" {
		t.Errorf("p2p_oneway_sources (-want +got):\n%s", diff)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestOrganisations: bytes per organisation and category of the far end,
// by the generator's own model of its hosts.
func TestOrganisations(t *testing.T) {
	_, net := communityEnv()
	orgs, cats := map[string]uint64{}, map[string]uint64{}
	var all uint64
	for i, f := range net.Flows {
		tr := net.Truth[i]
		if (tr.UserA != "") == (tr.UserB != "") {
			continue
		}
		orgs[tr.Org] += f.BytesAToB + f.BytesBToA
		cats[tr.Category] += f.BytesAToB + f.BytesBToA
		all += f.BytesAToB + f.BytesBToA
	}
	res := runFlows(t, "organisations", nil)
	for _, side := range []struct {
		table string
		want  map[string]uint64
	}{{"organisations", orgs}, {"categories", cats}} {
		got := map[string]string{}
		for _, r := range table(t, res, side.table) {
			f := strings.Split(r, "|")
			got[f[0]] = f[2]
		}
		want := map[string]string{}
		for k, v := range side.want {
			want[k] = fmt.Sprint(v)
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("%s bytes (-want +got):\n%s", side.table, diff)
		}
	}
	for _, name := range []string{"ExampleCDN", "SocialCo", "example.co.uk", "example.org", "unknown"} {
		if orgs[name] == 0 {
			t.Errorf("the generator makes no traffic of %s", name)
		}
	}
	// The time table adds up to the totals.
	var sum uint64
	for _, r := range table(t, res, "organisations_time") {
		var v uint64
		fmt.Sscan(r[strings.LastIndex(r, "|")+1:], &v)
		sum += v
	}
	if sum != all {
		t.Errorf("organisations_time adds up to %d, want %d", sum, all)
	}
}

// TestUnanswered: requests per host and service, answered or not, from the
// flows themselves.
func TestUnanswered(t *testing.T) {
	_, net := communityEnv()
	type c struct{ req, ans, noReply, rej int }
	want := map[string]*c{}
	isMulticast := func(a string) bool {
		return strings.HasPrefix(a, "239.") || strings.HasPrefix(a, "ff")
	}
	for i, f := range net.Flows {
		if (f.Proto != 6 && f.Proto != 17) || isMulticast(f.B) || f.Proto == 17 && f.APort == 1900 {
			continue
		}
		svc := f.Service
		if svc == "" {
			svc = portProto(int64(f.BPort), int64(f.Proto))
		}
		k := f.A + " " + svc
		if want[k] == nil {
			want[k] = &c{}
		}
		w := want[k]
		w.req++
		switch {
		case f.Proto == 6 && f.State == "S0":
			w.noReply++
		case f.Proto == 6 && f.State == "REJ":
			w.rej++
		case f.Proto == 17 && f.PktsBToA == 0:
			w.noReply++
		default:
			w.ans++
		}
		_ = i
	}
	// M-SEARCH: answered when the reply came within 6 s.
	for _, f := range net.Flows {
		if f.B != "239.255.255.250" {
			continue
		}
		k := f.A + " ssdp/udp M-SEARCH"
		if want[k] == nil {
			want[k] = &c{}
		}
		want[k].req++
		answered := false
		for _, g := range net.Flows {
			if g.APort == 1900 && g.B == f.A && g.BPort == f.APort && g.Start >= f.Start && g.Start <= f.Start+int64(6*time.Second) {
				answered = true
			}
		}
		if answered {
			want[k].ans++
		} else {
			want[k].noReply++
		}
	}
	wantRows := map[string]string{}
	for k, w := range want {
		wantRows[k] = fmt.Sprintf("%d|%d|%d|%d", w.req, w.ans, w.noReply, w.rej)
	}
	res := runFlows(t, "unanswered", nil)
	got := map[string]string{}
	for _, r := range table(t, res, "unanswered") {
		f := strings.Split(r, "|") // host, name, service, requests, answered, no_reply, rejected, share
		got[f[0]+" "+f[2]] = strings.Join(f[3:7], "|")
	}
	if diff := gocmp.Diff(wantRows, got); diff != "" {
		t.Errorf("unanswered (-want +got):\n%s", diff)
	}
	if w := want["10.1.0.13 ssdp/udp M-SEARCH"]; w == nil || w.ans == 0 || w.noReply == 0 {
		t.Errorf("the generator's M-SEARCH: %+v", w)
	}
}

// TestFlowsWithoutLabels: without users, the analyses that need them say
// so, and organisations counts every flow for its responder.
func TestFlowsWithoutLabels(t *testing.T) {
	net := testflows.Generate(2)
	ds := net.Dataset(t, t.TempDir())
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"local_external", "anomalies", "p2p", "organisations"} {
		a, _ := ByName(name)
		res, err := analysis.Run(context.Background(), a, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Notes) == 0 || !strings.HasPrefix(res.Notes[0], "no users") {
			t.Errorf("%s: notes %q", name, res.Notes)
		}
	}
	a, _ := ByName("organisations")
	res, err := analysis.Run(context.Background(), a, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	var flows int
	for _, r := range table(t, res, "organisations") {
		var n int
		fmt.Sscan(strings.Split(r, "|")[1], &n)
		flows += n
	}
	if flows != len(net.Flows) {
		t.Errorf("organisations counts %d flows, want all %d", flows, len(net.Flows))
	}
}

// TestFlowsGolden keeps the whole results of the flows analyses on the
// generated network in testdata/flows_<name>.golden.
func TestFlowsGolden(t *testing.T) {
	for _, a := range All() {
		if a.Meta().Group != flowsGroup {
			continue
		}
		name := a.Meta().Name
		t.Run(name, func(t *testing.T) {
			testenv.Golden(t, filepath.Join("testdata", "flows_"+name+".golden"), render(runFlows(t, name, nil)), *update)
		})
	}
}
