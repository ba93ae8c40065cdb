// Package testflows generates a small community network for tests: three
// weeks of flows between users whose addresses change (DHCP leases), local
// servers, named external hosts and scanners, the label files that
// describe it (users with lease times, organisations and categories of
// prefixes and domains), and the truth of every flow: the users of its
// ends and the organisation and category of its far end, as the
// generator's own model says, without the labels package or any SQL.
//
// Only tests import testflows.
package testflows

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// Start is the first day of the network's flows, a Wednesday, so that the
// first week bin starts before it; Days is how many days it runs.
var (
	Start = time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	Days  = 21
)

// LocalNets are the network's own prefixes: a_local and b_local.
var LocalNets = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:100::/48")}

// Truth is what the generator knows of a flow.
type Truth struct {
	UserA, UserB string // the users of a and b at the flow's start; "" for none
	// Org and Category are those of the far end of a flow with exactly
	// one user end (the other end); for other flows, those of b.
	Org, Category string
}

// Network is a generated network.
type Network struct {
	Flows  []schema.Flow // flow ids from 1
	Truth  []Truth       // of each flow
	Labels map[string]string
	// DayOff are days without flows of no user: their anomalies are zero.
	DayOff []time.Time
}

// lease gives an address (or prefix) to a user for a time.
type lease struct {
	prefix   netip.Prefix
	user     string
	from, to int64 // 0: unbounded
}

// host is an external host.
type host struct {
	addr     string
	name     string
	org, cat string // what its labels or name make of it
}

var hosts = []host{
	{"198.51.100.1", "video1.cdn.example.com", "ExampleCDN", "video"},
	{"198.51.100.2", "video2.cdn.example.com", "ExampleCDN", "video"},
	{"198.51.100.20", "www.example.org", "example.org", "web"},
	{"198.51.100.21", "api.social.example.net", "SocialCo", "social"},
	{"198.51.100.22", "shop.example.co.uk", "example.co.uk", "unknown"},
	{"198.51.100.30", "x.evil.example", "evil.example", `<img src=x onerror=alert(1)>`},
	{"203.0.113.5", "", "unknown", "hosting"},
	{"2001:db8:ffff::80", "v6.example.org", "example.org", "web"},
}

// Label files: the organisations and categories of the hosts above, by
// prefix, address and domain.
const (
	orgCSV = "prefix_or_domain,org\n" +
		"198.51.100.0/29,ExampleCDN\n" +
		"social.example.net,SocialCo\n"
	categoryCSV = "domain,category\n" +
		"cdn.example.com,video\n" +
		"example.org,web\n" +
		"example.net,social\n" +
		"evil.example,\"<img src=x onerror=alert(1)>\"\n" +
		"203.0.113.0/24,hosting\n"
)

// Generate returns the network of seed.
func Generate(seed uint64) *Network {
	r := rand.New(rand.NewPCG(seed, 1))
	t0 := Start.UnixNano()
	day := int64(24 * time.Hour)

	// Users: six with a lease that changes once, at 13:37 of a day of
	// their own, one on IPv6, one household on a /30, and a guest pool
	// (the /24) in the third week only, which the longer prefixes beat.
	var leases []lease
	users := []string{}
	for i := 1; i <= 6; i++ {
		u := fmt.Sprintf("u%02d", i)
		change := t0 + int64(2+2*i)*day + int64(13*time.Hour+37*time.Minute)
		leases = append(leases,
			lease{netip.MustParsePrefix(fmt.Sprintf("10.1.0.%d/32", 10+i)), u, 0, change},
			lease{netip.MustParsePrefix(fmt.Sprintf("10.1.0.%d/32", 100+i)), u, change, 0})
		users = append(users, u)
	}
	leases = append(leases,
		lease{netip.MustParsePrefix("2001:db8:100::7/128"), "u07", 0, 0},
		lease{netip.MustParsePrefix("10.1.1.0/30"), "u08", 0, 0},
		lease{netip.MustParsePrefix("10.1.0.0/24"), "guest", t0 + 14*day, t0 + 21*day})
	users = append(users, "u07", "u08")
	var usersCSV strings.Builder
	usersCSV.WriteString("address,user,from,to\n")
	for _, l := range leases {
		fmt.Fprintf(&usersCSV, "%s,%s,%s,%s\n", canonical(l.prefix), l.user, stamp(l.from), stamp(l.to))
	}
	userAt := func(addr string, t int64) string {
		a := netip.MustParseAddr(addr)
		best, bits := "", -1
		for _, l := range leases {
			if l.prefix.Contains(a) && (l.from == 0 || t >= l.from) && (l.to == 0 || t < l.to) && l.prefix.Bits() >= bits {
				best, bits = l.user, l.prefix.Bits()
			}
		}
		return best
	}
	// addrOf is an address of user u at t.
	addrOf := func(u string, t int64) string {
		for _, l := range leases {
			if l.user == u && (l.from == 0 || t >= l.from) && (l.to == 0 || t < l.to) {
				a := l.prefix.Addr()
				if l.prefix.Bits() < a.BitLen() { // a household: one of its addresses
					a = a.Next().Next()
				}
				return a.String()
			}
		}
		panic("no address for " + u)
	}

	n := &Network{Labels: map[string]string{"user": usersCSV.String(), "org": orgCSV, "category": categoryCSV}}
	add := func(f schema.Flow) {
		f.FlowID = int64(len(n.Flows) + 1)
		if f.Proto == 6 || f.Proto == 17 {
			f.Service = services.Lookup(f.Proto, f.BPort)
		}
		f.IPVersion = 4
		if strings.Contains(f.A, ":") {
			f.IPVersion = 6
		}
		f.PktsAToB, f.PktsBToA = pkts(f.BytesAToB), pkts(f.BytesBToA)
		f.Answered = f.PktsBToA > 0
		if f.State == "" {
			switch {
			case f.Proto != 6 && f.Proto != 17:
				f.State = "OTH"
			case f.Answered:
				f.State = "SF"
			default:
				f.State = "S0"
			}
		}
		f.End = f.Start + int64(time.Second)
		f.Duration = 1
		f.ALocal, f.BLocal = local(f.A), local(f.B)
		tr := Truth{UserA: userAt(f.A, f.Start), UserB: userAt(f.B, f.Start)}
		far := f.B
		if tr.UserA == "" && tr.UserB != "" {
			far = f.A
		}
		tr.Org, tr.Category = "unknown", "unknown"
		for _, h := range hosts {
			if h.addr == far {
				tr.Org, tr.Category = h.org, h.cat
			}
		}
		n.Flows = append(n.Flows, f)
		n.Truth = append(n.Truth, tr)
	}
	at := func(d int) int64 { return t0 + int64(d)*day + r.Int64N(day) }
	for d := range Days {
		// Every Monday starts with a flow at 00:00:00 exactly, in the
		// first nanosecond of its week bin.
		if Start.AddDate(0, 0, d).Weekday() == time.Monday {
			add(schema.Flow{Start: t0 + int64(d)*day, A: addrOf("u01", t0+int64(d)*day), B: hosts[0].addr, Proto: 6, APort: 40000, BPort: 443, BytesAToB: 1000, BytesBToA: 50000, Name: hosts[0].name})
		}
		for _, u := range users {
			for range 3 { // to named hosts, and IPv6 users to the IPv6 one
				t := at(d)
				h := hosts[r.IntN(len(hosts)-1)]
				src := addrOf(u, t)
				if strings.Contains(src, ":") {
					h = hosts[len(hosts)-1]
				}
				add(schema.Flow{Start: t, A: src, B: h.addr, Proto: 6, APort: uint16(40000 + r.IntN(20000)), BPort: 443,
					BytesAToB: uint64(200 + r.IntN(5000)), BytesBToA: uint64(1000 + r.IntN(200000)), Name: h.name})
			}
			if t := at(d); !strings.Contains(addrOf(u, t), ":") {
				// To the local servers: the proxy, and DNS, answered or not.
				add(schema.Flow{Start: t, A: addrOf(u, t), B: "10.9.0.1", Proto: 6, APort: uint16(30000 + r.IntN(1000)), BPort: 3128,
					BytesAToB: uint64(500 + r.IntN(3000)), BytesBToA: uint64(2000 + r.IntN(90000))})
				t = at(d)
				back := uint64(0)
				if r.IntN(4) > 0 {
					back = uint64(80 + r.IntN(100))
				}
				add(schema.Flow{Start: t, A: addrOf(u, t), B: "10.9.0.53", Proto: 17, APort: uint16(50000 + r.IntN(1000)), BPort: 53, BytesAToB: 60, BytesBToA: back})
			}
			if r.IntN(2) == 0 { // inbound from a named host: its far end is a
				t := at(d)
				h := hosts[r.IntN(3)]
				add(schema.Flow{Start: t, A: h.addr, B: addrOf(u, t), Proto: 17, APort: 3478, BPort: uint16(60000 + r.IntN(100)),
					BytesAToB: uint64(100 + r.IntN(900)), BytesBToA: uint64(100 + r.IntN(900))})
			}
		}
		// User to user: two pairs talk both ways, u05 probes the others.
		for _, pair := range [][2]string{{"u01", "u02"}, {"u04", "u03"}} {
			if r.IntN(3) == 0 {
				continue
			}
			t := at(d)
			add(schema.Flow{Start: t, A: addrOf(pair[0], t), B: addrOf(pair[1], t), Proto: 6, APort: 50123, BPort: 8000,
				BytesAToB: uint64(1000 + r.IntN(100000)), BytesBToA: uint64(1000 + r.IntN(100000))})
		}
		for _, u := range []string{"u01", "u02", "u08"} {
			t := at(d)
			add(schema.Flow{Start: t, A: addrOf("u05", t), B: addrOf(u, t), Proto: 6, APort: uint16(41000 + r.IntN(100)), BPort: 445, BytesAToB: 60})
		}
		// A one-way flow the other way round: only b sent.
		if d%5 == 0 {
			t := at(d)
			add(schema.Flow{Start: t, A: addrOf("u06", t), B: addrOf("u02", t), Proto: 17, APort: 5000, BPort: 5001, BytesBToA: 300})
		}
		// SSDP M-SEARCH from a user, answered by a device within 2 s or
		// (every third day) only after 10 s.
		{
			t := at(d)
			src, port := addrOf("u03", t), uint16(49000+d)
			add(schema.Flow{Start: t, A: src, B: "239.255.255.250", Proto: 17, APort: port, BPort: 1900, BytesAToB: 150})
			wait := int64(2 * time.Second)
			if d%3 == 0 {
				wait = int64(10 * time.Second)
			}
			add(schema.Flow{Start: t + wait, A: "10.2.0.99", B: src, Proto: 17, APort: 1900, BPort: port, BytesAToB: 300})
		}
		// No user: scanners, and a local server with the outside; none
		// on the days off.
		if d%7 == 4 {
			n.DayOff = append(n.DayOff, Start.AddDate(0, 0, d))
			continue
		}
		for range 1 + r.IntN(3) {
			add(schema.Flow{Start: at(d), A: "192.0.2.66", B: "10.1.0.200", Proto: 17, APort: uint16(1024 + r.IntN(60000)), BPort: 1900, BytesAToB: 120})
		}
		for range 1 + r.IntN(3) {
			add(schema.Flow{Start: at(d), A: "192.0.2.67", B: "10.2.0.201", Proto: 6, APort: uint16(1024 + r.IntN(60000)), BPort: 23, BytesAToB: 40})
		}
		add(schema.Flow{Start: at(d), A: "192.0.2.67", B: "10.2.0.202", Proto: 6, APort: 1999, BPort: 22, BytesAToB: 40, BytesBToA: 40, State: "REJ"})
		add(schema.Flow{Start: at(d), A: "10.9.0.53", B: hosts[2].addr, Proto: 17, APort: 53000, BPort: 53, BytesAToB: 70, BytesBToA: 200, Name: hosts[2].name})
	}
	sort.SliceStable(n.Flows, func(i, j int) bool { return n.Flows[i].Start < n.Flows[j].Start })
	// Truth follows its flow: sort both by the flows' new order.
	byID := make(map[int64]Truth, len(n.Truth))
	for i, tr := range n.Truth {
		byID[int64(i+1)] = tr
	}
	for i := range n.Flows {
		n.Truth[i] = byID[n.Flows[i].FlowID]
		n.Flows[i].FlowID = int64(i + 1)
	}
	return n
}

// pkts is the packets of a direction that carried bytes.
func pkts(bytes uint64) uint64 {
	if bytes == 0 {
		return 0
	}
	return 1 + bytes/1400
}

// local reports whether addr is inside LocalNets.
func local(addr string) bool {
	a := netip.MustParseAddr(addr)
	for _, p := range LocalNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func canonical(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// stamp writes a time of a label file; "" for unbounded.
func stamp(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// Dataset writes the network's flows into a new dataset in dir, as one
// ingest of an input "community" (flow ids with the ingest's id in their
// high bits, as netlens numbers them), and loads its label files of kinds.
func (n *Network) Dataset(t testing.TB, dir string, kinds ...string) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.OpenWrite(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ds.Begin("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		t.Fatal(err)
	}
	flows := slices.Clone(n.Flows)
	for i := range flows {
		flows[i].FlowID |= int64(tx.ID()) << 40
	}
	if err := w.Write(flows); err != nil {
		t.Fatal(err)
	}
	tx.AddInput(dataset.Input{ID: "c0ffeec0ffeec0ff", Name: "community", SHA256: "c0ffeec0ffeec0ffc0ffeec0ffeec0ffc0ffeec0ffeec0ffc0ffeec0ffeec0ff", Size: 1, Frames: uint64(len(flows))})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, kind := range kinds {
		p := filepath.Join(dir, kind+".csv")
		if err := os.WriteFile(p, []byte(n.Labels[kind]), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := labels.Load(ds, "test", kind, []string{p}, false); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}
