package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netlens/netlens/dataset"
)

// ErrForeignFiles is wrapped by the error of a report refused because its
// directory holds files netlens did not write.
var ErrForeignFiles = errors.New("files netlens did not write")

// ForeignFilesError is a report directory's refusal: the files in it that
// netlens did not write (the first few), and whether the report would
// replace them.
type ForeignFilesError struct {
	Dir     string
	Files   []string // relative, with '/'
	More    bool     // there are more than Files
	Replace bool     // the report would replace them: --force does not help
}

func (e *ForeignFilesError) Error() string {
	list := strings.Join(e.Files, ", ")
	if e.More {
		list += ", ..."
	}
	if e.Replace {
		return fmt.Sprintf("report %s would replace %s, which netlens did not write: move them, or write the report to another directory", e.Dir, list)
	}
	return fmt.Sprintf("%s holds %s (%s): write the report to another directory, or give --force to write it beside them (they are never replaced nor removed)", e.Dir, ErrForeignFiles, list)
}

// Unwrap returns ErrForeignFiles.
func (e *ForeignFilesError) Unwrap() error { return ErrForeignFiles }

// maxForeign is the number of foreign files an error names.
const maxForeign = 5

// CheckDir tells whether a report may be written into dir: it may when dir
// does not exist, or holds only what netlens wrote there (an earlier
// report, as its list or its report.json names it; datasets; what an
// interrupted report left), or when force is set. Otherwise the error is a
// *ForeignFilesError naming the other files.
func CheckDir(dir string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	owned, err := ownedFiles(dir)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	e := &ForeignFilesError{Dir: dir}
	stop := errors.New("enough")
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && ownDir(dir, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == ListName || owned[rel] {
			return nil
		}
		if len(e.Files) == maxForeign {
			e.More = true
			return stop
		}
		e.Files = append(e.Files, rel)
		return nil
	})
	if err != nil && err != stop {
		return fmt.Errorf("write report: %w", err)
	}
	if len(e.Files) > 0 {
		return e
	}
	return nil
}

// ownDir reports whether the directory rel of a report directory is
// netlens' and none of the report's business: a dataset (the one `netlens
// report` builds in DIR/dataset, or another), or what an interrupted
// report left.
func ownDir(dir, rel string) bool {
	if strings.Contains(rel, "/") {
		return false
	}
	if strings.HasPrefix(rel, tmpPrefix) || strings.HasPrefix(rel, asidePrefix) {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, rel, dataset.ManifestName))
	return err == nil
}

// ownedFiles returns the files of the report in dir: those its list
// names, or, for a report written before there were lists, those its
// report.json names. Only names a report can have are taken: index.html,
// report.json and plain file names in tables/ and figures/.
func ownedFiles(dir string) (map[string]bool, error) {
	owned := map[string]bool{}
	add := func(p string) {
		if reportPath(p) {
			owned[p] = true
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ListName))
	switch {
	case err == nil:
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
				add(line)
			}
		}
		return owned, sc.Err()
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	b, err = os.ReadFile(filepath.Join(dir, JSONName))
	if errors.Is(err, fs.ErrNotExist) {
		return owned, nil
	}
	if err != nil {
		return nil, err
	}
	var js struct {
		Version  *string `json:"netlens_version"`
		Analyses []struct {
			Tables []struct{ Files []string }
			Charts []struct{ Figures []string }
			Files  []struct{ Path string }
		}
	}
	if json.Unmarshal(b, &js) != nil || js.Version == nil {
		return owned, nil // not a netlens report.json: not ours
	}
	add(JSONName)
	if _, err := os.Stat(filepath.Join(dir, IndexName)); err == nil {
		add(IndexName)
	}
	for _, a := range js.Analyses {
		for _, t := range a.Tables {
			for _, f := range t.Files {
				add(f)
			}
		}
		for _, c := range a.Charts {
			for _, f := range c.Figures {
				add(f)
			}
		}
		for _, f := range a.Files {
			add(f.Path)
		}
	}
	return owned, nil
}

// reportPath reports whether p is a name a report's file can have.
func reportPath(p string) bool {
	if p == IndexName || p == JSONName {
		return true
	}
	d, f := path.Split(p)
	return (d == TablesDir+"/" || d == FiguresDir+"/") && f != "" && f == safeName(f, "") && !strings.HasPrefix(f, ".")
}

// writeList writes the list of the report's files (those below tmp).
func writeList(tmp string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	err = writeFile(filepath.Join(tmp, ListName), true, func(w io.Writer) error {
		if _, err := io.WriteString(w, "# The files of this netlens report: a later report replaces these, and no other file.\n"); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := io.WriteString(w, f+"\n"); err != nil {
				return err
			}
		}
		return nil
	})
	return files, err
}

// install moves the report built in tmp into dir, file by file: the files
// of the report dir holds (its list) are moved aside, index.html first, so
// that while files are swapped no page is there to be opened; then the new
// files move in, index.html last, and the old ones are removed. A file
// that is in the way and not the old report's is never replaced: install
// fails and puts the old report back, as far as possible.
func install(dir, tmp string) (err error) {
	files, err := writeList(tmp)
	if err != nil {
		return err
	}
	owned, err := ownedFiles(dir)
	if err != nil {
		return err
	}
	// The old report's files, index.html first.
	old := []string{}
	if owned[IndexName] {
		old = append(old, IndexName)
	}
	for _, p := range slices.Sorted(maps.Keys(owned)) {
		if p != IndexName {
			old = append(old, p)
		}
	}
	order := append(slices.DeleteFunc(slices.Clone(files), func(p string) bool { return p == IndexName }), ListName)
	if slices.Contains(files, IndexName) {
		order = append(order, IndexName)
	}

	// Every file in the way must be the old report's.
	var inTheWay []string
	for _, p := range order {
		if p != ListName && !owned[p] {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
				inTheWay = append(inTheWay, p)
			}
		}
	}
	if len(inTheWay) > 0 {
		e := &ForeignFilesError{Dir: dir, Files: inTheWay, Replace: true}
		if len(inTheWay) > maxForeign {
			e.Files, e.More = inTheWay[:maxForeign], true
		}
		return e
	}

	aside, err := os.MkdirTemp(dir, asidePrefix)
	if err != nil {
		return err
	}
	var movedAside, installed []string
	defer func() {
		if err == nil {
			err = os.RemoveAll(aside)
			for _, d := range []string{TablesDir, FiguresDir} {
				os.Remove(filepath.Join(dir, d)) // only when empty
			}
			return
		}
		for _, p := range installed {
			os.Remove(filepath.Join(dir, filepath.FromSlash(p)))
		}
		// index.html was moved aside first: put it back last.
		for i := len(movedAside) - 1; i >= 0; i-- {
			p := filepath.FromSlash(movedAside[i])
			os.Rename(filepath.Join(aside, p), filepath.Join(dir, p))
		}
		os.RemoveAll(aside)
	}()
	move := func(from, to, p string) error {
		p = filepath.FromSlash(p)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, p)), 0o755); err != nil {
			return err
		}
		return os.Rename(filepath.Join(from, p), filepath.Join(to, p))
	}
	for _, p := range append(old, ListName) {
		switch err := move(dir, aside, p); {
		case err == nil:
			movedAside = append(movedAside, p)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("replace %s: %w", p, err)
		}
	}
	for _, p := range order {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			return &ForeignFilesError{Dir: dir, Files: []string{p}, Replace: true}
		}
		if err := move(tmp, dir, p); err != nil {
			return fmt.Errorf("install %s: %w", p, err)
		}
		installed = append(installed, p)
	}
	return nil
}
