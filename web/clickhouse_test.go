package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
