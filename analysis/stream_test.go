package analysis_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/output"
)

// counts returns a table of n rows streamed from the engine: a number and
// its label, made by conv.
type counts struct{ n int }

func (c counts) Meta() analysis.Meta { return analysis.Meta{Name: "counts"} }

func (c counts) Run(_ context.Context, env *analysis.Env, _ analysis.Values) (*analysis.Result, error) {
	t := env.StreamTable("counts", "Counts", []string{"n", "label"}, []string{"BIGINT", "VARCHAR"},
		func(in, out []any) error {
			out[0], out[1] = in[0], fmt.Sprintf("n%v", in[0])
			return nil
		}, "SELECT range AS n FROM range(?) ORDER BY n", c.n)
	return &analysis.Result{Tables: []analysis.Table{t}}, nil
}

// TestStreamTable: an Env that takes streamed tables gets them streamed,
// written as the same table held is written; one that does not gets the
// rows held, as from any other analysis.
func TestStreamTable(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 3, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			env := &analysis.Env{Engine: openDuckDB(t)}
			res, err := analysis.Run(ctx, counts{n}, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			held := res.Tables[0]
			if held.Streamed() || len(held.Rows) != n {
				t.Fatalf("held table: streamed %v, %d rows, want %d", held.Streamed(), len(held.Rows), n)
			}
			if n > 2 && !cmp.Equal(held.Rows[2], []any{int64(2), "n2"}) {
				t.Errorf("row 2: %v", held.Rows[2])
			}
			env.StreamTables = true
			res, err = analysis.Run(ctx, counts{n}, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			streamed := res.Tables[0]
			if !streamed.Streamed() || streamed.Rows != nil {
				t.Fatalf("streamed table: streamed %v, %d rows", streamed.Streamed(), len(streamed.Rows))
			}
			for _, f := range []output.Format{output.CSV, output.Parquet} {
				var want, got bytes.Buffer
				if err := held.Write(ctx, &want, f, output.Options{}); err != nil {
					t.Fatal(err)
				}
				if err := streamed.Write(ctx, &got, f, output.Options{}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("%s: the streamed table wrote other bytes than the held one", f)
				}
			}
			again, err := streamed.Hold(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(held.Rows, again.Rows); diff != "" {
				t.Errorf("rows held after the run (-during +after):\n%s", diff)
			}
		})
	}
}
