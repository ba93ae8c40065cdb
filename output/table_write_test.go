package output

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netlens/netlens/engine"
)

// TestWriteTableMatchesWrite checks that a collected table is written byte
// for byte as the query result it came from, in every format.
func TestWriteTableMatchesWrite(t *testing.T) {
	db := openDB(t)
	for _, f := range []Format{Table, CSV, JSON, Parquet} {
		t.Run(f.String(), func(t *testing.T) {
			opt := Options{Width: 60}
			want := run(t, db, typesQuery, f, opt)
			rows, err := db.QueryContext(context.Background(), typesQuery)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := engine.Collect(rows, -1)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := WriteTable(&got, tab, f, opt); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got.Bytes()) {
				if f == Parquet {
					t.Fatalf("parquet differs: %d bytes from the query, %d from the table", len(want), got.Len())
				}
				t.Errorf("(-query +table):\n%s", cmp.Diff(string(want), got.String()))
			}
		})
	}
}

// TestWriteTableUntyped writes a hand-made table with no type names: the
// columns are typed from their values.
func TestWriteTableUntyped(t *testing.T) {
	tab := &engine.Table{
		Columns: []string{"addr", "bytes", "share", "first", "none"},
		Rows: [][]any{
			{"203.0.113.7", int64(1500), 0.25, time.Date(2024, 3, 1, 1, 2, 3, 500, time.UTC), nil},
			{"<b>x</b>, \"y\"", int64(-2), nil, nil, nil},
		},
	}
	tests := []struct {
		f    Format
		want string
	}{
		{CSV, "addr,bytes,share,first,none\n" +
			"203.0.113.7,1500,0.25,2024-03-01T01:02:03.0000005Z,\n" +
			"\"<b>x</b>, \"\"y\"\"\",-2,,,\n"},
		{JSON, `{"addr":"203.0.113.7","bytes":1500,"share":0.25,"first":"2024-03-01T01:02:03.0000005Z","none":null}` + "\n" +
			`{"addr":"<b>x</b>, \"y\"","bytes":-2,"share":null,"first":null,"none":null}` + "\n"},
		{Table, "addr           bytes  share  first                        none\n" +
			"203.0.113.7     1500   0.25  2024-03-01 01:02:03.0000005\n" +
			"<b>x</b>, \"y\"     -2\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteTable(&b, tab, tt.f, Options{}); err != nil {
			t.Fatalf("%s: %v", tt.f, err)
		}
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.f, diff)
		}
	}
}

func TestWriteTableErrors(t *testing.T) {
	tests := []struct {
		name string
		tab  *engine.Table
		want string
	}{
		{"nil", nil, "write csv: no table"},
		{"types", &engine.Table{Columns: []string{"a", "b"}, Types: []string{"BIGINT"}}, "write csv: 1 column types for 2 columns"},
		{"short row", &engine.Table{Columns: []string{"a", "b"}, Rows: [][]any{{1, 2}, {1}}}, "write csv: row 2 has 1 values for 2 columns"},
	}
	for _, tt := range tests {
		err := WriteTable(&bytes.Buffer{}, tt.tab, CSV, Options{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	// A value that does not fit its column type fails like a query would.
	tab := &engine.Table{Columns: []string{"n"}, Types: []string{"TINYINT"}, Rows: [][]any{{int64(300)}}}
	err := WriteTable(&bytes.Buffer{}, tab, Parquet, Options{})
	if err == nil || !strings.Contains(err.Error(), "row 1, column n: value out of range") {
		t.Errorf("out of range: got %v", err)
	}
}
