// Package enginetest is the conformance suite of netlens' query engines:
// every analysis of the catalogue runs on the engine under test and on the
// embedded DuckDB engine over the same dataset, and every result table must
// be written byte for byte the same in CSV, JSON and Parquet, and every
// chart must hold the same values. Only the columns listed in Inexact may
// differ, within FloatTolerance.
//
// An engine's tests call Run with a function that opens the engine over a
// dataset (loading the dataset into it when the engine keeps its own copy).
//
// Only tests import enginetest.
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/internal/testflows"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/output"
)

// FloatTolerance is the largest relative difference allowed between two
// engines' floating-point results where exactness is impossible (the
// columns of Inexact).
const FloatTolerance = 1e-9

// Inexact lists the result columns, as "table.column", whose values may
// differ between engines within FloatTolerance, each with the reason why
// they cannot be exact. Every other column must be written the same, byte
// for byte. Analyses compute their floats in Go from the integers the
// engines return (sums, counts, the gaps at given ranks), with one
// rounding each, so the list is empty: a column belongs here only if its
// value is a float that an engine computes and no integer form exists.
var Inexact = map[string]string{}

// Captures are the inputs of the suite's dataset, relative to the corpus'
// pcaps directory, each ingested on its own: IoT device setups (the
// capture family's seeds), DNS and mDNS, IPv6, VLAN-tagged HTTP and QUIC,
// and packets cut by the snap length and IPv4 fragments (which payload=scapy
// counts apart).
var Captures = []string{
	"iot-sentinel/D-LinkCam/Setup-A-1-STA.pcap",
	"iot-sentinel/EdimaxCam1/Setup-A-1-STA.pcap",
	"zeek/dns_mdns.pcap",
	"zeek/ftp_ipv6.pcap",
	"zeek/http-vlan-0.pcap",
	"zeek/quic_interop_quic-go_quic-go_zerortt.pcap",
	"zeek/tcp_truncated-header.pcap",
	"zeek/ipv4_fragmented-1.pcap",
}

// Settings are the parameter sets each analysis runs with, besides its
// defaults, where it has the parameters: one IP version, payload as scapy
// counts it, and both, as the scapy notebooks count.
var Settings = []map[string]string{
	{"ip_version": "4"},
	{"ip_version": "6"},
	{"payload": "scapy"},
	{"ip_version": "4", "payload": "scapy"},
}

// Open returns the engine under test over ds.
type Open func(t *testing.T, ds *dataset.Dataset) engine.Engine

// LabelKinds are the kinds of the label files of the suite's dataset, in
// testdata/KIND.csv: users of the captures' networks (one of them for part
// of its capture only), organisations and categories of their far ends.
var LabelKinds = []string{"user", "org", "category"}

// Dataset ingests Captures into a new dataset, one ingest per capture, and
// loads the labels of LabelKinds.
func Dataset(t *testing.T) *dataset.Dataset {
	t.Helper()
	pcaps := filepath.Join(testenv.Corpus(t), "pcaps")
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Captures {
		if _, err := ingest.Run(context.Background(), ds, []string{filepath.Join(pcaps, c)}, ingest.DefaultConfig()); err != nil {
			t.Fatalf("ingest %s: %v", c, err)
		}
	}
	for _, kind := range LabelKinds {
		if _, err := labels.Load(ds, "test", kind, []string{filepath.Join(testenv.RepoRoot(), "engine", "enginetest", "testdata", kind+".csv")}, false); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// FlowSettings are the parameter sets the analyses of flows run with on the
// generated community network, besides their defaults.
var FlowSettings = []map[string]string{
	{"bin": "1d"},
	{"from": "2024-03-10", "to": "2024-03-20"},
}

// runFlows checks that the analyses of flows give the same tables on the
// engine open returns as on DuckDB over a generated community network
// with users whose addresses change, organisations and categories
// (internal/testflows): the labels' joins are the engines' own.
func runFlows(t *testing.T, open Open) {
	ds := testflows.Generate(1).Dataset(t, t.TempDir(), "user", "org", "category")
	runGroup(t, open, ds, "flows", "community/", FlowSettings)
}

// runGroup checks that the analyses of group give the same tables on the
// engine open returns as on DuckDB over ds, with their defaults and with
// each of settings that they take; prefix starts the subtests' names.
func runGroup(t *testing.T, open Open, ds *dataset.Dataset, group, prefix string, settings []map[string]string) {
	ctx := context.Background()
	ref, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	eng := open(t, ds)
	refEnv, err := analysis.NewEnv(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		t.Fatalf("%s: %v", eng.Name(), err)
	}
	for _, a := range catalog.All() {
		if a.Meta().Group == group {
			runBoth(t, prefix, a, settings, refEnv, env)
		}
	}
}

// DarknetSettings are the parameter sets the darknet analyses run with on
// the generated telescope capture, besides their defaults: days in a time
// zone that changes its offset within the range, a shorter range and
// filter, a class other than the default and a sample.
var DarknetSettings = []map[string]string{
	{"tz": "Europe/Rome"},
	{"from": "2021-03-28", "to": "2021-03-30", "tz": "Europe/Rome"},
	{"from": "2021-03-28", "to": "2021-03-30", "tz": "Europe/Rome", "min_pkts": "3", "window": "2d"},
	{"points": "200", "span": "2d"},
	{"class": "engin-umich", "points": "200"},
	{"class": "unknown"},
}

// runDarknet checks that the darknet analyses give the same tables on the
// engine open returns as on DuckDB over a generated telescope capture
// (internal/testcapture) with the ground truth of its senders.
func runDarknet(t *testing.T, open Open) {
	ctx := context.Background()
	dir := t.TempDir()
	pcap, gt := filepath.Join(dir, "darknet.pcap"), filepath.Join(dir, "gt.csv")
	testcapture.Darknet(t, pcap, 1)
	if err := os.WriteFile(gt, []byte(testcapture.DarknetClasses()), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.OpenWrite(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, ds, []string{pcap}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := labels.Load(ds, "test", labels.Class, []string{gt}, false); err != nil {
		t.Fatal(err)
	}
	runGroup(t, open, ds, "darknet", "darknet/", DarknetSettings)
}

// runBoth runs a with its defaults and with each of settings that it takes,
// on DuckDB (refEnv) and on the engine under test (env), and compares the
// results.
func runBoth(t *testing.T, prefix string, a analysis.Analysis, settings []map[string]string, refEnv, env *analysis.Env) {
	ctx := context.Background()
	m := a.Meta()
	runs := []map[string]string{nil}
	for _, s := range settings {
		if hasParams(m, s) {
			runs = append(runs, s)
		}
	}
	name := env.Engine.Name()
	for _, s := range runs {
		t.Run(fmt.Sprintf("%s%s%v", prefix, m.Name, settingsName(s)), func(t *testing.T) {
			want, err := analysis.Run(ctx, a, refEnv, s)
			if err != nil {
				t.Fatalf("duckdb: %v", err)
			}
			start := time.Now()
			got, err := analysis.Run(ctx, a, env, s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
			compare(t, want, got)
		})
	}
}

// Run checks that every analysis gives the same tables on the engine open
// returns as on DuckDB, over the dataset of Captures.
func Run(t *testing.T, open Open) {
	ctx := context.Background()
	ds := Dataset(t)
	ref, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	eng := open(t, ds)

	refEnv, err := analysis.NewEnv(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		t.Fatalf("%s: %v", eng.Name(), err)
	}
	if diff := diffNames(refEnv.Names, env.Names); diff != "" {
		t.Errorf("names of addresses differ:\n%s", diff)
	}
	for _, a := range catalog.All() {
		runBoth(t, "", a, Settings, refEnv, env)
	}
	runFlows(t, open)
	runDarknet(t, open)
}

func hasParams(m analysis.Meta, s map[string]string) bool {
	for k := range s {
		if !slices.ContainsFunc(m.Params, func(p analysis.Param) bool { return p.Name == k }) {
			return false
		}
	}
	return true
}

func settingsName(s map[string]string) string {
	var parts []string
	for k, v := range s {
		parts = append(parts, "/"+k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, "")
}

func diffNames(want, got map[string]string) string {
	var b strings.Builder
	for k, v := range want {
		if got[k] != v {
			fmt.Fprintf(&b, "  %s: duckdb %q, other %q\n", k, v, got[k])
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  %s: only in other, %q\n", k, v)
		}
	}
	return b.String()
}

// compare requires the result tables to be written the same in every
// output format but the terminal's, and the charts to hold the same values.
func compare(t *testing.T, want, got *analysis.Result) {
	t.Helper()
	if len(want.Tables) != len(got.Tables) {
		t.Fatalf("%d tables, duckdb %d", len(got.Tables), len(want.Tables))
	}
	for i, w := range want.Tables {
		g := got.Tables[i]
		if w.Name != g.Name || !slices.Equal(w.Columns, g.Columns) {
			t.Errorf("table %d: %s%v, duckdb %s%v", i, g.Name, g.Columns, w.Name, w.Columns)
			continue
		}
		if len(w.Rows) != len(g.Rows) {
			t.Errorf("table %s: %d rows, duckdb %d", w.Name, len(g.Rows), len(w.Rows))
			continue
		}
		w, g = exact(w, g)
		for _, f := range []output.Format{output.CSV, output.JSON, output.Parquet} {
			wb, gb := write(t, w, f), write(t, g, f)
			if bytes.Equal(wb, gb) {
				continue
			}
			if f == output.Parquet {
				t.Errorf("table %s: Parquet differs (%d bytes, duckdb %d)", w.Name, len(gb), len(wb))
				continue
			}
			t.Errorf("table %s: %s differs:\n%s", w.Name, f, diffLines(string(wb), string(gb)))
		}
	}
	if len(want.Charts) != len(got.Charts) {
		t.Errorf("%d charts, duckdb %d", len(got.Charts), len(want.Charts))
		return
	}
	for i, w := range want.Charts {
		if diff := cmp.Diff(w, got.Charts[i]); diff != "" {
			t.Errorf("chart %d (%s) differs (-duckdb +other):\n%s", i, w.ID, diff)
		}
	}
}

// exact returns the tables want and got with the values of the Inexact
// columns of got replaced by those of want where they are equal within
// FloatTolerance, so that only a larger difference shows in their text.
func exact(want, got analysis.Table) (analysis.Table, analysis.Table) {
	var cols []int
	for c, name := range want.Columns {
		if _, ok := Inexact[want.Name+"."+name]; ok {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return want, got
	}
	rows := make([][]any, len(got.Rows))
	for r, row := range got.Rows {
		rows[r] = slices.Clone(row)
		for _, c := range cols {
			if equal(want.Rows[r][c], row[c]) {
				rows[r][c] = want.Rows[r][c]
			}
		}
	}
	g := got
	g.Table = &engine.Table{Columns: got.Columns, Types: got.Types, Rows: rows}
	return want, g
}

// write returns table t written in format f.
func write(t *testing.T, tab analysis.Table, f output.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := output.WriteTable(&b, tab.Table, f, output.Options{}); err != nil {
		t.Fatalf("table %s: %s: %v", tab.Name, f, err)
	}
	return b.Bytes()
}

// diffLines shows the first lines of got that differ from want's.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w == g {
			continue
		}
		if shown++; shown > 5 {
			fmt.Fprintf(&b, "  and more\n")
			break
		}
		fmt.Fprintf(&b, "  line %d:\n    duckdb %s\n    other  %s\n", i+1, w, g)
	}
	return b.String()
}

// equal compares two result values: numbers by value whatever their Go
// type, floats within FloatTolerance.
func equal(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		if !ok {
			return false
		}
		if fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)) {
			return true
		}
		return math.Abs(fa-fb) <= FloatTolerance*math.Max(math.Abs(fa), math.Abs(fb))
	}
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case nil:
		return b == nil
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return analysis.AsFloat(analysis.AsInt(x)), true
	case float32, float64:
		return analysis.AsFloat(x), true
	}
	return 0, false
}

func show(v any) string { return fmt.Sprintf("%v (%T)", v, v) }
