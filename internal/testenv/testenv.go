// Package testenv finds what tests need outside the repository — the shared
// capture corpus, tools such as tshark, ClickHouse servers it starts on
// loopback — and decides what happens when it is missing: on a developer's
// machine the test is skipped, in CI (the environment variable CI is set) it
// fails, so CI can never pass by skipping.
//
// Only tests import testenv.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") != "" }

// Require skips t, or fails it in CI, unless ok.
func Require(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("%s: required in CI", what)
	}
	t.Skipf("%s: skipping (required when CI is set)", what)
}

// Tool returns the path of the command name, or skips (fails in CI).
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, err == nil, name+" not installed")
	return p
}

// Python returns the path of a python3 that imports every module of
// modules, or skips (fails in CI). python3 on PATH is tried first, then
// /usr/bin/python3: Debian's python3-* packages are there when PATH leads
// to another python3 (pyenv, a virtual environment).
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	check := "import " + strings.Join(modules, ", ")
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", check).Run() == nil {
			return p
		}
	}
	Require(t, false, "python3 with "+strings.Join(modules, ", ")+" (Debian: scripts/install-test-tools installs them)")
	return ""
}

// RepoRoot returns the root of the netlens repository.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Corpus returns the directory of the shared corpus (shared/corpus beside
// the repository, or $NETLENS_CORPUS), or skips (fails in CI).
func Corpus(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("NETLENS_CORPUS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "corpus")
	}
	_, err := os.Stat(filepath.Join(dir, "pcaps"))
	Require(t, err == nil, "corpus "+dir)
	return dir
}

// Golden compares got with the file at path, after rewriting the file with
// got when update is set (the tests' -update flag).
func Golden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
