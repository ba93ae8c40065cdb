package dataset

import (
	"fmt"
	"maps"
	"slices"
)

// AddLabelFile records a label file loaded by this transaction. Its rows
// are written with table writers whose files name lf.ID among their inputs
// (see TableWriter.SetInputs). A label file with the same id already in the
// manifest is replaced (call RemoveLabelFiles first to drop its rows).
func (tx *Txn) AddLabelFile(lf LabelFile) {
	if lf.ID == "" {
		lf.ID = LabelFileID(lf.Kind, lf.SHA256)
	}
	lf.Ingest = tx.id
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if i := slices.IndexFunc(tx.m.Labels, func(x LabelFile) bool { return x.ID == lf.ID }); i >= 0 {
		tx.m.Labels[i] = lf
		return
	}
	tx.m.Labels = append(tx.m.Labels, lf)
}

// LabelFiles returns the label files of the dataset as the transaction
// sees them: committed ones it has not removed, and those it added.
func (tx *Txn) LabelFiles() []LabelFile {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return slices.Clone(tx.m.Labels)
}

// RemoveLabelFiles removes the label files with the given ids when the
// transaction commits, together with every committed file of any table
// whose inputs are all among them (the labels they held and the spans
// derived from them). Only files committed before Begin are affected.
func (tx *Txn) RemoveLabelFiles(ids ...string) error {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return ErrDone
	}
	for _, id := range ids {
		if !slices.ContainsFunc(tx.m.Labels, func(l LabelFile) bool { return l.ID == id }) {
			return fmt.Errorf("remove label file %s: not in the dataset", id)
		}
	}
	for _, table := range slices.Sorted(maps.Keys(tx.m.Tables)) {
		tf := tx.m.Tables[table]
		var files []File
		var rows int64
		for _, f := range tf.Files {
			in := tx.m.fileInputs(f)
			if len(in) > 0 && !slices.ContainsFunc(in, func(s string) bool { return !drop[s] }) {
				tx.removed = append(tx.removed, f.Path)
				continue
			}
			files = append(files, f)
			rows += f.Rows
		}
		tx.m.Tables[table] = TableFiles{Rows: rows, Files: files}
	}
	tx.m.Labels = slices.DeleteFunc(tx.m.Labels, func(l LabelFile) bool { return drop[l.ID] })
	return nil
}

// DropFiles removes, when the transaction commits, the committed files of
// table for which drop returns true: the spans a label load derives again,
// say. Only files committed before Begin are affected.
func (tx *Txn) DropFiles(table string, drop func(File) bool) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return ErrDone
	}
	tf, ok := tx.m.Tables[table]
	if !ok {
		return nil
	}
	var files []File
	var rows int64
	for _, f := range tf.Files {
		if drop(f) {
			tx.removed = append(tx.removed, f.Path)
			continue
		}
		files = append(files, f)
		rows += f.Rows
	}
	tx.m.Tables[table] = TableFiles{Rows: rows, Files: files}
	return nil
}
