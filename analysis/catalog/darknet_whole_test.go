package catalog

import (
	"maps"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/internal/testcapture"
)

// TestDarknetWholeRange checks that the analyses of the darknet group give
// the same tables over the whole dataset, where they read the senders'
// sums the engine keeps, as over the same packets named by from and to,
// where they count from the packets: on a capture of one day (its senders
// summed at once) and on the five days of the generated telescope (per
// sender and day first).
func TestDarknetWholeRange(t *testing.T) {
	ds, pkts := smallScan(t)
	oneDay := duckdbEnv(t, ds)
	telescope, telescopePkts := darknetEnv(t)
	tests := []struct {
		name string
		env  *analysis.Env
		pkts []testcapture.DarknetPacket
		set  map[string]string
	}{
		{"one day", oneDay, pkts, nil},
		{"one day, Rome", oneDay, pkts, map[string]string{"tz": "Europe/Rome"}},
		{"one day, 3 packets", oneDay, pkts, map[string]string{"min_pkts": "3"}},
		{"one day, window of an hour", oneDay, pkts, map[string]string{"min_pkts": "2", "window": "1h"}},
		{"telescope", telescope, telescopePkts, nil},
		{"telescope, Rome", telescope, telescopePkts, map[string]string{"tz": "Europe/Rome"}},
		{"telescope, window of 2 days", telescope, telescopePkts, map[string]string{"min_pkts": "3", "window": "2d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first and last days of the packets, in tz.
			loc, err := time.LoadLocation(settingParam(tt.set, "tz", "UTC"))
			if err != nil {
				t.Fatal(err)
			}
			first, last := tt.pkts[0].TS, tt.pkts[0].TS
			for _, p := range tt.pkts {
				if p.TS.Before(first) {
					first = p.TS
				}
				if p.TS.After(last) {
					last = p.TS
				}
			}
			ranged := maps.Clone(tt.set)
			if ranged == nil {
				ranged = map[string]string{}
			}
			ranged["from"], ranged["to"] = first.In(loc).Format(time.DateOnly), last.In(loc).Format(time.DateOnly)
			for _, name := range []string{"darknet_stats", "port_rank", "sender_filter", "daily_senders", "activity", "classes", "class_services"} {
				whole := runDarknet(t, tt.env, name, tt.set)
				want := runDarknet(t, tt.env, name, ranged)
				if len(whole.Tables) != len(want.Tables) {
					t.Fatalf("%s: %d tables over the whole dataset, %d over its days", name, len(whole.Tables), len(want.Tables))
				}
				for i, tab := range want.Tables {
					if diff := gocmp.Diff(tab.Rows, whole.Tables[i].Rows); diff != "" {
						t.Errorf("%s: table %s over the whole dataset (-days +whole):\n%s", name, tab.Name, diff)
					}
				}
			}
		})
	}
}
