package catalog

import (
	"os"
	"sync"
	"testing"

	"github.com/netlens/netlens/internal/testenv"
)

// TestMain runs the tests (and stops the ClickHouse servers some start),
// then undoes what was made once for all of them (see atEnd): their
// engines closed, their directories removed.
func TestMain(m *testing.M) {
	code := testenv.Main(m)
	endMu.Lock()
	for i := len(ends) - 1; i >= 0; i-- {
		ends[i]()
	}
	endMu.Unlock()
	os.Exit(code)
}

var (
	endMu sync.Mutex
	ends  []func()
)

// atEnd has f run after the last test, in the reverse order of the calls:
// an engine registered after its dataset's directory closes before the
// directory goes.
func atEnd(f func()) {
	endMu.Lock()
	defer endMu.Unlock()
	ends = append(ends, f)
}

// removeAtEnd has dir removed after the last test.
func removeAtEnd(dir string) { atEnd(func() { os.RemoveAll(dir) }) }
