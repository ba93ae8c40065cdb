//go:build unix

package dataset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netlens/netlens/schema"
)

// TestColumnsMatchRowWriter writes the same batches of rows through a
// TableWriter, whose pageFile writes them column by column, and through
// parquet-go's row writer with the same options, and wants the same files
// (see sameAsRowWriter) for every table of package schema.
func TestColumnsMatchRowWriter(t *testing.T) {
	const day = int64(1_700_000_000e9) / nsPerDay * nsPerDay
	realistic := func(n int) []schema.Packet {
		rows := make([]schema.Packet, n)
		g := newPacketGen(7, day+1)
		g.fill(rows, "0123456789abcdef")
		for i := range rows {
			// An empty app is NULL; the row writer writes some as ''
			// instead (see TestEmptyOptionalIsNull).
			if rows[i].App == "" {
				rows[i].App = "ssh"
			}
			if i%3 != 0 {
				gap := int64(i * 1000)
				rows[i].SrcGap = &gap
			}
			if i%5 == 0 {
				gap := -int64(i)
				rows[i].DstGap = &gap
			}
		}
		return rows
	}
	scan := func(n int) []schema.Packet {
		rows := realistic(n)
		for i := range rows {
			// Every address new: the dictionary gives up part way. The
			// sources are random, and their PLAIN pages literals frames
			// (see pageFile.compress).
			v := uint32(i) * 0x9e3779b1
			rows[i].Src = fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&255, v>>8&255, v&255)
			rows[i].Dst = fmt.Sprintf("2001:db8::%x", i)
		}
		return rows
	}
	tests := []struct {
		name  string
		run   func(t *testing.T, sizes []int)
		sizes []int // rows of each call to Write
	}{
		{"packets in batches of 4 Ki, two row groups", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Packets, packetTs, realistic(total(sizes)), sizes)
		}, repeat(4096, 80)},
		{"packets in odd batches", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Packets, packetTs, realistic(total(sizes)), sizes)
		}, []int{1, 63, 64, 65, 127, 1000, 3, 4096, 262144 - 5483, 7, 700}},
		{"packets of a scan", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Packets, packetTs, scan(total(sizes)), sizes)
		}, repeat(4096, 70)},
		{"flows", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Flows, flowStart, randomRows[schema.Flow](total(sizes), day, "Start"), sizes)
		}, []int{1000, 30000, 17}},
		{"dns", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.DNSLog, func(d *schema.DNS) int64 { return d.Ts }, randomRows[schema.DNS](total(sizes), day, "Ts"), sizes)
		}, []int{5000, 64, 1}},
		{"peer messages", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.PeerMessages, func(m *schema.PeerMessage) int64 { return m.Ts }, randomRows[schema.PeerMessage](total(sizes), day, "Ts"), sizes)
		}, []int{4000, 100}},
		{"peer connections", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.PeerConns, func(c *schema.PeerConn) int64 { return c.Loaded }, randomRows[schema.PeerConn](total(sizes), day, "Loaded"), sizes)
		}, []int{4000}},
		{"labels", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Labels, func(l *schema.Label) int64 { return l.Loaded }, randomRows[schema.Label](total(sizes), day, "Loaded"), sizes)
		}, []int{3000}},
		{"label spans", func(t *testing.T, sizes []int) {
			sameAsRowWriter(t, schema.Spans, func(l *schema.LabelSpan) int64 { return l.Loaded }, randomRows[schema.LabelSpan](total(sizes), day, "Loaded"), sizes)
		}, []int{3000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, tt.sizes) })
	}
}

// TestEmptyOptionalIsNull writes empty optional texts in a pattern that
// parquet-go's row writer (v0.32.0) gets wrong, writing some of them as empty texts
// (parquet-go/parquet-go#154), and wants them all NULL, as FORMAT.md says.
func TestEmptyOptionalIsNull(t *testing.T) {
	tests := []struct {
		name  string
		apps  func(i int) string // the app of row i
		nulls int64
	}{
		{"nulls, 5 values, nulls to the end of a chunk", func(i int) string {
			if i%64 >= 5 && i%64 < 10 {
				return "dns"
			}
			return ""
		}, 2 * 59},
		{"every other row", func(i int) string {
			if i%2 == 0 {
				return "tls"
			}
			return ""
		}, 64},
		{"no value", func(int) string { return "" }, 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tx, err := d.Begin("test", nil)
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewTableWriter(tx, schema.Packets, packetTs)
			if err != nil {
				t.Fatal(err)
			}
			rows := make([]schema.Packet, 128)
			for i := range rows {
				rows[i] = pkt(int64(i), "cap", uint32(i+1))
				rows[i].App = tt.apps(i)
			}
			if err := w.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := nullCount(t, d.Files("packets")[0], "app"); got != tt.nulls {
				t.Errorf("%d NULL apps, want %d", got, tt.nulls)
			}

			// The same rows between rows of another input, which is then
			// removed: the file rewritten without them keeps its NULLs.
			const a, b = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
			d, err = OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			mixed := make([]schema.Packet, 0, 2*len(rows))
			for i, r := range rows {
				r.Capture = a
				mixed = append(mixed, r, pkt(int64(i), b, uint32(i+1)))
			}
			ingest(t, d, []string{a, b}, mixed, nil)
			tx, err = d.Begin("test", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.RemoveInput(b); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := nullCount(t, d.Files("packets")[0], "app"); got != tt.nulls {
				t.Errorf("after removing another input: %d NULL apps, want %d", got, tt.nulls)
			}
		})
	}
}

// nullCount returns the number of NULLs in column name of the file at path.
func nullCount(t *testing.T, path, name string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	leaf, ok := pf.Schema().Lookup(name)
	if !ok {
		t.Fatalf("no column %s", name)
	}
	var n int64
	for _, rg := range pf.Metadata().RowGroups {
		n += rg.Columns[leaf.ColumnIndex].MetaData.Statistics.NullCount
	}
	return n
}

// TestLayoutRefusesWhatItCannotWrite wants record types that are not flat
// records of the kinds handled written through parquet-go's row writer.
func TestLayoutRefusesWhatItCannotWrite(t *testing.T) {
	type nested struct {
		A int64 `parquet:"a"`
		B struct {
			C int64 `parquet:"c"`
		} `parquet:"b"`
	}
	type repeated struct {
		A []int64 `parquet:"a"`
	}
	type optionalFloat struct {
		A float64 `parquet:"a,optional"`
	}
	type flat struct {
		A int64   `parquet:"a"`
		B string  `parquet:"b,optional,dict"`
		C *uint16 `parquet:"c,optional"`
	}
	tests := []struct {
		name string
		err  error
	}{
		{"nested", layoutErr[nested]()},
		{"repeated", layoutErr[repeated]()},
		{"optional float", layoutErr[optionalFloat]()},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: layout accepted", tt.name)
		}
	}
	if err := layoutErr[flat](); err != nil {
		t.Errorf("flat: %v", err)
	}
}

func layoutErr[T any]() error {
	_, err := layoutOf[T](parquet.SchemaOf(new(T)))
	return err
}

// sameAsRowWriter writes rows, all of one day, in calls of sizes rows to a
// TableWriter and to a parquet-go row writer, and compares the files: the
// same rows read back, and the same footer (schema, row groups, encodings,
// statistics, size statistics, created by) but for where pages lie. When
// both cut the columns into the same pages, which they do when the calls
// write whole chunks of 64 rows, the column and offset indexes are the
// same too.
func sameAsRowWriter[T any](t *testing.T, table *schema.Table, timeOf func(*T) int64, rows []T, sizes []int) {
	t.Helper()
	d, err := OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewTableWriter(tx, table, timeOf)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	rw := parquet.NewGenericWriter[T](&want, writerOptions(tx.codec, tx.version)...)
	at := 0
	for _, n := range sizes {
		if err := w.Write(rows[at : at+n]); err != nil {
			t.Fatal(err)
		}
		if _, err := rw.Write(rows[at : at+n]); err != nil {
			t.Fatal(err)
		}
		at += n
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	files := d.Files(table.Name)
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	got, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	gf, err := parquet.OpenFile(bytes.NewReader(got), int64(len(got)))
	if err != nil {
		t.Fatal(err)
	}
	wf, err := parquet.OpenFile(bytes.NewReader(want.Bytes()), int64(want.Len()))
	if err != nil {
		t.Fatal(err)
	}
	gm, wm := footerWithoutPages(gf), footerWithoutPages(wf)
	if diff := cmp.Diff(wm, gm); diff != "" {
		t.Errorf("%s: footer (-row writer +pageFile):\n%s", table.Name, diff)
	}
	if aligned(sizes) {
		if diff := cmp.Diff(wf.ColumnIndexes(), gf.ColumnIndexes()); diff != "" {
			t.Errorf("%s: column indexes (-row writer +pageFile):\n%s", table.Name, diff)
		}
		if diff := cmp.Diff(firstRows(wf.OffsetIndexes()), firstRows(gf.OffsetIndexes())); diff != "" {
			t.Errorf("%s: pages (-row writer +pageFile):\n%s", table.Name, diff)
		}
	}
	back := readTable[T](t, d, table.Name)
	var wantRows []T
	r := parquet.NewGenericReader[T](wf)
	wantRows = make([]T, wf.NumRows())
	if n, err := r.Read(wantRows); n != len(wantRows) && err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRows, back); diff != "" {
		t.Errorf("%s: rows (-row writer +pageFile):\n%s", table.Name, diff)
	}
	if len(back) != len(rows) {
		t.Fatalf("read %d rows, wrote %d", len(back), len(rows))
	}
}

// footerWithoutPages returns the footer of f without what depends on where
// its pages lie: offsets, sizes and the number of pages of each encoding.
func footerWithoutPages(f *parquet.File) format.FileMetaData {
	md := *f.Metadata()
	md.RowGroups = slices.Clone(md.RowGroups)
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		rg.FileOffset, rg.TotalByteSize, rg.TotalCompressedSize = 0, 0, 0
		rg.Columns = slices.Clone(rg.Columns)
		for c := range rg.Columns {
			cc := &rg.Columns[c]
			cc.OffsetIndexOffset, cc.OffsetIndexLength, cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0, 0, 0
			m := &cc.MetaData
			m.DataPageOffset, m.DictionaryPageOffset, m.TotalCompressedSize, m.TotalUncompressedSize = 0, 0, 0, 0
			m.EncodingStats = slices.Clone(m.EncodingStats)
			for i := range m.EncodingStats {
				m.EncodingStats[i].Count = 0
			}
		}
	}
	return md
}

// firstRows returns the first row of every page.
func firstRows(idx []format.OffsetIndex) [][]int64 {
	var out [][]int64
	for _, c := range idx {
		var rows []int64
		for _, p := range c.PageLocations {
			rows = append(rows, p.FirstRowIndex)
		}
		out = append(out, rows)
	}
	return out
}

// aligned reports whether every call writes whole chunks of 64 rows.
func aligned(sizes []int) bool {
	for _, n := range sizes {
		if n%chunkRows != 0 {
			return false
		}
	}
	return true
}

// randomRows returns n rows of T with random field values, a fifth of
// them zero or nil, and the time field named timeField within the day
// that starts at day.
func randomRows[T any](n int, day int64, timeField string) []T {
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	words := []string{"a", "dns", "192.0.2.1", "2001:db8::1", "SF", "S0", "example.org", "inbound"}
	rows := make([]T, n)
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for f := range v.NumField() {
			fv := v.Field(f)
			if rng.IntN(5) == 0 {
				continue
			}
			if fv.Kind() == reflect.Pointer {
				fv.Set(reflect.New(fv.Type().Elem()))
				fv = fv.Elem()
			}
			switch fv.Kind() {
			case reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
				fv.SetInt(rng.Int64() >> rng.IntN(64))
			case reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
				fv.SetUint(rng.Uint64() >> rng.IntN(64))
			case reflect.Bool:
				fv.SetBool(true)
			case reflect.Float64, reflect.Float32:
				fv.SetFloat(rng.NormFloat64())
			case reflect.String:
				fv.SetString(words[rng.IntN(len(words))] + fmt.Sprint(rng.IntN(50)))
			}
		}
		v.FieldByName(timeField).SetInt(day + int64(i)*1e6)
	}
	return rows
}

func total(sizes []int) int {
	n := 0
	for _, s := range sizes {
		n += s
	}
	return n
}

func repeat(n, times int) []int {
	s := make([]int, times)
	for i := range s {
		s[i] = n
	}
	return s
}
