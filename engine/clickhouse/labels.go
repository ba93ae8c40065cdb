package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/schema"
)

// labelFilesSQL lists the label files of a kind in load order.
var labelFilesSQL = "SELECT id, name, path, sha256, size, rows FROM " + quote(labelFilesTable.name) + " WHERE kind = ? ORDER BY seq"

// LabelFiles returns the label files of kind whose labels the database
// holds, in the order they were loaded.
func (e *Engine) LabelFiles(ctx context.Context, kind string) ([]dataset.LabelFile, error) {
	n := e.nodes[0]
	rows, err := n.db.QueryContext(ctx, labelFilesSQL, kind)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, labelFilesTable.name, err)
	}
	defer rows.Close()
	var out []dataset.LabelFile
	for rows.Next() {
		l := dataset.LabelFile{Kind: kind}
		if err := rows.Scan(&l.ID, &l.Name, &l.Path, &l.SHA256, &l.Size, &l.Rows); err != nil {
			return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, labelFilesTable.name, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, labelFilesTable.name, err)
	}
	return out, nil
}

// Labels returns the labels of kind the database holds, in load order.
func (e *Engine) Labels(ctx context.Context, kind string) ([]schema.Label, error) {
	files, err := e.LabelFiles(ctx, kind)
	if err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, f := range files {
		order[f.ID] = i
	}
	n := e.nodes[0]
	rows, err := n.db.QueryContext(ctx, "SELECT loaded, file, line, kind, address, label, valid_from, valid_to FROM "+quote(schema.Labels.Name)+" WHERE kind = ?", kind)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: read labels: %w", n.addr, err)
	}
	defer rows.Close()
	var out []schema.Label
	for rows.Next() {
		var l schema.Label
		if err := rows.Scan(&l.Loaded, &l.File, &l.Line, &l.Kind, &l.Address, &l.Label, &l.ValidFrom, &l.ValidTo); err != nil {
			return nil, fmt.Errorf("clickhouse %s: read labels: %w", n.addr, err)
		}
		if _, ok := order[l.File]; ok {
			out = append(out, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse %s: read labels: %w", n.addr, err)
	}
	slices.SortStableFunc(out, func(x, y schema.Label) int {
		return cmp.Or(cmp.Compare(order[x.File], order[y.File]), cmp.Compare(x.Line, y.Line))
	})
	return out, nil
}

// ReplaceLabels makes files, labels and spans the labels of kind in the
// database: those it held are deleted first, and the files are recorded
// last, so that a replacement cut short is found unfinished (its files
// differ from a dataset's) and done again by the next push.
func (e *Engine) ReplaceLabels(ctx context.Context, kind string, files []dataset.LabelFile, labels []schema.Label, spans []schema.LabelSpan) error {
	for _, n := range e.nodes {
		for _, t := range []string{labelFilesTable.name, schema.Labels.Name, schema.Spans.Name} {
			if err := n.deleteWhere(ctx, e.local(t), "kind = ?", kind); err != nil {
				return err
			}
		}
	}
	if err := insertAll(ctx, e, schema.Labels, labels); err != nil {
		return err
	}
	if err := insertAll(ctx, e, schema.Spans, spans); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	return e.insertRows(ctx, labelFilesTable, len(files), func(i int) []any {
		f := files[i]
		return []any{kind, uint32(i), f.ID, f.Name, f.Path, f.SHA256, f.Size, f.Rows, now}
	})
}

// insertAll inserts rows of table t in batches.
func insertAll[T any](ctx context.Context, e *Engine, t *schema.Table, rows []T) error {
	cols, err := columnsOf[T](t)
	if err != nil {
		return err
	}
	for len(rows) > 0 {
		n := min(len(rows), max(e.cfg.BatchRows, 1))
		if err := insertColumns(ctx, e.nodes[0], t, cols, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// loadLabels makes the labels of every kind of ds the database's, for the
// kinds whose label files differ from those the database holds. Kinds ds
// has no labels of are left as they are.
func (e *Engine) loadLabels(ctx context.Context, ds *dataset.Dataset) (int, error) {
	byKind := map[string][]dataset.LabelFile{}
	var kinds []string
	for _, l := range ds.Manifest().Labels {
		if byKind[l.Kind] == nil {
			kinds = append(kinds, l.Kind)
		}
		byKind[l.Kind] = append(byKind[l.Kind], l)
	}
	replaced := 0
	for _, kind := range kinds {
		held, err := e.LabelFiles(ctx, kind)
		if err != nil {
			return replaced, err
		}
		want := byKind[kind]
		if slices.EqualFunc(held, want, func(a, b dataset.LabelFile) bool { return a.ID == b.ID }) {
			continue
		}
		labels, err := readKind[schema.Label](ds, schema.Labels, kind, func(l *schema.Label) string { return l.Kind })
		if err != nil {
			return replaced, err
		}
		spans, err := readKind[schema.LabelSpan](ds, schema.Spans, kind, func(s *schema.LabelSpan) string { return s.Kind })
		if err != nil {
			return replaced, err
		}
		if err := e.ReplaceLabels(ctx, kind, want, labels, spans); err != nil {
			return replaced, fmt.Errorf("load %s labels: %w", kind, err)
		}
		replaced++
	}
	return replaced, nil
}

// readKind reads the rows of kind of a labels table of ds.
func readKind[T any](ds *dataset.Dataset, t *schema.Table, kind string, kindOf func(*T) string) ([]T, error) {
	var out []T
	for _, name := range ds.Files(t.Name) {
		rows, err := parquet.ReadFile[T](name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		for i := range rows {
			if kindOf(&rows[i]) == kind {
				out = append(out, rows[i])
			}
		}
	}
	return out, nil
}
