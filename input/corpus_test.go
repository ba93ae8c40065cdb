package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requireOrSkip skips the test on a developer machine that lacks what it
// needs, and fails it in CI (when CI is set), so CI never passes by skipping.
func requireOrSkip(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v (required when CI is set)", what, err)
	}
	t.Skipf("%s: %v (set CI to make this a failure)", what, err)
}

// corpusDir finds shared/corpus/pcaps beside the repository root.
func corpusDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the package directory")
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "corpus", "pcaps")
	if _, err := os.Stat(corpus); err != nil {
		return "", err
	}
	return corpus, nil
}

// capinfosResult is what capinfos says about one file.
type capinfosResult struct {
	Read        bool   // capinfos printed a row for the file
	Packets     int    // packets it counted (also when it stopped on an error)
	First, Last string // earliest and latest time as it prints them with -S, or "n/a"
	Cut         bool   // it said the file is cut short
	ErrorAfter  int    // it failed after reading this many packets (-1: did not)
	Rejected    bool   // it failed to open the file
}

var (
	errorAfterRe = regexp.MustCompile(`^capinfos: An error occurred after reading (\d+) packets from "(.*)"\.$`)
	cutRe        = regexp.MustCompile(`^capinfos: The file "(.*)" appears to have been cut short`)
	rejectRe     = regexp.MustCompile(`^capinfos: The file "(.*)" (isn't a capture file|contains record data that capinfos doesn't support)`)
)

// runCapinfos runs capinfos once over all files: table output without a
// header, packet count, earliest and latest time in seconds.
func runCapinfos(t *testing.T, files []string) map[string]*capinfosResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("capinfos", append([]string{"-T", "-r", "-c", "-a", "-e", "-S", "--"}, files...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run capinfos: %v", err)
	}
	res := make(map[string]*capinfosResult)
	get := func(p string) *capinfosResult {
		if res[p] == nil {
			res[p] = &capinfosResult{ErrorAfter: -1}
		}
		return res[p]
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("capinfos row %q: want 4 columns", sc.Text())
		}
		n, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatalf("capinfos row %q: %v", sc.Text(), err)
		}
		r := get(cols[0])
		r.Read, r.Packets, r.First, r.Last = true, n, cols[2], cols[3]
	}
	sc = bufio.NewScanner(&stderr)
	for sc.Scan() {
		line := sc.Text()
		if m := errorAfterRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			get(m[2]).ErrorAfter = n
		} else if m := cutRe.FindStringSubmatch(line); m != nil {
			get(m[1]).Cut = true
		} else if m := rejectRe.FindStringSubmatch(line); m != nil {
			get(m[1]).Rejected = true
		}
	}
	return res
}

// secondsAs formats ns as capinfos -S does with the precision of like
// ("n/a" stays "n/a").
func secondsAs(ns int64, like string) string {
	if like == "n/a" {
		return like
	}
	_, frac, _ := strings.Cut(like, ".")
	digits := len(frac)
	sec, sub := ns/1e9, ns%1e9
	if digits == 0 {
		return strconv.FormatInt(sec, 10)
	}
	for range 9 - digits {
		sub /= 10
	}
	return fmt.Sprintf("%d.%0*d", sec, digits, sub)
}

// outcome is what netlens (or capinfos, translated) says about a file.
type outcome struct {
	Opened      bool // Open succeeded
	Frames      int
	First, Last string // earliest and latest frame time, capinfos style
	Cut         bool   // ended in a FormatError wrapping io.ErrUnexpectedEOF
	Failed      bool   // ended in an error after Frames frames
}

// corpusExceptions are the files where netlens and capinfos disagree, with
// what netlens does and why.
var corpusExceptions = map[string]struct {
	why  string
	want outcome
}{
	"tcpdump/dsa.pcap": {
		why:  "capinfos rejects link type 284 (no wiretap encapsulation); netlens passes any link type through to decode",
		want: outcome{Opened: true, Frames: 8, First: "80499.544060", Last: "80504.560415"},
	},
	"tcpdump/timestamp_invalid_nano.pcap": {
		why: "record 2 and 3 have a nanosecond field of 1e9 and 2^31; capinfos prints the latter as a negative fraction, " +
			"netlens adds the field to the seconds (1418145370 s + 2147483648 ns)",
		want: outcome{Opened: true, Frames: 3, First: "1418145369.999999999", Last: "1418145372.147483648"},
	},
	"iot-sentinel/EdimaxCam1/_iotdevice-mac.txt": {
		why:  "capinfos reads this text file as a 1-packet capture in one of its text formats; netlens reads only pcap and pcapng",
		want: outcome{},
	},
}

// TestCorpusMatchesCapinfos opens every file of the shared corpus and checks
// the frame count and the earliest and latest timestamps against capinfos.
// capinfos prints no times ("n/a") when any packet lacks a timestamp (pcapng
// simple packet blocks) or there are none: then only the count is compared.
func TestCorpusMatchesCapinfos(t *testing.T) {
	corpus, err := corpusDir()
	requireOrSkip(t, "shared corpus", err)
	_, err = exec.LookPath("capinfos")
	requireOrSkip(t, "capinfos", err)

	var rel []string
	err = filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != "INVENTORY.tsv" {
			r, err := filepath.Rel(corpus, p)
			if err != nil {
				return err
			}
			rel = append(rel, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) < 200 {
		t.Fatalf("corpus has %d files, want at least 200", len(rel))
	}
	abs := make([]string, len(rel))
	for i, r := range rel {
		abs[i] = filepath.Join(corpus, r)
	}
	infos := runCapinfos(t, abs)

	seenExceptions := 0
	for i, name := range rel {
		t.Run(name, func(t *testing.T) {
			read := netlensRead(t, abs[i])
			want, ok := capinfosOutcome(infos[abs[i]])
			if exc, found := corpusExceptions[name]; found {
				seenExceptions++
				t.Logf("netlens differs from capinfos: %s", exc.why)
				if ok && cmp.Equal(want, exc.want) {
					t.Errorf("listed as an exception but capinfos agrees: %+v", want)
				}
				want, ok = exc.want, true
			}
			if !ok {
				t.Fatalf("capinfos output not understood: %+v", infos[abs[i]])
			}
			if diff := cmp.Diff(want, read.outcome(want.First)); diff != "" {
				t.Errorf("netlens vs capinfos (-capinfos +netlens):\n%s", diff)
			}
		})
	}
	if seenExceptions != len(corpusExceptions) {
		t.Errorf("%d of %d listed exceptions are in the corpus", seenExceptions, len(corpusExceptions))
	}
}

// capinfosOutcome translates what capinfos said into an outcome. When
// capinfos printed no times, First and Last stay empty.
func capinfosOutcome(ci *capinfosResult) (outcome, bool) {
	switch {
	case ci == nil:
		return outcome{}, false
	case ci.Read:
		return outcome{Opened: true, Frames: ci.Packets, First: ci.First, Last: ci.Last, Cut: ci.Cut, Failed: ci.Cut}, true
	case ci.ErrorAfter >= 0:
		return outcome{Opened: true, Frames: ci.ErrorAfter, Failed: true}, true
	case ci.Rejected:
		return outcome{}, true
	}
	return outcome{}, false
}

// readResult is what netlens read from a file.
type readResult struct {
	Opened, Cut, Failed bool
	Frames              int
	Lo, Hi              int64 // earliest and latest frame time
}

// outcome formats r with the time precision of like, a time printed by
// capinfos; times are left out when like is "" (none printed) and stay
// "n/a" when capinfos printed "n/a".
func (r readResult) outcome(like string) outcome {
	o := outcome{Opened: r.Opened, Frames: r.Frames, Cut: r.Cut, Failed: r.Failed}
	switch like {
	case "":
	case "n/a":
		o.First, o.Last = like, like
	default:
		o.First, o.Last = secondsAs(r.Lo, like), secondsAs(r.Hi, like)
	}
	return o
}

// netlensRead opens and reads path.
func netlensRead(t *testing.T, path string) readResult {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("Open: %v is not a FormatError", err)
		}
		return readResult{}
	}
	res := readResult{Opened: true}
	var f Frame
	for {
		err := r.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("Next: %v is not a FormatError", err)
			}
			res.Failed = true
			res.Cut = errors.Is(err, io.ErrUnexpectedEOF)
			break
		}
		if res.Frames == 0 || f.Ts < res.Lo {
			res.Lo = f.Ts
		}
		if res.Frames == 0 || f.Ts > res.Hi {
			res.Hi = f.Ts
		}
		res.Frames++
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	return res
}
