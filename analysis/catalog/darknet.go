package catalog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the tz parameter's zones, whatever the system has

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/services"
)

// The analyses of group darknet (seed 004: DarkVec's overview of a
// telescope's month) share what is in this file: the range of days in a
// time zone, the port/proto key of a packet, the sender filter and the
// ground-truth classes of senders.

// darknetGroup is the catalogue group of the darknet analyses.
const darknetGroup = "darknet"

// foldDefault are the classes the seed reads as "unknown".
const foldDefault = "criminalip,adscore,quadmetrics,esrg_stanford,netscout"

// unknownClass is the class of a sender without ground truth, or of a
// folded class.
const unknownClass = "unknown"

// The parameters of the darknet analyses.
var (
	dnFromParam = analysis.Param{Name: "from", Kind: analysis.String,
		Doc: "first day (2021-03-02, in tz) or time (RFC 3339) of the packets taken; default: the dataset's first"}
	dnToParam = analysis.Param{Name: "to", Kind: analysis.String,
		Doc: "last day (taken whole, in tz) or end time (exclusive) of the packets taken; default: the dataset's last"}
	tzParam = analysis.Param{Name: "tz", Kind: analysis.String, Default: "UTC",
		Doc: "time zone of the day boundaries (Europe/Rome, as the seed's local time); the last day is the range's last in it"}
	foldParam = analysis.Param{Name: "fold", Kind: analysis.String, Default: foldDefault,
		Doc: "ground-truth classes read as unknown, comma-separated (the seed's list by default; empty folds none)"}
	minPktsParam = analysis.Param{Name: "min_pkts", Kind: analysis.Int, Default: "10", Min: analysis.AtLeast(1),
		Doc: "the filter keeps the senders of at least this many packets in the window before the end of the last day"}
	windowParam = analysis.Param{Name: "window", Kind: analysis.Duration, Default: "30d", Min: analysis.AtLeast(1),
		Doc: "the filter's window, ending with the last day (the seed's 30 days)"}
)

// dnRange is the range of packets a darknet analysis covers: [from, to) in
// nanoseconds since the epoch, the day boundaries of tz in it, and the
// start of its last day. ok is false when no packet is in it.
type dnRange struct {
	from, to int64
	last     int64 // start of the last day
	loc      *time.Location
	zones    []zoneSpan // the offsets of loc over [from, to)
	ok       bool
	// whole is set when the range is every packet of the dataset (from
	// and to not set): the senders' sums are then the same for every
	// analysis of the group (see senderTables).
	whole bool
}

// zoneSpan is an offset from UTC that applies from a time on.
type zoneSpan struct {
	from   int64 // ns since the epoch
	offset int64 // ns
}

// darknetRange returns the range of the from, to and tz parameters, each
// bound defaulting to the dataset's first and last packet.
func darknetRange(ctx context.Context, env *analysis.Env, v analysis.Values) (dnRange, error) {
	var r dnRange
	loc, err := time.LoadLocation(v.String("tz"))
	if err != nil {
		return r, fmt.Errorf("tz %q: %w", v.String("tz"), err)
	}
	r.loc = loc
	from, to, err := parseRangeIn(v.String("from"), v.String("to"), loc)
	if err != nil {
		return r, err
	}
	ts := env.Dialect().EpochNs("ts")
	t, err := env.Shared(ctx, "SELECT min("+ts+"), max("+ts+"), count(*) FROM packets WHERE ip_version IN (4, 6)")
	if err != nil {
		return r, err
	}
	row := t.Rows[0]
	if analysis.AsInt(row[2]) == 0 {
		return r, nil
	}
	r.from, r.to, r.ok = analysis.AsInt(row[0]), analysis.AsInt(row[1])+1, true
	r.whole = !v.IsSet("from") && !v.IsSet("to")
	if v.IsSet("from") {
		r.from = from
	}
	if v.IsSet("to") {
		r.to = to
	}
	if r.from >= r.to {
		r.ok = false
		return r, nil
	}
	// The zones from the start of the first day to the end of the last.
	first := dayStartIn(r.from, loc)
	r.last = dayStartIn(r.to-1, loc)
	end := time.Unix(0, r.to).In(loc)
	for t := time.Unix(0, first).In(loc); ; {
		_, off := t.Zone()
		r.zones = append(r.zones, zoneSpan{from: t.UnixNano(), offset: int64(off) * int64(time.Second)})
		_, next := t.ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			break
		}
		t = next.In(loc)
	}
	return r, nil
}

// dayStartIn returns the start of the day of loc that holds ns.
func dayStartIn(ns int64, loc *time.Location) int64 {
	t := time.Unix(0, ns).In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).UnixNano()
}

// parseRangeIn reads the from and to parameters as parseRange does, dates
// as days of loc.
func parseRangeIn(from, to string, loc *time.Location) (int64, int64, error) {
	var out [2]int64
	for i, s := range []string{from, to} {
		if s == "" {
			continue
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			if i == 1 {
				t = t.AddDate(0, 0, 1)
			}
			out[i] = t.UnixNano()
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, 0, fmt.Errorf("%s %q: want a date (2021-03-02) or a time (2021-03-02T12:00:00Z)", []string{"from", "to"}[i], s)
		}
		out[i] = t.UnixNano()
	}
	return out[0], out[1], nil
}

// where is the SQL condition on packets of [from, to) that have a sender
// (IPv4 and IPv6: not ARP nor the other packets without an IP layer).
func (r dnRange) where(d engine.Dialect, from, to int64) string {
	ts := d.EpochNs("ts")
	return fmt.Sprintf("%s >= %d AND %s < %d AND ip_version IN (4, 6)", ts, from, ts, to)
}

// all is the SQL condition on the packets of the range: for a whole
// range, every packet with a sender, whose times need not be compared.
func (r dnRange) all(d engine.Dialect) string {
	if r.whole {
		return "ip_version IN (4, 6)"
	}
	return r.where(d, r.from, r.to)
}

// lastDay is the SQL condition on the packets of the last day.
func (r dnRange) lastDay(d engine.Dialect) string { return r.where(d, max(r.last, r.from), r.to) }

// local is the SQL of the local time of tz of the packet (ns since the
// epoch as the wall clock reads): the time plus the offset of its zone.
func (r dnRange) local(d engine.Dialect) string {
	ts := d.EpochNs("ts")
	if len(r.zones) == 1 {
		if r.zones[0].offset == 0 {
			return ts
		}
		return fmt.Sprintf("(%s + %d)", ts, r.zones[0].offset)
	}
	var b strings.Builder
	b.WriteString("(CASE")
	for i, z := range r.zones[1:] {
		fmt.Fprintf(&b, " WHEN %s < %d THEN %s + %d", ts, z.from, ts, r.zones[i].offset)
	}
	fmt.Fprintf(&b, " ELSE %s + %d END)", ts, r.zones[len(r.zones)-1].offset)
	return b.String()
}

// day is the SQL of the packet's day in tz, as the local wall-clock
// nanoseconds of its midnight (see dayName).
func (r dnRange) day(d engine.Dialect) string { return binOf(r.local(d), dayNs) }

// dayAt is the day of time ns (since the epoch) as day() gives it for a
// packet of that time.
func (r dnRange) dayAt(ns int64) int64 {
	off := r.zones[0].offset
	for _, z := range r.zones[1:] {
		if ns >= z.from {
			off = z.offset
		}
	}
	return binStart(ns+off, dayNs)
}

// dayName formats a day of day() as a date.
func dayName(localMidnight int64) string { return day(localMidnight) }

// dayOf returns the date of tz of a time.
func (r dnRange) dayOf(ns int64) string { return time.Unix(0, ns).In(r.loc).Format(time.DateOnly) }

// ppKey is the SQL of an integer key of a packet's port/proto pair:
// the port for TCP, 65536 + the port for UDP, 131072 for ICMP, 131073 for
// the other protocols (their pairs carry no port). ppName writes it as
// the seed does.
const ppKey = "(CASE WHEN proto = 6 THEN dport + 0 WHEN proto = 17 THEN dport + 65536 WHEN proto = 1 THEN 131072 ELSE 131073 END)"

// ppPort and ppProto return the port and a representative IP protocol of a
// key of ppKey.
func ppPortProto(key int64) (uint16, uint8) {
	switch {
	case key < 65536:
		return uint16(key), 6
	case key < 131072:
		return uint16(key - 65536), 17
	case key == 131072:
		return 0, 1
	}
	return 0, 0
}

// ppName writes a key of ppKey as the seed's pp: "445/tcp", "-/icmp".
func ppName(key int64) string { return services.PortProto(ppPortProto(key)) }

// portName writes the port of a key of ppKey as the seed's port column:
// the number, "-" for the protocols without ports.
func portName(key int64) string {
	if key >= 131072 {
		return "-"
	}
	port, _ := ppPortProto(key)
	return strconv.Itoa(int(port))
}

// filtered is the SQL of the senders the filter keeps: at least min_pkts
// packets in the window that ends with the last day, in column fsrc.
func (r dnRange) filtered(d engine.Dialect, v analysis.Values) string {
	start, end := r.window(v)
	return fmt.Sprintf("SELECT src AS fsrc FROM packets WHERE %s GROUP BY src HAVING count(*) >= %d",
		r.where(d, start, end), v.Int("min_pkts"))
}

// filteredIn returns the SQL of the senders the filter keeps, in column
// fsrc, as filtered does; when the filter's window holds every packet of
// a whole range, from the senders' kept sums (see senderTables) rather
// than by counting the packets of every sender again.
func filteredIn(ctx context.Context, env *analysis.Env, r dnRange, v analysis.Values) (string, error) {
	st, ok, err := senderTables(ctx, env, r)
	if err != nil || !ok || !r.windowWhole(v) {
		return r.filtered(env.Dialect(), v), err
	}
	return fmt.Sprintf("SELECT src AS fsrc FROM %s AS fs WHERE n >= %d", st.senders, v.Int("min_pkts")), nil
}

// windowWhole reports whether the filter's window holds every packet of
// a whole range: it starts at or before the first packet.
func (r dnRange) windowWhole(v analysis.Values) bool {
	start, _ := r.window(v)
	return r.whole && start <= r.from
}

// dnSenders are the relations of the senders of a whole range, kept by
// the engine for the analyses of the group, which count the packets of
// each sender over the range, its last day, its days or the filter's
// window: a telescope has millions of senders.
type dnSenders struct {
	// days has a row per sender and day (of tz, as day() gives it) with
	// packets: src, dd, n (its packets that day), ft (the time of the
	// first, ns since the epoch).
	days string
	// senders has a row per sender: src, n (its packets), fd and ld (the
	// first and last day it sent on), ft (the time of its first packet),
	// pmin and pmax (the least and greatest port/proto pair of its packets,
	// as ppKey), nl (its packets on the last day).
	senders string
}

// senderTables returns the relations of the senders of r, and true, when
// r is a whole range; otherwise false, and the analyses count from the
// packets.
func senderTables(ctx context.Context, env *analysis.Env, r dnRange) (dnSenders, bool, error) {
	if !r.ok || !r.whole {
		return dnSenders{}, false, nil
	}
	d := env.Dialect()
	if r.last <= r.from {
		// A range of one day: a sender's first and last day are that day,
		// as day() gives it for every packet of the range, and its row of
		// the days is its own row, summed from the packets at once.
		senders, err := env.Kept(ctx, fmt.Sprintf("SELECT src, count(*) AS n, CAST(%[1]d AS BIGINT) AS fd, CAST(%[1]d AS BIGINT) AS ld, min(%[2]s) AS ft, min(%[4]s) AS pmin, max(%[4]s) AS pmax, count(*) AS nl FROM packets WHERE %[3]s GROUP BY src",
			r.dayAt(r.from), d.EpochNs("ts"), r.all(d), ppKey))
		if err != nil {
			return dnSenders{}, false, err
		}
		return dnSenders{days: "(SELECT src, fd AS dd, n, ft FROM " + senders + " AS s1)", senders: senders}, true, nil
	}
	days, err := env.Kept(ctx, fmt.Sprintf("SELECT src, %[1]s AS dd, count(*) AS n, min(%[2]s) AS ft, min(%[4]s) AS pmin, max(%[4]s) AS pmax FROM packets WHERE %[3]s GROUP BY src, dd",
		r.day(d), d.EpochNs("ts"), r.all(d), ppKey))
	if err != nil {
		return dnSenders{}, false, err
	}
	// The packets of the last day are picked before the sums: ClickHouse
	// reads n in an expression of the outer query as the alias of sum(n).
	senders, err := env.Kept(ctx, fmt.Sprintf("SELECT src, sum(n) AS n, min(dd) AS fd, max(dd) AS ld, min(ft) AS ft, min(pmin) AS pmin, max(pmax) AS pmax, sum(nd) AS nl FROM (SELECT src, dd, n, ft, pmin, pmax, CASE WHEN dd = %d THEN n ELSE 0 END AS nd FROM %s AS sd0) AS sd GROUP BY src",
		r.lastDD(), days))
	if err != nil {
		return dnSenders{}, false, err
	}
	return dnSenders{days: days, senders: senders}, true, nil
}

// lastDD is the day of the last day of r as day() gives it: the local
// wall-clock nanoseconds of its midnight.
func (r dnRange) lastDD() int64 {
	_, off := time.Unix(0, r.last).In(r.loc).Zone()
	return r.last + int64(off)*int64(time.Second)
}

// window returns the filter's window: the window parameter's time up to
// the end of the last day, cut at the range's end. It may start before
// the range, as the seed's filter reads the 30 days before its day.
func (r dnRange) window(v analysis.Values) (start, end int64) {
	lastEnd := time.Unix(0, r.last).In(r.loc).AddDate(0, 0, 1).UnixNano()
	return lastEnd - v.Duration("window").Nanoseconds(), r.to
}

// folded returns the classes of the fold parameter.
func folded(v analysis.Values) map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Split(v.String("fold"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			out[c] = true
		}
	}
	return out
}

// classOf is the class a sender's label gives: the label, or unknown when
// it has none or its class is folded.
func classOf(label string, fold map[string]bool) string {
	if label == "" || fold[label] {
		return unknownClass
	}
	return label
}

// withClass returns a query of the relation from (columns cols, src among
// them) with, as column class, the ground-truth label of src at time at
// ("" for none). addrs lists the senders that may have one.
func withClass(d engine.Dialect, from string, cols []string, at int64, addrs string) string {
	base := fmt.Sprintf("(SELECT %s, %d AS lts FROM %s AS wc)", strings.Join(cols, ", "), at, from)
	return labels.Attach(d, base, append(slices.Clone(cols), "lts"), labels.Class, "src", "lts", "class", addrs)
}

// classKeys is the query of the packets of the last day of the senders the
// filter keeps, per sender and port/proto pair, with the sender's class
// label: class, pp, packets, senders. classes and class_services share it.
func classKeys(ctx context.Context, env *analysis.Env, r dnRange, v analysis.Values) (*engine.Table, error) {
	d := env.Dialect()
	f, err := filteredIn(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	per := fmt.Sprintf("(SELECT src, %s AS pp, count(*) AS n FROM packets WHERE %s AND src %s (%s) GROUP BY src, pp)",
		ppKey, r.lastDay(d), d.In(), f)
	q := withClass(d, per, []string{"src", "pp", "n"}, r.last, "SELECT src AS addr FROM packets WHERE "+r.lastDay(d))
	return env.Shared(ctx, "SELECT class, pp, sum(n) AS pkts, count(*) AS senders FROM ("+q+") AS c GROUP BY class, pp ORDER BY class, pp")
}

// classSenders is the query of the number of senders of the last day the
// filter keeps, per class label.
func classSenders(ctx context.Context, env *analysis.Env, r dnRange, v analysis.Values) (*engine.Table, error) {
	d := env.Dialect()
	f, err := filteredIn(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	per := fmt.Sprintf("(SELECT src FROM packets WHERE %s AND src %s (%s) GROUP BY src)", r.lastDay(d), d.In(), f)
	q := withClass(d, per, []string{"src"}, r.last, "SELECT src AS addr FROM packets WHERE "+r.lastDay(d))
	return env.Shared(ctx, "SELECT class, count(*) AS senders FROM ("+q+") AS c GROUP BY class ORDER BY class")
}

// ppStats is the shared query of the packets and senders per port/proto
// pair, over the range and on its last day: pp, packets, senders,
// packets_last, senders_last. Senders are counted in two stages, first
// the distinct (pair, sender), so that no engine holds a set of senders
// per pair. On an engine that keeps the senders' sums of a whole range
// (see senderTables), a sender whose packets are all of one pair counts
// for it from its sums, and only the packets of the other senders are
// grouped by pair and sender: every sender of a scan sends to one pair,
// and grouping its millions of senders' packets again cost as much as
// summing them.
func ppStats(ctx context.Context, env *analysis.Env, r dnRange) (*engine.Table, error) {
	d := env.Dialect()
	// The packets of the last day; on a range of one day, all of them.
	last := "count(*)"
	if r.last > r.from {
		last = fmt.Sprintf("sum(CASE WHEN %s >= %d THEN 1 ELSE 0 END)", d.EpochNs("ts"), r.last)
	}
	perSender := func(cond string) string {
		return fmt.Sprintf(`SELECT %s AS pp, src, count(*) AS n, %s AS nl
			FROM packets WHERE %s%s GROUP BY pp, src`, ppKey, last, r.all(d), cond)
	}
	const outer = `SELECT pp, sum(n) AS pkts, count(*) AS senders, sum(nl) AS pkts_last,
		sum(CASE WHEN nl > 0 THEN 1 ELSE 0 END) AS senders_last FROM (%s) AS ps
		GROUP BY pp ORDER BY pp`
	_, keeps := env.Engine.(engine.Keeper)
	st, ok, err := senderTables(ctx, env, r)
	if err != nil {
		return nil, err
	}
	if !ok || !keeps {
		return env.Shared(ctx, fmt.Sprintf(outer, perSender("")))
	}
	// The senders of more than one pair, and the share of the packets
	// they sent: when they sent most of them, grouping the packets of
	// every sender is the cheaper.
	mixed, err := env.Shared(ctx, fmt.Sprintf(`SELECT sum(CASE WHEN pmin <> pmax THEN n ELSE 0 END), sum(n) FROM %s AS s`, st.senders))
	if err != nil {
		return nil, err
	}
	if m := mixed.Rows[0]; 2*analysis.AsInt(m[0]) > analysis.AsInt(m[1]) {
		return env.Shared(ctx, fmt.Sprintf(outer, perSender("")))
	}
	one := fmt.Sprintf(`SELECT pmin AS pp, n, nl FROM %s AS s WHERE pmin = pmax`, st.senders)
	if analysis.AsInt(mixed.Rows[0][0]) > 0 {
		one += fmt.Sprintf(` UNION ALL SELECT pp, n, nl FROM (%s) AS m`,
			perSender(fmt.Sprintf(` AND src %s (SELECT src FROM %s AS s WHERE pmin <> pmax)`, d.In(), st.senders)))
	}
	return env.Shared(ctx, fmt.Sprintf(outer, one))
}

// senderStats is the shared query of the distribution of packets per
// sender over the range: packets, seen on the last day (1 or 0), senders.
func senderStats(ctx context.Context, env *analysis.Env, r dnRange) (*engine.Table, error) {
	d := env.Dialect()
	st, ok, err := senderTables(ctx, env, r)
	if err != nil {
		return nil, err
	}
	if ok {
		// A sender was seen on the last day when its last day is that one.
		return env.Shared(ctx, fmt.Sprintf(`SELECT n, CASE WHEN ld = %d THEN 1 ELSE 0 END AS seen_last, count(*) AS senders
			FROM %s AS s GROUP BY n, seen_last ORDER BY n, seen_last`, r.lastDD(), st.senders))
	}
	return env.Shared(ctx, fmt.Sprintf(`SELECT n, seen_last, count(*) AS senders FROM (
			SELECT src, count(*) AS n, max(CASE WHEN %s >= %d THEN 1 ELSE 0 END) AS seen_last
			FROM packets WHERE %s GROUP BY src) AS s
		GROUP BY n, seen_last ORDER BY n, seen_last`, d.EpochNs("ts"), max(r.last, r.from), r.all(d)))
}

// noDarknet is the note of a chart of a range without packets.
const noDarknet = "no packets in the range"
