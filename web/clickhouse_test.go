package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/internal/testenv"
)

// TestConsoleReadOnlyClickHouse: on ClickHouse the console's queries run
// with readonly = 1: writes, DDL, settings and the table functions that
// reach files or the network are refused, and reads answered.
func TestConsoleReadOnlyClickHouse(t *testing.T) {
	dsn := testenv.ClickHouse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ds, err := dataset.Open(buildDataset(t, camera))
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Load(ctx, ds, nil)
	ds.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := New(ctx, eng, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String()

	for _, q := range []string{
		"INSERT INTO packets (src) VALUES ('x')",
		"CREATE TABLE x (a UInt8) ENGINE = Memory",
		"DROP TABLE packets",
		"ALTER TABLE packets DELETE WHERE 1",
		"SET max_threads = 1",
		"SELECT 1 SETTINGS readonly = 0",
		"SELECT * FROM file('/etc/passwd', 'TSV', 'a String')",
		"SELECT * FROM url('http://127.0.0.1:1/', 'TSV', 'a String')",
		"SELECT * FROM remote('127.0.0.1', system.one)",
	} {
		code, body := post(t, url+"/api/query", q)
		if code != http.StatusBadRequest {
			t.Errorf("%s: %d %s; want 400", q, code, body)
		}
	}
	code, body := post(t, url+"/api/query", "SELECT count() AS n FROM packets")
	if code != 200 || !strings.Contains(body, `"rows":[[624]]`) {
		t.Errorf("count: %d %s", code, body)
	}
	code, body = get(t, url+"/api/run/talkers?limit=1")
	if code != 200 || !strings.Contains(body, `"10.10.10.37"`) {
		t.Errorf("talkers on ClickHouse: %d %s", code, body)
	}
}

// TestHostAndTimelineClickHouse: the host page (labels, Bitcoin messages,
// unanswered requests and the rest) and the histogram over time answer
// the same on ClickHouse as on DuckDB.
func TestHostAndTimelineClickHouse(t *testing.T) {
	dsn := testenv.ClickHouse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	dir := labelledDataset(t)
	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Load(ctx, ds, nil)
	ds.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := New(ctx, eng, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	chURL := "http://" + ln.Addr().String()
	duck := start(t, dir, DefaultConfig(), nil)

	urls := []string{"/api/timeline?bins=50"}
	for _, addr := range []string{"203.0.113.9", "203.0.113.5", "2001:db8::7", "10.0.0.2"} {
		_, body := get(t, duck.URL+"/api/host/"+addr)
		for _, tb := range decode[hostJSON](t, body).Tables {
			urls = append(urls, "/api/host/"+addr+"?table="+tb.Name+"&limit=1000")
		}
		urls = append(urls, "/api/host/"+addr)
	}
	for _, u := range urls {
		dc, want := get(t, duck.URL+u)
		cc, got := get(t, chURL+u)
		if dc != 200 || cc != 200 {
			t.Errorf("%s: %d on DuckDB, %d on ClickHouse: %s", u, dc, cc, got)
			continue
		}
		if strings.HasPrefix(u, "/api/host/") && !strings.Contains(u, "?") {
			// The summary: the labels and facts, not the column types.
			w, g := decode[hostJSON](t, want), decode[hostJSON](t, got)
			if diff := cmp.Diff(w.Labels, g.Labels); diff != "" {
				t.Errorf("%s: labels (-duckdb +clickhouse):\n%s", u, diff)
			}
			if diff := cmp.Diff(w.Facts, g.Facts); diff != "" {
				t.Errorf("%s: facts (-duckdb +clickhouse):\n%s", u, diff)
			}
			continue
		}
		if strings.Contains(u, "table=") {
			w, g := decode[page](t, want), decode[page](t, got)
			w.Types, g.Types = nil, nil
			if diff := cmp.Diff(textRows(t, w.Rows), textRows(t, g.Rows)); diff != "" || !cmp.Equal(w.Columns, g.Columns) {
				t.Errorf("%s: columns %v and %v; rows (-duckdb +clickhouse):\n%s", u, w.Columns, g.Columns, diff)
			}
			continue
		}
		if want != got {
			t.Errorf("%s:\nduckdb     %s\nclickhouse %s", u, want, got)
		}
	}
}
