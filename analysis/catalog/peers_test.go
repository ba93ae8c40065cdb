package catalog

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
)

// genMsg is one message of the generated node log.
type genMsg struct {
	ts                   time.Time
	id                   int
	addr, conn, dir, typ string
	payload              int
}

// genPeer is one connection of the generated node.
type genPeer struct {
	id         int
	addr, conn string
	start      time.Time
	dur        time.Duration
	mapped     bool // listed in the connection map
	pongy      bool // mostly pong: a spy
}

// peerLog generates a node's tracepoint log of three days and a
// connection map for some of its peers, writes both and returns them.
func peerLog(t *testing.T, dir string) ([]genPeer, []genMsg) {
	r := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2025, 1, 22, 0, 0, 0, 0, time.UTC)
	var peers []genPeer
	types := []string{"inbound", "inbound", "inbound", "outbound-full-relay", "block-relay-only", "feeler"}
	for i := range 40 {
		p := genPeer{id: i, conn: types[r.IntN(len(types))], start: t0.Add(time.Duration(r.IntN(48*3600)) * time.Second), mapped: i%3 != 0}
		switch {
		case i%5 == 0:
			p.addr = fmt.Sprintf("[2001:db8:%x::%d]:8333", i%4, i)
		case i%7 == 0:
			p.addr = fmt.Sprintf("peer%dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion:8333", i)
		default:
			p.addr = fmt.Sprintf("198.51.%d.%d:8333", i%3, 10+i%6) // shared hosts: returning peers
		}
		p.dur = time.Duration(r.IntN(5*3600)) * time.Second
		if p.conn == "feeler" {
			p.dur = 30 * time.Second
		}
		p.pongy = p.conn == "inbound" && i%2 == 0
		peers = append(peers, p)
	}
	var msgs []genMsg
	for _, p := range peers {
		n := 5 + r.IntN(60)
		for k := range n {
			at := p.start
			if n > 1 {
				at = p.start.Add(p.dur * time.Duration(k) / time.Duration(n-1))
			}
			typ, size := "inv", 37*(1+r.IntN(40))
			switch x := r.IntN(10); {
			case p.pongy && x < 8:
				typ, size = "pong", 8
			case x == 0:
				typ, size = "ping", 8
			case x == 1:
				typ, size = "block", 200000+r.IntN(2000000)
			case x == 2:
				typ, size = "tx", 200+r.IntN(2000)
			case x == 3:
				typ, size = "getdata", 37
			case x == 4:
				typ, size = "verack", 0
			}
			dir := []string{"in", "out"}[r.IntN(2)]
			msgs = append(msgs, genMsg{at, p.id, p.addr, p.conn, dir, typ, size})
		}
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].ts.Before(msgs[j].ts) })
	var b strings.Builder
	b.WriteString("timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n")
	for _, m := range msgs {
		fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%s,%d\n", m.ts.Format("2006-01-02 15:04:05.000000-07:00"), m.id, m.addr, m.conn, m.dir, m.typ, m.payload)
	}
	if err := os.WriteFile(filepath.Join(dir, "msgs.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	b.WriteString(",peer_id,peer_addr,connection_time,peer_conn_type\n")
	for i, p := range peers {
		if p.mapped {
			d := p.dur
			fmt.Fprintf(&b, "%d,%d,%s,%d days %02d:%02d:%02d,%s\n", i, p.id, p.addr, int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60, int(d.Seconds())%60, p.conn)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "id-addr-mapping.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return peers, msgs
}

// seedTCPIP is the seed's estimate, written as its notebook computes it.
func seedTCPIP(size int, addr string) float64 {
	ip := 20.0
	if strings.Contains(addr, "[") {
		ip = 40
	}
	headers := ip + 32
	segments := math.Ceil(float64(size) / (1500 - ip - 32))
	return float64(size) + segments*headers + segments/2*headers
}

// TestPeerAnalyses runs the analyses of a node's log on a generated log
// and compares them with the seed's computations, written here again
// over the generated messages: daily traffic per peer, message shares of
// inbound peers and their order, suspicious peers counted by host.
func TestPeerAnalyses(t *testing.T) {
	dir := t.TempDir()
	peers, msgs := peerLog(t, dir)
	ds, err := dataset.OpenWrite(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ds, []string{filepath.Join(dir, "msgs.csv"), filepath.Join(dir, "id-addr-mapping.csv")}, ingest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int]genPeer{}
	span := map[int][2]time.Time{}
	for _, p := range peers {
		byID[p.id] = p
	}
	for _, m := range msgs {
		s, ok := span[m.id]
		if !ok {
			s = [2]time.Time{m.ts, m.ts}
		}
		if m.ts.Before(s[0]) {
			s[0] = m.ts
		}
		if m.ts.After(s[1]) {
			s[1] = m.ts
		}
		span[m.id] = s
	}
	// The duration the analyses see: the map's, else the messages' span.
	dur := func(id int) time.Duration {
		p := byID[id]
		if p.mapped {
			return p.dur
		}
		return span[id][1].Sub(span[id][0])
	}
	for _, estimate := range []string{"message", "seed"} {
		size := func(m genMsg) float64 {
			if estimate == "seed" {
				return seedTCPIP(m.payload, m.addr)
			}
			return seedTCPIP(m.payload+24, m.addr)
		}
		t.Run("peer_traffic/"+estimate, func(t *testing.T) {
			want := map[string]float64{}
			for _, m := range msgs {
				if dur(m.id) > time.Hour {
					want[fmt.Sprintf("%s %d-%s %s", m.ts.Format("2006-01-02"), m.id, m.addr, m.conn)] += size(m)
				}
			}
			res := run(t, env, peerTraffic{}, map[string]string{"estimate": estimate})
			got := map[string]float64{}
			for _, r := range res.Tables[0].Rows {
				got[fmt.Sprintf("%s %s %s", r[0].(time.Time).Format("2006-01-02"), r[1], r[2])] = float64(analysis.AsInt(r[3]))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("daily bytes per peer (-seed +netlens):\n%s", diff)
			}
		})
		t.Run("message_share/"+estimate, func(t *testing.T) {
			bytes := map[int]map[string]float64{}
			for _, m := range msgs {
				if m.conn == "inbound" && m.dir == "in" && dur(m.id) >= time.Hour {
					if bytes[m.id] == nil {
						bytes[m.id] = map[string]float64{}
					}
					bytes[m.id][m.typ] += size(m)
				}
			}
			share := func(id int, typ string) float64 {
				var tot float64
				for _, b := range bytes[id] {
					tot += b
				}
				return bytes[id][typ] / tot
			}
			var ids []int
			for id := range bytes {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool {
				a, b := ids[i], ids[j]
				if share(a, "pong") != share(b, "pong") {
					return share(a, "pong") > share(b, "pong")
				}
				if share(a, "ping") != share(b, "ping") {
					return share(a, "ping") > share(b, "ping")
				}
				return a < b
			})
			var want, got []string
			for _, id := range ids {
				var typs []string
				for typ := range bytes[id] {
					typs = append(typs, typ)
				}
				sort.Strings(typs)
				for _, typ := range typs {
					want = append(want, fmt.Sprintf("%d %s %s %.0f %.12f", id, byID[id].addr, typ, bytes[id][typ], share(id, typ)))
				}
			}
			res := run(t, env, messageShare{}, map[string]string{"estimate": estimate})
			for _, r := range res.Tables[0].Rows {
				got = append(got, fmt.Sprintf("%d %s %s %d %.12f", analysis.AsInt(r[0]), r[1], r[2], analysis.AsInt(r[3]), analysis.AsFloat(r[4])))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("shares (-seed +netlens):\n%s", diff)
			}
			// suspicious peers: pong share over 0.5, counted by host.
			wantIPs := map[string]int64{}
			for _, id := range ids {
				if share(id, "pong") > 0.5 {
					a := byID[id].addr
					ip := strings.Split(a, ":")[0]
					if strings.Contains(a, "[") {
						ip = strings.Split(strings.Split(a, "[")[1], "]")[0]
					}
					wantIPs[ip]++
				}
			}
			if len(wantIPs) == 0 {
				t.Fatal("no suspicious peers generated")
			}
			res = run(t, env, suspiciousPeers{}, map[string]string{"estimate": estimate})
			gotIPs := map[string]int64{}
			for _, r := range res.Tables[1].Rows {
				gotIPs[analysis.AsString(r[0])] = analysis.AsInt(r[1])
			}
			if diff := cmp.Diff(wantIPs, gotIPs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("suspicious hosts (-seed +netlens):\n%s", diff)
			}
		})
	}
	for _, a := range []analysis.Analysis{connTypeTraffic{}, estimateCheck{}} {
		res := run(t, env, a, nil)
		if a.Meta().Name == "conn_type_traffic" && len(res.Tables[0].Rows) == 0 {
			t.Errorf("conn_type_traffic: no rows")
		}
	}
}

func run(t *testing.T, env *analysis.Env, a analysis.Analysis, s map[string]string) *analysis.Result {
	t.Helper()
	res, err := analysis.Run(context.Background(), a, env, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
