package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/netlens/netlens/schema"
)

// ErrLocked is returned by Begin when another ingest holds the dataset.
var ErrLocked = errors.New("dataset is locked by another ingest")

// ErrNoManifest is returned by Open for a directory without a manifest.
var ErrNoManifest = errors.New("no manifest: is it a netlens dataset?")

// ErrReadOnly is returned by Begin on a dataset opened with Open.
var ErrReadOnly = errors.New("dataset is open read-only")

const (
	lockName     = ".lock"
	tempPrefix   = ".ingest-"
	dayDirPrefix = "day="
)

// Dataset is a dataset directory and the manifest last read or committed.
// Its methods are safe for concurrent use.
//
// A dataset opened with Open is a read-only snapshot: it never writes to
// the directory, and it holds a shared lock on the directory until Close,
// so that an ingest committing meanwhile keeps every file the snapshot
// lists. A dataset opened with OpenWrite can run ingests (Begin).
type Dataset struct {
	dir      string
	readOnly bool
	readLock *os.File // the directory, with a shared flock, while open read-only

	mu sync.Mutex
	m  Manifest
}

// Open opens the existing dataset in dir read-only: it writes nothing, and
// fails with ErrNoManifest when dir has no manifest. Close releases it.
func Open(dir string) (*Dataset, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open dataset %s: not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(abs, ManifestName)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dataset %s: %w", dir, ErrNoManifest)
	}
	// The shared lock comes before the manifest: a commit that finds no
	// reader may delete files the manifest read before it listed.
	lock, err := lockShared(abs)
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", dir, err)
	}
	m, err := readManifest(abs)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	return &Dataset{dir: abs, readOnly: true, readLock: lock, m: m}, nil
}

// OpenWrite opens the dataset in dir for ingests, creating the directory
// when it is missing. A directory without a manifest is a new, empty
// dataset if it holds nothing but what netlens itself makes there; any
// other directory without a manifest is refused. When it can take the lock
// (no ingest is running), OpenWrite removes what a killed ingest left
// behind (see Begin).
func OpenWrite(dir string) (*Dataset, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	if _, err := os.Stat(filepath.Join(abs, ManifestName)); errors.Is(err, fs.ErrNotExist) {
		if foreign, err := foreignEntry(abs); err != nil {
			return nil, fmt.Errorf("open dataset: %w", err)
		} else if foreign != "" {
			return nil, fmt.Errorf("dataset %s: no manifest, and the directory holds %s: not a netlens dataset (give a new or empty directory)", dir, foreign)
		}
	}
	d := &Dataset{dir: abs}
	m, err := readManifest(abs)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	// Without the lock, an ingest is running; it cleans up when it begins.
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

// foreignEntry returns the name of an entry of dir that netlens did not
// make, or "".
func foreignEntry(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		n := e.Name()
		if n == lockName || n == ManifestName+".tmp" || strings.HasPrefix(n, tempPrefix) {
			continue
		}
		return n, nil
	}
	return "", nil
}

// Close releases a dataset opened read-only. Close of a dataset opened for
// writing does nothing.
func (d *Dataset) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.readLock == nil {
		return nil
	}
	err := d.readLock.Close()
	d.readLock = nil
	return err
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

// Files returns the absolute paths of the committed files of table. A file
// of an ingest that committed but died before it moved the file into place
// is read where the ingest wrote it.
func (d *Dataset) Files(table string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	files := d.m.Tables[table].Files
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = d.resolve(f.Path)
	}
	return paths
}

// resolve returns the absolute path of the committed file rel: its place
// in the table, or its staged copy when it is not in place yet.
func (d *Dataset) resolve(rel string) string {
	final := filepath.Join(d.dir, filepath.FromSlash(rel))
	if _, err := os.Lstat(final); err == nil {
		return final
	}
	if id := ingestOfPath(rel); id > 0 {
		staged := filepath.Join(d.dir, stagingName(id), filepath.FromSlash(rel))
		if _, err := os.Lstat(staged); err == nil {
			return staged
		}
	}
	return final
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

// stagingName is the name of the directory where ingest id writes its files.
func stagingName(id int) string { return fmt.Sprintf("%s%06d", tempPrefix, id) }

// cleanup finishes or removes what ingests left behind, the caller holding
// the writer's lock:
//
//   - the staging directory of a committed ingest that died before it moved
//     all its files into place: the moves are finished, and the directory
//     removed once no reader is open;
//   - the staging directory of an ingest that did not commit, and a stray
//     temporary manifest: removed;
//   - once no reader is open, part files that a committed ingest of the
//     manifest wrote and a later one dropped (kept while readers that may
//     still list them are open).
//
// Nothing else is removed: a file that no ingest of the manifest wrote is
// left alone, whoever put it there.
func cleanup(dir string, m Manifest) error {
	committed := map[int]bool{}
	for _, in := range m.Ingests {
		committed[in.ID] = true
	}
	noReaders, release := tryExclusive(dir)
	defer release()

	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	for _, e := range entries {
		id, ok := stagingID(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		staging := filepath.Join(dir, e.Name())
		if committed[id] {
			if err := placeStaged(dir, staging, m, id); err != nil {
				return fmt.Errorf("clean up: %w", err)
			}
			if !noReaders {
				continue
			}
		}
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("clean up: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, ManifestName+".tmp")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clean up: %w", err)
	}
	if !noReaders {
		return nil
	}
	if err := removeDropped(dir, m, committed); err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	return nil
}

// stagingID returns the ingest id of a staging directory's name.
func stagingID(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(s)
	return id, err == nil && id > 0 && stagingName(id) == name
}

// placeStaged links every file of m that ingest id wrote and that is not in
// place yet from its staging directory into place.
func placeStaged(dir, staging string, m Manifest, id int) error {
	for _, t := range m.Tables {
		for _, f := range t.Files {
			if ingestOfPath(f.Path) != id {
				continue
			}
			final := filepath.Join(dir, filepath.FromSlash(f.Path))
			if _, err := os.Lstat(final); err == nil {
				continue
			}
			src := filepath.Join(staging, filepath.FromSlash(f.Path))
			if _, err := os.Lstat(src); err != nil {
				continue // missing: `netlens check` reports it
			}
			if err := place(src, final); err != nil {
				return err
			}
		}
	}
	return nil
}

// place makes the staged file src visible at final: a hard link, so that a
// reader that found it at src can still open it there; a rename where the
// file system has no hard links.
func place(src, final string) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	err := os.Link(src, final)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Rename(src, final)
}

// removeDropped removes the part files in the table directories that an
// ingest of the manifest wrote (its id is in the file's name) and that the
// manifest no longer lists, and day directories left empty by that.
func removeDropped(dir string, m Manifest, committed map[int]bool) error {
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
		err := walkParts(dir, table, func(rel, abs string) error {
			if listed[rel] || !committed[ingestOfPath(rel)] {
				return nil
			}
			if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			_ = os.Remove(filepath.Dir(abs)) // only if empty
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// walkParts calls fn for every regular .parquet file in the day directories
// of table, with its slash-separated path relative to dir and its absolute
// path.
func walkParts(dir, table string, fn func(rel, abs string) error) error {
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
		for _, f := range files {
			if !f.Type().IsRegular() || filepath.Ext(f.Name()) != ".parquet" {
				continue
			}
			if err := fn(table+"/"+day.Name()+"/"+f.Name(), filepath.Join(dayDir, f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxIngestOnDisk returns the largest ingest id in the name of a part file
// or staging directory of dir, so that a new ingest never takes a name
// that is already there.
func maxIngestOnDisk(dir string, m Manifest) (int, error) {
	top := 0
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if id, ok := stagingID(e.Name()); ok {
			top = max(top, id)
		}
	}
	tables := map[string]bool{}
	for name := range m.Tables {
		tables[name] = true
	}
	for _, t := range schema.Tables() {
		tables[t.Name] = true
	}
	for table := range tables {
		err := walkParts(dir, table, func(rel, _ string) error {
			top = max(top, ingestOfPath(rel))
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return top, nil
}
