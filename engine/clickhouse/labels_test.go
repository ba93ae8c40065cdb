package clickhouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/schema"
)

// usersOfFlows attaches the users of both ends of every flow.
func usersOfFlows(t *testing.T, eng engine.Engine) [][]any {
	t.Helper()
	d := eng.Dialect()
	addrs := `SELECT a AS addr FROM flows UNION ALL SELECT b AS addr FROM flows`
	q := labels.Attach(d, `(SELECT flow_id, a, b, `+d.EpochNs("start")+` AS ts FROM flows)`, []string{"flow_id", "a", "b", "ts"}, labels.User, "a", "ts", "ua", addrs)
	q = labels.Attach(d, "("+q+")", []string{"flow_id", "a", "b", "ts", "ua"}, labels.User, "b", "ts", "ub", addrs)
	return queryTable(t, eng, "SELECT flow_id % 1099511627776 AS n, ua, ub FROM ("+q+") AS u ORDER BY n")
}

// TestLabels pushes a dataset with labels and checks that ClickHouse finds
// the same users as DuckDB, then loads, skips and replaces labels there.
func TestLabels(t *testing.T) {
	testLabels(t, func(t *testing.T) *Engine { return openEngine(t, testenv.ClickHouse(t), "") })
}

func TestLabelsCluster(t *testing.T) {
	testLabels(t, func(t *testing.T) *Engine {
		dsn, cluster := testenv.ClickHouseCluster(t)
		return openEngine(t, dsn, cluster)
	})
}

func testLabels(t *testing.T, open func(*testing.T) *Engine) {
	ctx := context.Background()
	dir, tmp := t.TempDir(), t.TempDir()
	ds, err := dataset.OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	addrs := []string{"10.0.0.1", "10.0.0.2", "192.0.2.80", "2001:db8::1", "2001:db8:1::7"}
	var flows []schema.Flow
	for h := range int64(72) {
		for i, a := range addrs {
			flows = append(flows, schema.Flow{FlowID: int64(tx.ID())<<40 | int64(len(flows)+1), Start: t0 + h*3600e9, A: a, B: addrs[(i+int(h)+1)%len(addrs)], Proto: 17, State: "SF"})
		}
	}
	if err := w.Write(flows); err != nil {
		t.Fatal(err)
	}
	tx.AddInput(dataset.Input{ID: "0123456789abcdef", Name: "cap", SHA256: "0123456789abcdef00", Size: 1})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	file := func(name, text string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	users := file("users.csv", "address,user,from,to\n10.0.0.0/24,pool\n10.0.0.1,alice,2024-03-01T06:00:00Z,2024-03-02T18:00:00Z\n2001:db8::/48,carol,,2024-03-03\n")
	if _, err := labels.Load(ds, "test", labels.User, []string{users}, false); err != nil {
		t.Fatal(err)
	}
	ref, err := duckdb.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want := usersOfFlows(t, ref)

	e := open(t)
	st, err := e.Load(ctx, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.LabelKinds != 1 {
		t.Errorf("load replaced %d kinds of labels, want 1", st.LabelKinds)
	}
	if diff := cmp.Diff(fmt.Sprint(want), fmt.Sprint(usersOfFlows(t, e))); diff != "" {
		t.Errorf("users on ClickHouse (-duckdb +clickhouse):\n%s", diff)
	}
	// Loading again changes nothing; labels loaded there directly join them.
	if st, err = e.Load(ctx, ds, nil); err != nil || st.LabelKinds != 0 {
		t.Fatalf("second load: %+v, %v", st, err)
	}
	more, err := labels.Read(file("more.csv", "192.0.2.80,dave\n"), labels.User)
	if err != nil {
		t.Fatal(err)
	}
	res, err := labels.LoadStore(ctx, e, labels.User, []*labels.File{more, more}, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Loaded) != 1 || len(res.Skipped) != 1 || res.Labels != 4 {
		t.Fatalf("load into ClickHouse: %+v", res)
	}
	got := usersOfFlows(t, e)
	for _, r := range got {
		f := flows[toInt(t, r[0])-1]
		if (f.A == "192.0.2.80") != (r[1] == "dave") || (f.B == "192.0.2.80") != (r[2] == "dave") {
			t.Fatalf("flow %v: users %v, %v", f, r[1], r[2])
		}
	}
	if res, err = labels.LoadStore(ctx, e, labels.User, []*labels.File{more}, true, time.Now()); err != nil || len(res.Removed) != 2 || res.Labels != 1 {
		t.Fatalf("replace in ClickHouse: %+v, %v", res, err)
	}
	if files, err := e.LabelFiles(ctx, labels.User); err != nil || len(files) != 1 || files[0].Name != "more.csv" {
		t.Fatalf("label files after replace: %+v, %v", files, err)
	}
	if n := queryTable(t, e, "SELECT count() FROM labels"); fmt.Sprint(n) != "[[1]]" {
		t.Errorf("labels after replace: %v", n)
	}
}

func toInt(t *testing.T, v any) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(fmt.Sprint(v), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
