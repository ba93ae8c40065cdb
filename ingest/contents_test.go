package ingest_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

// The columns whose contents TestCorpusContents compares: those of the
// tables when its golden file was made. A column added later (a nullable
// extra) does not change the hashes; a change to any of these does.
var contentColumns = map[string][]string{
	"packets": {"ts", "capture", "frame", "link_type", "wire_len", "cap_len", "eth_type", "vlan", "ip_version",
		"src", "dst", "ip_len", "ip_id", "ip_flags", "frag", "ttl", "proto", "ip_chksum", "sport", "dport",
		"tcp_seq", "tcp_ack", "tcp_flags", "tcp_window", "udp_len", "payload_len", "app", "flow_id",
		"src_gap_ns", "dst_gap_ns"},
	"flows": {"flow_id", "start", "end", "duration", "proto", "ip_version", "a", "a_port", "b", "b_port",
		"pkts_a_to_b", "pkts_b_to_a", "bytes_a_to_b", "bytes_b_to_a", "payload_a_to_b", "payload_b_to_a",
		"tcp_flags_a", "tcp_flags_b", "state", "answered", "a_local", "b_local", "kind", "service", "name",
		"user_a", "user_b"},
	"dns": {"ts", "capture", "flow_id", "client", "server", "id", "query", "qtype", "rcode", "answer",
		"answer_name", "answer_type", "section", "ttl"},
}

// TestCorpusContents ingests every corpus capture alone, and then the
// whole corpus as one stream (flows across files, many alive at once), with
// the default flow timeouts, and compares the rows of packets, flows and
// dns (count and a SHA-256 of every row's values, in a fixed order) with
// testdata/corpus-contents.golden. The golden file was made before the flow
// assembler and the Parquet writer were rewritten for speed: it holds that
// their rows did not change. Run with -update only for a change meant to
// change the rows, and say which in its commit.
func TestCorpusContents(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the whole corpus")
	}
	root, files := corpusCaptures(t)
	lines := make([]string, len(files)+1)
	for i, rel := range files {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			lines[i] = contentLine(t, rel, []string{filepath.Join(root, rel)})
		})
	}
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		paths := make([]string, len(files))
		for i, rel := range files {
			paths[i] = filepath.Join(root, rel)
		}
		lines[len(files)] = contentLine(t, "(all, one ingest)", paths)
	})
	t.Cleanup(func() {
		if t.Failed() && !*update {
			return
		}
		got := "# capture\tpackets\tsha256\tflows\tsha256\tdns\tsha256\n" + strings.Join(lines, "")
		testenv.Golden(t, filepath.Join("testdata", "corpus-contents.golden"), got, *update)
	})
}

// contentLine ingests paths into a fresh dataset and returns name, then the
// rows and hash of each table.
func contentLine(t *testing.T, name string, paths []string) string {
	t.Helper()
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ds, paths, ingest.DefaultConfig()); err != nil {
		// a capture that is not one (bad magic) commits nothing
		return fmt.Sprintf("%s\terror: %v\n", name, strings.ReplaceAll(err.Error(), ds.Dir(), "DATASET"))
	}
	line := name
	for _, table := range []string{"packets", "flows", "dns"} {
		var n int
		var sum string
		switch table {
		case "packets":
			n, sum = tableHash[schema.Packet](t, ds, table, func(a, b *schema.Packet) int {
				return cmp.Or(cmp.Compare(a.Capture, b.Capture), cmp.Compare(a.Frame, b.Frame))
			})
		case "flows":
			n, sum = tableHash[schema.Flow](t, ds, table, func(a, b *schema.Flow) int {
				return cmp.Compare(a.FlowID, b.FlowID)
			})
		case "dns":
			n, sum = tableHash[schema.DNS](t, ds, table, nil)
		}
		line += fmt.Sprintf("\t%d\t%s", n, sum)
	}
	return line + "\n"
}

// tableHash reads every Parquet file of table in ds and returns the
// number of rows and a SHA-256 of their contentColumns, one line per row,
// the rows in the order of order (nil: of their text).
func tableHash[T any](t *testing.T, ds *dataset.Dataset, table string, order func(a, b *T) int) (int, string) {
	t.Helper()
	var rows []T
	read := func(p string) error {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		r := parquet.NewGenericReader[T](pf)
		defer r.Close()
		buf := make([]T, 1024)
		for {
			n, err := r.Read(buf)
			rows = append(rows, buf[:n]...)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
		}
	}
	for _, p := range ds.Files(table) {
		if err := read(p); err != nil {
			t.Fatal(err)
		}
	}
	cols := contentColumns[table]
	texts := make([]string, len(rows))
	if order != nil {
		slices.SortStableFunc(rows, func(a, b T) int { return order(&a, &b) })
	}
	for i := range rows {
		texts[i] = rowText(reflect.ValueOf(&rows[i]).Elem(), cols)
	}
	if order == nil {
		slices.Sort(texts)
	}
	h := sha256.New()
	for _, s := range texts {
		io.WriteString(h, s)
	}
	return len(rows), fmt.Sprintf("%x", h.Sum(nil))[:16]
}

// rowText writes the values of the columns cols of the row v (a schema
// struct), tab-separated: NULL for a nil pointer.
func rowText(v reflect.Value, cols []string) string {
	var b strings.Builder
	for _, c := range cols {
		f := fieldByColumn(v, c)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				b.WriteString("NULL\t")
				continue
			}
			f = f.Elem()
		}
		fmt.Fprintf(&b, "%v\t", f.Interface())
	}
	b.WriteByte('\n')
	return b.String()
}

// fieldByColumn returns the field of v whose parquet tag names column c.
func fieldByColumn(v reflect.Value, c string) reflect.Value {
	tp := v.Type()
	for i := range tp.NumField() {
		name, _, _ := strings.Cut(tp.Field(i).Tag.Get("parquet"), ",")
		if name == c {
			return v.Field(i)
		}
	}
	panic(fmt.Sprintf("%s has no column %s", tp, c))
}

// TestFlowMemoryBudget ingests the whole corpus with room for 100 live
// flows: flows end early, and still every packet of a flow is counted in
// its flow, once.
func TestFlowMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the whole corpus")
	}
	root, files := corpusCaptures(t)
	paths := make([]string, len(files))
	for i, rel := range files {
		paths[i] = filepath.Join(root, rel)
	}
	ds, err := dataset.OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := ingest.DefaultConfig()
	cfg.Flow.Memory = 100 * flow.EntryBytes
	st, err := ingest.Run(context.Background(), ds, paths, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.FlowsEvicted == 0 {
		t.Errorf("no flow ended early with room for 100")
	}
	perFlow := map[int64]uint64{} // packets by flow id, from packets
	readTable(t, ds, "packets", func(p *schema.Packet) {
		if p.FlowID != 0 {
			perFlow[p.FlowID]++
		}
	})
	var flows int64
	readTable(t, ds, "flows", func(f *schema.Flow) {
		flows++
		if n := f.PktsAToB + f.PktsBToA; perFlow[f.FlowID] != n {
			t.Errorf("flow %d: %d packets, packets says %d", f.FlowID, n, perFlow[f.FlowID])
		}
		delete(perFlow, f.FlowID)
	})
	if len(perFlow) > 0 {
		t.Errorf("%d flow ids of packets are not in flows", len(perFlow))
	}
	if flows != st.Flows {
		t.Errorf("%d flows rows, Stats says %d", flows, st.Flows)
	}
	t.Logf("%d flows, %d ended early", flows, st.FlowsEvicted)
}

// readTable calls row for every row of table in ds.
func readTable[T any](t *testing.T, ds *dataset.Dataset, table string, row func(*T)) {
	t.Helper()
	for _, p := range ds.Files(table) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		r := parquet.NewGenericReader[T](pf)
		buf := make([]T, 1024)
		for {
			n, err := r.Read(buf)
			for i := range buf[:n] {
				row(&buf[i])
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read %s: %v", p, err)
			}
		}
		r.Close()
		f.Close()
	}
}
