package input

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Skipped is an entry of an input directory that Expand does not read, and
// why.
type Skipped struct {
	Path   string
	Reason string // e.g. "a FIFO: name it on its own to read it as a stream"
}

// Expand is ExpandAll without the list of skipped entries.
func Expand(args []string) ([]string, error) {
	files, _, err := ExpandAll(args)
	return files, err
}

// ExpandAll turns command-line arguments into a list of files. Each
// argument is a file, a stream (Stdin "-", a FIFO, a device: read as it
// comes, see IsStream), a directory (every regular file below it,
// recursively, in lexical order, skipping hidden files and directories) or
// a glob pattern (its matches, directories among them expanded the same
// way). An argument that names nothing is an error. Duplicates are removed,
// keeping the first. The other entries of the directories (FIFOs, sockets,
// devices, dangling symbolic links, links to directories) are not read:
// skipped names each, with the reason.
func ExpandAll(args []string) (files []string, skipped []Skipped, err error) {
	seen := make(map[string]bool)
	add := func(p string) {
		if key := filepath.Clean(p); !seen[key] {
			seen[key] = true
			files = append(files, p)
		}
	}
	dir := func(d string) error {
		f, s, err := walk(d)
		if err != nil {
			return err
		}
		for _, p := range f {
			add(p)
		}
		skipped = append(skipped, s...)
		return nil
	}
	for _, arg := range args {
		if arg == Stdin {
			add(arg)
			continue
		}
		st, err := os.Stat(arg)
		switch {
		case err == nil && st.IsDir():
			if err := dir(arg); err != nil {
				return nil, nil, err
			}
		case err == nil:
			add(arg)
		case errors.Is(err, fs.ErrNotExist):
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, nil, fmt.Errorf("expand %q: %w", arg, gerr)
			}
			if len(matches) == 0 {
				return nil, nil, fmt.Errorf("expand %q: no such file, directory or match", arg)
			}
			for _, m := range matches {
				mst, err := os.Stat(m)
				if err != nil {
					return nil, nil, fmt.Errorf("expand %q: %w", arg, err)
				}
				if !mst.IsDir() {
					add(m)
					continue
				}
				if err := dir(m); err != nil {
					return nil, nil, err
				}
			}
		default:
			return nil, nil, fmt.Errorf("expand %q: %w", arg, err)
		}
	}
	// An entry also named on its own is read.
	kept := skipped[:0]
	for _, s := range skipped {
		if !seen[filepath.Clean(s.Path)] {
			kept = append(kept, s)
		}
	}
	return files, kept, nil
}

// walk lists the regular files below dir (following symbolic links to
// files), in lexical order, skipping hidden entries, and the other entries
// it does not read.
func walk(dir string) (files []string, skipped []Skipped, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		typ := d.Type()
		switch {
		case typ.IsRegular():
			files = append(files, p)
		case typ.IsDir():
		case typ&fs.ModeSymlink != 0:
			st, err := os.Stat(p)
			switch {
			case err != nil:
				skipped = append(skipped, Skipped{Path: p, Reason: "a dangling symbolic link: " + errors.Unwrap(err).Error()})
			case st.Mode().IsRegular():
				files = append(files, p)
			case st.IsDir():
				skipped = append(skipped, Skipped{Path: p, Reason: "a symbolic link to a directory, not followed"})
			default:
				skipped = append(skipped, Skipped{Path: p, Reason: "a symbolic link to " + kind(st.Mode()) + ": name it on its own to read it as a stream"})
			}
		default:
			skipped = append(skipped, Skipped{Path: p, Reason: kind(typ) + ": name it on its own to read it as a stream"})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("expand %q: %w", dir, err)
	}
	return files, skipped, nil
}

// kind names the type of a file that is neither regular nor a directory.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}
