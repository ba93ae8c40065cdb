package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

// damagedDataset has three ingests: a alone, b and c together, d alone
// (d's packets on another day).
func damagedDataset(t *testing.T) (string, *Dataset) {
	t.Helper()
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	const a, b, c, dd = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd"
	ingest(t, d, []string{a}, []schema.Packet{pkt(day0, a, 1), pkt(day0, a, 2)}, []schema.Flow{flowRow(1, day0)})
	ingest(t, d, []string{b, c}, []schema.Packet{pkt(day0, b, 1), pkt(day0, c, 1), pkt(day0, c, 2)}, []schema.Flow{flowRow(2, day0), flowRow(3, day0)})
	ingest(t, d, []string{dd}, []schema.Packet{pkt(day0+24*hour, dd, 1)}, []schema.Flow{flowRow(4, day0+24*hour)})
	return dir, d
}

func TestCheck(t *testing.T) {
	dir, d := damagedDataset(t)
	ctx := context.Background()
	r, err := d.Check(ctx, CheckFull)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Files != 6 {
		t.Fatalf("whole dataset: %+v", r)
	}
	m := d.Manifest()
	path := func(table string, i int) string { return m.Tables[table].Files[i].Path }
	abs := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }

	// One file cut, one missing, one with a flipped byte (same size), and a
	// user's file beside them.
	cut, gone, flipped := path("packets", 0), path("flows", 2), path("packets", 2)
	b, err := os.ReadFile(abs(cut))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(abs(cut), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cutSize := len(b)
	if err := os.Remove(abs(gone)); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(abs(flipped))
	if err != nil {
		t.Fatal(err)
	}
	b[10] ^= 0xff
	if err := os.WriteFile(abs(flipped), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(abs("packets/day=2024-03-01/mine.parquet"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	quick, err := d.Check(ctx, CheckQuick)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, dm := range quick.Damaged {
		reasons[dm.Path] = dm.Reason
	}
	wantQuick := map[string]string{
		gone: "missing",
		cut:  fmt.Sprintf("%d bytes, the manifest says %d", cutSize/2, cutSize),
	}
	if diff := cmp.Diff(wantQuick, reasons); diff != "" {
		t.Errorf("quick check (-want +got):\n%s", diff)
	}
	full, err := d.Check(ctx, CheckFull)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, dm := range full.Damaged {
		got = append(got, dm.Path)
	}
	if diff := cmp.Diff([]string{gone, cut, flipped}, got, cmpSorted); diff != "" {
		t.Errorf("full check damaged files (-want +got):\n%s", diff)
	}
	for _, dm := range full.Damaged {
		if dm.Path == flipped && !strings.HasPrefix(dm.Reason, "checksum ") {
			t.Errorf("flipped byte: reason %q, want a checksum mismatch", dm.Reason)
		}
	}
	if diff := cmp.Diff([]string{"packets/day=2024-03-01/mine.parquet"}, full.Unlisted); diff != "" {
		t.Errorf("unlisted (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
})

func TestRepair(t *testing.T) {
	dir, d := damagedDataset(t)
	ctx := context.Background()
	m := d.Manifest()
	// Damage the flows file of the ingest of b and c: both lose all their
	// rows, a and d keep theirs.
	var flows string
	for _, f := range m.Tables["flows"].Files {
		if slices.Contains(f.Inputs, "bbbbbbbbbbbbbbbb") {
			flows = f.Path
		}
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(flows))); err != nil {
		t.Fatal(err)
	}
	r, err := d.Repair(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, in := range r.Removed {
		removed = append(removed, in.ID)
	}
	if diff := cmp.Diff([]string{"bbbbbbbbbbbbbbbb", "cccccccccccccccc"}, removed, cmpSorted); diff != "" {
		t.Errorf("removed inputs (-want +got):\n%s", diff)
	}
	if len(r.Damaged) != 1 || r.Damaged[0].Path != flows {
		t.Errorf("damaged: %+v", r.Damaged)
	}
	rd, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	check, err := rd.Check(ctx, CheckFull)
	if err != nil || !check.OK() {
		t.Fatalf("after repair: %+v, %v", check, err)
	}
	var caps []string
	for _, p := range readTable[schema.Packet](t, rd, "packets") {
		caps = append(caps, p.Capture)
	}
	if diff := cmp.Diff([]string{"aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "dddddddddddddddd"}, caps, cmpSorted); diff != "" {
		t.Errorf("packets after repair (-want +got):\n%s", diff)
	}
	var ids []int64
	for _, f := range readTable[schema.Flow](t, rd, "flows") {
		ids = append(ids, f.FlowID)
	}
	slices.Sort(ids)
	if diff := cmp.Diff([]int64{1, 4}, ids); diff != "" {
		t.Errorf("flows after repair (-want +got):\n%s", diff)
	}
	if got := rd.Rows("packets"); got != 3 {
		t.Errorf("packets rows = %d, want 3", got)
	}
	var inputs []string
	for _, in := range rd.Manifest().Inputs {
		inputs = append(inputs, in.ID)
	}
	if diff := cmp.Diff([]string{"aaaaaaaaaaaaaaaa", "dddddddddddddddd"}, inputs, cmpSorted); diff != "" {
		t.Errorf("inputs after repair (-want +got):\n%s", diff)
	}

	// A whole dataset: nothing to do.
	r, err = d.Repair(ctx, "test")
	if err != nil || len(r.Damaged) != 0 || len(r.Removed) != 0 {
		t.Errorf("second repair: %+v, %v", r, err)
	}
}
