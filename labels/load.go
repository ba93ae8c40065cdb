package labels

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/schema"
)

// Result says what a load of label files did.
type Result struct {
	Kind    string
	Loaded  []dataset.LabelFile // files whose labels were added
	Skipped []dataset.LabelFile // files the dataset holds already (same kind and content)
	Removed []dataset.LabelFile // files replaced (--replace)
	Labels  int64               // labels of the kind in the dataset after the load
	Spans   int64               // rows of label_spans of the kind after the load
}

// Load loads label files of kind into the dataset in one transaction:
// nothing changes unless all of them are read. With replace, the label
// files of kind that the dataset holds are dropped first; without it, the
// new labels join them, and a file the dataset holds already is skipped.
func Load(ds *dataset.Dataset, version, kind string, paths []string, replace bool) (*Result, error) {
	if !ValidKind(kind) {
		return nil, fmt.Errorf("label kind %q: want one of user, class, org, category", kind)
	}
	files := make([]*File, 0, len(paths))
	for _, p := range paths {
		f, err := Read(p, kind)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	params := map[string]string{"labels": kind, "replace": strconv.FormatBool(replace)}
	tx, err := ds.Begin(version, params)
	if err != nil {
		return nil, err
	}
	res, err := Apply(tx, ds, kind, files, replace, time.Now())
	if err != nil {
		tx.Abort()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	return res, nil
}

// Apply writes label files of kind within the transaction tx on ds, as
// Load does: an ingest calls it to load the users it is given in its own
// transaction. The spans of kind are derived again from all its labels.
func Apply(tx *dataset.Txn, ds *dataset.Dataset, kind string, files []*File, replace bool, now time.Time) (*Result, error) {
	res := &Result{Kind: kind}
	ofKind := func() []dataset.LabelFile {
		var out []dataset.LabelFile
		for _, l := range tx.LabelFiles() {
			if l.Kind == kind {
				out = append(out, l)
			}
		}
		return out
	}
	before := ofKind()
	if replace && len(before) > 0 {
		ids := make([]string, len(before))
		for i, l := range before {
			ids[i] = l.ID
		}
		if err := tx.RemoveLabelFiles(ids...); err != nil {
			return nil, fmt.Errorf("replace %s labels: %w", kind, err)
		}
		res.Removed = before
	}
	held := map[string]dataset.LabelFile{}
	for _, l := range ofKind() {
		held[l.ID] = l
	}
	stamp := now.UnixNano()
	var added []schema.Label
	for _, f := range files {
		if f.Kind != kind {
			return nil, fmt.Errorf("%s: labels of kind %s, not %s", f.Path, f.Kind, kind)
		}
		lf := dataset.LabelFile{
			ID: dataset.LabelFileID(kind, f.SHA256), Kind: kind, Name: filepath.Base(f.Path), Path: f.Path,
			SHA256: f.SHA256, Size: f.Size, Rows: int64(len(f.Labels)),
		}
		if old, ok := held[lf.ID]; ok {
			res.Skipped = append(res.Skipped, old)
			continue
		}
		held[lf.ID] = lf
		rows := slices.Clone(f.Labels)
		for i := range rows {
			rows[i].Loaded, rows[i].File = stamp, lf.ID
		}
		if err := write(tx, schema.Labels, rows, []string{lf.ID}, func(l *schema.Label) int64 { return l.Loaded }); err != nil {
			return nil, fmt.Errorf("load %s: %w", f.Path, err)
		}
		tx.AddLabelFile(lf)
		res.Loaded = append(res.Loaded, lf)
		added = append(added, rows...)
	}
	if len(res.Loaded) == 0 && len(res.Removed) == 0 {
		n, err := countSpans(ds, kind)
		res.Labels, res.Spans = countLabels(ofKind()), n
		return res, err
	}

	// The spans of the kind, derived again from every label of it: those
	// the dataset keeps, in the order they were loaded, then the new ones.
	current := ofKind()
	keep := map[string]int{} // label file id -> load order
	ids := make([]string, len(current))
	for i, l := range current {
		keep[l.ID], ids[i] = i, l.ID
	}
	all, err := readLabels(ds, kind, keep, added)
	if err != nil {
		return nil, err
	}
	err = tx.DropFiles(schema.Spans.Name, func(f dataset.File) bool {
		return slices.ContainsFunc(f.Inputs, func(id string) bool {
			return slices.ContainsFunc(before, func(l dataset.LabelFile) bool { return l.ID == id })
		})
	})
	if err != nil {
		return nil, fmt.Errorf("replace %s label spans: %w", kind, err)
	}
	spans := Spans(all, stamp)
	if err := write(tx, schema.Spans, spans, ids, func(s *schema.LabelSpan) int64 { return s.Loaded }); err != nil {
		return nil, fmt.Errorf("write %s label spans: %w", kind, err)
	}
	res.Labels, res.Spans = int64(len(all)), int64(len(spans))
	return res, nil
}

// write writes rows to table in one writer whose files record ids as
// their inputs.
func write[T any](tx *dataset.Txn, table *schema.Table, rows []T, ids []string, timeOf func(*T) int64) error {
	if len(rows) == 0 {
		return nil
	}
	w, err := dataset.NewTableWriter(tx, table, timeOf)
	if err != nil {
		return err
	}
	w.SetInputs(ids)
	if err := w.Write(rows); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// readLabels returns the labels of kind that ds holds in the label files
// of keep (id -> load order), in load order, followed by added.
func readLabels(ds *dataset.Dataset, kind string, keep map[string]int, added []schema.Label) ([]schema.Label, error) {
	var old []schema.Label
	for _, name := range ds.Files(schema.Labels.Name) {
		rows, err := parquet.ReadFile[schema.Label](name)
		if err != nil {
			return nil, fmt.Errorf("read labels %s: %w (`netlens check` verifies the dataset's files)", name, err)
		}
		for _, r := range rows {
			if _, ok := keep[r.File]; ok && r.Kind == kind {
				old = append(old, r)
			}
		}
	}
	slices.SortStableFunc(old, func(x, y schema.Label) int {
		return cmp.Or(cmp.Compare(keep[x.File], keep[y.File]), cmp.Compare(x.Line, y.Line))
	})
	return append(old, added...), nil
}

// countLabels adds up the rows of label files.
func countLabels(files []dataset.LabelFile) int64 {
	var n int64
	for _, f := range files {
		n += f.Rows
	}
	return n
}

// countSpans counts the committed spans of kind.
func countSpans(ds *dataset.Dataset, kind string) (int64, error) {
	var n int64
	for _, name := range ds.Files(schema.Spans.Name) {
		rows, err := parquet.ReadFile[schema.LabelSpan](name)
		if err != nil {
			return 0, fmt.Errorf("read label spans %s: %w", name, err)
		}
		for _, r := range rows {
			if r.Kind == kind {
				n++
			}
		}
	}
	return n, nil
}
