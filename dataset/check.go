package dataset

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// CheckLevel says how far Check looks into each file.
type CheckLevel int

const (
	// CheckQuick checks that every listed file is there with its size.
	CheckQuick CheckLevel = iota
	// CheckFull also reads every file whole: its Parquet footer, its row
	// count and its checksum where the manifest records one.
	CheckFull
)

// Damage is a file the manifest lists that cannot be read as listed.
type Damage struct {
	Table  string
	Path   string   // relative to the dataset, slash-separated
	Reason string   // what is wrong, e.g. "missing", "12 bytes, the manifest says 4096"
	Inputs []string // ids of the inputs whose rows the file may hold
}

// CheckReport is what Check found.
type CheckReport struct {
	Files   int   // files checked
	Bytes   int64 // their size according to the manifest
	Damaged []Damage
	// Unlisted are Parquet files in the table directories that the
	// manifest does not list and that no ingest of it wrote: put there by
	// hand, or left by an older netlens; netlens leaves them alone.
	Unlisted []string
}

// OK reports whether no listed file is damaged.
func (r *CheckReport) OK() bool { return len(r.Damaged) == 0 }

// Check verifies every file the manifest lists, in the order of the
// manifest's tables and files. It reads the dataset only.
func (d *Dataset) Check(ctx context.Context, level CheckLevel) (*CheckReport, error) {
	m := d.Manifest()
	r := &CheckReport{}
	committed := map[int]bool{}
	for _, in := range m.Ingests {
		committed[in.ID] = true
	}
	listed := map[string]bool{}
	for _, table := range slices.Sorted(maps.Keys(m.Tables)) {
		for _, f := range m.Tables[table].Files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			listed[f.Path] = true
			r.Files++
			r.Bytes += f.Bytes
			if reason := checkFile(d.resolve(f.Path), f, level); reason != "" {
				r.Damaged = append(r.Damaged, Damage{Table: table, Path: f.Path, Reason: reason, Inputs: m.fileInputs(f)})
			}
		}
		err := walkParts(d.dir, table, func(rel, _ string) error {
			if !listed[rel] && !committed[ingestOfPath(rel)] {
				r.Unlisted = append(r.Unlisted, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", d.dir, err)
		}
	}
	return r, nil
}

// checkFile returns what is wrong with the file at name, listed as f, or "".
func checkFile(name string, f File, level CheckLevel) string {
	st, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		return err.Error()
	}
	if !st.Mode().IsRegular() {
		return "not a regular file"
	}
	if st.Size() != f.Bytes {
		return fmt.Sprintf("%d bytes, the manifest says %d", st.Size(), f.Bytes)
	}
	if level < CheckFull {
		return ""
	}
	h, err := os.Open(name)
	if err != nil {
		return err.Error()
	}
	defer h.Close()
	if f.CRC32C != "" {
		c := crc32.New(castagnoli)
		if _, err := io.Copy(c, h); err != nil {
			return "unreadable: " + err.Error()
		}
		if got := fmt.Sprintf("%08x", c.Sum32()); got != f.CRC32C {
			return fmt.Sprintf("checksum %s, the manifest says %s", got, f.CRC32C)
		}
	}
	pf, err := parquet.OpenFile(h, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return "not a readable Parquet file: " + strings.TrimPrefix(err.Error(), "reading parquet file footer: ")
	}
	if n := pf.NumRows(); n != f.Rows {
		return fmt.Sprintf("%d rows, the manifest says %d", n, f.Rows)
	}
	return ""
}

// RepairReport is what Repair did.
type RepairReport struct {
	Damaged []Damage // the files dropped
	Removed []Input  // the inputs removed with all their rows: ingest them again
	// RemovedLabels are the label files removed with their labels: load
	// them again.
	RemovedLabels []LabelFile
	Rows          map[string]int64
}

// Repair drops the damaged files of the dataset (a full Check) in one
// ingest transaction, together with every other row of the inputs those
// files held, so that the rest is whole and usable and the removed inputs
// can be ingested again without double counts. A table without a capture
// column (flows) loses each file that holds rows of a removed input, and the
// other inputs of such a file are removed too. Nothing is done when nothing
// is damaged.
func (d *Dataset) Repair(ctx context.Context, version string) (*RepairReport, error) {
	tx, err := d.Begin(version, map[string]string{"repair": "true"})
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	check, err := d.Check(ctx, CheckFull)
	if err != nil {
		return nil, err
	}
	rep := &RepairReport{Damaged: check.Damaged}
	if check.OK() {
		return rep, nil
	}
	m := d.Manifest()
	lost := map[string]bool{}
	ids := map[string]bool{}
	for _, dm := range check.Damaged {
		lost[dm.Path] = true
		for _, id := range dm.Inputs {
			ids[id] = true
		}
	}
	// A file without a capture column cannot lose one input's rows only:
	// its other inputs go with it.
	for grown := true; grown; {
		grown = false
		for table, t := range m.Tables {
			if captureFilters[table] != nil {
				continue
			}
			for _, f := range t.Files {
				in := m.fileInputs(f)
				if !slices.ContainsFunc(in, func(s string) bool { return ids[s] }) {
					continue
				}
				for _, s := range in {
					if !ids[s] {
						ids[s], grown = true, true
					}
				}
			}
		}
	}
	for _, in := range m.Inputs {
		if ids[in.ID] {
			rep.Removed = append(rep.Removed, in)
		}
	}
	for _, l := range m.Labels {
		if ids[l.ID] {
			rep.RemovedLabels = append(rep.RemovedLabels, l)
		}
	}
	if err := tx.removeInputs(ids, lost); err != nil {
		return nil, fmt.Errorf("repair %s: %w", d.dir, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("repair %s: %w", d.dir, err)
	}
	rep.Rows = map[string]int64{}
	for table, t := range d.Manifest().Tables {
		rep.Rows[table] = t.Rows
	}
	return rep, nil
}
