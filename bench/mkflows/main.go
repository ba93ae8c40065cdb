// Command mkflows writes a year of flow records of a synthetic community
// network, deterministic from -seed, for the flows bench (bench/flows.sh):
// users whose addresses change with DHCP leases, local servers, named
// external services of organisations and categories, traffic between
// users (some of it one-way), and scanners whose flows reach no user.
//
// It writes, into -dir:
//
//   - conn.log: the flows as Zeek's conn.log (TSV), addresses only: the
//     users come from the labels;
//
//   - typical.csv, p2p.csv, nouser.csv: the same flows in the three layouts
//     of the community-network study (seed 001), users named by id;
//
//   - users.csv (address, user, from, to: one row per lease), orgs.csv
//     (prefix, org) and categories.csv (domain, category): the labels;
//
//   - truth.csv: per flow kind, the flows and IP bytes the generator wrote,
//     for checks that use neither netlens nor pandas.
//
//     go run ./bench/mkflows -flows 10000000 -dir bench/out/flows10m
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"
)

func main() {
	nFlows := flag.Int("flows", 10_000_000, "flow records to write")
	nUsers := flag.Int("users", 300, "users, each with DHCP leases of 1 to 14 days")
	nHosts := flag.Int("hosts", 20_000, "external hosts, each with a name")
	nOrgs := flag.Int("orgs", 400, "organisations owning the external hosts")
	seed := flag.Uint64("seed", 1, "seed of the generator")
	dir := flag.String("dir", "", "directory to write into (required)")
	flag.BoolVar(&writeCSV, "csv", true, "write the study's CSV layouts too (false: conn.log only, which saves disk at 100 M flows)")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	if err := generate(*dir, *nFlows, *nUsers, *nHosts, *nOrgs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "mkflows:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d flows into %s in %.1f s\n", *nFlows, *dir, time.Since(start).Seconds())
}

// year is the time the network runs, from t0.
var (
	t0   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	day  = int64(24 * time.Hour)
	year = 366 * day
)

// lease gives an address of the pool to a user for a time.
type lease struct {
	addr     netip.Addr
	from, to int64
}

// leases gives each user a run of leases of 1 to 14 days over the year;
// an address is never given to two users at once, and passes from user
// to user as leases end.
func leases(r *rand.Rand, nUsers int) [][]lease {
	const poolSize = 4096 // 10.64.0.0/20
	free := make([]netip.Addr, poolSize)
	for i := range free {
		free[i] = netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)})
	}
	take := func() netip.Addr {
		i := r.IntN(len(free))
		a := free[i]
		free[i] = free[len(free)-1]
		free = free[:len(free)-1]
		return a
	}
	out := make([][]lease, nUsers)
	type change struct {
		t    int64
		user int
	}
	var queue []change
	for u := range out {
		out[u] = append(out[u], lease{take(), t0, t0 + leaseLen(r)})
		queue = append(queue, change{out[u][0].to, u})
	}
	for len(queue) > 0 {
		slices.SortFunc(queue, func(x, y change) int { return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.user, y.user)) })
		c := queue[0]
		queue = queue[1:]
		ls := out[c.user]
		free = append(free, ls[len(ls)-1].addr)
		if c.t >= t0+year {
			continue
		}
		l := lease{take(), c.t, c.t + leaseLen(r)}
		out[c.user] = append(ls, l)
		queue = append(queue, change{l.to, c.user})
	}
	return out
}

// leaseLen returns the length of a lease: 1 to 15 days, in whole seconds,
// as users.csv writes its times.
func leaseLen(r *rand.Rand) int64 {
	return (1+r.Int64N(14))*day + r.Int64N(86400)*int64(time.Second)
}

// host is an external service.
type host struct {
	addr netip.Addr
	name string
}

// writeCSV is false when only the Zeek log is written: the study's CSV
// files then go to the null device.
var writeCSV = true

// writer is a buffered output file.
type writer struct {
	f *os.File
	*bufio.Writer
}

func create(dir, name string) (*writer, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &writer{f, bufio.NewWriterSize(f, 1<<20)}, nil
}

// createCSV creates a file of the study's layouts, or opens the null
// device when they are not written.
func createCSV(dir, name string) (*writer, error) {
	if !writeCSV {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &writer{f, bufio.NewWriterSize(f, 1<<20)}, nil
	}
	return create(dir, name)
}

func (w *writer) close() error {
	if err := w.Flush(); err != nil {
		w.f.Close()
		return fmt.Errorf("write %s: %w", w.f.Name(), err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", w.f.Name(), err)
	}
	return nil
}

// stamp formats nanoseconds as an RFC 3339 time for label files.
func stamp(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339) }

// Kinds of flows, as the truth file names them.
const (
	kExternal = iota
	kLocal
	kP2P
	kNoUser
)

var kindNames = []string{"typical external", "typical local", "p2p", "nouser"}

func generate(dir string, nFlows, nUsers, nHosts, nOrgs int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 0x6e65746c656e73))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ls := leases(r, nUsers)
	uf, err := create(dir, "users.csv")
	if err != nil {
		return err
	}
	fmt.Fprintln(uf, "address,user,from,to")
	for u, us := range ls {
		for _, l := range us {
			fmt.Fprintf(uf, "%s,user%04d,%s,%s\n", l.addr, u, stamp(l.from), stamp(l.to))
		}
	}
	if err := uf.close(); err != nil {
		return err
	}
	// External hosts: organisation i owns the /24s 198.18+i/256.i%256 and
	// names its hosts under orgI.example; categories label the domains.
	cats := []string{"video", "social", "web", "messaging", "updates", "cloud"}
	hosts := make([]host, nHosts)
	of, err := create(dir, "orgs.csv")
	if err != nil {
		return err
	}
	cf, err := create(dir, "categories.csv")
	if err != nil {
		return err
	}
	fmt.Fprintln(of, "prefix,org")
	fmt.Fprintln(cf, "domain,category")
	for o := range nOrgs {
		fmt.Fprintf(of, "198.%d.%d.0/24,Org %d\n", 18+o/256, o%256, o)
		if o%3 != 2 { // a third of the domains have no category
			fmt.Fprintf(cf, "org%d.example,%s\n", o, cats[o%len(cats)])
		}
	}
	for i := range hosts {
		o := r.IntN(nOrgs)
		hosts[i] = host{netip.AddrFrom4([4]byte{198, byte(18 + o/256), byte(o % 256), byte(1 + r.IntN(254))}), fmt.Sprintf("s%d.org%d.example", i, o)}
		if i%10 == 9 { // hosts of no organisation: their names' domains
			hosts[i] = host{netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}), fmt.Sprintf("cdn%d.site%d.example.co.uk", i, i%97)}
		}
	}
	if err := of.close(); err != nil {
		return err
	}
	if err := cf.close(); err != nil {
		return err
	}

	// Times in order, as logs give them.
	times := make([]int64, nFlows)
	for i := range times {
		times[i] = t0 + r.Int64N(year)/1000*1000 // microseconds, as Zeek and the CSVs write them
	}
	slices.Sort(times)
	at := func(u int, t int64) netip.Addr {
		us := ls[u]
		i := sort.Search(len(us), func(i int) bool { return us[i].to > t })
		return us[min(i, len(us)-1)].addr
	}

	zf, err := create(dir, "conn.log")
	if err != nil {
		return err
	}
	tf, err := createCSV(dir, "typical.csv")
	if err != nil {
		return err
	}
	pf, err := createCSV(dir, "p2p.csv")
	if err != nil {
		return err
	}
	nf, err := createCSV(dir, "nouser.csv")
	if err != nil {
		return err
	}
	zf.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-01-01-00-00-00\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n")
	tf.WriteString("start,end,user,dest_ip,user_port,dest_port,bytes_up,bytes_down,protocol,fqdn,local\n")
	pf.WriteString("start,end,user_a,user_b,a_port,b_port,bytes_a_to_b,bytes_b_to_a,protocol\n")
	nf.WriteString("start,end,ip_a,ip_b,a_port,b_port,bytes_a_to_b,bytes_b_to_a,protocol\n")

	var truthFlows, truthBytes [4]int64
	var b []byte
	for i, ts := range times {
		var (
			a, bb        netip.Addr
			ua, ub       = -1, -1
			aPort, bPort = uint16(32768 + r.IntN(28000)), uint16(443)
			proto        = 6
			up, down     = uint64(60 + r.IntN(4000)), uint64(r.IntN(400_000))
			kind         int
			name, svc    string
			state        = "SF"
			hist         = "ShADadFf"
			dur          = r.Int64N(120e6) // microseconds
		)
		switch k := r.IntN(100); {
		case k < 65: // a user to an external service
			ua = r.IntN(nUsers)
			h := hosts[r.IntN(len(hosts))]
			a, bb, name, kind, svc = at(ua, ts), h.addr, h.name, kExternal, "ssl"
			if k < 10 {
				proto, svc, hist = 17, "-", "Dd"
			}
		case k < 75: // a user to a local server
			ua = r.IntN(nUsers)
			a, bb, kind, bPort, svc = at(ua, ts), netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + r.IntN(20))}), kLocal, 80, "http"
		case k < 85: // user to user, a fifth of it one-way
			ua, ub = r.IntN(nUsers), r.IntN(nUsers-1)
			if ub >= ua {
				ub++
			}
			a, bb, kind, bPort, svc = at(ua, ts), at(ub, ts), kP2P, uint16(6881+r.IntN(10)), "-"
			if r.IntN(5) == 0 {
				down, state, hist, proto = 0, "S0", "S", 6
			}
		default: // scanners to unassigned addresses: no user
			a, bb, kind, svc = netip.AddrFrom4([4]byte{192, 0, 2, byte(r.IntN(64))}), netip.AddrFrom4([4]byte{10, 65, byte(r.IntN(256)), byte(r.IntN(256))}), kNoUser, "-"
			switch s := r.IntN(10); {
			case s < 4:
				proto, bPort, down, state, hist, up = 17, 1900, 0, "S0", "D", uint64(130+r.IntN(60))
			case s < 8:
				bPort, down, state, hist, up = uint16([]int{22, 23, 445, 3389, 8080}[r.IntN(5)]), 0, "S0", "S", 60
			default:
				bPort, down = 8080, uint64(40+r.IntN(2000))
			}
		}
		truthFlows[kind]++
		truthBytes[kind] += int64(up + down)
		upPk, downPk := 1+up/1000, down/1000
		if down > 0 {
			downPk++
		}
		upPay, downPay := up-min(up, 40*upPk), down-min(down, 40*downPk)

		// Zeek conn.log.
		b = b[:0]
		b = appendSecs(b, ts)
		b = append(b, "\tC"...)
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, '\t')
		b = a.AppendTo(b)
		b = append(b, '\t')
		b = strconv.AppendUint(b, uint64(aPort), 10)
		b = append(b, '\t')
		b = bb.AppendTo(b)
		b = append(b, '\t')
		b = strconv.AppendUint(b, uint64(bPort), 10)
		b = append(b, '\t')
		if proto == 6 {
			b = append(b, "tcp"...)
		} else {
			b = append(b, "udp"...)
		}
		b = append(b, '\t')
		b = append(b, svc...)
		b = append(b, '\t')
		b = strconv.AppendInt(b, dur/1e6, 10)
		b = append(b, '.')
		b = appendPad(b, dur%1e6, 6)
		b = append(b, '\t')
		b = strconv.AppendUint(b, upPay, 10)
		b = append(b, '\t')
		b = strconv.AppendUint(b, downPay, 10)
		b = append(b, '\t')
		b = append(b, state...)
		b = append(b, '\t')
		b = append(b, tf10(a)...)
		b = append(b, '\t')
		b = append(b, tf10(bb)...)
		b = append(b, "\t0\t"...)
		b = append(b, hist...)
		for _, v := range []uint64{upPk, up, downPk, down} {
			b = append(b, '\t')
			b = strconv.AppendUint(b, v, 10)
		}
		b = append(b, "\t(empty)\n"...)
		if _, err := zf.Write(b); err != nil {
			return err
		}

		// The study's CSV layouts.
		b = b[:0]
		b = appendTime(b, ts)
		b = append(b, ',')
		b = appendTime(b, ts+dur*1000)
		b = append(b, ',')
		out := nf
		switch kind {
		case kExternal, kLocal:
			out = tf
			b = appendUser(b, ua)
			b = append(b, ',')
			b = bb.AppendTo(b)
		case kP2P:
			out = pf
			b = appendUser(b, ua)
			b = append(b, ',')
			b = appendUser(b, ub)
		default:
			b = a.AppendTo(b)
			b = append(b, ',')
			b = bb.AppendTo(b)
		}
		for _, v := range []uint64{uint64(aPort), uint64(bPort), up, down, uint64(proto)} {
			b = append(b, ',')
			b = strconv.AppendUint(b, v, 10)
		}
		if out == tf {
			b = append(b, ',')
			b = append(b, name...)
			b = append(b, ',')
			b = strconv.AppendBool(b, kind == kLocal)
		}
		b = append(b, '\n')
		if _, err := out.Write(b); err != nil {
			return err
		}
	}
	zf.WriteString("#close\t2025-01-01-00-00-00\n")
	for _, w := range []*writer{zf, tf, pf, nf} {
		if err := w.close(); err != nil {
			return err
		}
	}
	trf, err := create(dir, "truth.csv")
	if err != nil {
		return err
	}
	fmt.Fprintln(trf, "kind,flows,bytes")
	for k, n := range kindNames {
		fmt.Fprintf(trf, "%s,%d,%d\n", n, truthFlows[k], truthBytes[k])
	}
	return trf.close()
}

// tf10 is Zeek's local_orig/local_resp for an address: in 10.0.0.0/8.
func tf10(a netip.Addr) string {
	if a.Is4() && a.As4()[0] == 10 {
		return "T"
	}
	return "F"
}

// appendSecs appends nanoseconds since the epoch as seconds with six
// decimals, as Zeek writes times.
func appendSecs(b []byte, ns int64) []byte {
	b = strconv.AppendInt(b, ns/1e9, 10)
	b = append(b, '.')
	return appendPad(b, ns%1e9/1000, 6)
}

// appendTime appends nanoseconds as "2006-01-02 15:04:05.000000", UTC.
func appendTime(b []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02 15:04:05.000000")
}

// appendPad appends v with leading zeros to n digits.
func appendPad(b []byte, v int64, n int) []byte {
	s := strconv.AppendInt(nil, v, 10)
	for range n - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendUser appends the id of user u.
func appendUser(b []byte, u int) []byte {
	b = append(b, "user"...)
	return appendPad(b, int64(u), 4)
}
