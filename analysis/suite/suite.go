// Package suite decides which analyses of the catalogue apply to a dataset
// and runs them with their settings. It is the loop that `netlens report`
// and `netlens serve` share: both ask it what the dataset holds (Holdings),
// which analyses apply to it (Applies), and to run them (Run); neither
// repeats that decision.
//
// suite knows no command line and no page: it must not import cli, report
// or web.
package suite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/labels"
)

// Holdings is what the analyses run over: the inputs, the rows of each
// table and the labels of each kind.
type Holdings struct {
	Inputs []dataset.Input
	Rows   map[string]int64
	// Labels counts the labels of each kind (see labels.Present).
	Labels map[string]int64
}

// HoldingsOf returns what eng holds: for ClickHouse what the database
// holds, else the dataset in dir that eng reads (its manifest's inputs and
// row counts).
func HoldingsOf(ctx context.Context, eng engine.Engine, dir string) (*Holdings, error) {
	if ch, ok := eng.(*clickhouse.Engine); ok {
		inputs, err := ch.Inputs(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := ch.Rows(ctx)
		if err != nil {
			return nil, err
		}
		present, err := labels.Present(ctx, labels.QueryOf(eng))
		if err != nil {
			return nil, err
		}
		return &Holdings{Inputs: inputs, Rows: rows, Labels: present}, nil
	}
	ds, err := dataset.Open(dir)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	rows := map[string]int64{}
	for _, t := range eng.Tables() {
		rows[t] = ds.Rows(t)
	}
	present, err := labels.Present(ctx, labels.QueryOf(eng))
	if err != nil {
		return nil, err
	}
	return &Holdings{Inputs: ds.Manifest().Inputs, Rows: rows, Labels: present}, nil
}

// Applies tells whether the analysis of m can run on h: it can when every
// table it needs has rows and there are labels of every kind it needs.
// Otherwise reason says why not, e.g. "the dataset has no rows in flows".
func Applies(m analysis.Meta, h *Holdings) (reason string, ok bool) {
	var empty []string
	for _, t := range m.Tables {
		if h.Rows[t] == 0 {
			empty = append(empty, t)
		}
	}
	if len(empty) > 0 {
		return "the dataset has no rows in " + strings.Join(empty, ", "), false
	}
	for _, kind := range m.Labels {
		if h.Labels[kind] == 0 {
			return fmt.Sprintf("the dataset has no %s labels (netlens label --kind %s FILE)", kind, kind), false
		}
	}
	return "", true
}

// Outcome is what became of one analysis of a Run: skipped (Skipped says
// why), failed (Err) or answered (Result).
type Outcome struct {
	Meta analysis.Meta
	// Settings are the parameters as given, before defaults.
	Settings map[string]string
	// Skipped, when set, says why the analysis was not run.
	Skipped string
	Result  *analysis.Result
	Err     error
	Elapsed time.Duration
}

// Run runs each of analyses that applies to h on env, in order, with its
// settings (by analysis name), and hands each outcome to each as soon as it
// is known, skipped ones included. An analysis that fails does not stop the
// others. Run returns ctx's error when ctx ends, without handing on the
// outcome of the analysis it interrupted.
func Run(ctx context.Context, env *analysis.Env, analyses []analysis.Analysis, settings map[string]map[string]string, h *Holdings, each func(Outcome)) error {
	for _, a := range analyses {
		m := a.Meta()
		if reason, ok := Applies(m, h); !ok {
			each(Outcome{Meta: m, Settings: settings[m.Name], Skipped: reason})
			continue
		}
		start := time.Now()
		res, err := analysis.Run(ctx, a, env, settings[m.Name])
		if ctx.Err() != nil {
			return ctx.Err()
		}
		each(Outcome{Meta: m, Settings: settings[m.Name], Result: res, Err: err, Elapsed: time.Since(start)})
	}
	return nil
}
