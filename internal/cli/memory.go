package cli

import (
	"os"
	"runtime/debug"
)

// goMemoryLimit is the soft limit of the Go heap when GOMEMLIMIT does not
// set one. An ingest holds its live flows (flow.DefaultMemory), address
// tables and a few batches; without a limit the collector lets garbage
// grow to as much again as is live, so a scan with a million live flows
// would take twice the memory it needs. The limit makes the collector work
// harder near it instead; memory outside the Go heap (DuckDB's) is not
// counted.
const goMemoryLimit = 768 << 20

// limitMemory sets the soft memory limit of the Go heap, unless the
// environment sets GOMEMLIMIT.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(goMemoryLimit)
}
