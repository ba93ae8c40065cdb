package engine

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

func TestCollect(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT i::UTINYINT AS n, 'row ' || i AS label, CASE WHEN i = 2 THEN NULL ELSE '\\x01'::BLOB END AS b FROM range(1, 4) r(i) ORDER BY i"
	tests := []struct {
		limit int
		want  *Table
	}{
		{0, &Table{
			Columns: []string{"n", "label", "b"},
			Types:   []string{"UTINYINT", "VARCHAR", "BLOB"},
			Rows:    [][]any{{uint8(1), "row 1", []byte{1}}, {uint8(2), "row 2", nil}, {uint8(3), "row 3", []byte{1}}},
		}},
		{2, &Table{
			Columns: []string{"n", "label", "b"},
			Types:   []string{"UTINYINT", "VARCHAR", "BLOB"},
			Rows:    [][]any{{uint8(1), "row 1", []byte{1}}, {uint8(2), "row 2", nil}},
		}},
	}
	for _, tt := range tests {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Collect(rows, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tt.limit, diff)
		}
		// Collect closed the rows.
		if rows.Next() {
			t.Errorf("limit %d: rows still open", tt.limit)
		}
	}

	rows, err := db.Query("SELECT 1 AS x WHERE false")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(rows, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Table{Columns: []string{"x"}, Types: []string{"INTEGER"}, Rows: [][]any{}}, got); diff != "" {
		t.Errorf("empty (-want +got):\n%s", diff)
	}

	// A query failing while rows are read surfaces its error.
	rows, err = db.Query("SELECT CAST('x' || i AS INTEGER) FROM range(3000) r(i)")
	if err == nil {
		_, err = Collect(rows, 0)
	}
	if err == nil {
		t.Error("failing query: no error")
	}
}
