package cli

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// goMemoryLimit is the soft limit of the Go heap during an ingest when
// GOMEMLIMIT does not set one. An ingest holds its live flows
// (flow.DefaultMemory), address tables and a few batches; without a limit the collector lets garbage
// grow to as much again as is live, so a scan with a million live flows
// would take twice the memory it needs. The limit makes the collector work
// harder near it instead; memory outside the Go heap (DuckDB's) is not
// counted. Analyses run without it: their answers are as large as the
// data asks, and a heap held above the limit would have the collector run
// without end.
const goMemoryLimit = 768 << 20

// limitMemory sets the soft memory limit of the Go heap for an ingest,
// unless the environment sets GOMEMLIMIT, and returns the function that
// puts back the limit before.
func limitMemory() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetMemoryLimit(goMemoryLimit)
	return func() { debug.SetMemoryLimit(old) }
}

// byteSize is a flag of a number of bytes: 512MB, 1GiB, 300000000; 0 for
// none.
type byteSize struct{ n *int64 }

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

func (b byteSize) String() string {
	if b.n == nil {
		return "0"
	}
	n := *b.n
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) > math.MaxInt64 {
		return fmt.Errorf("%q is not a size: say 512MB, 1GiB, or 0 for no limit", s)
	}
	*b.n = int64(v * float64(mult))
	return nil
}

func (b byteSize) Type() string { return "size" }
