package labels

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/schema"
)

// Store is a database that keeps its own copy of the labels, such as a
// ClickHouse server: labels are replaced there a kind at a time.
type Store interface {
	// LabelFiles returns the label files of kind the store holds, in the
	// order they were loaded.
	LabelFiles(ctx context.Context, kind string) ([]dataset.LabelFile, error)
	// Labels returns the labels of kind the store holds, in load order.
	Labels(ctx context.Context, kind string) ([]schema.Label, error)
	// ReplaceLabels makes files, labels and spans the labels of kind in
	// the store, in place of those it held.
	ReplaceLabels(ctx context.Context, kind string, files []dataset.LabelFile, labels []schema.Label, spans []schema.LabelSpan) error
}

// LoadStore loads label files of kind into a store, as Load does into a
// dataset: with replace, they replace the store's labels of the kind,
// else they join them, and a file the store holds already is skipped.
func LoadStore(ctx context.Context, s Store, kind string, files []*File, replace bool, now time.Time) (*Result, error) {
	res := &Result{Kind: kind}
	held, err := s.LabelFiles(ctx, kind)
	if err != nil {
		return nil, err
	}
	var all []schema.Label
	if replace {
		res.Removed, held = held, nil
	} else if all, err = s.Labels(ctx, kind); err != nil {
		return nil, err
	}
	stamp := now.UnixNano()
	for _, f := range files {
		lf := dataset.LabelFile{
			ID: dataset.LabelFileID(kind, f.SHA256), Kind: kind, Name: filepath.Base(f.Path), Path: f.Path,
			SHA256: f.SHA256, Size: f.Size, Rows: int64(len(f.Labels)),
		}
		if i := slices.IndexFunc(held, func(l dataset.LabelFile) bool { return l.ID == lf.ID }); i >= 0 {
			res.Skipped = append(res.Skipped, held[i])
			continue
		}
		for _, l := range f.Labels {
			l.Loaded, l.File = stamp, lf.ID
			all = append(all, l)
		}
		held = append(held, lf)
		res.Loaded = append(res.Loaded, lf)
	}
	spans := Spans(all, stamp)
	if len(res.Loaded) > 0 || len(res.Removed) > 0 {
		if err := s.ReplaceLabels(ctx, kind, held, all, spans); err != nil {
			return nil, fmt.Errorf("load %s labels: %w", kind, err)
		}
	}
	res.Labels, res.Spans = int64(len(all)), int64(len(spans))
	return res, nil
}

// ListSQL returns the query that lists the labels of kind ("": all) in
// the order they were loaded, and its arguments.
func ListSQL(d engine.Dialect, kind string) (string, []any) {
	q := `SELECT kind, address, label, valid_from, valid_to, file, line FROM labels`
	var args []any
	if kind != "" {
		q += ` WHERE kind = ?`
		args = append(args, kind)
	}
	return q + ` ORDER BY kind, ` + d.EpochNs("loaded") + `, file, line`, args
}

// Query runs a query and collects its rows: engine.Engine's Query with
// engine.Collect, or an analysis environment's shared queries.
type Query func(ctx context.Context, q string, args ...any) (*engine.Table, error)

// QueryOf returns the Query of an engine.
func QueryOf(eng engine.Engine) Query {
	return func(ctx context.Context, q string, args ...any) (*engine.Table, error) {
		rows, err := eng.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return engine.Collect(rows, -1)
	}
}

// Present returns the number of labels of each kind that a dataset holds.
// Users count also when flows carry user ids of their own (flow records
// that name their users).
func Present(ctx context.Context, query Query) (map[string]int64, error) {
	t, err := query(ctx, `SELECT kind, count(*) FROM labels GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("count labels: %w", err)
	}
	out := map[string]int64{}
	for _, r := range t.Rows {
		out[fmt.Sprint(r[0])] = toInt(r[1])
	}
	if out[User] == 0 {
		t, err := query(ctx, `SELECT count(*) FROM flows WHERE coalesce(user_a, '') <> '' OR coalesce(user_b, '') <> ''`)
		if err != nil {
			return nil, fmt.Errorf("count flows with users: %w", err)
		}
		if n := toInt(t.Rows[0][0]); n > 0 {
			out[User] = n
		}
	}
	return out, nil
}

// toInt reads a count as the engines return it.
func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}
