// Command testsummary reads the JSON stream of `go test -json` on standard
// input and prints what plain `go test` prints (a line per package, the
// output of failed tests), then one line naming every skipped test and why,
// so that a green run never hides a missing tool or service. It exits 1
// when a test or a package failed.
//
// It is a development tool for make test; netlens does not include it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one record of test2json.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	skips, counts, err := summarise(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	closing := counts.String() + "\n" + skipLine(skips) + "\n"
	if len(os.Args) > 1 {
		// The closing lines go to a file too, for the end of a longer run.
		if err := os.WriteFile(os.Args[1], []byte(closing), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
	}
	fmt.Print(closing)
	if counts.failed > 0 {
		os.Exit(1)
	}
}

// counts are the numbers of tests (and failed packages) by outcome.
type counts struct{ passed, failed, skipped int }

func (c counts) String() string {
	return fmt.Sprintf("tests: %d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
}

// skip is a skipped test and the reason it gave.
type skip struct{ name, why string }

// summarise copies the plain output of the run in r to w and returns the
// skipped tests and the counts of tests by outcome; a package that fails
// without a failed test (a build error, a panic) counts as a failed test.
func summarise(r io.Reader, w io.Writer) ([]skip, counts, error) {
	type key struct{ pkg, test string }
	outputs := map[key][]string{}
	var skips []skip
	var n counts
	failedIn := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Build errors and other text come through as they are.
			fmt.Fprintln(w, string(line))
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if e.Test == "" {
				// Package lines: "ok  pkg 1.2s", "FAIL", "--- FAIL" summaries, panics.
				if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "testing: warning: no tests") {
					fmt.Fprint(w, e.Output)
				}
				continue
			}
			outputs[k] = append(outputs[k], e.Output)
		case "fail":
			switch {
			case e.Test != "":
				n.failed++
				failedIn[e.Package] = true
				for _, o := range outputs[k] {
					fmt.Fprint(w, o)
				}
			case !failedIn[e.Package]:
				n.failed++
			}
			delete(outputs, k)
		case "skip":
			if e.Test != "" && !strings.Contains(e.Test, "/") {
				n.skipped++
				skips = append(skips, skip{name: shortPkg(e.Package) + "." + e.Test, why: reason(outputs[k])})
			}
			delete(outputs, k)
		case "pass":
			if e.Test != "" {
				n.passed++
			}
			delete(outputs, k)
		}
	}
	return skips, n, sc.Err()
}

// reason returns the message a skipped test gave: the text of the line
// after its "--- SKIP" line, without the file:line prefix.
func reason(out []string) string {
	for i := len(out) - 1; i >= 0; i-- {
		s := strings.TrimSpace(out[i])
		if s == "" || strings.HasPrefix(s, "--- SKIP") || strings.HasPrefix(s, "=== ") {
			continue
		}
		if _, msg, ok := strings.Cut(s, ": "); ok && strings.Contains(s[:strings.Index(s, ": ")], ".go:") {
			s = msg
		}
		return s
	}
	return "no reason given"
}

// shortPkg drops the module path from a package path.
func shortPkg(p string) string {
	return strings.TrimPrefix(p, "github.com/netlens/netlens/")
}

// skipLine is the closing line of the run.
func skipLine(skips []skip) string {
	if len(skips) == 0 {
		return "skipped: none"
	}
	parts := make([]string, len(skips))
	for i, s := range skips {
		parts[i] = s.name + " (" + s.why + ")"
	}
	return fmt.Sprintf("skipped %d tests: %s", len(skips), strings.Join(parts, "; "))
}
