package catalog

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
)

// scanEngines are the engines that tests of smallScan's dataset compare:
// DuckDB over its files, and a ClickHouse server and a cluster it is
// loaded into (see openEngine).
var scanEngines = []string{"duckdb", "clickhouse", "clickhouse cluster"}

// openEngine opens the engine name of scanEngines over ds; the caller
// closes it.
func openEngine(t *testing.T, ds *dataset.Dataset, name string) engine.Engine {
	t.Helper()
	switch name {
	case "duckdb":
		e, err := duckdb.Open(context.Background(), ds)
		if err != nil {
			t.Fatal(err)
		}
		return e
	case "clickhouse":
		return loadClickHouse(t, ds, testenv.ClickHouse(t), "")
	case "clickhouse cluster":
		dsn, cluster := testenv.ClickHouseCluster(t)
		return loadClickHouse(t, ds, dsn, cluster)
	}
	t.Fatalf("no engine %q", name)
	return nil
}

// duckdbEnv returns the environment of analyses over ds on DuckDB, closed
// when the test ends.
func duckdbEnv(t *testing.T, ds *dataset.Dataset) *analysis.Env {
	t.Helper()
	return engineEnv(t, ds, "duckdb")
}

// engineEnv returns the environment of analyses over ds on the engine name
// of scanEngines, closed when the test ends.
func engineEnv(t *testing.T, ds *dataset.Dataset, name string) *analysis.Env {
	t.Helper()
	eng := openEngine(t, ds, name)
	t.Cleanup(func() { eng.Close() })
	env, err := analysis.NewEnv(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// smallScan ingests a scan of one day into a dataset of the test: 2,000
// senders of one packet each, to ports 20 to 24, and 3 senders of about 14
// packets to port 445, in 15 seconds. It returns the dataset, closed when
// the test ends, and the packets.
func smallScan(t *testing.T) (*dataset.Dataset, []testcapture.DarknetPacket) {
	t.Helper()
	var pkts []testcapture.DarknetPacket
	at := testcapture.DarknetStart
	for i := range 2000 {
		at = at.Add(time.Duration(1+i%7) * time.Millisecond)
		pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("10.%d.%d.1", i/200, i%200), Dport: uint16(20 + i%5), Proto: 6})
		if i%50 == 0 {
			pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("192.0.2.%d", i%3), Dport: 445, Proto: 6})
		}
	}
	return ingestDarknet(t, pkts), pkts
}

// ingestDarknet writes the packets to a capture (see
// testcapture.WriteDarknet) and returns the dataset of its ingest.
func ingestDarknet(t *testing.T, pkts []testcapture.DarknetPacket) *dataset.Dataset {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "scan.pcap")
	testcapture.WriteDarknet(t, path, pkts)
	ds, err := dataset.OpenWrite(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	if _, err := ingest.Run(context.Background(), ds, []string{path}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	return ds
}
