package input

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// merged is one frame of a Source with the index of its file.
type merged struct {
	File  int
	Frame frameSum
}

// drainSource reads s to the end; if probe is not nil it is called after
// each frame with the number of frames read so far.
func drainSource(t *testing.T, s *Source, probe func(n int)) []merged {
	t.Helper()
	var out []merged
	var f Frame
	for {
		file, err := s.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Source.Next: %v", err)
		}
		out = append(out, merged{File: file, Frame: sum(&f)})
		if probe != nil {
			probe(len(out))
		}
	}
	if _, err := s.Next(&f); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
	return out
}

// sortedMerge is the expected merge of files whose frames are in time order:
// all frames ordered by timestamp, then by file index.
func sortedMerge(t *testing.T, paths []string) []merged {
	t.Helper()
	var all []merged
	for i, p := range paths {
		frames, _ := openAll(t, p)
		for _, f := range frames {
			all = append(all, merged{File: i, Frame: f})
		}
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].Frame.Ts != all[b].Frame.Ts {
			return all[a].Frame.Ts < all[b].Frame.Ts
		}
		return all[a].File < all[b].File
	})
	return all
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// fileStat is a FileStat with its error summarized.
type fileStat struct {
	Path   string
	Frames uint64
	Err    *errorSummary
}

func fileStats(s *Source) []fileStat {
	var out []fileStat
	for _, fs := range s.Files() {
		out = append(out, fileStat{Path: fs.Path, Frames: fs.Frames, Err: summarize(fs.Err)})
	}
	return out
}

func TestSourceOverlapping(t *testing.T) {
	c2 := filepath.Join("testdata", "dlinkdaycam-c2.pcap")
	c3 := filepath.Join("testdata", "dlinkdaycam-c3.pcap")
	for _, paths := range [][]string{{c2, c3}, {c3, c2}} {
		t.Run(filepath.Base(paths[0]), func(t *testing.T) {
			s, err := NewSource(context.Background(), paths, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := drainSource(t, s, nil)
			want := sortedMerge(t, paths)
			if len(want) != 65+66 {
				t.Fatalf("expected merge has %d frames, want 131", len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("merge (-want +got):\n%s", diff)
			}
			// Both files interleave: the merge switches between them many times.
			switches := 0
			for i := 1; i < len(got); i++ {
				if got[i].File != got[i-1].File {
					switches++
				}
			}
			if switches < 10 {
				t.Errorf("only %d switches between the files", switches)
			}
			frames := map[string]uint64{c2: 65, c3: 66}
			wantStats := []fileStat{{Path: paths[0], Frames: frames[paths[0]]}, {Path: paths[1], Frames: frames[paths[1]]}}
			if diff := cmp.Diff(wantStats, fileStats(s)); diff != "" {
				t.Errorf("Files (-want +got):\n%s", diff)
			}
			total := size(t, c2) + size(t, c3)
			if s.TotalBytes() != total || s.BytesRead() != total {
				t.Errorf("TotalBytes %d, BytesRead %d, want both %d", s.TotalBytes(), s.BytesRead(), total)
			}
		})
	}
}

// pcapRecords splits a little-endian pcap into its file header and records.
func pcapRecords(t *testing.T, data []byte) (header []byte, records [][]byte) {
	t.Helper()
	for off := 24; off < len(data); {
		n := 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
		records = append(records, data[off:off+n])
		off += n
	}
	return data[:24], records
}

// pcapFile joins a file header and records.
func pcapFile(header []byte, records [][]byte) []byte {
	out := append([]byte(nil), header...)
	for _, r := range records {
		out = append(out, r...)
	}
	return out
}

// withTime returns a copy of a record with its timestamp set to sec seconds.
func withTime(rec []byte, sec uint32) []byte {
	c := append([]byte(nil), rec...)
	binary.LittleEndian.PutUint32(c[0:], sec)
	binary.LittleEndian.PutUint32(c[4:], 0)
	return c
}

func TestSourceRotated(t *testing.T) {
	header, recs := pcapRecords(t, testdata(t, "rotation.pcap"))
	if len(recs) != 20 {
		t.Fatalf("rotation.pcap has %d records, want 20", len(recs))
	}
	dir := t.TempDir()
	// Given out of order: the Source orders them by their first frame.
	paths := []string{
		writeFile(t, dir, "part3.pcap", pcapFile(header, recs[14:])),
		writeFile(t, dir, "part1.pcap", pcapFile(header, recs[:7])),
		writeFile(t, dir, "part2.pcap", pcapFile(header, recs[7:14])),
	}
	s, err := NewSource(context.Background(), paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.BytesRead() != 0 {
		t.Errorf("BytesRead before the first frame = %d, want 0", s.BytesRead())
	}
	sz := []int64{size(t, paths[0]), size(t, paths[1]), size(t, paths[2])}
	// Files are opened when their first frame is due, one after the other.
	wantRead := map[int]int64{1: sz[1], 7: sz[1], 8: sz[1] + sz[2], 14: sz[1] + sz[2], 15: sz[0] + sz[1] + sz[2]}
	got := drainSource(t, s, func(n int) {
		if want, ok := wantRead[n]; ok && s.BytesRead() != want {
			t.Errorf("after frame %d BytesRead = %d, want %d", n, s.BytesRead(), want)
		}
	})
	var files []int
	var indexes []uint32
	for _, m := range got {
		files = append(files, m.File)
		indexes = append(indexes, m.Frame.Index)
	}
	wantFiles := []int{1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0}
	wantIndexes := []uint32{1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("file order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantIndexes, indexes); diff != "" {
		t.Errorf("frame indexes (-want +got):\n%s", diff)
	}
	if first, last := got[0].Frame.Ts, got[len(got)-1].Frame.Ts; first != 1299466805000000000 || last != 1299502795000000000 {
		t.Errorf("first %d, last %d", first, last)
	}
}

func TestSourceBadFiles(t *testing.T) {
	dir := t.TempDir()
	header, recs := pcapRecords(t, testdata(t, "http_get.pcap"))
	good := filepath.Join("testdata", "http_get.pcap")
	cut := filepath.Join("testdata", "http_get_cut_midrecord.pcap")
	bad := filepath.Join("testdata", "bad_magic.pcap")
	missing := filepath.Join(dir, "missing.pcap")
	empty := writeFile(t, dir, "empty.pcap", header)
	firstCut := writeFile(t, dir, "first-cut.pcap", pcapFile(header, [][]byte{recs[0][:20]}))
	paths := []string{cut, missing, good, bad, empty, firstCut}
	s, err := NewSource(context.Background(), paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := drainSource(t, s, nil)
	want := sortedMerge(t, []string{cut, missing, good})
	if len(want) != 19 {
		t.Fatalf("expected merge has %d frames, want 19", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	wantStats := []fileStat{
		{Path: cut, Frames: 5, Err: &errorSummary{Format: true, File: cut, Offset: 590, Record: 6, Reason: "record data cut: 757 of 1514 bytes", Unexpected: true}},
		{Path: missing, Err: &errorSummary{Reason: "open capture: stat " + missing + ": no such file or directory"}},
		{Path: good, Frames: 14},
		{Path: bad, Err: &errorSummary{Format: true, File: bad, Unknown: true,
			Reason: "unknown format (first bytes 00010203); " + knownFormats()}},
		{Path: empty},
		{Path: firstCut, Err: &errorSummary{Format: true, File: firstCut, Offset: 24, Record: 1, Reason: "record data cut: 4 of 78 bytes", Unexpected: true}},
	}
	if diff := cmp.Diff(wantStats, fileStats(s)); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}

// TestSourceBackInTime checks that a file whose frames go back in time is
// passed on in its own order: the merge looks at the next frame of each file.
func TestSourceBackInTime(t *testing.T) {
	header, recs := pcapRecords(t, testdata(t, "http_get.pcap"))
	dir := t.TempDir()
	a := writeFile(t, dir, "a.pcap", pcapFile(header, [][]byte{withTime(recs[0], 10), withTime(recs[1], 5), withTime(recs[2], 20)}))
	b := writeFile(t, dir, "b.pcap", pcapFile(header, [][]byte{withTime(recs[3], 7), withTime(recs[4], 8), withTime(recs[5], 10)}))
	s, err := NewSource(context.Background(), []string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type step struct {
		File  int
		Index uint32
		Sec   int64
	}
	var got []step
	for _, m := range drainSource(t, s, nil) {
		got = append(got, step{m.File, m.Frame.Index, m.Frame.Ts / 1e9})
	}
	want := []step{{1, 1, 7}, {1, 2, 8}, {0, 1, 10}, {0, 2, 5}, {1, 3, 10}, {0, 3, 20}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
}

func TestSourceCloseEarly(t *testing.T) {
	paths := []string{filepath.Join("testdata", "dlinkdaycam-c2.pcap"), filepath.Join("testdata", "dlinkdaycam-c3.pcap")}
	before := openFDs(t)
	s, err := NewSource(context.Background(), paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	for range 10 {
		if _, err := s.Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open file descriptors: %d before, %d after Close", before, after)
	}
	if _, err := s.Next(&f); err != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
}

func TestNewSourceNoPaths(t *testing.T) {
	if _, err := NewSource(context.Background(), nil, nil); err == nil {
		t.Error("NewSource with no paths succeeded")
	}
}

// syntheticPcap returns a little-endian microsecond pcap of n 60-byte frames,
// starting at second start, step microseconds apart.
func syntheticPcap(n int, start uint32, step int) []byte {
	buf := make([]byte, 24, 24+n*76)
	binary.LittleEndian.PutUint32(buf[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(buf[4:], 2)
	binary.LittleEndian.PutUint16(buf[6:], 4)
	binary.LittleEndian.PutUint32(buf[16:], 65535)
	binary.LittleEndian.PutUint32(buf[20:], 1)
	rec := make([]byte, 76)
	for i := range n {
		us := i * step
		binary.LittleEndian.PutUint32(rec[0:], start+uint32(us/1_000_000))
		binary.LittleEndian.PutUint32(rec[4:], uint32(us%1_000_000))
		binary.LittleEndian.PutUint32(rec[8:], 60)
		binary.LittleEndian.PutUint32(rec[12:], 60)
		buf = append(buf, rec...)
	}
	return buf
}

// BenchmarkSource merges two interleaved captures of small frames from disk.
func BenchmarkSource(b *testing.B) {
	const frames = 200_000
	dir := b.TempDir()
	paths := []string{
		writeFile(b, dir, "a.pcap", syntheticPcap(frames/2, 1_700_000_000, 2)),
		writeFile(b, dir, "b.pcap", syntheticPcap(frames/2, 1_700_000_000, 3)),
	}
	b.ReportAllocs()
	var f Frame
	for b.Loop() {
		s, err := NewSource(context.Background(), paths, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := s.Next(&f); err != nil {
				break
			}
			n++
		}
		if n != frames {
			b.Fatalf("read %d frames, want %d", n, frames)
		}
		s.Close()
	}
	b.ReportMetric(float64(frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
