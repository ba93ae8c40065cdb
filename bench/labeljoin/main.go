// Command labeljoin measures how fast the engines find the labels of the
// addresses of flows: it writes a year of a synthetic community network
// (users whose addresses change with DHCP leases, a pool of addresses,
// external hosts with organisations by prefix, scanners) as a dataset
// with its labels, then times on DuckDB, and on ClickHouse with -engine,
// the flows with no labels, the users of both ends of every flow found
// through label_spans (labels.Attach), the same by a range join (DuckDB
// only, for comparison), and the analyses local_external and
// organisations.
//
//	go run ./bench/labeljoin -flows 10000000 -users 500 -dir /tmp/lj
//	go run ./bench/labeljoin -dir /tmp/lj -reuse -engine clickhouse://127.0.0.1:9000/lj
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/schema"
)

func main() {
	nFlows := flag.Int("flows", 10_000_000, "flows to write")
	nUsers := flag.Int("users", 500, "users, each with DHCP leases of 1 to 14 days")
	nHosts := flag.Int("hosts", 100_000, "external hosts")
	nOrgs := flag.Int("orgs", 5000, "organisation prefixes (/24) among the external hosts")
	dir := flag.String("dir", "", "directory of the dataset (required)")
	reuse := flag.Bool("reuse", false, "use the dataset in -dir as it is")
	engineURL := flag.String("engine", "", "clickhouse://host:port/db: load the dataset there and time it there too")
	naive := flag.Bool("naive", true, "time a range join on DuckDB for comparison")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	dsDir := filepath.Join(*dir, "ds")
	if !*reuse {
		if err := generate(dsDir, *dir, *nFlows, *nUsers, *nHosts, *nOrgs); err != nil {
			fail(err)
		}
	}
	ds, err := dataset.Open(dsDir)
	if err != nil {
		fail(err)
	}
	fmt.Printf("dataset: %d flows, %d labels, %d label spans\n", ds.Rows("flows"), ds.Rows("labels"), ds.Rows("label_spans"))
	duck, err := duckdb.Open(ctx, ds)
	if err != nil {
		fail(err)
	}
	measure(ctx, duck)
	if *naive {
		timeIt("duckdb: users of both ends by range join (IPv4 ranges, lease times)", func() error {
			return count(ctx, duck, naiveSQL)
		})
	}
	duck.Close()
	if *engineURL != "" {
		cfg, err := clickhouse.ParseDSN(*engineURL)
		if err != nil {
			fail(err)
		}
		ch, err := clickhouse.Open(ctx, cfg)
		if err != nil {
			fail(err)
		}
		timeIt("clickhouse: load", func() error { _, err := ch.Load(ctx, ds, nil); return err })
		measure(ctx, ch)
		ch.Close()
	}
	ds.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "labeljoin:", err)
	os.Exit(1)
}

// measure times the queries and analyses on eng.
func measure(ctx context.Context, eng engine.Engine) {
	d := eng.Dialect()
	name := eng.Name()
	timeIt(name+": flows, no labels (sum of bytes)", func() error {
		return count(ctx, eng, "SELECT sum(bytes_a_to_b + bytes_b_to_a) FROM flows")
	})
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		fail(err)
	}
	timeIt(name+": users of both ends of every flow (label_spans)", func() error {
		var blocks [2]string
		for i, end := range []string{"a", "b"} {
			rel, err := env.Kept(ctx, labels.Blocks(d, labels.User, "SELECT "+end+" AS addr FROM flows"))
			if err != nil {
				return err
			}
			blocks[i] = rel
		}
		base := "(SELECT a, b, " + d.EpochNs("start") + " AS ts FROM flows)"
		q := labels.AttachBlocks(base, []string{"a", "b", "ts"}, labels.User, "a", "ts", "ua", blocks[0])
		q = labels.AttachBlocks("("+q+")", []string{"a", "b", "ts", "ua"}, labels.User, "b", "ts", "ub", blocks[1])
		return count(ctx, eng, "SELECT count(*), sum(CASE WHEN ua <> '' THEN 1 ELSE 0 END), sum(CASE WHEN ub <> '' THEN 1 ELSE 0 END) FROM ("+q+") AS x")
	})
	for _, n := range []string{"local_external", "anomalies", "p2p", "organisations", "unanswered"} {
		a, _ := catalog.ByName(n)
		timeIt(name+": analysis "+n, func() error { _, err := analysis.Run(ctx, a, env, nil); return err })
	}
}

// count runs q and reads its first row.
func count(ctx context.Context, eng engine.Engine, q string) error {
	rows, err := eng.Query(ctx, q)
	if err != nil {
		return err
	}
	t, err := engine.Collect(rows, 1)
	if err != nil {
		return err
	}
	fmt.Printf("    %v\n", t.Rows)
	return nil
}

func timeIt(what string, f func() error) {
	start := time.Now()
	if err := f(); err != nil {
		fail(fmt.Errorf("%s: %w", what, err))
	}
	fmt.Printf("%-75s %8.2f s\n", what, time.Since(start).Seconds())
}

// naiveSQL finds the users of both ends with range joins on the IPv4
// address as an integer and the lease times, as one would with DuckDB's
// inequality joins: the comparison the equality joins of label_spans are
// measured against.
const naiveSQL = `WITH r AS (
	SELECT label, CAST(split_part(address, '.', 1) AS UBIGINT) * 16777216 + CAST(split_part(address, '.', 2) AS UBIGINT) * 65536
		+ CAST(split_part(address, '.', 3) AS UBIGINT) * 256 + CAST(split_part(split_part(address, '/', 1), '.', 4) AS UBIGINT) AS lo,
		coalesce(epoch_ns(valid_from), -9223372036854775807) AS vf, coalesce(epoch_ns(valid_to), 9223372036854775807) AS vt
	FROM labels WHERE kind = 'user' AND address NOT LIKE '%/%' AND address NOT LIKE '%:%'
), f AS (
	SELECT flow_id, epoch_ns(start) AS ts,
		CASE WHEN a LIKE '%:%' THEN NULL ELSE CAST(split_part(a, '.', 1) AS UBIGINT) * 16777216 + CAST(split_part(a, '.', 2) AS UBIGINT) * 65536 + CAST(split_part(a, '.', 3) AS UBIGINT) * 256 + CAST(split_part(a, '.', 4) AS UBIGINT) END AS an,
		CASE WHEN b LIKE '%:%' THEN NULL ELSE CAST(split_part(b, '.', 1) AS UBIGINT) * 16777216 + CAST(split_part(b, '.', 2) AS UBIGINT) * 65536 + CAST(split_part(b, '.', 3) AS UBIGINT) * 256 + CAST(split_part(b, '.', 4) AS UBIGINT) END AS bn
	FROM flows
)
SELECT count(*), count(ra.label), count(rb.label) FROM f
	LEFT JOIN r AS ra ON f.an >= ra.lo AND f.an <= ra.lo AND f.ts >= ra.vf AND f.ts < ra.vt
	LEFT JOIN r AS rb ON f.bn >= rb.lo AND f.bn <= rb.lo AND f.ts >= rb.vf AND f.ts < rb.vt`

// lease is an address of a user for a time.
type lease struct {
	addr     netip.Addr
	from, to int64
}

// generate writes the network's flows and labels into a new dataset.
func generate(dsDir, dir string, nFlows, nUsers, nHosts, nOrgs int) error {
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	year := int64(365 * 24 * time.Hour)
	day := int64(24 * time.Hour)
	pool := func() netip.Addr { return netip.AddrFrom4([4]byte{10, 64, byte(r.IntN(256)), byte(r.IntN(256))}) }

	// Users and their leases; the labels file lists them.
	leases := make([][]lease, nUsers)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	uf, err := os.Create(filepath.Join(dir, "users.csv"))
	if err != nil {
		return err
	}
	fmt.Fprintln(uf, "address,user,from,to")
	for u := range leases {
		for t := t0; t < t0+year; {
			end := t + (1+r.Int64N(14))*day
			l := lease{pool(), t, end}
			leases[u] = append(leases[u], l)
			fmt.Fprintf(uf, "%s,user%04d,%s,%s\n", l.addr, u, time.Unix(0, t).UTC().Format(time.RFC3339), time.Unix(0, end).UTC().Format(time.RFC3339))
			t = end
		}
	}
	if err := uf.Close(); err != nil {
		return err
	}
	at := func(u int, t int64) netip.Addr {
		ls := leases[u]
		i := sort.Search(len(ls), func(i int) bool { return ls[i].to > t })
		return ls[min(i, len(ls)-1)].addr
	}
	hosts := make([]netip.Addr, nHosts)
	for i := range hosts {
		if i%10 == 9 {
			hosts[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)})
			continue
		}
		hosts[i] = netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)})
	}
	of, err := os.Create(filepath.Join(dir, "orgs.csv"))
	if err != nil {
		return err
	}
	fmt.Fprintln(of, "prefix,org")
	for i := range nOrgs {
		fmt.Fprintf(of, "198.%d.%d.0/24,org%d\n", 18+i%2, r.IntN(256), i%700)
	}
	if err := of.Close(); err != nil {
		return err
	}

	ds, err := dataset.OpenWrite(dsDir)
	if err != nil {
		return err
	}
	tx, err := ds.Begin("bench", nil)
	if err != nil {
		return err
	}
	w, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		return err
	}
	batch := make([]schema.Flow, 0, 1<<16)
	start := time.Now()
	// Times in order, as a capture or a log gives them: the writer keeps
	// a few days open at once.
	times := make([]int64, nFlows)
	for i := range times {
		times[i] = t0 + r.Int64N(year)
	}
	slices.Sort(times)
	for i, ts := range times {
		f := schema.Flow{FlowID: int64(tx.ID())<<40 | int64(i+1), Start: ts, End: ts + 1e9, Duration: 1, Proto: 6, IPVersion: 4,
			APort: uint16(30000 + r.IntN(30000)), BPort: 443, BytesAToB: uint64(r.IntN(5000)), BytesBToA: uint64(r.IntN(500000)), State: "SF", Answered: true}
		switch k := r.IntN(10); {
		case k < 7: // a user to a host
			f.A, f.B = at(r.IntN(nUsers), ts).String(), hosts[r.IntN(nHosts)].String()
		case k < 8: // user to user
			f.A, f.B, f.BPort = at(r.IntN(nUsers), ts).String(), at(r.IntN(nUsers), ts).String(), 8000
		case k < 9: // a host to the pool: often no user there
			f.A, f.B, f.Proto, f.BPort = hosts[r.IntN(nHosts)].String(), pool().String(), 17, 3478
		default: // scanners
			f.A, f.B, f.Proto, f.BPort, f.BytesBToA, f.State, f.Answered = fmt.Sprintf("192.0.2.%d", r.IntN(50)), pool().String(), 17, 1900, 0, "S0", false
		}
		if f.B[0] != '1' || f.B[1] == '9' {
			f.IPVersion = 6
		}
		if len(f.B) > 0 && f.B[0] == '2' {
			f.IPVersion = 6
		}
		f.ALocal, f.BLocal = f.A[:3] == "10.", f.B[:3] == "10."
		batch = append(batch, f)
		if len(batch) == cap(batch) {
			if err := w.Write(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := w.Write(batch); err != nil {
		return err
	}
	tx.AddInput(dataset.Input{ID: "b0b0b0b0b0b0b0b0", Name: "synthetic", SHA256: "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", Size: 1, Frames: uint64(nFlows)})
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Printf("wrote %d flows in %.1f s\n", nFlows, time.Since(start).Seconds())
	for kind, file := range map[string]string{labels.User: "users.csv", labels.Org: "orgs.csv"} {
		start := time.Now()
		res, err := labels.Load(ds, "bench", kind, []string{filepath.Join(dir, file)}, true)
		if err != nil {
			return err
		}
		fmt.Printf("loaded %d %s labels (%d spans) in %.1f s\n", res.Labels, kind, res.Spans, time.Since(start).Seconds())
	}
	return nil
}
