package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/netlens/netlens/schema"
)

// captureColumn is the column naming the input a row came from.
const captureColumn = "capture"

// captureFilters rewrite a file of a table that has a capture column,
// keeping only the rows whose capture is not in drop: one entry for each
// such table of the catalogue. Tables without a capture column are handled
// per file (see RemoveInput).
var captureFilters = map[string]func(tx *Txn, src, dst string, drop map[string]bool) (rows, size int64, crc string, err error){
	schema.Packets.Name: func(tx *Txn, src, dst string, drop map[string]bool) (int64, int64, string, error) {
		return filterFile(src, dst, tx, func(p *schema.Packet) bool { return !drop[p.Capture] })
	},
	schema.DNSLog.Name: func(tx *Txn, src, dst string, drop map[string]bool) (int64, int64, string, error) {
		return filterFile(src, dst, tx, func(r *schema.DNS) bool { return !drop[r.Capture] })
	},
	schema.PeerMessages.Name: func(tx *Txn, src, dst string, drop map[string]bool) (int64, int64, string, error) {
		return filterFile(src, dst, tx, func(r *schema.PeerMessage) bool { return !drop[r.Capture] })
	},
	schema.PeerConns.Name: func(tx *Txn, src, dst string, drop map[string]bool) (int64, int64, string, error) {
		return filterFile(src, dst, tx, func(r *schema.PeerConn) bool { return !drop[r.Capture] })
	},
}

// fileAction is what RemoveInput does with a committed file.
type fileAction int

const (
	keepFile fileAction = iota
	dropFile
	rewriteFile
)

// RemoveInput removes the input with the given id from the dataset when the
// transaction commits, with the rows it contributed, so that it can be read
// again. Only rows committed before Begin are affected.
//
// In tables with a capture column (packets, dns) the rows of that capture are
// removed: files holding only that capture are dropped, files mixing
// captures are rewritten without its rows. Tables without a capture column
// (flows) lose the files that hold rows of this input only (those of every
// ingest whose only input it was); rows of an ingest that read several
// inputs at once stay.
func (tx *Txn) RemoveInput(id string) error {
	tx.mu.Lock()
	known := slices.ContainsFunc(tx.m.Inputs, func(in Input) bool { return in.ID == id })
	tx.mu.Unlock()
	if !known {
		return fmt.Errorf("remove input %s: not in the dataset", id)
	}
	if err := tx.removeInputs(map[string]bool{id: true}, nil); err != nil {
		return fmt.Errorf("remove input %s: %w", id, err)
	}
	return nil
}

// removeInputs removes the inputs in ids with their rows, as RemoveInput
// does for one, and drops the files in lost (paths relative to the dataset)
// without reading them.
func (tx *Txn) removeInputs(ids map[string]bool, lost map[string]bool) error {
	tx.rmu.Lock()
	defer tx.rmu.Unlock()
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return ErrDone
	}
	m := tx.m.clone()
	tx.mu.Unlock()
	tables := m.Tables

	added := map[string][]pending{}
	var removed []string
	discard := func() {
		for _, ps := range added {
			for _, p := range ps {
				os.Remove(p.tmp)
			}
		}
	}
	for _, table := range slices.Sorted(maps.Keys(tables)) {
		tf := tables[table]
		filter := captureFilters[table]
		var files []File
		var rows int64
		for _, f := range tf.Files {
			abs := tx.d.resolve(f.Path)
			inputs := m.fileInputs(f)
			action := keepFile
			switch {
			case lost[f.Path]:
				action = dropFile
			case filter == nil:
				if len(inputs) > 0 && !slices.ContainsFunc(inputs, func(s string) bool { return !ids[s] }) {
					action = dropFile
				}
			default:
				a, err := classify(abs, ids)
				if err != nil {
					discard()
					return damaged(err)
				}
				action = a
			}
			if action == rewriteFile {
				tmp, rel, err := tx.newPart(table, f.Day)
				if err != nil {
					discard()
					return err
				}
				n, size, crc, err := filter(tx, abs, tmp, ids)
				if err != nil {
					os.Remove(tmp)
					discard()
					return damaged(err)
				}
				switch {
				case n == f.Rows:
					os.Remove(tmp)
					action = keepFile
				case n == 0:
					os.Remove(tmp)
					action = dropFile
				default:
					kept := slices.DeleteFunc(slices.Clone(inputs), func(s string) bool { return ids[s] })
					nf := File{Path: rel, Rows: n, Bytes: size, Day: f.Day, CRC32C: crc, Inputs: kept}
					// The replacement joins the table at commit.
					added[table] = append(added[table], pending{tmp: tmp, file: nf})
					removed = append(removed, f.Path)
					continue
				}
			}
			if action == dropFile {
				removed = append(removed, f.Path)
				continue
			}
			files = append(files, f)
			rows += f.Rows
		}
		tables[table] = TableFiles{Rows: rows, Files: files}
	}

	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		discard()
		return ErrDone
	}
	for table, tf := range tables {
		if len(tf.Files) == 0 && len(tx.m.Tables[table].Files) == 0 {
			continue
		}
		tx.m.Tables[table] = tf
	}
	for table, ps := range added {
		tx.added[table] = append(tx.added[table], ps...)
	}
	tx.removed = append(tx.removed, removed...)
	tx.m.Inputs = slices.DeleteFunc(tx.m.Inputs, func(in Input) bool { return ids[in.ID] })
	tx.m.Labels = slices.DeleteFunc(tx.m.Labels, func(l LabelFile) bool { return ids[l.ID] })
	for i := range tx.m.Ingests {
		tx.m.Ingests[i].Inputs = slices.DeleteFunc(tx.m.Ingests[i].Inputs, func(s string) bool { return ids[s] })
	}
	return nil
}

// damaged adds to an error reading a committed file what to do about it.
func damaged(err error) error {
	return fmt.Errorf("%w (a file of the dataset is damaged: `netlens check` names them all, `netlens repair` drops them)", err)
}

// fileInputs returns the ids of the inputs whose rows f may hold: those it
// records, or for a file written before files recorded them, the inputs of
// the ingest that wrote it.
func (m Manifest) fileInputs(f File) []string {
	if f.Inputs != nil {
		return f.Inputs
	}
	id := ingestOfPath(f.Path)
	for _, in := range m.Ingests {
		if in.ID == id {
			return in.Inputs
		}
	}
	return nil
}

// classify decides from the column statistics of a file whether it holds
// rows of the captures in ids only, none, or a mix (or the statistics
// cannot tell).
func classify(name string, ids map[string]bool) (fileAction, error) {
	f, err := os.Open(name)
	if err != nil {
		return keepFile, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return keepFile, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return keepFile, fmt.Errorf("read %s: %w", name, err)
	}
	leaf, ok := pf.Schema().Lookup(captureColumn)
	if !ok {
		return keepFile, fmt.Errorf("read %s: no %s column", name, captureColumn)
	}
	all, none := true, true
	for _, rg := range pf.Metadata().RowGroups {
		if rg.NumRows == 0 {
			continue
		}
		if leaf.ColumnIndex >= len(rg.Columns) {
			return rewriteFile, nil
		}
		s := rg.Columns[leaf.ColumnIndex].MetaData.Statistics
		if s.MinValue == nil || s.MaxValue == nil || s.NullCount > 0 {
			return rewriteFile, nil
		}
		single := bytes.Equal(s.MinValue, s.MaxValue)
		if single && ids[string(s.MinValue)] {
			none = false
			continue
		}
		all = false
		for id := range ids {
			if bytes.Compare([]byte(id), s.MinValue) >= 0 && bytes.Compare([]byte(id), s.MaxValue) <= 0 {
				none = false
			}
		}
	}
	switch {
	case none:
		return keepFile, nil
	case all:
		return dropFile, nil
	}
	return rewriteFile, nil
}

// filterFile copies the rows of src for which keep is true to a new file
// dst, and returns the number of rows kept, dst's size and its checksum.
func filterFile[T any](src, dst string, tx *Txn, keep func(*T) bool) (rows, size int64, sum string, err error) {
	tmpl, enc, err := pagesOf[T](tx)
	if err != nil {
		return 0, 0, "", fmt.Errorf("write %s: %w", dst, err)
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, 0, "", err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return 0, 0, "", err
	}
	pf, err := parquet.OpenFile(in, st.Size())
	if err != nil {
		return 0, 0, "", fmt.Errorf("read %s: %w", src, err)
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()

	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, 0, "", err
	}
	defer out.Close()
	crc := &crcWriter{w: out}
	w := newPageFile(crc, tmpl, enc)
	buf := make([]T, 4096)
	for {
		n, rerr := r.Read(buf)
		kept := buf[:0]
		for i := range buf[:n] {
			if keep(&buf[i]) {
				kept = append(kept, buf[i])
			}
		}
		if len(kept) > 0 {
			if err := w.write(unsafe.Pointer(&kept[0]), len(kept)); err != nil {
				return 0, 0, "", fmt.Errorf("write %s: %w", dst, err)
			}
		}
		rows += int64(len(kept))
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, 0, "", fmt.Errorf("read %s: %w", src, rerr)
		}
	}
	if err := w.close(); err != nil {
		return 0, 0, "", fmt.Errorf("write %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		return 0, 0, "", fmt.Errorf("sync %s: %w", dst, err)
	}
	if st, err = out.Stat(); err != nil {
		return 0, 0, "", err
	}
	return rows, st.Size(), crc.sum(), out.Close()
}

// ingestOfPath returns the ingest id in a part file's name, or 0.
func ingestOfPath(rel string) int {
	var id, seq int
	if _, err := fmt.Sscanf(path.Base(rel), "part-%d-%d.parquet", &id, &seq); err != nil {
		return 0
	}
	return id
}
