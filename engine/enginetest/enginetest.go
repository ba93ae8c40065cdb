// Package enginetest is the conformance suite of netlens' query engines:
// every analysis of the catalogue runs on the engine under test and on the
// embedded DuckDB engine over the same dataset, and their result tables must
// be equal — integers and text exactly, floats within FloatTolerance.
//
// An engine's tests call Run with a function that opens the engine over a
// dataset (loading the dataset into it when the engine keeps its own copy).
//
// Only tests import enginetest.
package enginetest

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
)

// FloatTolerance is the largest relative difference allowed between two
// engines' floating-point results (averages and interpolated quantiles are
// summed and divided in different orders).
const FloatTolerance = 1e-9

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

// Dataset ingests Captures into a new dataset, one ingest per capture.
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
	return ds
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
		m := a.Meta()
		runs := []map[string]string{nil}
		for _, s := range Settings {
			if hasParams(m, s) {
				runs = append(runs, s)
			}
		}
		for _, s := range runs {
			t.Run(fmt.Sprintf("%s%v", m.Name, settingsName(s)), func(t *testing.T) {
				want, err := analysis.Run(ctx, a, refEnv, s)
				if err != nil {
					t.Fatalf("duckdb: %v", err)
				}
				start := time.Now()
				got, err := analysis.Run(ctx, a, env, s)
				if err != nil {
					t.Fatalf("%s: %v", eng.Name(), err)
				}
				t.Logf("%s: %v", eng.Name(), time.Since(start).Round(time.Millisecond))
				compare(t, want, got)
			})
		}
	}
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

// compare requires equal result tables, and charts with the same series.
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
		bad := 0
		for r := range w.Rows {
			for c := range w.Columns {
				if !equal(w.Rows[r][c], g.Rows[r][c]) {
					if bad++; bad <= 5 {
						t.Errorf("table %s row %d column %s: %s, duckdb %s", w.Name, r, w.Columns[c], show(g.Rows[r][c]), show(w.Rows[r][c]))
					}
				}
			}
		}
		if bad > 5 {
			t.Errorf("table %s: %d values differ in all", w.Name, bad)
		}
	}
	if len(want.Charts) != len(got.Charts) {
		t.Errorf("%d charts, duckdb %d", len(got.Charts), len(want.Charts))
		return
	}
	for i, w := range want.Charts {
		g := got.Charts[i]
		if w.ID != g.ID || len(w.Series) != len(g.Series) {
			t.Errorf("chart %d: %s with %d series, duckdb %s with %d", i, g.ID, len(g.Series), w.ID, len(w.Series))
		}
	}
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
