package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/internal/testflows"
	"github.com/netlens/netlens/schema"
)

// TestUnicast: unicast keeps the addresses that are neither multicast
// nor the IPv4 broadcast address, as a test of each first octet from 224
// to 239 does, on DuckDB and on ClickHouse, whatever else the text holds.
func TestUnicast(t *testing.T) {
	// What unicast stands for: no prefix ff, 224. to 239., and not
	// 255.255.255.255.
	want := func(s string) bool {
		if s == "255.255.255.255" || strings.HasPrefix(s, "ff") {
			return false
		}
		for o := 224; o <= 239; o++ {
			if strings.HasPrefix(s, fmt.Sprintf("%d.", o)) {
				return false
			}
		}
		return true
	}
	addrs := []string{
		"224.0.0.1", "224.", "229.255.0.1", "230.1.2.3", "239.255.255.250", "232.0.0.1",
		"223.255.255.255", "240.0.0.1", "22.1.2.3", "23.1.2.3", "2.2.2.2", "24.0.0.1",
		"220.1.1.1", "22:.1", "23:.1", "22a.1.1.1", "2245::1", "2300::1", "2240.1", "22.4.1.1",
		"2é.1", "22é.1", "ff02::1", "fe80::1", "255.255.255.255", "255.255.255.254", "", "2", "224", "2001:db8::1",
	}
	ctx := context.Background()
	engines := map[string]func(t *testing.T) engine.Engine{
		"duckdb": func(t *testing.T) engine.Engine {
			ds, err := dataset.OpenWrite(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ds.Close() })
			e, err := duckdb.Open(ctx, ds)
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
		"clickhouse": func(t *testing.T) engine.Engine {
			cfg, err := clickhouse.ParseDSN(testenv.ClickHouse(t))
			if err != nil {
				t.Fatal(err)
			}
			e, err := clickhouse.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
	}
	for _, name := range []string{"duckdb", "clickhouse"} {
		t.Run(name, func(t *testing.T) {
			eng := engines[name](t)
			defer eng.Close()
			for _, a := range addrs {
				rows, err := eng.Query(ctx, "SELECT CASE WHEN "+unicast("'"+a+"'")+" THEN 1 ELSE 0 END")
				if err != nil {
					t.Fatal(err)
				}
				tab, err := engine.Collect(rows, -1)
				if err != nil {
					t.Fatal(err)
				}
				if got := analysis.AsInt(tab.Rows[0][0]) == 1; got != want(a) {
					t.Errorf("unicast(%q) = %v, want %v", a, got, want(a))
				}
			}
		})
	}
}

// TestUnansweredByKind: the summary by kind of request adds up the
// requests of each kind, on DuckDB and on ClickHouse, whether each host's
// service is of one kind (the sums per host and service are added up) or
// a host's service names requests of two kinds (a log's "dns" over TCP
// and over UDP: the requests are added up themselves).
func TestUnansweredByKind(t *testing.T) {
	base := testflows.Generate(1)
	mixed := *base
	mixed.Flows = slices.Clone(base.Flows)
	for _, f := range []schema.Flow{
		{A: "10.1.0.12", B: "10.9.0.53", Proto: 6, APort: 41000, BPort: 53, Service: "dns", State: "S0"},
		{A: "10.1.0.12", B: "10.9.0.53", Proto: 17, APort: 41001, BPort: 53, Service: "dns", State: "SF", PktsAToB: 1, PktsBToA: 1},
		{A: "10.1.0.12", B: "10.9.0.54", Proto: 17, APort: 41002, BPort: 53, Service: "dns", State: "S0", PktsAToB: 1},
	} {
		f.FlowID = int64(len(mixed.Flows) + 1)
		f.IPVersion = 4
		f.Start = base.Flows[0].Start
		f.End = f.Start + int64(time.Second)
		mixed.Flows = append(mixed.Flows, f)
	}
	// What the summary stands for: each request's kind and answer.
	want := func(net *testflows.Network) []string {
		var sums [4][3]int
		for _, f := range net.Flows {
			if f.B == "239.255.255.250" {
				answered := 0
				for _, g := range net.Flows {
					if g.APort == 1900 && g.B == f.A && g.BPort == f.APort && g.Start >= f.Start && g.Start <= f.Start+int64(6*time.Second) {
						answered = 1
					}
				}
				if answered == 1 {
					sums[3][0]++
				} else {
					sums[3][1]++
				}
				continue
			}
			if (f.Proto != 6 && f.Proto != 17) || strings.HasPrefix(f.B, "239.") || strings.HasPrefix(f.B, "ff") || f.Proto == 17 && f.APort == 1900 {
				continue
			}
			kind := 2
			switch {
			case f.Proto == 6:
				kind = 0
			case f.BPort == 53:
				kind = 1
			}
			switch {
			case f.Proto == 6 && f.State == "S0", f.Proto == 17 && f.PktsBToA == 0:
				sums[kind][1]++
			case f.Proto == 6 && f.State == "REJ":
				sums[kind][2]++
			default:
				sums[kind][0]++
			}
		}
		var out []string
		for i, name := range []string{"TCP connection attempts", "DNS queries", "other UDP", "SSDP M-SEARCH to the multicast group"} {
			s := sums[i]
			req := s[0] + s[1] + s[2]
			share := "NULL"
			if req > 0 {
				share = fmt.Sprintf("%.6g", float64(s[0])/float64(req))
			}
			out = append(out, fmt.Sprintf("%s|%d|%d|%d|%d|%s", name, req, s[0], s[1], s[2], share))
		}
		return out
	}
	for _, c := range []struct {
		name string
		net  *testflows.Network
	}{{"one kind each", base}, {"two kinds of dns", &mixed}} {
		ds := c.net.Dataset(t, t.TempDir())
		w := want(c.net)
		for _, name := range scanEngines[:2] {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				env := engineEnv(t, ds, name)
				a, _ := ByName("unanswered")
				res, err := analysis.Run(context.Background(), a, env, nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(w, table(t, res, "unanswered_summary")); diff != "" {
					t.Errorf("unanswered_summary (-want +got):\n%s", diff)
				}
			})
		}
	}
}
