package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
)

type iat struct{}

func (iat) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "iat", Group: "capture", Title: "Inter-arrival and inter-departure times",
		Doc: `The time between consecutive packets arriving at the same destination address ` +
			`(inter-arrival) and leaving the same source address (inter-departure): per address ` +
			`the mean, standard deviation (of a sample, as pandas' describe gives it), median, 95th ` +
			`percentile, minimum and maximum, and the distribution over all addresses. The gaps are ` +
			`measured at ingest, in time order (packets.dst_gap_ns and src_gap_ns). Percentiles are ` +
			`exact, interpolated linearly between the two nearest gaps as pandas does, so ` +
			`distributions keep their exact shape however many packets there are; each dot of the ` +
			`per-address strips is one percentile (0, 2.5, 5, ... 100). Every statistic is computed ` +
			`from the gaps' whole nanoseconds and rounded once, so all engines give the same digits.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{ipVersion, top("10")},
	}
}

// stripLevels are the percentiles of a strip: 0, 2.5, ..., 100.
var stripLevels = analysis.Percentiles(40)

// The percentiles of the table, the median and the 95th, are levels of
// stripLevels: the engine sorts each address' gaps once, for its row and
// its strip.
const (
	medianLevel = 20
	p95Level    = 38
)

// nsPerSecond is the unit of the statistics of gaps: seconds, of nanoseconds.
const nsPerSecond = 1e9

func (iat) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	where := ipWhere(v)
	sides := []struct{ key, gap, kind, title, none string }{
		{"dst", "dst_gap_ns", "arrival", "Inter-arrival time per destination", "no address received two " + ipWord(v) + " packets"},
		{"src", "src_gap_ns", "departure", "Inter-departure time per source", "no address sent two " + ipWord(v) + " packets"},
	}
	res := &analysis.Result{}
	var strips []*chart.Chart
	top := int(v.Int("top"))
	// The distributions over all addresses, from 101 percentiles each.
	levels := analysis.Percentiles(100)
	// The packets and gaps of each side choose the way (see gapsOf), from
	// the counts that overview shows too; each side is computed while the
	// engine answers the other's queries.
	counts, err := countPackets(ctx, env, v)
	if err != nil {
		return nil, err
	}
	sideCounts := []int64{counts.dstGaps, counts.srcGaps} // as sides
	gaps := make([]sideGaps, len(sides))
	var wg sync.WaitGroup
	for i, side := range sides {
		n := gapCounts{packets: counts.ip, gaps: sideCounts[i]}
		wg.Go(func() { gaps[i] = gapsOf(ctx, env, side.key, side.gap, where, levels, n) })
	}
	wg.Wait()
	for i, side := range sides {
		if gaps[i].err != nil {
			return nil, gaps[i].err
		}
		stats := gaps[i].stats
		tab := analysis.NewTable("iat_"+side.kind, side.title, "address", "name", "packets", "mean_s", "std_s", "median_s", "p95_s", "min_s", "max_s")
		var shown []string
		var strip [][]float64 // the percentiles of each address shown
		for _, g := range stats {
			var std any // NULL for a single gap, as pandas' NaN
			if s, ok := analysis.StdDev(g.sum, g.sumSquares, g.n, nsPerSecond); ok {
				std = s
			}
			tab.Add(g.addr, nullable(env.Names[g.addr]), g.packets, analysis.Mean(g.sum, g.n, nsPerSecond), std, g.q[medianLevel], g.q[p95Level],
				seconds(g.min), seconds(g.max))
			if len(shown) < top {
				shown = append(shown, g.addr)
				strip = append(strip, g.q)
			}
		}
		res.Tables = append(res.Tables, tab)
		if len(shown) == 0 {
			strips = append(strips, chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)").OrEmpty(side.none))
			continue
		}
		rows := make([]chart.Series, len(shown))
		for i, addr := range shown {
			rows[i] = chart.Samples(env.Label(addr), strip[i])
		}
		c := chart.NewStrip("iat_"+side.kind, side.title+" (percentiles)", rows...)
		c.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
		if n := len(stats); n > len(rows) {
			c.Note = fmt.Sprintf("showing the %d busiest of %d addresses", len(rows), n)
		}
		strips = append(strips, c)
	}

	ecdf := chart.NewECDF("iat_ecdf", "Inter-arrival and inter-departure times")
	ecdf.X = chart.Axis{Title: "time to the previous packet", Log: true, Unit: chart.UnitSeconds}
	for i, side := range sides {
		q := gaps[i].all
		if len(q) != len(levels) {
			continue // no gaps on this side
		}
		pts := make([]chart.Point, len(levels))
		for j, l := range levels {
			pts[j] = chart.Point{X: q[j], Y: l.Float()}
		}
		ecdf.Series = append(ecdf.Series, chart.Series{Name: "inter-" + side.kind, Points: pts})
	}
	ecdf.OrEmpty("no address sent or received two " + ipWord(v) + " packets")
	res.Charts = append([]*chart.Chart{ecdf}, strips...)
	return res, nil
}

// addrGaps are the statistics of the gaps of one address.
type addrGaps struct {
	addr            string
	packets, n      int64 // packets, and gaps (packets but the first)
	sum, sumSquares *big.Int
	min, max        int64
	q               []float64 // at stripLevels, in seconds
}

// sideGaps are the gaps of one side: the statistics of every address that
// has any, the busiest first (then by address), and the percentiles of all
// the gaps, in seconds (nil when there are none).
type sideGaps struct {
	stats []addrGaps
	all   []float64
	way   gapWay
	// picked: the percentiles of all the gaps were picked out by the
	// engine, for want of a histogram.
	picked bool
	err    error
}

// gapWay is how gapsOf computed the statistics of the addresses.
type gapWay int

const (
	// fromPairs: from the count of every (address, gap) pair.
	fromPairs gapWay = iota
	// fromGapPairs: from the counts of the pairs of the addresses that
	// have a gap.
	fromGapPairs
	// fromEngine: the engine sorted each address' gaps.
	fromEngine
)

// maxAddrHistogram is the most (address, gap) pairs read into histograms;
// beyond it the engine sorts each address' gaps itself.
var maxAddrHistogram = 1 << 20

// fewGaps is the most gaps per address, on average, at which the pairs of
// address and gap are expected to be mostly distinct.
const fewGaps = 1000

// gapCounts are the packets and the gaps of a side.
type gapCounts struct{ packets, gaps int64 }

// gapsOf returns the gaps in column gap of the addresses in column key, of
// the packets of where, with the percentiles of all of them at levels.
//
// Addresses usually see few distinct gaps, so the engine counts each
// (address, gap) pair and the statistics are computed here from the
// counts, exactly as from the gaps themselves and far faster than sorting
// every address' gaps; when there are more than maxAddrHistogram pairs, the
// engine sorts them, so that memory stays bounded whatever the capture.
// The distribution over all addresses is the sum of the same counts. Two
// counts of packets choose the way first, for what would be read only to
// be dropped (n, those of the packets of where):
//   - each address' first packet has no gap: when those are many, as a
//     scan's millions of senders of one packet each, only the pairs of the
//     addresses with a gap are counted;
//   - when the gaps are many and few per address, as a scan's
//     destinations', most pairs are likely distinct: the distinct gaps,
//     at most as many as the pairs, are estimated first, and when they
//     alone are too many, the engine sorts each address' gaps at once.
func gapsOf(ctx context.Context, env *analysis.Env, key, gap, where string, levels []engine.Level, n gapCounts) (out sideGaps) {
	if n.gaps == 0 {
		return sideGaps{}
	}
	gaps, gapless := n.gaps, n.packets-n.gaps
	limit := int64(maxAddrHistogram)
	var err error
	var all *analysis.Histogram // of every gap, when the pairs are counted
	allTooMany := false         // for gapHistogram, by the estimate
	and := ""
	switch {
	case 2*gapless > limit:
		and = fmt.Sprintf(" AND (%[2]s IS NOT NULL OR %[1]s %[4]s (SELECT DISTINCT %[1]s FROM packets WHERE %[3]s AND %[2]s IS NOT NULL))",
			key, gap, where, env.Dialect().In())
		out.way = fromGapPairs
	case gaps > limit && gaps < fewGaps*gapless:
		d, err := distinctGaps(ctx, env, gap, where)
		if err != nil {
			return sideGaps{err: err}
		}
		if d > limit {
			out.way, allTooMany = fromEngine, d > int64(maxHistogram)
		}
	}
	if out.way != fromEngine {
		var h *analysis.Histogram
		packets := n.packets // of where and and
		if and != "" {
			packets = 0 // not counted
		}
		out.stats, h, err = pairGaps(ctx, env, key, gap, where, and, packets)
		if err == errTooMany {
			out.way = fromEngine
		} else if err != nil {
			return sideGaps{err: err}
		} else {
			all = h
		}
	}
	if out.way == fromEngine {
		if out.stats, err = addressGapsFromEngine(ctx, env, key, gap, where); err != nil {
			return sideGaps{err: err}
		}
	}
	if all == nil {
		if allTooMany {
			err = errTooMany
		} else {
			all, err = gapHistogram(ctx, env, gap, where, gaps)
		}
		if err == errTooMany {
			out.all, out.err = pickPercentiles(ctx, env, gap, where, gaps, levels)
			out.picked = true
			return out
		}
		if err != nil {
			return sideGaps{err: err}
		}
	}
	out.all = all.Quantiles(levels, nsPerSecond)
	return out
}

// gapSample is the modulus of the gaps that distinctGaps counts: a prime,
// so that gaps all multiples of a unit (microseconds, seconds) are
// sampled as evenly as those of nanoseconds.
const gapSample = 61

// distinctGaps estimates how many distinct values column gap takes among
// the packets of where: gapSample times those that are multiples of
// gapSample, counted without a grouping of them all.
func distinctGaps(ctx context.Context, env *analysis.Env, gap, where string) (int64, error) {
	t, err := env.Query(ctx, fmt.Sprintf("SELECT count(DISTINCT %[1]s) FROM packets WHERE %[2]s AND %[1]s %% %[3]d = 0", gap, where, gapSample))
	if err != nil {
		return 0, err
	}
	return gapSample * analysis.AsInt(t.Rows[0][0]), nil
}

// pickPercentiles returns the percentiles at levels of the n gaps in
// column gap of the packets of where, in seconds, picked out by the engine
// at their ranks: no sort of them all.
func pickPercentiles(ctx context.Context, env *analysis.Env, gap, where string, n int64, levels []engine.Level) ([]float64, error) {
	t, err := env.Query(ctx, fmt.Sprintf("SELECT %s FROM packets WHERE %s AND %s IS NOT NULL",
		env.Dialect().ValuesAt(gap, n, analysis.QuantileRanks(n, levels)), where, gap))
	if err != nil {
		return nil, err
	}
	return analysis.QuantilesOf(t.Rows[0][0], n, levels, nsPerSecond)
}

// pairGaps returns the statistics of the gaps of every address that has
// any, from the counts of the (address, gap) pairs of the packets of where
// and the condition and (of which there are packets, 0 when not counted),
// with the histogram of all their gaps; errTooMany when the pairs are more
// than maxAddrHistogram.
func pairGaps(ctx context.Context, env *analysis.Env, key, gap, where, and string, packets int64) ([]addrGaps, *analysis.Histogram, error) {
	pairs, err := gapPairs(ctx, env, key, gap, where, and, packets)
	if err != nil {
		return nil, nil, err
	}
	all := &analysis.Histogram{}
	type acc struct {
		packets int64
		h       analysis.Histogram
	}
	byAddr := map[string]*acc{}
	for _, p := range pairs {
		if p.hasGap {
			all.Add(p.gap, p.n)
		}
		if !p.hasAddr {
			continue
		}
		a := byAddr[p.addr]
		if a == nil {
			a = &acc{}
			byAddr[p.addr] = a
		}
		a.packets += p.n
		if p.hasGap {
			a.h.Add(p.gap, p.n)
		}
	}
	out := make([]addrGaps, 0, len(byAddr))
	for addr, a := range byAddr {
		if a.h.Len() == 0 {
			continue
		}
		g := addrGaps{addr: addr, packets: a.packets, n: a.h.Len(), q: a.h.Quantiles(stripLevels, nsPerSecond)}
		g.sum, g.sumSquares = a.h.Sums()
		g.min, g.max = a.h.Bounds()
		out = append(out, g)
	}
	slices.SortFunc(out, func(x, y addrGaps) int {
		return cmp.Or(cmp.Compare(y.packets, x.packets), strings.Compare(x.addr, y.addr))
	})
	return out, all, nil
}

// gapPair is the number n of packets of where with address addr in key
// (when hasAddr) and gap in the gap column (when hasGap).
type gapPair struct {
	addr    string
	gap, n  int64
	hasAddr bool
	hasGap  bool
}

// gapPairs reads the count of every (address, gap) pair of the packets of
// where and the condition and (see pairGaps for packets). The pairs are
// read into plain records, and the reading stops with errTooMany at the
// first one past maxAddrHistogram, or earlier when a sample says there are
// more: they would be read only to be dropped.
func gapPairs(ctx context.Context, env *analysis.Env, key, gap, where, and string, packets int64) ([]gapPair, error) {
	rows, err := env.Engine.Query(ctx, fmt.Sprintf("SELECT %[1]s, %[2]s, count(*) FROM packets WHERE %[3]s%[4]s GROUP BY %[1]s, %[2]s LIMIT %[5]d",
		key, gap, where, and, maxAddrHistogram+1))
	if err != nil {
		return nil, err
	}
	var pairs []gapPair
	sample := countSample{env: env, where: where + and, total: packets, limit: maxAddrHistogram}
	err = engine.Each(rows, func(r []any) error {
		p := gapPair{hasAddr: r[0] != nil, hasGap: r[1] != nil, n: analysis.AsInt(r[2])}
		if err := sample.add(ctx, p.n); err != nil {
			return err
		}
		if p.hasAddr {
			p.addr = analysis.AsString(r[0])
		}
		if p.hasGap {
			p.gap = analysis.AsInt(r[1])
		}
		pairs = append(pairs, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pairs, nil
}

// sampleRows is how many rows of counts countSample reads before it
// estimates how many there are.
var sampleRows = 1 << 16

// countSample follows the rows of a query that counts the packets of where
// by some key, each row a key and its count, and stops the reading with
// errTooMany past limit rows. After sampleRows rows it also estimates the
// number of rows from the packets they counted and all the packets of
// where, and stops when the estimate is past limit: rows of about one
// packet each, as a scan's, would be read by the million only to be
// dropped. The estimate only chooses how the answer is computed, never the
// answer.
type countSample struct {
	env           *analysis.Env
	where         string
	total         int64 // the packets of where, when known: then not counted
	limit         int
	rows, packets int64
	estimate      int64 // of the rows, when one was made
}

// add counts a row of n packets.
func (s *countSample) add(ctx context.Context, n int64) error {
	if s.rows == int64(s.limit) {
		return errTooMany
	}
	s.rows++
	s.packets += n
	if s.rows != int64(sampleRows) || s.rows >= int64(s.limit) {
		return nil
	}
	if s.total == 0 {
		t, err := s.env.Query(ctx, "SELECT count(*) FROM packets WHERE "+s.where)
		if err != nil {
			return err
		}
		s.total = analysis.AsInt(t.Rows[0][0])
	}
	s.estimate = s.total * s.rows / s.packets
	if s.estimate > int64(s.limit) {
		return errTooMany
	}
	return nil
}

// addressGapsFromEngine is addressGaps with the engine sorting each
// address' gaps. Engines give integers (counts, sums, the gaps at the ranks
// of the percentiles); the statistics are computed from them here, so that
// they are the same whatever the engine.
func addressGapsFromEngine(ctx context.Context, env *analysis.Env, key, gap, where string) ([]addrGaps, error) {
	d := env.Dialect()
	t, err := env.Query(ctx, fmt.Sprintf(`SELECT %[1]s, count(*) AS packets, count(%[2]s), sum(%[2]s), %[3]s, min(%[2]s), max(%[2]s), %[4]s
		FROM packets WHERE %[5]s
		GROUP BY %[1]s HAVING count(%[2]s) > 0 ORDER BY packets DESC, %[1]s`,
		key, gap, d.SumSquares(gap), d.QuantileBounds(gap, stripLevels), where))
	if err != nil {
		return nil, err
	}
	out := make([]addrGaps, 0, len(t.Rows))
	for _, r := range t.Rows {
		g := addrGaps{addr: analysis.AsString(r[0]), packets: analysis.AsInt(r[1]), n: analysis.AsInt(r[2]),
			sum: analysis.AsBigInt(r[3]), sumSquares: analysis.AsBigInt(r[4]), min: analysis.AsInt(r[5]), max: analysis.AsInt(r[6])}
		g.q, err = analysis.QuantilesOf(r[7], g.n, stripLevels, nsPerSecond)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.addr, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// errTooMany stops the reading of counts that are more than a histogram
// in Go takes.
var errTooMany = errors.New("too many values for a histogram")

// maxHistogram is the most distinct gaps read into a histogram of all
// addresses' gaps; beyond it the engine picks out the percentiles itself.
var maxHistogram = 256 << 10

// gapHistogram returns the histogram of the gaps (as many as gaps) in
// column gap of the packets of where, or errTooMany when the gaps take more than
// maxHistogram distinct values. Gaps usually take far fewer distinct
// values than there are packets, so the engine counts each value and the
// percentiles are read off the counts, exactly as the engine would compute
// them from all the gaps and much faster; past the limit (fine time
// stamps, long captures, scans), memory stays bounded whatever the
// capture.
func gapHistogram(ctx context.Context, env *analysis.Env, gap, where string, gaps int64) (*analysis.Histogram, error) {
	rows, err := env.Engine.Query(ctx, fmt.Sprintf("SELECT %[1]s, count(*) FROM packets WHERE %[2]s AND %[1]s IS NOT NULL GROUP BY %[1]s LIMIT %[3]d",
		gap, where, maxHistogram+1))
	if err != nil {
		return nil, err
	}
	// The counts are added up as they come, up to the first value past
	// maxHistogram or a sample that says there are more.
	h := &analysis.Histogram{}
	sample := countSample{env: env, total: gaps, limit: maxHistogram}
	err = engine.Each(rows, func(r []any) error {
		n := analysis.AsInt(r[1])
		if err := sample.add(ctx, n); err != nil {
			return err
		}
		h.Add(analysis.AsInt(r[0]), n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}
