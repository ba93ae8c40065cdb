package output

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// typesQuery returns rows of most column types, with NULLs, awkward text
// (separators, quotes, new lines, a terminal escape, wide characters) and
// special numbers.
const typesQuery = `
SELECT * FROM (VALUES
  (1::BIGINT, 'plain', 18446744073709551615::UBIGINT, 0.5::DOUBLE, true,
   TIMESTAMP_NS '2024-03-01 01:02:03.123456789', DATE '2024-03-01', -3::SMALLINT,
   12345678901234::HUGEINT, 12.345::DECIMAL(10,3), '\x00\xFF'::BLOB, [1, 2]::INTEGER[]),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'comma, "quote"' || chr(10) || 'line ' || chr(27) || '[31mred', 0, 'NaN'::DOUBLE, false,
   TIMESTAMP_NS '1969-12-31 23:59:59.999999999', DATE '1900-01-01', 32767,
   -1, -0.001, ''::BLOB, []::INTEGER[]),
  (4, '日本語のテキスト', 7, 1e-9, true,
   TIMESTAMP_NS '2024-03-01 00:00:00', DATE '2024-12-31', 0,
   0, 0, NULL, NULL)
) t(id, name, big_u, ratio, ok, ts, day, small, huge, dec, bytes, list)
ORDER BY id`

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func run(t *testing.T, db *sql.DB, q string, f Format, opt Options) []byte {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, rows, f, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	db := openDB(t)
	tests := []struct {
		file   string
		format Format
		opt    Options
	}{
		{"types.table", Table, Options{}},
		{"types_tty_width60.table", Table, Options{TTY: true, Width: 60}},
		{"types.csv", CSV, Options{}},
		{"types.jsonl", JSON, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, run(t, db, typesQuery, tt.format, tt.opt))
		})
	}
}

func TestTableFitsWidth(t *testing.T) {
	db := openDB(t)
	q := `SELECT * FROM (VALUES
	  (1, 'https://example.com/a/rather/long/path', 'short', 1234567890123, 'a medium sized text'),
	  (22, 'x', '日本語のテキスト', 5, NULL)) t(id, url, note, bytes, comment)`
	tests := []struct {
		width int
		want  string
	}{
		{0, `
id  url                                     note                      bytes  comment
 1  https://example.com/a/rather/long/path  short             1234567890123  a medium sized text
22  x                                       日本語のテキスト              5
`},
		{80, `
id  url                     note                      bytes  comment
 1  https://example.com/a…  short             1234567890123  a medium sized text
22  x                       日本語のテキスト              5
`},
		{60, `
id  url           note                  bytes  comment
 1  https://exa…  short         1234567890123  a medium si…
22  x             日本語のテ…               5
`},
		{20, `
id  url     note            bytes  comme…
 1  https…  short   1234567890123  a med…
22  x       日本…               5
`},
	}
	for _, tt := range tests {
		got := string(run(t, db, q, Table, Options{Width: tt.width}))
		if diff := cmp.Diff(strings.TrimPrefix(tt.want, "\n"), got); diff != "" {
			t.Errorf("width %d (-want +got):\n%s", tt.width, diff)
		}
	}
}

func TestTableStreamsPastBuffer(t *testing.T) {
	db := openDB(t)
	n := TableBufferRows + 5
	q := fmt.Sprintf("SELECT i, CASE WHEN i = %d THEN 'a much longer value' ELSE 'x' END AS s FROM range(1, %d) r(i)", n-1, n+1)
	out := run(t, db, q, Table, Options{})
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d lines, want %d", len(lines), n+1)
	}
	// Widths come from the first TableBufferRows rows: "i" is 5 wide, "s" 1.
	want := map[int]string{0: "    i  s", 1: "    1  x", n - 1: "10004  …", n: "10005  x"}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
}

func TestCSVReadsBack(t *testing.T) {
	db := openDB(t)
	out := run(t, db, typesQuery, CSV, Options{})
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	// DuckDB's own CSV reader gets the awkward text back intact.
	var name string
	err := db.QueryRow("SELECT name FROM read_csv(?, header = true, all_varchar = true) WHERE id = '3'", path).Scan(&name)
	if err != nil {
		t.Fatal(err)
	}
	if want := "comma, \"quote\"\nline \x1b[31mred"; name != want {
		t.Errorf("name = %q, want %q", name, want)
	}
}

func TestParquet(t *testing.T) {
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "out.parquet")
	if err := os.WriteFile(path, run(t, db, typesQuery, Parquet, Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	describe := func(q string) [][]string {
		rows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE " + q + ")")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got [][]string
		for rows.Next() {
			var n, ty string
			if err := rows.Scan(&n, &ty); err != nil {
				t.Fatal(err)
			}
			got = append(got, []string{n, ty})
		}
		return got
	}
	want := [][]string{
		{"id", "BIGINT"}, {"name", "VARCHAR"}, {"big_u", "UBIGINT"}, {"ratio", "DOUBLE"},
		{"ok", "BOOLEAN"}, {"ts", "TIMESTAMP_NS"}, {"day", "DATE"}, {"small", "SMALLINT"},
		{"huge", "BIGINT"}, {"dec", "DOUBLE"}, {"bytes", "BLOB"}, {"list", "VARCHAR"},
	}
	got := describe("SELECT * FROM read_parquet('" + path + "')")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parquet columns (-want +got):\n%s", diff)
	}

	// Values: compare with the query's own, as text.
	q := `SELECT id, name, big_u::VARCHAR, ratio::VARCHAR, ok, epoch_ns(ts), day::VARCHAR, small, huge::VARCHAR, dec::DOUBLE::VARCHAR, hex(bytes), %s FROM %s ORDER BY id`
	src := fmt.Sprintf(q, "to_json(list)::VARCHAR", "("+typesQuery+")")
	dst := fmt.Sprintf(q, "list", "read_parquet('"+path+"')")
	if diff := cmp.Diff(rowsText(t, db, src), rowsText(t, db, dst)); diff != "" {
		t.Errorf("parquet values (-query +parquet):\n%s", diff)
	}
	if n := len(rowsText(t, db, dst)); n != 4 {
		t.Errorf("%d rows, want 4", n)
	}
}

func rowsText(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var all [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = fmt.Sprint(v)
		}
		all = append(all, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestParquetOutOfRange(t *testing.T) {
	db := openDB(t)
	rows, err := db.Query("SELECT 170141183460469231731687303715884105727::HUGEINT AS h")
	if err != nil {
		t.Fatal(err)
	}
	err = Write(&bytes.Buffer{}, rows, Parquet, Options{})
	if err == nil || !strings.Contains(err.Error(), "row 1, column h: value out of range") {
		t.Errorf("err = %v", err)
	}
}

func TestEmptyResultAndDuplicateNames(t *testing.T) {
	db := openDB(t)
	q := "SELECT 1 AS a, 2 AS a, 'x' AS a_2 WHERE false"
	tests := []struct {
		format Format
		want   string
	}{
		{Table, "a  a  a_2\n"},
		{CSV, "a,a,a_2\n"},
		{JSON, ""},
	}
	for _, tt := range tests {
		if got := string(run(t, db, q, tt.format, Options{})); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.format, got, tt.want)
		}
	}
	got := string(run(t, db, "SELECT 1 AS a, 2 AS a, 'x' AS a_2", JSON, Options{}))
	if want := `{"a":1,"a_2":2,"a_2_2":"x"}` + "\n"; got != want {
		t.Errorf("json: got %q, want %q", got, want)
	}
	out := run(t, db, "SELECT 1 AS a, 2 AS a", Parquet, Options{})
	path := filepath.Join(t.TempDir(), "dup.parquet")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"1", "2"}}, rowsText(t, db, "SELECT a, a_2 FROM read_parquet('"+path+"')")); diff != "" {
		t.Errorf("parquet (-want +got):\n%s", diff)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr string
	}{
		{"table", Table, ""},
		{"CSV", CSV, ""},
		{" json ", JSON, ""},
		{"jsonl", JSON, ""},
		{"ndjson", JSON, ""},
		{"parquet", Parquet, ""},
		{"xml", 0, `unknown output format "xml": use one of table, csv, json, parquet`},
		{"", 0, `unknown output format "": use one of table, csv, json, parquet`},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseFormat(%q): err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if again, _ := ParseFormat(got.String()); again != got {
			t.Errorf("ParseFormat(%v.String()) = %v", got, again)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"日本", "日本"},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"rtl \u202eevil", `rtl \u202eevil`},
		{"del \x7f c1 \u0085", `del \x7f c1 \x85`},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFit(t *testing.T) {
	text, num := column{kind: kindString}, column{kind: kindInt}
	cols := []column{text, text, text}
	tests := []struct {
		widths []int
		cols   []column
		width  int
		want   []int
	}{
		{[]int{5, 10, 3}, cols, 0, []int{5, 10, 3}},
		{[]int{5, 10, 3}, cols, 22, []int{5, 10, 3}},
		{[]int{5, 10, 3}, cols, 20, []int{5, 8, 3}},
		{[]int{5, 10, 30}, cols, 30, []int{5, 10, 11}},
		{[]int{20, 20, 20}, cols, 34, []int{10, 10, 10}},
		{[]int{20, 20, 20}, cols, 3, []int{6, 6, 6}},
		{[]int{20, 20, 20}, []column{num, text, num}, 50, []int{20, 6, 20}},
		{[]int{20, 20, 20}, []column{num, text, text}, 50, []int{20, 13, 13}},
	}
	for _, tt := range tests {
		got := append([]int(nil), tt.widths...)
		fit(got, tt.cols, tt.width)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("fit(%v, %d) (-want +got):\n%s", tt.widths, tt.width, diff)
		}
	}
}

func TestTimeText(t *testing.T) {
	ts := time.Date(2024, 3, 1, 1, 2, 3, 120000000, time.FixedZone("X", 3600))
	if got := text(ts, column{kind: kindTime}, true); got != "2024-03-01 00:02:03.12" {
		t.Errorf("table time = %q", got)
	}
	if got := text(ts, column{kind: kindTime}, false); got != "2024-03-01T00:02:03.12Z" {
		t.Errorf("csv time = %q", got)
	}
}

// TestParquetRowGroups writes more rows than a row group holds, with NULLs
// here and there, and reads them back with DuckDB: the same rows, in row
// groups of parquetGroupRows.
func TestParquetRowGroups(t *testing.T) {
	db := openDB(t)
	n := parquetGroupRows + parquetBatch + 7
	q := fmt.Sprintf(`SELECT i::BIGINT AS id,
		CASE WHEN i %% 3 = 0 THEN NULL ELSE 'host-' || i END AS name,
		CASE WHEN i %% 5 = 0 THEN NULL ELSE (i %% 1000)::INTEGER END AS small,
		i / 7.0 AS ratio
		FROM range(%d) t(i) ORDER BY i`, n)
	path := filepath.Join(t.TempDir(), "out.parquet")
	if err := os.WriteFile(path, run(t, db, q, Parquet, Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		want        [][]string
	}{
		{"rows", fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s')`, path), [][]string{{fmt.Sprint(n)}}},
		{"different rows", fmt.Sprintf(`SELECT count(*) FROM ((SELECT * FROM read_parquet('%s')) EXCEPT ALL (%s))`, path, q), [][]string{{"0"}}},
		{"nulls", fmt.Sprintf(`SELECT count(*) - count(name), count(*) - count(small) FROM read_parquet('%s')`, path),
			[][]string{{fmt.Sprint((n + 2) / 3), fmt.Sprint((n + 4) / 5)}}},
		{"row groups", fmt.Sprintf(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('%s') ORDER BY 1`, path),
			[][]string{{"0", fmt.Sprint(parquetGroupRows)}, {"1", fmt.Sprint(n - parquetGroupRows)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rowsText(t, db, tt.query)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
