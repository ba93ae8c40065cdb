package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

// streamOf streams the rows of t, failing with fail after failAt rows
// when fail is set.
func streamOf(t *engine.Table, failAt int, fail error) *engine.Stream {
	return &engine.Stream{Columns: t.Columns, Types: t.Types, Open: func(context.Context) (engine.RowReader, error) {
		return &failing{r: engine.TableReader(t), left: failAt, err: fail}, nil
	}}
}

type failing struct {
	r    engine.RowReader
	left int
	err  error
}

func (f *failing) Next() ([]any, error) {
	if f.err != nil && f.left == 0 {
		return nil, f.err
	}
	f.left--
	return f.r.Next()
}

func (f *failing) Close() error { return f.r.Close() }

// tableReport is a report of one section with the given tables.
func tableReport(tables ...analysis.Table) *Report {
	return &Report{
		Title: "tables", Version: "v0.1.0-test", Engine: "duckdb",
		Sections: []Section{{
			Meta:   analysis.Meta{Name: "talkers", Group: "capture", Title: "Top talkers"},
			Result: &analysis.Result{Tables: tables},
		}},
	}
}

func readReport(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range listDir(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// TestStreamedTables: a table whose rows are streamed gives the report a
// held table of the same rows gives, file for file and byte for byte:
// CSV and Parquet files, the page's preview of the first rows with the
// count of them all, and report.json's count; empty tables too.
func TestStreamedTables(t *testing.T) {
	ctx := context.Background()
	empty := &engine.Table{Columns: []string{"addr", "bytes"}, Types: []string{"VARCHAR", "BIGINT"}, Rows: [][]any{}}
	for _, tc := range []struct {
		name string
		t    *engine.Table
	}{{"more rows than the preview", talkersTable()}, {"empty", empty}} {
		t.Run(tc.name, func(t *testing.T) {
			held := analysis.Table{Name: "talkers_sent", Title: "Bytes sent", Table: tc.t}
			streamed := held
			streamed.Table = &engine.Table{Columns: tc.t.Columns, Types: tc.t.Types}
			streamed.Stream = streamOf(tc.t, 0, nil)
			if len(tc.t.Columns) > 2 {
				held = held.WithUnit("share", output.Share)
				streamed = streamed.WithUnit("share", output.Share)
			}
			want, got := t.TempDir(), t.TempDir()
			if err := Write(ctx, want, tableReport(held), Options{}); err != nil {
				t.Fatal(err)
			}
			if err := Write(ctx, got, tableReport(streamed), Options{}); err != nil {
				t.Fatal(err)
			}
			w, g := readReport(t, want), readReport(t, got)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("report files (-held +streamed):\n%s", diff)
			}
			var rj struct {
				Analyses []struct {
					Tables []jsonTable `json:"tables"`
				} `json:"analyses"`
			}
			if err := json.Unmarshal(g[JSONName], &rj); err != nil {
				t.Fatal(err)
			}
			if n := rj.Analyses[0].Tables[0].Rows; n != len(tc.t.Rows) {
				t.Errorf("report.json counts %d rows, want %d", n, len(tc.t.Rows))
			}
			if len(tc.t.Rows) > PreviewRows && !bytes.Contains(g[IndexName], []byte(tc.t.Rows[PreviewRows-1][0].(string))) {
				t.Errorf("the page lacks row %d of the preview", PreviewRows)
			}
		})
	}
}

// TestStreamedTableFails: a stream that fails part way leaves no file of
// its table, and the report says why.
func TestStreamedTableFails(t *testing.T) {
	ctx := context.Background()
	src := talkersTable()
	broken := analysis.Table{Name: "talkers_sent", Title: "Bytes sent", Table: &engine.Table{Columns: src.Columns, Types: src.Types},
		Stream: streamOf(src, 10, errors.New("connection lost"))}
	dir := t.TempDir()
	if err := Write(ctx, dir, tableReport(broken), Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range listDir(t, dir) {
		if strings.HasPrefix(f, TablesDir+"/") {
			t.Errorf("file %s of a failed table", f)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("connection lost")) {
		t.Errorf("report.json does not say why the table failed:\n%s", b)
	}
}

// linesOf writes the first column of each row it takes, a line each.
type linesOf struct{ w io.Writer }

func (l linesOf) WriteRow(row []any) error { _, err := fmt.Fprintln(l.w, row[0]); return err }
func (l linesOf) Close() error             { return nil }

// TestTableFiles: a file made of a streamed table's rows (TableFiles) is
// written from the read that writes the table's CSV and Parquet files,
// the same bytes as its FileWriters function writes from a read of its
// own, and the report is otherwise the same.
func TestTableFiles(t *testing.T) {
	ctx := context.Background()
	src := talkersTable()
	for _, tc := range []struct {
		name   string
		follow bool
		opens  int
	}{{"a read of its own", false, 2}, {"the table's read", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			var opens atomic.Int32
			s := streamOf(src, 0, nil)
			open := s.Open
			s.Open = func(ctx context.Context) (engine.RowReader, error) { opens.Add(1); return open(ctx) }
			tab := analysis.Table{Name: "talkers_sent", Title: "Bytes sent", Table: &engine.Table{Columns: src.Columns, Types: src.Types}, Stream: s}
			r := tableReport(tab)
			res := r.Sections[0].Result
			res.FileWriters = map[string]func(context.Context, io.Writer) error{
				"sent.txt": func(ctx context.Context, w io.Writer) error {
					rr, err := tab.Open(ctx)
					if err != nil {
						return err
					}
					defer rr.Close()
					for {
						row, err := rr.Next()
						if err == io.EOF {
							return nil
						}
						if err == nil {
							err = linesOf{w}.WriteRow(row)
						}
						if err != nil {
							return err
						}
					}
				},
			}
			if tc.follow {
				res.TableFiles = map[string]analysis.TableFile{"sent.txt": {Table: 0, New: func(w io.Writer) engine.RowWriter { return linesOf{w} }}}
			}
			dir := t.TempDir()
			if err := Write(ctx, dir, r, Options{}); err != nil {
				t.Fatal(err)
			}
			if n := int(opens.Load()); n != tc.opens {
				t.Errorf("stream opened %d times, want %d", n, tc.opens)
			}
			var want strings.Builder
			for _, row := range src.Rows {
				fmt.Fprintln(&want, row[0])
			}
			got, err := os.ReadFile(filepath.Join(dir, TablesDir, "sent.txt"))
			if err != nil || string(got) != want.String() {
				t.Errorf("sent.txt: %d bytes, %v; want %d bytes", len(got), err, want.Len())
			}
		})
	}
}

// TestTableFilesFail: a file that follows a streamed table is not left
// half written when the table's stream fails, nor when it cannot be
// created, and its entry, or the table's, says why.
func TestTableFilesFail(t *testing.T) {
	ctx := context.Background()
	src := talkersTable()
	follow := map[string]analysis.TableFile{"sent.txt": {Table: 0, New: func(w io.Writer) engine.RowWriter { return linesOf{w} }}}
	writers := map[string]func(context.Context, io.Writer) error{
		"sent.txt": func(context.Context, io.Writer) error { return errors.New("read again") },
	}

	t.Run("stream fails", func(t *testing.T) {
		tab := analysis.Table{Name: "talkers_sent", Title: "Bytes sent", Table: &engine.Table{Columns: src.Columns, Types: src.Types},
			Stream: streamOf(src, 10, errors.New("connection lost"))}
		r := tableReport(tab)
		r.Sections[0].Result.FileWriters, r.Sections[0].Result.TableFiles = writers, follow
		dir := t.TempDir()
		if err := Write(ctx, dir, r, Options{}); err != nil {
			t.Fatal(err)
		}
		for _, f := range listDir(t, dir) {
			if strings.HasPrefix(f, TablesDir+"/") {
				t.Errorf("file %s of a failed table", f)
			}
		}
		var rj struct {
			Analyses []struct {
				Files []jsonFile `json:"files"`
			} `json:"analyses"`
		}
		b, err := os.ReadFile(filepath.Join(dir, JSONName))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rj); err != nil {
			t.Fatal(err)
		}
		if fs := rj.Analyses[0].Files; len(fs) != 1 || !strings.Contains(fs[0].Error, "connection lost") {
			t.Errorf("files in report.json %+v, want sent.txt failed by the lost connection", fs)
		}
	})

	t.Run("cannot be created", func(t *testing.T) {
		dir := t.TempDir()
		// A directory where the file would be.
		if err := os.MkdirAll(filepath.Join(dir, TablesDir, "sent.txt"), 0o755); err != nil {
			t.Fatal(err)
		}
		fo := &fileOut{path: TablesDir + "/sent.txt", followed: true}
		to := &tableOut{name: "talkers_sent", table: &engine.Table{Columns: src.Columns, Types: src.Types}, stream: streamOf(src, 0, nil),
			stem: "talkers_sent", follow: []followOut{{fo: fo, new: follow["sent.txt"].New}}}
		if h := writeStreamed(ctx, dir, to); h != nil {
			t.Error("the table's files written without one that follows it")
		}
		if fo.err == "" || len(to.errs) == 0 {
			t.Errorf("file error %q, table errors %q: want both to say why", fo.err, to.errs)
		}
		for _, f := range listDir(t, dir) {
			if strings.HasPrefix(f, TablesDir+"/talkers_sent") {
				t.Errorf("file %s left", f)
			}
		}
	})
}
