package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarise(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"github.com/netlens/netlens/a"}`,
		`{"Action":"run","Package":"github.com/netlens/netlens/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestOK","Output":"    a_test.go:9: fine\n"}`,
		`{"Action":"pass","Package":"github.com/netlens/netlens/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestTool","Output":"=== RUN   TestTool\n"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestTool","Output":"    a_test.go:20: tshark not installed\n"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestTool","Output":"--- SKIP: TestTool (0.00s)\n"}`,
		`{"Action":"skip","Package":"github.com/netlens/netlens/a","Test":"TestTool"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestBad","Output":"    a_test.go:30: got 1, want 2\n"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}`,
		`{"Action":"fail","Package":"github.com/netlens/netlens/a","Test":"TestBad"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Output":"FAIL\n"}`,
		`{"Action":"output","Package":"github.com/netlens/netlens/a","Output":"FAIL\tgithub.com/netlens/netlens/a\t0.1s\n"}`,
		`{"Action":"fail","Package":"github.com/netlens/netlens/a"}`,
		`# github.com/netlens/netlens/b [build failed]`,
	}, "\n")
	var out strings.Builder
	skips, n, err := summarise(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "    a_test.go:30: got 1, want 2\n--- FAIL: TestBad (0.00s)\nFAIL\nFAIL\tgithub.com/netlens/netlens/a\t0.1s\n# github.com/netlens/netlens/b [build failed]\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if n != (counts{passed: 1, failed: 1, skipped: 1}) {
		t.Errorf("counts %+v", n)
	}
	if got := skipLine(skips); got != "skipped 1 tests: a.TestTool (tshark not installed)" {
		t.Errorf("skip line %q", got)
	}
	if got := skipLine(nil); got != "skipped: none" {
		t.Errorf("skip line %q", got)
	}
}
