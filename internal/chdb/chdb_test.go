package chdb

import (
	"os"
	"strings"
	"testing"

	"github.com/netlens/netlens/internal/testenv"
)

// open opens a session on the library fetch.sh installs, or skips (fails
// in CI) when it is missing.
func open(t *testing.T) *Session {
	t.Helper()
	_, err := os.Stat(Path())
	testenv.Require(t, err == nil, "chdb library "+Path()+" (make test fetches it)")
	s, err := Open(Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenMissing(t *testing.T) {
	if api != nil {
		t.Skip("a library is already loaded")
	}
	_, err := Open("/nonexistent/libchdb.so")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/libchdb.so") {
		t.Errorf("Open of a missing library: %v", err)
	}
}

func TestSession(t *testing.T) {
	s := open(t)
	for _, tc := range []struct {
		sql, format, want, err string
	}{
		{"SELECT 1 + 1, 'a\tb'", "", "2\ta\\tb\n", ""},
		{"SELECT toUInt8(7) AS x", "JSONEachRow", "{\"x\":7}\n", ""},
		{"CREATE DATABASE d", "", "", ""},
		{"CREATE TABLE d.t (a Int64, s Nullable(String)) ENGINE = MergeTree ORDER BY a", "", "", ""},
		{"INSERT INTO d.t FORMAT TabSeparated\n2\t\\N\n1\tx\n", "", "", ""},
		{"SELECT a, s FROM d.t ORDER BY a", "CSV", "1,\"x\"\n2,\\N\n", ""},
		{"SELECT count() FROM d.t WHERE s IS NULL", "", "1\n", ""},
		{"SELECT nosuchfunction(1)", "", "", "UNKNOWN_FUNCTION"},
		{"SELECT (", "", "", "SYNTAX_ERROR"},
	} {
		got, err := s.Query(tc.sql, tc.format)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %s", tc.sql, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.sql, err)
		case got != tc.want:
			t.Errorf("%q = %q, want %q", tc.sql, got, tc.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query("SELECT 1", ""); err != ErrClosed {
		t.Errorf("query after Close: %v, want ErrClosed", err)
	}
}
