package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go/compress/zstd"
)

// ErrDone is returned when a transaction is used after Commit or Abort.
var ErrDone = errors.New("transaction already committed or aborted")

// Txn is an ingest transaction: it holds the dataset's lock, writes new files
// to a temporary directory and makes them visible all at once on Commit.
// Until then, and if the process dies, the dataset is as it was before Begin.
//
// AddInput, RemoveInput and NewTableWriter may be called from several
// goroutines; each TableWriter is used by one goroutine at a time.
type Txn struct {
	d       *Dataset
	id      int
	version string
	tmp     string // absolute temporary directory
	codec   *zstd.Codec
	rmu     sync.Mutex // serialises RemoveInput

	mu      sync.Mutex
	lock    *os.File
	m       Manifest // committed state with this transaction's removals and inputs
	ingest  Ingest
	added   map[string][]pending // table -> files to move into place on commit
	removed []string             // committed files that leave the dataset on commit
	writers map[txWriter]bool    // open table writers
	seq     int
	done    bool
}

// pending is a finished file waiting in the temporary directory.
type pending struct {
	tmp  string
	file File
}

// txWriter is a table writer as seen by its transaction.
type txWriter interface {
	Close() error
	abort()
}

// Begin starts an ingest: it takes the dataset's lock (failing at once with
// ErrLocked when another ingest holds it), reads the manifest again, removes
// leftovers of killed ingests and creates the temporary directory. version
// and params are recorded in the manifest.
func (d *Dataset) Begin(version string, params map[string]string) (*Txn, error) {
	if d.readOnly {
		return nil, fmt.Errorf("begin ingest in %s: %w", d.dir, ErrReadOnly)
	}
	lock, err := lockFile(filepath.Join(d.dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("begin ingest in %s: %w", d.dir, err)
	}
	tx, err := d.begin(lock, version, params)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("begin ingest in %s: %w", d.dir, err)
	}
	return tx, nil
}

func (d *Dataset) begin(lock *os.File, version string, params map[string]string) (*Txn, error) {
	m, err := readManifest(d.dir)
	if err != nil {
		return nil, err
	}
	if err := cleanup(d.dir, m); err != nil {
		return nil, err
	}
	d.setManifest(m)
	// The id is new to the manifest and to every file name on disk.
	onDisk, err := maxIngestOnDisk(d.dir, m)
	if err != nil {
		return nil, err
	}
	id := onDisk + 1
	for _, in := range m.Ingests {
		id = max(id, in.ID+1)
	}
	tmp := filepath.Join(d.dir, stagingName(id))
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	p := make(map[string]string, len(params))
	for k, v := range params {
		p[k] = v
	}
	return &Txn{
		d:       d,
		id:      id,
		version: version,
		tmp:     tmp,
		codec:   &zstd.Codec{Level: zstd.SpeedFastest},
		lock:    lock,
		m:       m.clone(),
		ingest:  Ingest{ID: id, Started: time.Now().UTC(), NetlensVersion: version, Params: p, Inputs: []string{}},
		added:   map[string][]pending{},
		writers: map[txWriter]bool{},
	}, nil
}

// ID returns the transaction's ingest id, unique in the dataset.
func (tx *Txn) ID() int { return tx.id }

// TempDir returns a directory for the ingest's own temporary files, on the
// dataset's file system: it goes with the transaction, and after a crash
// with the next writer's clean-up.
func (tx *Txn) TempDir() string { return tx.tmp }

// AddInput records an input read by this ingest. An input with the same id
// already in the manifest is replaced (call RemoveInput first to drop its
// rows). An empty ID is derived from SHA256.
func (tx *Txn) AddInput(in Input) {
	if in.ID == "" {
		in.ID = InputID(in.SHA256)
	}
	in.Ingest = tx.id
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if i := slices.IndexFunc(tx.m.Inputs, func(x Input) bool { return x.ID == in.ID }); i >= 0 {
		tx.m.Inputs[i] = in
	} else {
		tx.m.Inputs = append(tx.m.Inputs, in)
	}
	if !slices.Contains(tx.ingest.Inputs, in.ID) {
		tx.ingest.Inputs = append(tx.ingest.Inputs, in.ID)
	}
}

// newPart reserves the next part file of table for day and returns its
// temporary path and its path relative to the dataset.
func (tx *Txn) newPart(table, day string) (tmp, rel string, err error) {
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return "", "", ErrDone
	}
	tx.seq++
	rel = fmt.Sprintf("%s/%s%s/part-%06d-%04d.parquet", table, dayDirPrefix, day, tx.id, tx.seq)
	tx.mu.Unlock()
	tmp = filepath.Join(tx.tmp, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return "", "", fmt.Errorf("create part file: %w", err)
	}
	return tmp, rel, nil
}

// addFile queues a finished temporary file for commit.
func (tx *Txn) addFile(table string, p pending) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.added[table] = append(tx.added[table], p)
}

func (tx *Txn) register(w txWriter) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return ErrDone
	}
	tx.writers[w] = true
	return nil
}

func (tx *Txn) unregister(w txWriter) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	delete(tx.writers, w)
}

// Commit closes the open table writers and replaces the manifest, which is
// the moment the ingest becomes visible: until then its files are in its
// staging directory, out of reach of a glob of the table directories. It
// then links the new files into place, removes files the transaction
// dropped unless a reader is open (a later ingest removes them), and
// releases the lock. On an error before the manifest is replaced the
// transaction is aborted and the dataset is as it was.
func (tx *Txn) Commit() error {
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return ErrDone
	}
	writers := make([]txWriter, 0, len(tx.writers))
	for w := range tx.writers {
		writers = append(writers, w)
	}
	tx.mu.Unlock()

	var errs []error
	for _, w := range writers {
		errs = append(errs, w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		tx.abort()
		return fmt.Errorf("commit: %w", err)
	}

	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return ErrDone
	}
	tx.done = true
	m := tx.m.clone()
	// The staged files and their directories must be on disk before the
	// manifest that lists them.
	dirs := map[string]bool{tx.d.dir: true, tx.tmp: true}
	for table, files := range tx.added {
		t := m.Tables[table]
		for _, p := range files {
			f := p.file
			if f.Inputs == nil {
				f.Inputs = slices.Clone(tx.ingest.Inputs)
			}
			for d := filepath.Dir(p.tmp); len(d) > len(tx.tmp); d = filepath.Dir(d) {
				dirs[d] = true
			}
			t.Files = append(t.Files, f)
			t.Rows += f.Rows
		}
		slices.SortFunc(t.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
		m.Tables[table] = t
	}
	if err := syncDirs(dirs); err != nil {
		tx.release()
		return fmt.Errorf("commit: %w", err)
	}
	in := tx.ingest
	in.Finished = time.Now().UTC()
	m.Ingests = append(m.Ingests, in)
	m.FormatVersion = FormatVersion
	m.NetlensVersion = tx.version
	if err := writeManifest(tx.d.dir, m); err != nil {
		if cur, rerr := readManifest(tx.d.dir); rerr == nil && cur.sameIngests(m) {
			// The new manifest is in place; only a later sync failed.
			tx.d.setManifest(m)
			tx.finish()
			return fmt.Errorf("commit: %w", err)
		}
		tx.release()
		return fmt.Errorf("commit: %w", err)
	}
	tx.d.setManifest(m)
	tx.finish()
	return nil
}

// finish completes a committed transaction: it links the new files into
// place (a file that cannot be stays staged, where readers find it, until
// the next ingest), removes the staging directory and the dropped files
// when no reader is open, and releases the lock. The caller holds tx.mu.
func (tx *Txn) finish() {
	dirs := map[string]bool{}
	placed := true
	for _, files := range tx.added {
		for _, p := range files {
			final := filepath.Join(tx.d.dir, filepath.FromSlash(p.file.Path))
			if err := place(p.tmp, final); err != nil {
				placed = false
				continue
			}
			dirs[filepath.Dir(final)] = true
			dirs[filepath.Dir(filepath.Dir(final))] = true
		}
	}
	if syncDirs(dirs) != nil {
		placed = false
	}
	if ok, release := tryExclusive(tx.d.dir); ok {
		if placed {
			_ = os.RemoveAll(tx.tmp)
		}
		for _, rel := range tx.removed {
			name := filepath.Join(tx.d.dir, filepath.FromSlash(rel))
			if os.Remove(name) == nil {
				// An empty day directory goes too; a non-empty one stays.
				_ = os.Remove(filepath.Dir(name))
			}
		}
		release()
	}
	tx.unlock()
}

// sameIngests reports whether m and o record the same ingests.
func (m Manifest) sameIngests(o Manifest) bool {
	return slices.EqualFunc(m.Ingests, o.Ingests, func(a, b Ingest) bool { return a.ID == b.ID })
}

// Abort discards everything the transaction wrote and releases the lock.
// Abort after Commit or Abort does nothing.
func (tx *Txn) Abort() error {
	tx.abort()
	return nil
}

func (tx *Txn) abort() {
	tx.mu.Lock()
	if tx.done && tx.lock == nil {
		tx.mu.Unlock()
		return
	}
	tx.done = true
	writers := make([]txWriter, 0, len(tx.writers))
	for w := range tx.writers {
		writers = append(writers, w)
	}
	tx.mu.Unlock()
	for _, w := range writers {
		w.abort()
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.release()
}

// release removes the staging directory of a transaction that did not
// commit, and unlocks. The caller holds tx.mu.
func (tx *Txn) release() {
	_ = os.RemoveAll(tx.tmp)
	tx.unlock()
}

// unlock releases the writer's lock. The caller holds tx.mu.
func (tx *Txn) unlock() {
	if tx.lock != nil {
		tx.lock.Close()
		tx.lock = nil
	}
	tx.done = true
}
