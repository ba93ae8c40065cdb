package input

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Expand turns command-line arguments into a list of files. Each argument is
// a file, a directory (every regular file below it, recursively, in lexical
// order, skipping hidden files and directories) or a glob pattern (its
// matches, directories among them expanded the same way). An argument that
// names nothing is an error. Duplicates are removed, keeping the first.
func Expand(args []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	add := func(p string) {
		if key := filepath.Clean(p); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		switch {
		case err == nil && st.IsDir():
			files, err := walk(arg)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				add(f)
			}
		case err == nil:
			add(arg)
		case errors.Is(err, fs.ErrNotExist):
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("expand %q: %w", arg, gerr)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("expand %q: no such file, directory or match", arg)
			}
			for _, m := range matches {
				mst, err := os.Stat(m)
				if err != nil {
					return nil, fmt.Errorf("expand %q: %w", arg, err)
				}
				if !mst.IsDir() {
					add(m)
					continue
				}
				files, err := walk(m)
				if err != nil {
					return nil, err
				}
				for _, f := range files {
					add(f)
				}
			}
		default:
			return nil, fmt.Errorf("expand %q: %w", arg, err)
		}
	}
	return out, nil
}

// walk lists the regular files below dir (following symbolic links to
// files), in lexical order, skipping hidden entries.
func walk(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
			files = append(files, p)
		case d.Type()&fs.ModeSymlink != 0:
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expand %q: %w", dir, err)
	}
	return files, nil
}
