package labels

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/schema"
)

// t0 is 2024-03-01T00:00:00Z.
const t0 = int64(1709251200) * 1e9

// testFlows writes flows between every pair of addrs, one an hour for two
// days, as the ingest of an input "cap".
func testFlows(t *testing.T, ds *dataset.Dataset, addrs []string) []schema.Flow {
	t.Helper()
	tx, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		t.Fatal(err)
	}
	var flows []schema.Flow
	for h := range int64(48) {
		for i, a := range addrs {
			b := addrs[(i+int(h)+1)%len(addrs)]
			flows = append(flows, schema.Flow{FlowID: int64(len(flows) + 1), Start: t0 + h*3600e9 + int64(i)*1e9, A: a, B: b, Proto: 6, State: "SF"})
		}
	}
	if err := w.Write(flows); err != nil {
		t.Fatal(err)
	}
	tx.AddInput(dataset.Input{ID: "cafecafecafecafe", Name: "cap", SHA256: "cafecafecafecafe00", Size: 1})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return flows
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// attachAll runs Attach for both ends of every flow on eng and returns
// the users of each flow by id.
// attachAll attaches the users of both ends of every flow, with Attach
// when w is 0, else with AttachSpans over AddrSpans of width w (-1: the
// width SpanWidth picks); with JoinSpans instead when join is set (w not 0),
// which leaves out the flows an end of which has no user.
func attachAll(t *testing.T, eng engine.Engine, w int64, join bool) map[int64][2]string {
	t.Helper()
	d := eng.Dialect()
	addrs := `SELECT a AS addr FROM flows UNION ALL SELECT b AS addr FROM flows`
	base := `(SELECT flow_id, a, b, ` + d.EpochNs("start") + ` AS ts FROM flows)`
	var q string
	if w == 0 {
		q = Attach(d, base, []string{"flow_id", "a", "b", "ts"}, User, "a", "ts", "ua", addrs)
		q = Attach(d, "("+q+")", []string{"flow_id", "a", "b", "ts", "ua"}, User, "b", "ts", "ub", addrs)
	} else {
		ctx := context.Background()
		one := func(q string) []any {
			rows, err := eng.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := engine.Collect(rows, -1)
			if err != nil {
				t.Fatal(err)
			}
			return tab.Rows[0]
		}
		r := one("SELECT min(" + d.EpochNs("start") + "), max(" + d.EpochNs("start") + ") + 1 FROM flows")
		from, to := toInt(r[0]), toInt(r[1])
		blocks := "(" + Blocks(d, User, addrs) + ")"
		if w < 0 {
			st := one(SpanStats(User, blocks))
			w = SpanWidth(from, to, toInt(st[0]), toInt(st[1]))
		}
		spans := "(" + AddrSpans(d, User, blocks, from, to, w) + ")"
		attach := AttachSpans
		if join {
			attach = JoinSpans
		}
		q = attach(base, []string{"flow_id", "a", "b", "ts"}, "a", "ts", "ua", spans, w)
		q = attach("("+q+")", []string{"flow_id", "a", "b", "ts", "ua"}, "b", "ts", "ub", spans, w)
	}
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := engine.Collect(rows, -1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][2]string{}
	for _, r := range tab.Rows {
		id := toInt(r[0])
		if _, dup := out[id]; dup {
			t.Fatalf("flow %d twice", id)
		}
		out[id] = [2]string{fmt.Sprint(r[4]), fmt.Sprint(r[5])}
	}
	return out
}

func TestLoadReplaceAndAttach(t *testing.T) {
	ctx := context.Background()
	dir, tmp := t.TempDir(), t.TempDir()
	ds, err := dataset.OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{"10.0.0.1", "10.0.0.2", "10.0.1.9", "192.0.2.80", "2001:db8::1", "2001:db8:1::7"}
	flows := testFlows(t, ds, addrs)

	users1 := writeFile(t, tmp, "users1.csv", "address,user,from,to\n10.0.0.0/24,pool\n10.0.0.1,alice,2024-03-01T06:00:00Z,2024-03-01T18:00:00Z\n2001:db8::/48,carol\n")
	users2 := writeFile(t, tmp, "users2.csv", "10.0.0.1,bob,2024-03-02\n10.0.1.9,dave\n")
	res, err := Load(ds, "test", User, []string{users1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Loaded) != 1 || res.Labels != 3 {
		t.Fatalf("first load: %+v", res)
	}
	if res, err = Load(ds, "test", User, []string{users1, users2}, false); err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || len(res.Loaded) != 1 || res.Labels != 5 {
		t.Fatalf("second load: %+v", res)
	}
	m := ds.Manifest()
	if len(m.Labels) != 2 || m.Labels[0].Name != "users1.csv" || m.Labels[1].Rows != 2 || m.Tables["labels"].Rows != 5 {
		t.Fatalf("manifest labels %+v, tables %+v", m.Labels, m.Tables["labels"])
	}
	var all []schema.Label
	for _, p := range []string{users1, users2} {
		f, err := Read(p, User)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, f.Labels...)
	}
	check := func(all []schema.Label) {
		t.Helper()
		eng, err := duckdb.OpenDir(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		// Attach, and AttachSpans with buckets of the width SpanWidth
		// picks, of an hour (spans cut into many buckets) and of four
		// days (every span in one).
		for _, w := range []int64{0, -1, 3600e9, 4 * 86400e9} {
			got := attachAll(t, eng, w, false)
			if len(got) != len(flows) {
				t.Fatalf("width %d: %d flows, want %d", w, len(got), len(flows))
			}
			both := 0
			for _, f := range flows {
				want := [2]string{bruteLabel(all, netip.MustParseAddr(f.A), f.Start), bruteLabel(all, netip.MustParseAddr(f.B), f.Start)}
				if got[f.FlowID] != want {
					t.Fatalf("width %d: flow %d %s -> %s at %d: users %q, want %q", w, f.FlowID, f.A, f.B, f.Start, got[f.FlowID], want)
				}
				if want[0] != "" && want[1] != "" {
					both++
				}
			}
			if w == 0 {
				continue
			}
			// JoinSpans: the same users, for the flows with both.
			joined := attachAll(t, eng, w, true)
			if len(joined) != both || both == 0 {
				t.Fatalf("width %d: JoinSpans gave %d flows, want %d with both users", w, len(joined), both)
			}
			for id, u := range joined {
				if got[id] != u {
					t.Fatalf("width %d: JoinSpans: flow %d users %q, want %q", w, id, u, got[id])
				}
			}
		}
	}
	check(all)

	// Replace: only the new file's labels are left, the spans follow.
	users3 := writeFile(t, tmp, "users3.csv", "10.0.0.2,erin\n")
	if res, err = Load(ds, "test", User, []string{users3}, true); err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 || len(res.Loaded) != 1 || res.Labels != 1 {
		t.Fatalf("replace: %+v", res)
	}
	m = ds.Manifest()
	if len(m.Labels) != 1 || m.Tables["labels"].Rows != 1 || m.Tables["label_spans"].Rows != 1 {
		t.Fatalf("after replace: labels %+v, tables %+v", m.Labels, m.Tables)
	}
	f3, _ := Read(users3, User)
	check(f3.Labels)

	// Another kind leaves users alone; a capture's removal leaves labels alone.
	orgs := writeFile(t, tmp, "orgs.csv", "192.0.2.0/24,Example\nexample.com,Example\n")
	if _, err := Load(ds, "test", Org, []string{orgs}, false); err != nil {
		t.Fatal(err)
	}
	tx, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RemoveInput("cafecafecafecafe"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	m = ds.Manifest()
	if len(m.Labels) != 2 || m.Tables["labels"].Rows != 3 || m.Tables["flows"].Rows != 0 {
		t.Fatalf("after removing the capture: labels %+v, tables %+v", m.Labels, m.Tables)
	}
}

func TestSpanWidth(t *testing.T) {
	const day = 86400e9
	for _, tc := range []struct {
		name                  string
		from, to, addrs, rows int64
		want                  int64
	}{
		{"daily leases over a year", 0, 366 * day, 4000, 800_000, day},
		{"labels that never change", 0, 366 * day, 20_000, 20_000, 256 * day}, // two buckets
		{"no addresses", 0, 366 * day, 0, 0, day},
		{"ten years of leases", 0, 3650 * day, 100, 400_000, 4 * day},
		{"an empty range", 5, 5, 10, 10, day},
	} {
		if got := SpanWidth(tc.from, tc.to, tc.addrs, tc.rows); got != tc.want {
			t.Errorf("%s: SpanWidth = %d days, want %d", tc.name, got/day, tc.want/day)
		}
	}
}

func TestRepairDropsDamagedLabels(t *testing.T) {
	ctx := context.Background()
	dir, tmp := t.TempDir(), t.TempDir()
	ds, err := dataset.OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	testFlows(t, ds, []string{"10.0.0.1", "10.0.0.2"})
	a := writeFile(t, tmp, "a.csv", "10.0.0.1,alice\n")
	b := writeFile(t, tmp, "b.csv", "10.0.0.2,bob\n")
	c := writeFile(t, tmp, "c.csv", "10.0.0.0/8,Example\n")
	for _, l := range []struct {
		kind, path string
	}{{User, a}, {User, b}, {Org, c}} {
		if _, err := Load(ds, "test", l.kind, []string{l.path}, false); err != nil {
			t.Fatal(err)
		}
	}
	m := ds.Manifest()
	var victim string
	for _, f := range m.Tables["labels"].Files {
		if slices.Contains(f.Inputs, m.Labels[0].ID) {
			victim = filepath.Join(dir, filepath.FromSlash(f.Path))
		}
	}
	if err := os.WriteFile(victim, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := ds.Repair(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	// The spans of users derive from both user files: both go, org stays.
	if len(rep.RemovedLabels) != 2 || len(rep.Removed) != 0 {
		t.Fatalf("repair removed labels %+v, inputs %+v", rep.RemovedLabels, rep.Removed)
	}
	m = ds.Manifest()
	if len(m.Labels) != 1 || m.Labels[0].Kind != Org || m.Tables["flows"].Rows != 96 {
		t.Fatalf("after repair: %+v %+v", m.Labels, m.Tables)
	}
	if chk, err := ds.Check(ctx, dataset.CheckFull); err != nil || !chk.OK() {
		t.Fatalf("check after repair: %+v, %v", chk, err)
	}
}
