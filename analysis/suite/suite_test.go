package suite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
)

// fake is an analysis that needs tables (and labels) and answers, fails,
// or cancels.
type fake struct {
	name   string
	tables []string
	labels []string
	err    error
	cancel context.CancelFunc
}

func (f fake) Meta() analysis.Meta {
	return analysis.Meta{Name: f.name, Title: f.name, Tables: f.tables, Labels: f.labels,
		Params: []analysis.Param{{Name: "n", Kind: analysis.Int, Default: "1"}}}
}

func (f fake) Run(_ context.Context, _ *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	if f.cancel != nil {
		f.cancel()
	}
	return &analysis.Result{Notes: []string{fmt.Sprintf("%s n=%d", f.name, v.Int("n"))}}, f.err
}

// TestRun: analyses whose tables have no rows are skipped with the reason,
// one that fails does not stop the others, settings reach each by name, and
// a cancelled run stops without handing on the interrupted outcome.
func TestRun(t *testing.T) {
	h := &Holdings{Rows: map[string]int64{"packets": 3, "flows": 0}, Labels: map[string]int64{"org": 2}}
	boom := errors.New("boom")
	analyses := []analysis.Analysis{
		fake{name: "a", tables: []string{"packets"}},
		fake{name: "b", tables: []string{"packets", "flows", "dns"}},
		fake{name: "c", tables: []string{"packets"}, err: boom},
		fake{name: "d"},
		fake{name: "e", tables: []string{"packets"}, labels: []string{"org"}},
		fake{name: "f", tables: []string{"packets"}, labels: []string{"org", "user"}},
	}
	settings := map[string]map[string]string{"a": {"n": "2"}, "c": {"n": "3"}}
	type got struct{ Name, Skipped, Err, Note string }
	var outcomes []got
	err := Run(context.Background(), nil, analyses, settings, h, func(o Outcome) {
		g := got{Name: o.Meta.Name, Skipped: o.Skipped}
		if o.Err != nil {
			g.Err = o.Err.Error()
		}
		if o.Result != nil {
			g.Note = o.Result.Notes[0]
		}
		outcomes = append(outcomes, g)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{Name: "a", Note: "a n=2"},
		{Name: "b", Skipped: "the dataset has no rows in flows, dns"},
		{Name: "c", Err: "c: boom"},
		{Name: "d", Note: "d n=1"},
		{Name: "e", Note: "e n=1"},
		{Name: "f", Skipped: "the dataset has no user labels (netlens label --kind user FILE)"},
	}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n int
	err = Run(ctx, nil, []analysis.Analysis{fake{name: "a"}, fake{name: "x", cancel: cancel}, fake{name: "z"}}, nil, h, func(Outcome) { n++ })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("cancelled run: %v after %d outcomes; want context.Canceled after 1", err, n)
	}
}
