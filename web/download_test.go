package web

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

// readParquet reads the Parquet file body with a DuckDB of its own
// (read_parquet), every value as fmt.Sprint gives it.
func readParquet(t *testing.T, body string) (cols []string, rows [][]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.parquet")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query("SELECT * FROM read_parquet('" + path + "')")
	if err != nil {
		t.Fatalf("read_parquet: %v", err)
	}
	defer r.Close()
	cols, _ = r.Columns()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}

// textRows turns the JSON rows of a page into what fmt.Sprint gives for
// the values DuckDB reads: strings unquoted, times and fractions parsed,
// null as <nil>.
func textRows(t *testing.T, rows [][]json.RawMessage) [][]string {
	t.Helper()
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			var x any
			d := json.NewDecoder(strings.NewReader(string(v)))
			d.UseNumber()
			if err := d.Decode(&x); err != nil {
				t.Fatal(err)
			}
			switch v := x.(type) {
			case json.Number:
				if strings.ContainsAny(string(v), ".eE") {
					f, _ := v.Float64()
					x = f
				}
			case string:
				if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
					x = tm.UTC()
				}
			}
			out[i][j] = fmt.Sprint(x)
		}
	}
	return out
}

// TestParquetDownloads: every table of /api/run and every console answer
// downloads as Parquet that DuckDB's read_parquet reads back to the rows
// of the JSON answer, column names and order included.
func TestParquetDownloads(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	for _, u := range []string{"/api/run/talkers?table=talkers_received", "/api/run/overview?table=overview", "/api/run/bursts?min_size=300"} {
		code, body, hdr := do(t, mustRequest(t, http.MethodGet, s.URL+u+"&format=parquet", ""))
		if code != 200 || hdr.Get("Content-Type") != "application/vnd.apache.parquet" || !strings.Contains(hdr.Get("Content-Disposition"), ".parquet") {
			t.Fatalf("%s as Parquet: %d %s %v", u, code, hdr.Get("Content-Type"), hdr.Get("Content-Disposition"))
		}
		cols, rows := readParquet(t, body)
		_, js := get(t, s.URL+u+"&limit=10000")
		p := decode[page](t, js)
		if diff := cmp.Diff(p.Columns, cols); diff != "" {
			t.Errorf("%s: columns (-json +parquet):\n%s", u, diff)
		}
		if diff := cmp.Diff(textRows(t, p.Rows), rows); diff != "" || len(rows) == 0 {
			t.Errorf("%s: %d rows; (-json +parquet):\n%s", u, len(rows), diff)
		}
	}
	const q = "SELECT src, count(*) AS n, sum(payload_len) AS payload, min(ts) AS first FROM packets GROUP BY src ORDER BY n DESC, src"
	code, body, hdr := do(t, mustRequest(t, http.MethodPost, s.URL+"/api/query?format=parquet", q))
	if code != 200 || hdr.Get("Content-Disposition") != `attachment; filename=query.parquet` {
		t.Fatalf("query as Parquet: %d %v %s", code, hdr, body)
	}
	cols, rows := readParquet(t, body)
	want := [][]string{}
	// The same query, by the DuckDB of the test on the dataset's files.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query(strings.Replace(q, "FROM packets", "FROM read_parquet('"+filepath.Join(s.Dir, "packets")+"/**/*.parquet')", 1))
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var src, n, payload any
		var first any
		if err := r.Scan(&src, &n, &payload, &first); err != nil {
			t.Fatal(err)
		}
		want = append(want, []string{fmt.Sprint(src), fmt.Sprint(n), fmt.Sprint(payload), fmt.Sprint(first)})
	}
	r.Close()
	if diff := cmp.Diff([]string{"src", "n", "payload", "first"}, cols); diff != "" {
		t.Errorf("query columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, rows); diff != "" || len(rows) == 0 {
		t.Errorf("query rows (-duckdb +parquet download):\n%s", diff)
	}
	if code, body := get(t, s.URL+"/api/run/talkers?format=xlsx"); code != 400 || !strings.Contains(body, `want json, csv or parquet`) {
		t.Errorf("format xlsx: %d %s", code, body)
	}
}

// TestUnits: tables say the unit of each column, on the analysis page and
// in /api/run: the share of overview is a share, the rest numbers.
func TestUnits(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	_, body := get(t, s.URL+"/api/view/overview")
	v := decode[viewJSON](t, body)
	want := []string{"number", "number", "number", "share"}
	if len(v.Tables) == 0 || !cmp.Equal(v.Tables[0].Columns, []string{"layer", "packets", "bytes", "share"}) {
		t.Fatalf("overview tables: %+v", v.Tables)
	}
	if diff := cmp.Diff(want, v.Tables[0].Units); diff != "" {
		t.Errorf("units of the view (-want +got):\n%s", diff)
	}
	_, body = get(t, s.URL+"/api/run/overview?limit=1")
	if diff := cmp.Diff(want, decode[page](t, body).Units); diff != "" {
		t.Errorf("units of /api/run (-want +got):\n%s", diff)
	}
	_, body = post(t, s.URL+"/api/query", "SELECT 1 AS a, 'x' AS b")
	if diff := cmp.Diff([]string{"number", "number"}, decode[page](t, body).Units); diff != "" {
		t.Errorf("units of a query (-want +got):\n%s", diff)
	}
}

func mustRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
