package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// failAfter reads the rows of t, then fails instead of ending.
type failAfter struct{ RowReader }

var errRead = errors.New("read failed")

func (f failAfter) Next() ([]any, error) {
	row, err := f.RowReader.Next()
	if err == io.EOF {
		return nil, errRead
	}
	return row, err
}

// TestOrderRuns: rows ordered by their first column come out ordered by
// the first and then the second, whatever the lengths of the runs, and
// whether a run of more than two rows is held or read from the stream of
// the large runs, opened once; rows read before a failure of the query's
// reader do not come out as a run.
func TestOrderRuns(t *testing.T) {
	same := func(a, b []any) bool { return a[0] == b[0] }
	byText := func(a, b []any) int { return strings.Compare(a[1].(string), b[1].(string)) }
	tests := []struct {
		name string
		in   [][]any
		want [][]any
		fail bool
	}{
		{"empty", nil, nil, false},
		{"one row", [][]any{{int64(1), "a"}}, [][]any{{int64(1), "a"}}, false},
		{"runs of one", [][]any{{int64(3), "b"}, {int64(2), "a"}, {int64(1), "c"}}, [][]any{{int64(3), "b"}, {int64(2), "a"}, {int64(1), "c"}}, false},
		{"runs", [][]any{
			{int64(3), "c"}, {int64(3), "a"}, {int64(3), "b"},
			{int64(2), "z"},
			{int64(1), "y"}, {int64(1), "x"},
		}, [][]any{
			{int64(3), "a"}, {int64(3), "b"}, {int64(3), "c"},
			{int64(2), "z"},
			{int64(1), "x"}, {int64(1), "y"},
		}, false},
		{"a large run last", [][]any{{int64(2), "z"}, {int64(1), "c"}, {int64(1), "a"}, {int64(1), "b"}},
			[][]any{{int64(2), "z"}, {int64(1), "a"}, {int64(1), "b"}, {int64(1), "c"}}, false},
		{"large runs between small ones", [][]any{
			{int64(5), "e"}, {int64(5), "d"}, {int64(5), "c"}, {int64(5), "b"},
			{int64(4), "a"},
			{int64(3), "b"}, {int64(3), "a"}, {int64(3), "c"},
			{int64(2), "y"}, {int64(2), "x"},
		}, [][]any{
			{int64(5), "b"}, {int64(5), "c"}, {int64(5), "d"}, {int64(5), "e"},
			{int64(4), "a"},
			{int64(3), "a"}, {int64(3), "b"}, {int64(3), "c"},
			{int64(2), "x"}, {int64(2), "y"},
		}, false},
		{"failure in the last run", [][]any{{int64(2), "b"}, {int64(1), "d"}, {int64(1), "c"}}, [][]any{{int64(2), "b"}}, true},
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/limit=%d", tt.name, limit), func(t *testing.T) {
				s := &Stream{Columns: []string{"k", "v"}, Types: []string{"BIGINT", "VARCHAR"}, Open: func(context.Context) (RowReader, error) {
					// Each row in a slice of its own that the reader
					// overwrites once read, as a query's reader reuses
					// its row.
					r := TableReader(&Table{Rows: tt.in})
					if tt.fail {
						return &reused{failAfter{r}, nil}, nil
					}
					return &reused{r, nil}, nil
				}}
				// The stream of the large runs: their rows in order, as
				// a query of the runs of more than limit rows would give
				// them.
				var large [][]any
				var largeKeys []any // the keys of the runs of more than limit rows
				if limit > 0 {
					n := map[any]int{}
					for _, w := range tt.in {
						if n[w[0]]++; n[w[0]] == limit+1 {
							largeKeys = append(largeKeys, w[0])
						}
					}
					for _, w := range tt.want {
						if n[w[0]] > limit {
							large = append(large, w)
						}
					}
				}
				opens := 0
				whole := &Stream{Columns: s.Columns, Types: s.Types, Open: func(context.Context) (RowReader, error) {
					opens++
					return &reused{TableReader(&Table{Rows: large}), nil}, nil
				}}
				r, err := OrderRunsUpTo(s, same, byText, limit, whole).Open(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				var got [][]any
				for {
					row, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						if !tt.fail || !errors.Is(err, errRead) {
							t.Fatalf("after %d rows: %v", len(got), err)
						}
						break
					}
					got = append(got, append([]any(nil), row...))
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
				if want := min(len(largeKeys), 1); opens != want {
					t.Errorf("the stream of the large runs (%v) opened %d times, want %d", largeKeys, opens, want)
				}
			})
		}
	}
}

// TestOrderRunsLargeMismatch: a stream of the large runs that does not
// hold a run as the query had it, a row short or one too many, is an error
// rather than rows lost or repeated.
func TestOrderRunsLargeMismatch(t *testing.T) {
	same := func(a, b []any) bool { return a[0] == b[0] }
	byText := func(a, b []any) int { return strings.Compare(a[1].(string), b[1].(string)) }
	in := [][]any{{int64(2), "c"}, {int64(2), "b"}, {int64(2), "a"}, {int64(1), "z"}}
	for name, large := range map[string][][]any{
		"short": {{int64(2), "a"}, {int64(2), "b"}},
		"long":  {{int64(2), "a"}, {int64(2), "b"}, {int64(2), "c"}, {int64(2), "d"}},
		"other": {{int64(3), "a"}, {int64(3), "b"}, {int64(3), "c"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := &Stream{Columns: []string{"k", "v"}, Types: []string{"BIGINT", "VARCHAR"}, Open: func(context.Context) (RowReader, error) {
				return TableReader(&Table{Rows: in}), nil
			}}
			l := &Stream{Columns: s.Columns, Types: s.Types, Open: func(context.Context) (RowReader, error) {
				return TableReader(&Table{Rows: large}), nil
			}}
			r, err := OrderRunsUpTo(s, same, byText, 2, l).Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for {
				_, err := r.Next()
				if err == io.EOF {
					t.Fatal("no error")
				}
				if err != nil {
					if !strings.Contains(err.Error(), "runs of more than 2 rows") {
						t.Errorf("error %q does not say what was wrong", err)
					}
					return
				}
			}
		})
	}
}

// reused returns each row of r in the same slice, overwritten by the
// next.
type reused struct {
	r   RowReader
	row []any
}

func (u *reused) Next() ([]any, error) {
	row, err := u.r.Next()
	if err != nil {
		return nil, err
	}
	u.row = append(u.row[:0], row...)
	return u.row, nil
}

func (u *reused) Close() error { return u.r.Close() }
