package catalog

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
)

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
	return ds, pkts
}
