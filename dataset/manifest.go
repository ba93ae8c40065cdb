package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FormatVersion is the version of the on-disk layout and manifest written by
// this package. A dataset with a newer version is refused.
const FormatVersion = 1

// ManifestName is the name of the manifest file in a dataset directory.
const ManifestName = "manifest.json"

// Manifest lists everything a dataset holds. Only files it lists are part of
// the dataset.
type Manifest struct {
	FormatVersion  int                   `json:"format_version"`
	NetlensVersion string                `json:"netlens_version"` // version of the last commit
	Ingests        []Ingest              `json:"ingests"`
	Inputs         []Input               `json:"inputs"`
	Tables         map[string]TableFiles `json:"tables"`
	// Labels are the label files loaded into the dataset (tables labels
	// and label_spans), in the order they were loaded.
	Labels []LabelFile `json:"labels,omitempty"`
}

// Ingest records one committed transaction.
type Ingest struct {
	ID             int               `json:"id"`
	Started        time.Time         `json:"started"`
	Finished       time.Time         `json:"finished"`
	NetlensVersion string            `json:"netlens_version"`
	Params         map[string]string `json:"params"`
	Inputs         []string          `json:"inputs"` // ids of the inputs read by this ingest
}

// Input records one input file read into the dataset.
type Input struct {
	ID     string `json:"id"`     // capture id: Fingerprint of the file, or one of HashIDs(SHA256) when another input holds that
	Name   string `json:"name"`   // base name of the file
	Path   string `json:"path"`   // path as given on the command line
	SHA256 string `json:"sha256"` // hex
	Size   int64  `json:"size"`   // bytes
	Frames uint64 `json:"frames"` // records read
	Error  string `json:"error,omitempty"`
	Ingest int    `json:"ingest"` // id of the ingest that read it
}

// LabelFile records one file of labels loaded into the dataset. The files
// of the labels table that hold its rows list its ID among their inputs,
// and so do the files of label_spans derived from it: dropping the label
// file drops them (see Txn.RemoveLabelFiles).
type LabelFile struct {
	ID     string `json:"id"`     // label-KIND-HASH: the kind and the first 16 hex digits of SHA256
	Kind   string `json:"kind"`   // user, class, org or category
	Name   string `json:"name"`   // base name of the file
	Path   string `json:"path"`   // path as given on the command line
	SHA256 string `json:"sha256"` // hex
	Size   int64  `json:"size"`   // bytes
	Rows   int64  `json:"rows"`   // labels read
	Ingest int    `json:"ingest"` // id of the ingest (transaction) that loaded it
}

// LabelFileID returns the id of a label file of kind whose content has the
// given sha256 (hex).
func LabelFileID(kind, sha256 string) string {
	return "label-" + kind + "-" + InputID(sha256)
}

// TableFiles lists the files of one table.
type TableFiles struct {
	Rows  int64  `json:"rows"`
	Files []File `json:"files"`
}

// File is one Parquet file of a table.
type File struct {
	Path  string `json:"path"` // relative to the dataset directory, slash-separated
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	Day   string `json:"day"` // UTC day of the rows, YYYY-MM-DD
	// CRC32C is the CRC-32C (Castagnoli) of the whole file, 8 hex digits;
	// empty in files written before netlens recorded it.
	CRC32C string `json:"crc32c,omitempty"`
	// Inputs are the ids of the inputs whose rows the file may hold; nil in
	// files written before netlens recorded it (then: the inputs of the
	// ingest named in the file's name).
	Inputs []string `json:"inputs,omitempty"`
}

// InputID returns the first 16 hex digits of sha256, lower case: the first
// of HashIDs, and the id AddInput gives an input recorded without one.
func InputID(sha256 string) string {
	if len(sha256) > 16 {
		return strings.ToLower(sha256[:16])
	}
	return strings.ToLower(sha256)
}

// clone returns a deep copy of m.
func (m Manifest) clone() Manifest {
	c := m
	c.Ingests = slices.Clone(m.Ingests)
	for i := range c.Ingests {
		c.Ingests[i].Params = maps.Clone(c.Ingests[i].Params)
		c.Ingests[i].Inputs = slices.Clone(c.Ingests[i].Inputs)
	}
	c.Inputs = slices.Clone(m.Inputs)
	c.Labels = slices.Clone(m.Labels)
	c.Tables = make(map[string]TableFiles, len(m.Tables))
	for k, t := range m.Tables {
		files := slices.Clone(t.Files)
		for i := range files {
			files[i].Inputs = slices.Clone(files[i].Inputs)
		}
		c.Tables[k] = TableFiles{Rows: t.Rows, Files: files}
	}
	return c
}

// emptyManifest is the manifest of a new dataset.
func emptyManifest() Manifest {
	return Manifest{FormatVersion: FormatVersion, Ingests: []Ingest{}, Inputs: []Input{}, Tables: map[string]TableFiles{}}
}

// readManifest reads dir's manifest; a missing file is an empty dataset.
func readManifest(dir string) (Manifest, error) {
	name := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return emptyManifest(), nil
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", name, err)
	}
	if err := m.validate(); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", name, err)
	}
	if m.Ingests == nil {
		m.Ingests = []Ingest{}
	}
	if m.Inputs == nil {
		m.Inputs = []Input{}
	}
	if m.Tables == nil {
		m.Tables = map[string]TableFiles{}
	}
	return m, nil
}

// validate checks what the package relies on: a known format version and
// file paths that stay inside their table's directory.
func (m *Manifest) validate() error {
	if m.FormatVersion < 1 {
		return fmt.Errorf("missing or invalid format_version %d", m.FormatVersion)
	}
	if m.FormatVersion > FormatVersion {
		return fmt.Errorf("format version %d is newer than this netlens supports (%d)", m.FormatVersion, FormatVersion)
	}
	seen := map[string]bool{}
	for table, t := range m.Tables {
		if !validName(table) {
			return fmt.Errorf("invalid table name %q", table)
		}
		for _, f := range t.Files {
			if !filepath.IsLocal(filepath.FromSlash(f.Path)) || path.Clean(f.Path) != f.Path ||
				!strings.HasPrefix(f.Path, table+"/") || path.Ext(f.Path) != ".parquet" {
				return fmt.Errorf("table %s: invalid file path %q", table, f.Path)
			}
			if seen[f.Path] {
				return fmt.Errorf("table %s: file %q listed twice", table, f.Path)
			}
			seen[f.Path] = true
		}
	}
	return nil
}

// validName reports whether s is usable as a table directory name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// writeManifest writes m to dir atomically: a temporary file, fsync, rename,
// fsync of the directory.
func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	b = append(b, '\n')
	tmp := filepath.Join(dir, ManifestName+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync manifest: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("replace manifest: %w", err)
	}
	return syncDir(dir)
}

// syncDirs flushes the entries of the directories to disk, all at once:
// the file system can commit them together.
func syncDirs(dirs map[string]bool) error {
	errs := make(chan error, len(dirs))
	for dir := range dirs {
		go func() { errs <- syncDir(dir) }()
	}
	var all []error
	for range dirs {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// syncDir flushes a directory's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
