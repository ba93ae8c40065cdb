package catalog

import (
	"context"
	"fmt"
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

// TestPPStatsWhole: the packets and senders per port/proto pair of the
// whole dataset, where a sender of one pair counts from the senders' kept
// sums and only the packets of the others are grouped by pair and sender
// (or, when those sent most packets, every packet), are those of the same
// packets named by from and to, which the engine groups by pair and
// sender: on one day and over three days, with a few senders of several
// pairs, with none, and with most packets theirs.
func TestPPStatsWhole(t *testing.T) {
	// Senders of one packet each, and of several to one pair; mixed
	// senders of several pairs and protocols, sending every packet of
	// the last case.
	gen := func(days, mixed int, mixedMost bool) []testcapture.DarknetPacket {
		var pkts []testcapture.DarknetPacket
		at := testcapture.DarknetStart
		step := time.Duration(days) * 24 * time.Hour / 1200
		for i := range 1000 {
			at = at.Add(step)
			proto := []uint8{6, 6, 17, 1, 47}[i%5]
			port := uint16(20 + i%7)
			if proto == 1 || proto == 47 {
				port = 0
			}
			pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("10.%d.%d.1", i/200, i%200), Dport: port, Proto: proto})
			if i%10 == 0 {
				pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("192.0.2.%d", i%4), Dport: 445, Proto: 6})
			}
			for m := range mixed {
				if mixedMost || i%(20+m) == 0 {
					pkts = append(pkts, testcapture.DarknetPacket{TS: at, Src: fmt.Sprintf("198.51.100.%d", m),
						Dport: []uint16{23, 445, 53}[(i+m)%3], Proto: []uint8{6, 6, 17}[(i+m)%3]})
				}
			}
		}
		return pkts
	}
	tests := []struct {
		name string
		pkts []testcapture.DarknetPacket
	}{
		{"one day, a few of several pairs", gen(1, 3, false)},
		{"one day, one pair each", gen(1, 0, false)},
		{"three days, a few of several pairs", gen(3, 3, false)},
		{"three days, most packets of several pairs", gen(3, 3, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := duckdbEnv(t, ingestDarknet(t, tt.pkts))
			a, _ := ByName("darknet_stats")
			for _, tz := range []string{"UTC", "Europe/Rome"} {
				loc, err := time.LoadLocation(tz)
				if err != nil {
					t.Fatal(err)
				}
				first, last := tt.pkts[0].TS, tt.pkts[len(tt.pkts)-1].TS
				ranges := map[string]dnRange{}
				for name, set := range map[string]map[string]string{
					"whole":  {"tz": tz},
					"ranged": {"tz": tz, "from": first.In(loc).Format(time.DateOnly), "to": last.In(loc).Format(time.DateOnly)},
				} {
					v, err := analysis.ParseValues(a.Meta().Params, set)
					if err != nil {
						t.Fatal(err)
					}
					if ranges[name], err = darknetRange(context.Background(), env, v); err != nil {
						t.Fatal(err)
					}
				}
				if !ranges["whole"].whole || ranges["ranged"].whole {
					t.Fatalf("ranges: whole %v, ranged %v", ranges["whole"].whole, ranges["ranged"].whole)
				}
				rows := map[string][][]int64{}
				for name, r := range ranges {
					tab, err := ppStats(context.Background(), env, r)
					if err != nil {
						t.Fatal(err)
					}
					for _, row := range tab.Rows {
						ints := make([]int64, len(row))
						for i, x := range row {
							ints[i] = analysis.AsInt(x)
						}
						rows[name] = append(rows[name], ints)
					}
				}
				if len(rows["ranged"]) < 8 {
					t.Fatalf("%s: %d pairs", tz, len(rows["ranged"]))
				}
				if diff := gocmp.Diff(rows["ranged"], rows["whole"]); diff != "" {
					t.Errorf("%s: pairs (-ranged +whole):\n%s", tz, diff)
				}
			}
		})
	}
}
