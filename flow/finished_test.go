package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

// TestFinishedRows checks that the flows NewFinished hands over make, with
// a RowMaker of the same Config, the rows New emits, in the same order,
// with short timeouts, a small memory budget and users too.
func TestFinishedRows(t *testing.T) {
	users := DefaultConfig()
	users.LocalNets = []netip.Prefix{netip.MustParsePrefix("141.142.0.0/16")}
	users.Users = []User{{Prefix: netip.MustParsePrefix("141.142.228.5/32"), ID: "alice"}, {Prefix: netip.MustParsePrefix("192.150.187.0/24")}}
	short := DefaultConfig()
	short.IdleTCP, short.IdleUDP, short.IdleOther, short.Active = time.Second, time.Second, time.Second, 2*time.Second
	small := DefaultConfig()
	small.Memory = 3 * EntryBytes
	captures := []string{"http_get.pcap", "irc-dcc-send.pcapng", "ipv6-fragmented-dns.pcap", "tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap", "ipv4_fragmented-3.pcap"}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"default", DefaultConfig()}, {"users", users}, {"short timeouts", short}, {"small budget", small}} {
		for _, c := range captures {
			t.Run(tc.name+"/"+c, func(t *testing.T) {
				pkts := readCapture(t, c)
				want, wantIDs := assemble(tc.cfg, pkts)
				rm := NewRowMaker(tc.cfg)
				var got []schema.Flow
				a := NewFinished(tc.cfg, 1, func(f *Finished) {
					var row schema.Flow
					rm.Row(f, &row)
					if row.FlowID != f.ID() {
						t.Errorf("row of flow %d has id %d", f.ID(), row.FlowID)
					}
					got = append(got, row)
				})
				for i := range pkts {
					p, m := pkts[i].p, pkts[i].m
					a.Add(&p, &m)
					if p.FlowID != wantIDs[i] {
						t.Errorf("packet %d: flow id %d, want %d", i+1, p.FlowID, wantIDs[i])
					}
				}
				a.Flush()
				if len(want) == 0 {
					t.Fatal("no flows")
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("rows (-New +NewFinished):\n%s", diff)
				}
			})
		}
	}
}
