package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/netlens/netlens/schema"
)

// ErrLocked is returned by Begin when another ingest holds the dataset.
var ErrLocked = errors.New("dataset is locked by another ingest")

const (
	lockName     = ".lock"
	tempPrefix   = ".ingest-"
	dayDirPrefix = "day="
)

// Dataset is a dataset directory and the manifest last read or committed.
// Its methods are safe for concurrent use.
type Dataset struct {
	dir string

	mu sync.Mutex
	m  Manifest
}

// Open opens the dataset in dir, creating the directory when it is missing.
// A missing manifest is an empty dataset. When it can take the lock (no
// ingest is running and the directory is writable), Open removes what a
// killed ingest left behind: its temporary directory and Parquet files the
// manifest does not list.
func Open(dir string) (*Dataset, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	d := &Dataset{dir: abs}
	m, err := readManifest(abs)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	// Without the lock, an ingest is running (it cleans up when it begins)
	// or the directory is read-only; readers see the listed files only.
	if lock, err := lockFile(filepath.Join(abs, lockName)); err == nil {
		// Read again under the lock: a commit may have landed in between.
		m, err = readManifest(abs)
		if err == nil {
			err = cleanup(abs, m)
		}
		lock.Close()
		if err != nil {
			return nil, fmt.Errorf("open dataset: %w", err)
		}
	}
	d.m = m
	return d, nil
}

// Dir returns the absolute path of the dataset directory.
func (d *Dataset) Dir() string { return d.dir }

// Manifest returns a copy of the current manifest.
func (d *Dataset) Manifest() Manifest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m.clone()
}

// HasInput returns the input whose sha256 is the given hex digest, if the
// dataset holds it.
func (d *Dataset) HasInput(sha256 string) (Input, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, in := range d.m.Inputs {
		if strings.EqualFold(in.SHA256, sha256) {
			return in, true
		}
	}
	return Input{}, false
}

// Files returns the absolute paths of the committed files of table.
func (d *Dataset) Files(table string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	files := d.m.Tables[table].Files
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(d.dir, filepath.FromSlash(f.Path))
	}
	return paths
}

// Rows returns the number of committed rows of table.
func (d *Dataset) Rows(table string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m.Tables[table].Rows
}

func (d *Dataset) setManifest(m Manifest) {
	d.mu.Lock()
	d.m = m
	d.mu.Unlock()
}

// cleanup removes temporary directories of ingests, a stray temporary
// manifest, and Parquet files in the table directories that m does not list.
// The caller holds the lock.
func cleanup(dir string, m Manifest) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("clean up: %w", err)
			}
		}
	}
	if err := os.Remove(filepath.Join(dir, ManifestName+".tmp")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clean up: %w", err)
	}
	listed := map[string]bool{}
	tables := map[string]bool{}
	for name, t := range m.Tables {
		tables[name] = true
		for _, f := range t.Files {
			listed[f.Path] = true
		}
	}
	for _, t := range schema.Tables() {
		tables[t.Name] = true
	}
	for table := range tables {
		if err := cleanTable(dir, table, listed); err != nil {
			return fmt.Errorf("clean up: %w", err)
		}
	}
	return nil
}

// cleanTable removes unlisted Parquet files from the day directories of
// table, and day directories left empty.
func cleanTable(dir, table string, listed map[string]bool) error {
	days, err := os.ReadDir(filepath.Join(dir, table))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, day := range days {
		if !day.IsDir() || !strings.HasPrefix(day.Name(), dayDirPrefix) {
			continue
		}
		dayDir := filepath.Join(dir, table, day.Name())
		files, err := os.ReadDir(dayDir)
		if err != nil {
			return err
		}
		kept := 0
		for _, f := range files {
			rel := table + "/" + day.Name() + "/" + f.Name()
			if f.Type().IsRegular() && filepath.Ext(f.Name()) == ".parquet" && !listed[rel] {
				if err := os.Remove(filepath.Join(dayDir, f.Name())); err != nil {
					return err
				}
				continue
			}
			kept++
		}
		if kept == 0 {
			if err := os.Remove(dayDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
