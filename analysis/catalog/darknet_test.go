package catalog

import (
	"cmp"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/services"
)

// darknetEnv ingests the generated telescope capture with its ground
// truth once per test binary.
var darknetEnv = func() func(t *testing.T) (*analysis.Env, []testcapture.DarknetPacket) {
	var once sync.Once
	var env *analysis.Env
	var pkts []testcapture.DarknetPacket
	var err error
	return func(t *testing.T) (*analysis.Env, []testcapture.DarknetPacket) {
		t.Helper()
		once.Do(func() {
			dir, e := os.MkdirTemp("", "netlens-darknet-")
			if e != nil {
				err = e
				return
			}
			removeAtEnd(dir)
			pcap := filepath.Join(dir, "darknet.pcap")
			pkts = testcapture.Darknet(t, pcap, 1)
			gt := filepath.Join(dir, "gt.csv")
			if err = os.WriteFile(gt, []byte(testcapture.DarknetClasses()), 0o644); err != nil {
				return
			}
			ds, e := dataset.OpenWrite(filepath.Join(dir, "ds"))
			if e != nil {
				err = e
				return
			}
			if _, err = ingest.Run(context.Background(), ds, []string{pcap}, ingest.DefaultConfig()); err != nil {
				return
			}
			if _, err = labels.Load(ds, "test", labels.Class, []string{gt}, false); err != nil {
				return
			}
			eng, e := duckdb.Open(context.Background(), ds)
			if e != nil {
				err = e
				return
			}
			atEnd(func() { eng.Close() })
			env, err = analysis.NewEnv(context.Background(), eng)
		})
		if err != nil {
			t.Fatal(err)
		}
		return env, pkts
	}
}()

// The reference: the seed's definitions written over the packets in Go,
// apart from the analyses' SQL.

// refModel is the packets an analysis covers and the days of tz.
type refModel struct {
	loc      *time.Location
	pkts     []testcapture.DarknetPacket // in the range
	all      []testcapture.DarknetPacket
	lastDay  string
	from, to time.Time
}

func newRef(t *testing.T, all []testcapture.DarknetPacket, set map[string]string) refModel {
	tz := cmp.Or(set["tz"], "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	m := refModel{loc: loc, all: all, from: all[0].TS, to: all[len(all)-1].TS.Add(time.Nanosecond)}
	if s := set["from"]; s != "" {
		m.from, _ = time.ParseInLocation(time.DateOnly, s, loc)
	}
	if s := set["to"]; s != "" {
		d, _ := time.ParseInLocation(time.DateOnly, s, loc)
		m.to = d.AddDate(0, 0, 1)
	}
	for _, p := range all {
		if !p.TS.Before(m.from) && p.TS.Before(m.to) {
			m.pkts = append(m.pkts, p)
		}
	}
	m.lastDay = m.day(m.to.Add(-time.Nanosecond))
	return m
}

func (m refModel) day(ts time.Time) string { return ts.In(m.loc).Format(time.DateOnly) }

func refPP(p testcapture.DarknetPacket) string {
	switch p.Proto {
	case 6:
		return fmt.Sprintf("%d/tcp", p.Dport)
	case 17:
		return fmt.Sprintf("%d/udp", p.Dport)
	case 1:
		return "-/icmp"
	}
	return "-/oth"
}

func refPort(p testcapture.DarknetPacket) string { return strings.Split(refPP(p), "/")[0] }

// kept is the seed's filter: senders of at least minPkts packets in the
// window days before the end of the last day.
func (m refModel) kept(minPkts int, window time.Duration) map[string]bool {
	last, _ := time.ParseInLocation(time.DateOnly, m.lastDay, m.loc)
	start := last.AddDate(0, 0, 1).Add(-window)
	n := map[string]int{}
	for _, p := range m.all {
		if !p.TS.Before(start) && p.TS.Before(m.to) {
			n[p.Src]++
		}
	}
	out := map[string]bool{}
	for s, c := range n {
		if c >= minPkts {
			out[s] = true
		}
	}
	return out
}

// classOfSrc is the ground truth, folded as the seed folds it.
func refClasses() map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(testcapture.DarknetClasses()), "\n")[1:] {
		ip, class, _ := strings.Cut(line, ",")
		switch class {
		case "criminalip", "adscore", "quadmetrics", "esrg_stanford", "netscout":
			class = "unknown"
		}
		out[ip] = class
	}
	return out
}

type ranked struct {
	key string
	n   int
}

// rankCounts sorts counts by count, most first, then by less.
func rankCounts(counts map[string]int, less func(a, b string) int) []ranked {
	var out []ranked
	for k, n := range counts {
		out = append(out, ranked{k, n})
	}
	slices.SortFunc(out, func(a, b ranked) int { return cmp.Or(cmp.Compare(b.n, a.n), less(a.key, b.key)) })
	return out
}

// ppLess orders pairs as the analyses break ties: tcp by port, udp by
// port, icmp, others.
func ppLess(a, b string) int {
	key := func(s string) int {
		port, proto, _ := strings.Cut(s, "/")
		n, _ := strconv.Atoi(port)
		switch proto {
		case "tcp":
			return n
		case "udp":
			return 65536 + n
		case "icmp":
			return 131072
		}
		return 131073
	}
	return cmp.Compare(key(a), key(b))
}

func portLess(a, b string) int {
	key := func(s string) int {
		if s == "-" {
			return -1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	return cmp.Compare(key(a), key(b))
}

var darknetSettings = []map[string]string{
	nil,
	{"tz": "Europe/Rome"},
	{"from": "2021-03-28", "to": "2021-03-30", "tz": "Europe/Rome"},
	{"min_pkts": "3", "window": "2d"},
}

func runDarknet(t *testing.T, env *analysis.Env, name string, set map[string]string) *analysis.Result {
	t.Helper()
	a, ok := ByName(name)
	if !ok {
		t.Fatalf("no analysis %s", name)
	}
	s := map[string]string{}
	for k, v := range set {
		if slices.ContainsFunc(a.Meta().Params, func(p analysis.Param) bool { return p.Name == k }) {
			s[k] = v
		}
	}
	res, err := analysis.Run(context.Background(), a, env, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func dnTable(t *testing.T, res *analysis.Result, name string) [][]any {
	t.Helper()
	for _, tab := range res.Tables {
		if tab.Name == name {
			return tab.Rows
		}
	}
	t.Fatalf("no table %s", name)
	return nil
}

func checkRows(t *testing.T, name string, got, want [][]any) {
	t.Helper()
	if want == nil {
		want = [][]any{}
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func settingParam(set map[string]string, name, def string) string { return cmp.Or(set[name], def) }

func TestDarknetStats(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			res := runDarknet(t, env, "darknet_stats", set)
			var stats, top [][]any
			for _, period := range []string{"range", "last_day"} {
				var pk []testcapture.DarknetPacket
				for _, p := range m.pkts {
					if period == "range" || m.day(p.TS) == m.lastDay {
						pk = append(pk, p)
					}
				}
				senders, ports, pps := map[string]bool{}, map[string]bool{}, map[string]int{}
				ppSenders := map[string]map[string]bool{}
				for _, p := range pk {
					senders[p.Src], ports[refPort(p)] = true, true
					pps[refPP(p)]++
					if ppSenders[refPP(p)] == nil {
						ppSenders[refPP(p)] = map[string]bool{}
					}
					ppSenders[refPP(p)][p.Src] = true
				}
				first := m.day(pk[0].TS)
				stats = append(stats, []any{period, first, m.lastDay, int64(len(senders)), int64(len(pk)), int64(len(ports)), int64(len(pps))})
				for i, r := range rankCounts(pps, ppLess)[:3] {
					top = append(top, []any{period, int64(i + 1), r.key, int64(r.n), float64(r.n) / float64(len(pk)), int64(len(ppSenders[r.key]))})
				}
			}
			checkRows(t, "darknet_stats", dnTable(t, res, "darknet_stats"), stats)
			checkRows(t, "darknet_top", dnTable(t, res, "darknet_top"), top)
		})
	}
}

func TestPortRank(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			ports := map[string]int{}
			for _, p := range m.pkts {
				ports[refPort(p)]++
			}
			var want [][]any
			cum := 0
			for i, r := range rankCounts(ports, portLess) {
				cum += r.n
				want = append(want, []any{int64(i + 1), r.key, int64(r.n), float64(r.n) / float64(len(m.pkts)), float64(cum) / float64(len(m.pkts))})
			}
			checkRows(t, "port_rank", dnTable(t, runDarknet(t, env, "port_rank", set), "port_rank"), want)
		})
	}
}

func TestSenderFilter(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			res := runDarknet(t, env, "sender_filter", set)
			per := map[string]int{}
			for _, p := range m.pkts {
				per[p.Src]++
			}
			bins := map[int]int{}
			for _, n := range per {
				bins[n]++
			}
			var ns []int
			for n := range bins {
				ns = append(ns, n)
			}
			slices.Sort(ns)
			var want [][]any
			cum := 0
			for _, n := range ns {
				cum += bins[n]
				want = append(want, []any{int64(n), int64(bins[n]), float64(cum) / float64(len(per))})
			}
			checkRows(t, "sender_filter", dnTable(t, res, "sender_filter"), want)

			minPkts, _ := strconv.Atoi(settingParam(set, "min_pkts", "10"))
			window, _ := analysis.ParseValues([]analysis.Param{windowParam}, map[string]string{"window": settingParam(set, "window", "30d")})
			w := window.Duration("window")
			kept := m.kept(minPkts, w)
			last, _ := time.ParseInLocation(time.DateOnly, m.lastDay, m.loc)
			start := last.AddDate(0, 0, 1).Add(-w)
			inWin := map[string]int{}
			for _, p := range m.all {
				if !p.TS.Before(start) && p.TS.Before(m.to) {
					inWin[p.Src]++
				}
			}
			var packets, packetsKept int
			for s, n := range inWin {
				packets += n
				if kept[s] {
					packetsKept += n
				}
			}
			sum := [][]any{{int64(minPkts), m.day(start), m.day(m.to.Add(-time.Nanosecond)), int64(len(inWin)), int64(len(kept)),
				float64(len(kept)) / float64(len(inWin)), int64(packets), int64(packetsKept)}}
			checkRows(t, "sender_filter_summary", dnTable(t, res, "sender_filter_summary"), sum)
		})
	}
}

func TestDailySenders(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			minPkts, _ := strconv.Atoi(settingParam(set, "min_pkts", "10"))
			window, _ := analysis.ParseValues([]analysis.Param{windowParam}, map[string]string{"window": settingParam(set, "window", "30d")})
			kept := m.kept(minPkts, window.Duration("window"))
			daily := map[string]map[string]bool{}
			firstDay := map[string]string{}
			for _, p := range m.pkts {
				d := m.day(p.TS)
				if daily[d] == nil {
					daily[d] = map[string]bool{}
				}
				daily[d][p.Src] = true
				if _, ok := firstDay[p.Src]; !ok {
					firstDay[p.Src] = d
				}
			}
			var want, cum [][]any
			var ca, ck int64
			f := m.from.In(m.loc)
			for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, m.loc); d.Before(m.to); d = d.AddDate(0, 0, 1) {
				name := d.Format(time.DateOnly)
				var n, f int64
				for s := range daily[name] {
					n++
					if kept[s] {
						f++
					}
				}
				for s, fd := range firstDay {
					if fd == name {
						ca++
						if kept[s] {
							ck++
						}
					}
				}
				want = append(want, []any{name, n, f})
				cum = append(cum, []any{name, ca, ck})
			}
			res := runDarknet(t, env, "daily_senders", set)
			checkRows(t, "daily_senders", dnTable(t, res, "daily_senders"), want)
			checkRows(t, "daily_senders_cumulative", dnTable(t, res, "daily_senders_cumulative"), cum)
		})
	}
}

// refLastDay is the packets of the last day of the senders the filter
// keeps, by class.
func refLastDay(m refModel, set map[string]string, gt map[string]string) map[string][]testcapture.DarknetPacket {
	minPkts, _ := strconv.Atoi(settingParam(set, "min_pkts", "10"))
	window, _ := analysis.ParseValues([]analysis.Param{windowParam}, map[string]string{"window": settingParam(set, "window", "30d")})
	kept := m.kept(minPkts, window.Duration("window"))
	out := map[string][]testcapture.DarknetPacket{}
	for _, p := range m.pkts {
		if m.day(p.TS) != m.lastDay || !kept[p.Src] {
			continue
		}
		class := cmp.Or(gt[p.Src], "unknown")
		out[class] = append(out[class], p)
	}
	return out
}

// classOrder sorts classes by senders, most first, then by name.
func classOrder(by map[string][]testcapture.DarknetPacket) []string {
	senders := map[string]int{}
	for c, pk := range by {
		s := map[string]bool{}
		for _, p := range pk {
			s[p.Src] = true
		}
		senders[c] = len(s)
	}
	var out []string
	for _, r := range rankCounts(senders, strings.Compare) {
		out = append(out, r.key)
	}
	return out
}

func TestClasses(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			by := refLastDay(m, set, c.gt)
			var want [][]any
			for _, class := range classOrder(by) {
				pk := by[class]
				senders, pps := map[string]bool{}, map[string]int{}
				for _, p := range pk {
					senders[p.Src] = true
					pps[refPP(p)]++
				}
				var top []string
				for _, r := range rankCounts(pps, ppLess)[:min(5, len(pps))] {
					top = append(top, fmt.Sprintf("%s(%.1f%%)", r.key, float64(r.n*100)/float64(len(pk))))
				}
				want = append(want, []any{class, int64(len(senders)), int64(len(pk)), int64(len(pps)), strings.Join(top, ", ")})
			}
			if c.gt != nil && len(want) < 3 {
				t.Fatalf("only %d classes on the last day: the test data do not test much", len(want))
			}
			checkRows(t, "classes", dnTable(t, runDarknet(t, env, "classes", set), "classes"), want)
		})
	}
}

func TestClassServices(t *testing.T) {
	for _, c := range darknetCases(t) {
		env, all, set := c.env, c.pkts, c.set
		t.Run(c.name, func(t *testing.T) {
			m := newRef(t, all, set)
			by := refLastDay(m, set, c.gt)
			serv := func(p testcapture.DarknetPacket) string {
				s := services.DarkVec(p.Dport, p.Proto)
				switch s {
				case "unk_usr", "unk_sys", "unk_eph", "proxy":
					return "others"
				}
				return s
			}
			total := map[string]int{}
			for _, pk := range by {
				for _, p := range pk {
					total[serv(p)]++
				}
			}
			svcs := rankCounts(total, strings.Compare)
			var want [][]any
			for _, class := range classOrder(by) {
				n := map[string]int{}
				for _, p := range by[class] {
					n[serv(p)]++
				}
				for _, s := range svcs {
					want = append(want, []any{class, s.key, float64(n[s.key]) / float64(len(by[class]))})
				}
			}
			checkRows(t, "class_services", dnTable(t, runDarknet(t, env, "class_services", set), "class_services"), want)
		})
	}
}

// refActivity returns the packets of [from, to) that keep says, as rows
// of the activity table: time, sender, and the token of the sender, the
// rank of its first packet.
func refActivity(pkts []testcapture.DarknetPacket, from, to time.Time, keep func(string) bool) [][]any {
	var in []testcapture.DarknetPacket
	for _, p := range pkts {
		if !p.TS.Before(from) && p.TS.Before(to) && keep(p.Src) {
			in = append(in, p)
		}
	}
	slices.SortStableFunc(in, func(a, b testcapture.DarknetPacket) int {
		return cmp.Or(a.TS.Compare(b.TS), strings.Compare(a.Src, b.Src))
	})
	token := map[string]int64{}
	for _, p := range in {
		if _, ok := token[p.Src]; !ok {
			token[p.Src] = int64(len(token))
		}
	}
	out := [][]any{}
	for _, p := range in {
		out = append(out, []any{p.TS.UTC(), p.Src, token[p.Src]})
	}
	return out
}

func TestActivity(t *testing.T) {
	env, all := darknetEnv(t)
	m := newRef(t, all, nil)
	// The whole range in the span: every packet, no sample.
	want := refActivity(all, m.from, m.to, func(string) bool { return true })
	res := runDarknet(t, env, "activity", map[string]string{"span": "10d", "points": "100000"})
	checkRows(t, "activity", dnTable(t, res, "activity"), want)
	// A budget of 300 points over the whole range (the senders' tokens
	// ranked from the group's kept sums), then over two days (counted
	// from the packets): a subset of those rows, in order, at most 300,
	// the same on every run.
	for _, c := range []struct {
		span string
		to   time.Time
	}{{"10d", m.to}, {"2d", m.from.Add(48 * time.Hour)}} {
		want = refActivity(all, m.from, c.to, func(string) bool { return true })
		set := map[string]string{"span": c.span, "points": "300"}
		got := dnTable(t, runDarknet(t, env, "activity", set), "activity")
		if len(got) > 300 || len(got) < 250 {
			t.Errorf("span %s: %d points, want 250 to 300 of %d", c.span, len(got), len(want))
		}
		j := 0
		for _, row := range got {
			for j < len(want) && !gocmp.Equal(want[j], row) {
				j++
			}
			if j == len(want) {
				t.Fatalf("span %s: row %v is not among the packets, in order", c.span, row)
			}
		}
		again := dnTable(t, runDarknet(t, &analysis.Env{Engine: env.Engine, Names: env.Names}, "activity", set), "activity")
		checkRows(t, "activity again, span "+c.span, again, got)
	}
}

func TestClassActivity(t *testing.T) {
	env, all := darknetEnv(t)
	m := newRef(t, all, nil)
	gt := refClasses()
	// Senders listed in the query, then, past maxListed, by a subquery.
	for _, listed := range []int{maxListed, 0} {
		defer func(n int) { maxListed = n }(maxListed)
		maxListed = listed
		for _, class := range []string{"stretchoid", "engin-umich", "unknown", "netscout"} {
			want := refActivity(all, m.from, m.to, func(s string) bool { return class != "netscout" && cmp.Or(gt[s], "unknown") == class })
			res := runDarknet(t, &analysis.Env{Engine: env.Engine, Names: env.Names}, "class_activity", map[string]string{"class": class, "points": "100000"})
			checkRows(t, fmt.Sprintf("class_activity %s, %d listed", class, listed), dnTable(t, res, "class_activity"), want)
		}
	}
}

// TestTZ: the range's days follow the time zone across its change to
// summer time, and a bad zone is refused.
func TestTZ(t *testing.T) {
	env, _ := darknetEnv(t)
	res := runDarknet(t, env, "daily_senders", map[string]string{"tz": "Europe/Rome"})
	var days []string
	for _, r := range dnTable(t, res, "daily_senders") {
		days = append(days, r[0].(string))
	}
	want := []string{"2021-03-26", "2021-03-27", "2021-03-28", "2021-03-29", "2021-03-30", "2021-03-31", "2021-04-01"}
	if !slices.Equal(days, want) {
		t.Errorf("days %v, want %v", days, want)
	}
	a, _ := ByName("darknet_stats")
	if _, err := analysis.Run(context.Background(), a, env, map[string]string{"tz": "Mars/Olympus"}); err == nil || !strings.Contains(err.Error(), `tz "Mars/Olympus"`) {
		t.Errorf("bad tz: %v", err)
	}
}

// darknetCase is a dataset of the darknet tests, the packets it holds, the
// ground truth of its senders and the settings of one run.
type darknetCase struct {
	name string
	env  *analysis.Env
	pkts []testcapture.DarknetPacket
	gt   map[string]string // nil: every sender is unknown
	set  map[string]string
}

// darknetCases are the generated telescope capture with each of
// darknetSettings, and DarkVec's two sample days of the corpus (their
// senders are anonymised, so the ground truth knows none of them).
func darknetCases(t *testing.T) []darknetCase {
	var out []darknetCase
	env, pkts := darknetEnv(t)
	for _, set := range darknetSettings {
		out = append(out, darknetCase{"generated " + fmt.Sprint(set), env, pkts, refClasses(), set})
	}
	cenv, cpkts := corpusEnv(t)
	for _, set := range []map[string]string{nil, {"tz": "Europe/Rome"}, {"min_pkts": "3", "window": "1d"}} {
		out = append(out, darknetCase{"corpus " + fmt.Sprint(set), cenv, cpkts, nil, set})
	}
	return out
}

// corpusSamples are DarkVec's raw trace samples in the shared corpus.
func corpusSamples(t *testing.T) []string {
	dir := filepath.Join(testenv.Corpus(t), "darknet")
	return []string{filepath.Join(dir, "darknet01_20210501_sample.csv.gz"), filepath.Join(dir, "darknet01_20210502_sample.csv.gz")}
}

// corpusEnv ingests the corpus samples with the ground truth of big_gt.csv
// once per test binary, and reads their packets apart, as the seed's
// get_data does: ts (seconds since the epoch), src_ip, dst_port, proto.
var corpusEnv = func() func(t *testing.T) (*analysis.Env, []testcapture.DarknetPacket) {
	var once sync.Once
	var env *analysis.Env
	var pkts []testcapture.DarknetPacket
	var err error
	return func(t *testing.T) (*analysis.Env, []testcapture.DarknetPacket) {
		t.Helper()
		files := corpusSamples(t)
		once.Do(func() {
			for _, f := range files {
				var p []testcapture.DarknetPacket
				if p, err = readSample(f); err != nil {
					return
				}
				pkts = append(pkts, p...)
			}
			slices.SortStableFunc(pkts, func(a, b testcapture.DarknetPacket) int { return a.TS.Compare(b.TS) })
			dir, e := os.MkdirTemp("", "netlens-darknet-corpus-")
			if e != nil {
				err = e
				return
			}
			removeAtEnd(dir)
			ds, e := dataset.OpenWrite(dir)
			if e != nil {
				err = e
				return
			}
			if _, err = ingest.Run(context.Background(), ds, files, ingest.DefaultConfig()); err != nil {
				return
			}
			gt := filepath.Join(filepath.Dir(files[0]), "big_gt.csv")
			if _, err = labels.Load(ds, "test", labels.Class, []string{gt}, false); err != nil {
				return
			}
			eng, e := duckdb.Open(context.Background(), ds)
			if e != nil {
				err = e
				return
			}
			atEnd(func() { eng.Close() })
			env, err = analysis.NewEnv(context.Background(), eng)
		})
		if err != nil {
			t.Fatal(err)
		}
		return env, pkts
	}
}()

// readSample reads a raw trace of DarkVec: comma-separated, a header,
// "-" for a port a packet has not.
func readSample(name string) ([]testcapture.DarknetPacket, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []testcapture.DarknetPacket
	for _, r := range recs[1:] {
		sec, frac, _ := strings.Cut(r[col["ts"]], ".")
		s, _ := strconv.ParseInt(sec, 10, 64)
		frac = (frac + "000000")[:6] // microseconds, as the traces give them
		us, _ := strconv.ParseInt(frac, 10, 64)
		proto, _ := strconv.Atoi(r[col["proto"]])
		port, _ := strconv.Atoi(r[col["dst_port"]]) // "-" reads 0
		out = append(out, testcapture.DarknetPacket{TS: time.Unix(s, us*1000).UTC(), Src: r[col["src_ip"]], Dport: uint16(port), Proto: uint8(proto)})
	}
	return out, nil
}
