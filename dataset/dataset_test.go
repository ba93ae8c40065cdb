package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/schema"
)

// day0 is 2024-03-01T00:00:00Z in nanoseconds.
var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()

const hour = int64(time.Hour)

func pkt(ts int64, capture string, frame uint32) schema.Packet {
	return schema.Packet{
		Ts: ts, Capture: capture, Frame: frame, LinkType: 1, WireLen: 60, CapLen: 60,
		EthType: 0x0800, IPVersion: 4, Src: "192.0.2.1", Dst: "198.51.100.7", IPLen: 46,
		TTL: 64, Proto: 17, Sport: 5353, Dport: 53, UDPLen: 26, PayloadLen: 18, App: "dns", FlowID: int64(frame),
	}
}

func flowRow(id int64, start int64) schema.Flow {
	return schema.Flow{
		FlowID: id, Start: start, End: start + 2e9, Duration: 2, Proto: 6, IPVersion: 4,
		A: "192.0.2.1", APort: 40000, B: "198.51.100.7", BPort: 443, PktsAToB: 3, PktsBToA: 2,
		BytesAToB: 180, BytesBToA: 120, State: "SF", Answered: true,
	}
}

func packetTs(p *schema.Packet) int64 { return p.Ts }
func flowStart(f *schema.Flow) int64  { return f.Start }

// ingest writes packets and flows in one committed transaction and records
// the inputs.
func ingest(t *testing.T, d *Dataset, inputs []string, packets []schema.Packet, flows []schema.Flow, dns ...schema.DNS) {
	t.Helper()
	tx, err := d.Begin("test", map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := NewTableWriter(tx, schema.Packets, packetTs)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := NewTableWriter(tx, schema.Flows, flowStart)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write(packets); err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(flows); err != nil {
		t.Fatal(err)
	}
	if len(dns) > 0 {
		dw, err := NewTableWriter(tx, schema.DNSLog, func(r *schema.DNS) int64 { return r.Ts })
		if err != nil {
			t.Fatal(err)
		}
		if err := dw.Write(dns); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range inputs {
		tx.AddInput(Input{ID: id, Name: id + ".pcap", Path: "/in/" + id + ".pcap", SHA256: id + strings.Repeat("0", 48), Size: 100, Frames: 3})
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// readTable reads every committed row of a table.
func readTable[T any](t *testing.T, d *Dataset, table string) []T {
	t.Helper()
	var all []T
	for _, f := range d.Files(table) {
		rows, err := parquet.ReadFile[T](f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		all = append(all, rows...)
	}
	return all
}

// listFiles returns the files under dir (relative, slash-separated) with
// their sizes, except the lock file.
func listFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if e.IsDir() || rel == lockName {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// listDirs returns the directories under dir, relative.
func listDirs(t *testing.T, dir string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && p != dir {
			rel, _ := filepath.Rel(dir, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func sortPackets(p []schema.Packet) {
	slices.SortFunc(p, func(a, b schema.Packet) int {
		if c := strings.Compare(a.Capture, b.Capture); c != 0 {
			return c
		}
		return int(a.Frame) - int(b.Frame)
	})
}

func TestWriteCommitRead(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Rows of three days, interleaved, one before the epoch, one at the last
	// nanosecond of a day and one at midnight.
	packets := []schema.Packet{
		pkt(day0+1*hour, "aaaaaaaaaaaaaaaa", 1),
		pkt(day0+25*hour, "aaaaaaaaaaaaaaaa", 2),
		pkt(day0+2*hour, "aaaaaaaaaaaaaaaa", 3),
		pkt(day0+24*hour-1, "aaaaaaaaaaaaaaaa", 4),
		pkt(day0+24*hour, "aaaaaaaaaaaaaaaa", 5),
		pkt(-1, "aaaaaaaaaaaaaaaa", 6),
	}
	packets[0].Src, packets[0].App = "", "" // NULLs
	flows := []schema.Flow{flowRow(1, day0+hour), flowRow(2, day0+30*hour)}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, packets, flows)

	m := d.Manifest()
	if m.FormatVersion != FormatVersion || m.NetlensVersion != "test" {
		t.Errorf("manifest version = %d %q", m.FormatVersion, m.NetlensVersion)
	}
	type fileSum struct {
		Path string
		Rows int64
		Day  string
	}
	var got []fileSum
	for _, table := range []string{"flows", "packets"} {
		for _, f := range m.Tables[table].Files {
			if f.Bytes <= 0 {
				t.Errorf("%s: bytes = %d", f.Path, f.Bytes)
			}
			got = append(got, fileSum{f.Path, f.Rows, f.Day})
		}
	}
	// Part numbers follow the order in which day files were opened.
	want := []fileSum{
		{"flows/day=2024-03-01/part-000001-0004.parquet", 1, "2024-03-01"},
		{"flows/day=2024-03-02/part-000001-0005.parquet", 1, "2024-03-02"},
		{"packets/day=1969-12-31/part-000001-0003.parquet", 1, "1969-12-31"},
		{"packets/day=2024-03-01/part-000001-0001.parquet", 3, "2024-03-01"},
		{"packets/day=2024-03-02/part-000001-0002.parquet", 2, "2024-03-02"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if d.Rows("packets") != 6 || d.Rows("flows") != 2 || d.Rows("dns") != 0 {
		t.Errorf("rows = %d %d %d", d.Rows("packets"), d.Rows("flows"), d.Rows("dns"))
	}

	gotRows := readTable[schema.Packet](t, d, "packets")
	sortPackets(gotRows)
	if diff := cmp.Diff(packets, gotRows); diff != "" {
		t.Errorf("packets read back (-want +got):\n%s", diff)
	}
	gotFlows := readTable[schema.Flow](t, d, "flows")
	if diff := cmp.Diff(flows, gotFlows); diff != "" {
		t.Errorf("flows read back (-want +got):\n%s", diff)
	}

	// A second Open sees the same manifest; nothing else is on disk.
	d2, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, d2.Manifest()); diff != "" {
		t.Errorf("reopened manifest (-want +got):\n%s", diff)
	}
	wantFiles := []string{ManifestName}
	for _, f := range got {
		wantFiles = append(wantFiles, f.Path)
	}
	slices.Sort(wantFiles)
	files := listFiles(t, dir)
	if diff := cmp.Diff(wantFiles, slices.Sorted(maps.Keys(files))); diff != "" {
		t.Errorf("files on disk (-want +got):\n%s", diff)
	}
	if in, ok := d2.HasInput("AAAAAAAAAAAAAAAA" + strings.Repeat("0", 48)); !ok || in.Ingest != 1 || in.Name != "aaaaaaaaaaaaaaaa.pcap" {
		t.Errorf("HasInput = %+v, %v", in, ok)
	}
	if _, ok := d2.HasInput(strings.Repeat("b", 64)); ok {
		t.Error("HasInput of an unknown digest = true")
	}
	wantIngest := Ingest{ID: 1, NetlensVersion: "test", Params: map[string]string{"k": "v"}, Inputs: []string{"aaaaaaaaaaaaaaaa"}}
	if diff := cmp.Diff([]Ingest{wantIngest}, m.Ingests, cmpopts.IgnoreFields(Ingest{}, "Started", "Finished")); diff != "" {
		t.Errorf("ingests (-want +got):\n%s", diff)
	}
	if m.Ingests[0].Finished.Before(m.Ingests[0].Started) {
		t.Errorf("finished %v before started %v", m.Ingests[0].Finished, m.Ingests[0].Started)
	}
}

func TestExtremeTimes(t *testing.T) {
	d, err := OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	packets := []schema.Packet{pkt(math.MinInt64, "a", 1), pkt(math.MaxInt64, "a", 2), pkt(math.MinInt64, "a", 3), pkt(0, "a", 4)}
	ingest(t, d, []string{"a"}, packets, nil)
	var days []string
	for _, f := range d.Manifest().Tables["packets"].Files {
		days = append(days, fmt.Sprintf("%s %d", f.Day, f.Rows))
	}
	if diff := cmp.Diff([]string{"1677-09-21 2", "1970-01-01 1", "2262-04-11 1"}, days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
}

func TestManyDaysReopenParts(t *testing.T) {
	d, err := OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// 10 days in turn, twice: more days than files kept open, so every day
	// gets a second part file.
	var packets []schema.Packet
	for round := range 2 {
		for day := range 10 {
			packets = append(packets, pkt(day0+int64(day)*24*hour+int64(round), "cccccccccccccccc", uint32(round*10+day+1)))
		}
	}
	ingest(t, d, []string{"cccccccccccccccc"}, packets, nil)
	files := d.Manifest().Tables["packets"].Files
	perDay := map[string]int{}
	for _, f := range files {
		perDay[f.Day]++
		if f.Rows != 1 {
			t.Errorf("%s: rows = %d, want 1", f.Path, f.Rows)
		}
	}
	want := map[string]int{}
	for day := range 10 {
		want[time.Unix(0, day0+int64(day)*24*hour).UTC().Format(time.DateOnly)] = 2
	}
	if diff := cmp.Diff(want, perDay); diff != "" {
		t.Errorf("files per day (-want +got):\n%s", diff)
	}
	got := readTable[schema.Packet](t, d, "packets")
	sortPackets(got)
	sortPackets(packets)
	if diff := cmp.Diff(packets, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestAbortAndLock(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}, nil)
	before := listFiles(t, dir)
	m := d.Manifest()

	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tx.ID() != 2 {
		t.Errorf("ID = %d, want 2", tx.ID())
	}
	// A second ingest, in this process or through another Dataset, fails at once.
	if _, err := d.Begin("test", nil); !errors.Is(err, ErrLocked) {
		t.Errorf("second Begin: err = %v, want ErrLocked", err)
	}
	other, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Begin("test", nil); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Begin on another handle: err = %v, want ErrLocked naming the directory", err)
	}
	w, err := NewTableWriter(tx, schema.Packets, packetTs)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]schema.Packet{pkt(day0+hour, "bbbbbbbbbbbbbbbb", 1), pkt(day0+48*hour, "bbbbbbbbbbbbbbbb", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tx.AddInput(Input{SHA256: strings.Repeat("b", 64)})
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := tx.Commit(); !errors.Is(err, ErrDone) {
		t.Errorf("Commit after Abort: err = %v, want ErrDone", err)
	}
	if err := w.Write([]schema.Packet{pkt(day0, "b", 3)}); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if diff := cmp.Diff(before, listFiles(t, dir)); diff != "" {
		t.Errorf("files after Abort (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(m, d.Manifest()); diff != "" {
		t.Errorf("manifest after Abort (-want +got):\n%s", diff)
	}
	// The lock is free again, and the next ingest id is 2 again.
	tx, err = other.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tx.ID() != 2 {
		t.Errorf("ID after abort = %d, want 2", tx.ID())
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// An empty commit records the ingest and nothing else.
	got := other.Manifest()
	if len(got.Ingests) != 2 || len(got.Ingests[1].Inputs) != 0 || got.Tables["packets"].Rows != 1 {
		t.Errorf("manifest after empty commit: %+v", got)
	}
}

func TestWriterAfterCommitAndDoubleClose(t *testing.T) {
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
	if err := w.Write([]schema.Packet{pkt(day0, "a", 1)}); err != nil {
		t.Fatal(err)
	}
	// Commit closes the writer that is still open.
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if d.Rows("packets") != 1 {
		t.Errorf("rows = %d, want 1", d.Rows("packets"))
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Commit: %v", err)
	}
	if err := w.Write([]schema.Packet{pkt(day0, "a", 2)}); !errors.Is(err, ErrDone) {
		t.Errorf("Write after Commit: err = %v, want ErrDone", err)
	}
	if _, err := NewTableWriter(tx, schema.Packets, packetTs); !errors.Is(err, ErrDone) {
		t.Errorf("NewTableWriter after Commit: err = %v, want ErrDone", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     string
	}{
		{"not json", "{", "manifest.json: unexpected end of JSON input"},
		{"no version", `{"tables":{}}`, "manifest.json: missing or invalid format_version 0"},
		{"newer", `{"format_version":99}`, "manifest.json: format version 99 is newer than this netlens supports (1)"},
		{"escaping path", `{"format_version":1,"tables":{"packets":{"rows":1,"files":[{"path":"packets/../../etc/x.parquet"}]}}}`, `invalid file path "packets/../../etc/x.parquet"`},
		{"absolute path", `{"format_version":1,"tables":{"packets":{"rows":1,"files":[{"path":"/etc/x.parquet"}]}}}`, `invalid file path "/etc/x.parquet"`},
		{"other table", `{"format_version":1,"tables":{"packets":{"rows":1,"files":[{"path":"flows/day=2024-01-01/x.parquet"}]}}}`, `invalid file path`},
		{"bad table", `{"format_version":1,"tables":{"../x":{"rows":0,"files":[]}}}`, `invalid table name "../x"`},
		{"twice", `{"format_version":1,"tables":{"packets":{"files":[{"path":"packets/a.parquet"},{"path":"packets/a.parquet"}]}}}`, `listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(tt.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenWrite(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// Minimal valid manifest.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"format_version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(emptyManifest(), d.Manifest()); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
}

func TestOpenWriteRemovesOnlyItsOwnLeftovers(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}, nil)
	before := listFiles(t, dir)
	write := func(name string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What a killed ingest leaves: its staging directory and a temporary
	// manifest. Both go.
	write(".ingest-000002/packets/day=2024-03-01/part-000002-0001.parquet")
	write("manifest.json.tmp")
	// A part file that ingest 1 (committed) wrote and that the manifest no
	// longer lists: provably netlens' own, it goes.
	write("packets/day=2024-03-01/part-000001-0009.parquet")
	// Files no committed ingest wrote stay, whoever put them there: an
	// unknown ingest's part file, a user's Parquet file and notes.
	keep := []string{
		"packets/day=2024-03-01/part-000002-0001.parquet",
		"packets/day=2024-03-09/part-000077-0002.parquet",
		"packets/day=2024-03-01/mine.parquet",
		"packets/day=2024-03-01/notes.txt",
	}
	for _, k := range keep {
		write(k)
		before[k] = 1
	}

	// While a reader is open, files that reader may list stay.
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "packets/day=2024-03-01/part-000001-0009.parquet")); err != nil {
		t.Errorf("a dropped file was removed while a reader was open: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// While an ingest holds the lock, OpenWrite leaves everything alone.
	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	write("manifest.json.tmp")
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json.tmp")); err != nil {
		t.Errorf("OpenWrite removed a file while the dataset was locked: %v", err)
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}

	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, listFiles(t, dir)); diff != "" {
		t.Errorf("files after OpenWrite (-want +got):\n%s", diff)
	}
	// The next ingest takes an id no file on disk has.
	tx, err = d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	if tx.ID() != 78 {
		t.Errorf("ingest id = %d, want 78 (above part-000077 on disk)", tx.ID())
	}
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	// No manifest: refused, and nothing is created or removed.
	if err := os.MkdirAll(filepath.Join(dir, "packets", "day=2024-03-01"), 0o755); err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(dir, "packets", "day=2024-03-01", "part-000001-0001.parquet")
	if err := os.WriteFile(user, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrNoManifest) {
		t.Errorf("Open without manifest: err = %v, want ErrNoManifest", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open of a missing directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open created the missing directory")
	}
	// OpenWrite refuses a directory that holds files it did not make.
	if _, err := OpenWrite(dir); err == nil || !strings.Contains(err.Error(), "not a netlens dataset") {
		t.Errorf("OpenWrite of a foreign directory: err = %v", err)
	}
	if _, err := os.Stat(user); err != nil {
		t.Errorf("the user's file is gone: %v", err)
	}

	// A dataset with leftovers: Open changes nothing on disk and cannot write.
	ds := t.TempDir()
	d, err := OpenWrite(ds)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}, nil)
	for _, name := range []string{".ingest-000005/x", "manifest.json.tmp", "packets/day=2024-03-01/part-000001-0009.parquet"} {
		p := filepath.Join(ds, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := listFiles(t, ds)
	r, err := Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Begin("test", nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Begin on a read-only dataset: err = %v, want ErrReadOnly", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, listFiles(t, ds)); diff != "" {
		t.Errorf("Open changed the directory (-before +after):\n%s", diff)
	}
}

// A reader keeps its snapshot while an ingest replaces the files it lists;
// the files go once the reader is closed and another ingest runs.
func TestReaderSnapshotSurvivesReplace(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1), pkt(day0, "aaaaaaaaaaaaaaaa", 2)}, []schema.Flow{flowRow(1, day0)})
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := r.Files("packets")

	// Replace the input, as ingest --force does.
	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RemoveInput("aaaaaaaaaaaaaaaa"); err != nil {
		t.Fatal(err)
	}
	pw, err := NewTableWriter(tx, schema.Packets, packetTs)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write([]schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}); err != nil {
		t.Fatal(err)
	}
	tx.AddInput(Input{ID: "aaaaaaaaaaaaaaaa", Name: "a.pcap", SHA256: strings.Repeat("a", 64), Size: 1, Frames: 1})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := len(readTable[schema.Packet](t, r, "packets")); got != 2 {
		t.Errorf("reader's snapshot: %d packets, want 2", got)
	}
	for _, f := range old {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("a file of the open reader's snapshot is gone: %v", err)
		}
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(readTable[schema.Packet](t, r2, "packets")); got != 1 {
		t.Errorf("new reader: %d packets, want 1", got)
	}
	r.Close()
	r2.Close()
	// The next writer removes what no reader holds any more.
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range old {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: dropped file still there after the readers closed (err %v)", f, err)
		}
	}
}

// Until the manifest is replaced, an ingest's files are out of reach of a
// glob of the table directories; a commit that dies after the manifest is
// replaced is read from the staging directory and finished by the next
// writer.
func TestStagedFilesInvisibleUntilCommit(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := NewTableWriter(tx, schema.Packets, packetTs)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write([]schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	glob := func() []string {
		m, err := filepath.Glob(filepath.Join(dir, "packets", "*", "*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if g := glob(); len(g) != 0 {
		t.Errorf("before commit, a glob of the table finds %v", g)
	}
	tx.AddInput(Input{ID: "aaaaaaaaaaaaaaaa", SHA256: strings.Repeat("a", 64)})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if g := glob(); len(g) != 1 {
		t.Errorf("after commit, a glob of the table finds %v, want 1 file", g)
	}

	// Simulate a death between the manifest and the links: the file is back
	// in a staging directory only.
	final := glob()[0]
	rel, _ := filepath.Rel(dir, final)
	staged := filepath.Join(dir, stagingName(tx.ID()), rel)
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(final, staged); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Files("packets"); len(got) != 1 || got[0] != staged {
		t.Errorf("reader resolves %v, want the staged %s", got, staged)
	}
	if got := len(readTable[schema.Packet](t, r, "packets")); got != 1 {
		t.Errorf("reader reads %d packets, want 1", got)
	}
	// A writer with the reader open links the file into place and keeps
	// the staging copy the reader may use.
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(final); err != nil {
		t.Errorf("not moved into place: %v", err)
	}
	if _, err := os.Stat(staged); err != nil {
		t.Errorf("staged copy removed while a reader was open: %v", err)
	}
	r.Close()
	if _, err := OpenWrite(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, stagingName(tx.ID()))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory still there: %v", err)
	}
	if g := glob(); len(g) != 1 {
		t.Errorf("a glob finds %v, want 1 file", g)
	}
}

func TestRemoveInput(t *testing.T) {
	const a, b, c = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Ingest 1 reads a alone; ingest 2 reads b and c together, with their
	// rows mixed in one file per day; day 3 holds b only.
	pa := []schema.Packet{pkt(day0, a, 1), pkt(day0+24*hour, a, 2)}
	pbc := []schema.Packet{pkt(day0+hour, b, 1), pkt(day0+hour, c, 1), pkt(day0+2*hour, b, 2), pkt(day0+48*hour, b, 3)}
	ingest(t, d, []string{a}, pa, []schema.Flow{flowRow(1, day0)})
	dns := []schema.DNS{
		{Ts: day0 + hour, Capture: b, Client: "192.0.2.1", Server: "192.0.2.53", Query: "example.com", QType: "A", RCode: "NOERROR", Answer: "198.51.100.7", TTL: 60},
		{Ts: day0 + hour, Capture: c, Client: "192.0.2.1", Server: "192.0.2.53", Query: "example.org", QType: "A", RCode: "NXDOMAIN"},
	}
	ingest(t, d, []string{b, c}, pbc, []schema.Flow{flowRow(2, day0+hour)}, dns...)
	if d.Rows("packets") != 6 || d.Rows("flows") != 2 || d.Rows("dns") != 2 {
		t.Fatalf("rows = %d %d", d.Rows("packets"), d.Rows("flows"))
	}

	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RemoveInput("dddddddddddddddd"); err == nil || !strings.Contains(err.Error(), "not in the dataset") {
		t.Errorf("RemoveInput of an unknown id: err = %v", err)
	}
	if err := tx.RemoveInput(a); err != nil {
		t.Fatal(err)
	}
	if err := tx.RemoveInput(b); err != nil {
		t.Fatal(err)
	}
	// Before commit, nothing has changed.
	if d.Rows("packets") != 6 || len(d.Files("packets")) != 4 {
		t.Errorf("before commit: rows %d files %d", d.Rows("packets"), len(d.Files("packets")))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	got := readTable[schema.Packet](t, d, "packets")
	sortPackets(got)
	if diff := cmp.Diff([]schema.Packet{pkt(day0+hour, c, 1)}, got); diff != "" {
		t.Errorf("packets after removing a and b (-want +got):\n%s", diff)
	}
	m := d.Manifest()
	var paths []string
	for _, f := range m.Tables["packets"].Files {
		paths = append(paths, f.Path)
	}
	// a's files go, the mixed file is rewritten by ingest 3 (after the dns
	// file, tables go in name order), b's own file goes.
	if diff := cmp.Diff([]string{"packets/day=2024-03-01/part-000003-0002.parquet"}, paths); diff != "" {
		t.Errorf("packets files (-want +got):\n%s", diff)
	}
	if m.Tables["packets"].Rows != 1 || m.Tables["packets"].Files[0].Rows != 1 {
		t.Errorf("packets rows = %d", m.Tables["packets"].Rows)
	}
	if diff := cmp.Diff(dns[1:], readTable[schema.DNS](t, d, "dns")); diff != "" {
		t.Errorf("dns (-want +got):\n%s", diff)
	}
	// Flows of ingest 1 (only a) go; flows of ingest 2 (b and c) stay.
	flows := readTable[schema.Flow](t, d, "flows")
	if diff := cmp.Diff([]schema.Flow{flowRow(2, day0+hour)}, flows); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	var ids []string
	for _, in := range m.Inputs {
		ids = append(ids, in.ID)
	}
	if diff := cmp.Diff([]string{c}, ids); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	var ingestInputs [][]string
	for _, in := range m.Ingests {
		ingestInputs = append(ingestInputs, in.Inputs)
	}
	if diff := cmp.Diff([][]string{{}, {c}, {}}, ingestInputs); diff != "" {
		t.Errorf("ingest inputs (-want +got):\n%s", diff)
	}
	// Nothing but listed files remains.
	want := []string{ManifestName}
	for _, table := range m.Tables {
		for _, f := range table.Files {
			want = append(want, f.Path)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(listFiles(t, dir)))); diff != "" {
		t.Errorf("files on disk (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dns", "dns/day=2024-03-01", "flows", "flows/day=2024-03-01", "packets", "packets/day=2024-03-01"}, listDirs(t, dir)); diff != "" {
		t.Errorf("directories (-want +got):\n%s", diff)
	}
}

func TestRemoveInputAbort(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{a, b}, []schema.Packet{pkt(day0, a, 1), pkt(day0, b, 1)}, nil)
	before := listFiles(t, dir)
	tx, err := d.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RemoveInput(a); err != nil {
		t.Fatal(err)
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, listFiles(t, dir)); diff != "" {
		t.Errorf("files after Abort (-want +got):\n%s", diff)
	}
	if d.Rows("packets") != 2 {
		t.Errorf("rows = %d, want 2", d.Rows("packets"))
	}
}

func TestAddInputReplaces(t *testing.T) {
	d, err := OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum := strings.Repeat("ab", 32)
	for _, frames := range []uint64{3, 5} {
		tx, err := d.Begin("v", nil)
		if err != nil {
			t.Fatal(err)
		}
		tx.AddInput(Input{Name: "x.pcap", Path: "x.pcap", SHA256: sum, Frames: frames})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	want := []Input{{ID: "abababababababab", Name: "x.pcap", Path: "x.pcap", SHA256: sum, Frames: 5, Ingest: 2}}
	if diff := cmp.Diff(want, d.Manifest().Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}

func TestManifestJSON(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, []schema.Packet{pkt(day0, "aaaaaaaaaaaaaaaa", 1)}, nil)
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	// The field names are the documented ones (FORMAT.md).
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string { return slices.Sorted(maps.Keys(v.(map[string]any))) }
	checks := []struct {
		name string
		got  []string
		want []string
	}{
		{"top", keys(raw), []string{"format_version", "ingests", "inputs", "netlens_version", "tables"}},
		{"ingest", keys(raw["ingests"].([]any)[0]), []string{"finished", "id", "inputs", "netlens_version", "params", "started"}},
		{"input", keys(raw["inputs"].([]any)[0]), []string{"frames", "id", "ingest", "name", "path", "sha256", "size"}},
		{"table", keys(raw["tables"].(map[string]any)["packets"]), []string{"files", "rows"}},
		{"file", keys(raw["tables"].(map[string]any)["packets"].(map[string]any)["files"].([]any)[0]), []string{"bytes", "crc32c", "day", "inputs", "path", "rows"}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestParquetFileProperties(t *testing.T) {
	d, err := OpenWrite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g := newPacketGen(7, day0)
	rows := make([]schema.Packet, rowGroupRows+1000)
	g.fill(rows, "aaaaaaaaaaaaaaaa")
	ingest(t, d, []string{"aaaaaaaaaaaaaaaa"}, rows, nil)
	files := d.Files("packets")
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	f, err := os.Open(files[0])
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
	md := pf.Metadata()
	if md.CreatedBy != "netlens version test" {
		t.Errorf("created_by = %q", md.CreatedBy)
	}
	var groups []int64
	for _, rg := range md.RowGroups {
		groups = append(groups, rg.NumRows)
	}
	if diff := cmp.Diff([]int64{rowGroupRows, 1000}, groups); diff != "" {
		t.Errorf("row groups (-want +got):\n%s", diff)
	}
	type col struct {
		Codec     string
		Encodings string
		HasStats  bool
	}
	got := map[string]col{}
	for i, c := range md.RowGroups[0].Columns {
		name := strings.Join(c.MetaData.PathInSchema, ".")
		var encs []string
		for _, e := range c.MetaData.Encoding {
			encs = append(encs, e.String())
		}
		slices.Sort(encs)
		s := c.MetaData.Statistics
		got[name] = col{c.MetaData.Codec.String(), strings.Join(encs, ","), s.MinValue != nil && s.MaxValue != nil}
		if i != slices.Index(schema.Packets.ColumnNames(), name) {
			t.Errorf("column %s at %d", name, i)
		}
	}
	want := map[string]col{}
	for _, c := range schema.Packets.Columns {
		enc, stats := "DELTA_BINARY_PACKED", true
		switch c.Type {
		case schema.String:
			enc = "PLAIN,RLE_DICTIONARY"
			if c.Nullable {
				enc = "PLAIN,RLE,RLE_DICTIONARY"
			}
		case schema.Bool:
			enc = "PLAIN"
		default:
			if c.Nullable { // the gap columns: definition levels, and all NULL in these rows
				enc, stats = "DELTA_BINARY_PACKED,RLE", false
			}
		}
		want[c.Name] = col{"ZSTD", enc, stats}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("column chunks (-want +got):\n%s", diff)
	}
	ts, _ := pf.Schema().Lookup("ts")
	if got := ts.Node.Type().LogicalType().String(); got != "TIMESTAMP(isAdjustedToUTC=false,unit=NANOS)" {
		t.Errorf("ts logical type = %s", got)
	}
}

func TestCaptureFiltersCoverCatalogue(t *testing.T) {
	for _, table := range schema.Tables() {
		_, hasCapture := table.Column(captureColumn)
		_, hasFilter := captureFilters[table.Name]
		if hasCapture != hasFilter {
			t.Errorf("table %s: capture column %v, filter %v", table.Name, hasCapture, hasFilter)
		}
	}
}
