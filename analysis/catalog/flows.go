package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/labels"
)

// The analyses of group flows (seed 001: a community network's operators)
// share what is in this file: the users of a flow's ends, found at query
// time from the labels of kind user, and the time range and bins.

// flowsGroup is the catalogue group of the analyses of flows.
const flowsGroup = "flows"

// dayNs is a day in nanoseconds.
const dayNs = int64(24 * time.Hour)

// The parameters of time of the flows analyses.
var (
	binParam = analysis.Param{Name: "bin", Kind: analysis.Duration, Default: "1w", Min: analysis.AtLeast(1),
		Doc: "width of the time bins (1w, 1d, 6h, ...); weeks start on Monday 00:00 UTC, as pandas' resample(\"1w\") bins end on Sunday"}
	fromParam = analysis.Param{Name: "from", Kind: analysis.String,
		Doc: "first day (2024-03-01) or time (RFC 3339) of the flows taken, by their start; default: the dataset's first"}
	toParam = analysis.Param{Name: "to", Kind: analysis.String,
		Doc: "last day (taken whole) or end time (exclusive) of the flows taken; default: the dataset's last"}
)

// binShift moves times to the origin of time bins, Monday 1900-01-01 00:00
// UTC, so that week bins start on Mondays and day bins at midnight: t +
// binShift is positive for every time after 1900, so that the engines'
// remainders (which keep the sign of the dividend) are those of a floor.
const binShift = int64(2208988800) * 1e9

// flowRange is the range of flow start times an analysis covers, [from, to)
// in nanoseconds since the epoch; ok is false when no flow is in it.
type flowRange struct {
	from, to int64
	ok       bool
	// whole is true when the range holds every flow of the dataset.
	whole bool
}

// where is the SQL condition on flows of the range. For the whole dataset
// it is no condition at all: the engine then knows how many flows a query
// reads, and puts the smaller side of each join where it belongs.
func (r flowRange) where(d engine.Dialect) string {
	if r.whole {
		return "1 = 1"
	}
	ts := d.EpochNs("start")
	return fmt.Sprintf("%s >= %d AND %s < %d", ts, r.from, ts, r.to)
}

// timeRange returns the range of the from and to parameters, each
// defaulting to the dataset's first and last flow start: the range the
// analyses zero-fill their bins over.
func timeRange(ctx context.Context, env *analysis.Env, v analysis.Values) (flowRange, error) {
	var r flowRange
	from, to, err := parseRange(v.String("from"), v.String("to"))
	if err != nil {
		return r, err
	}
	ts := env.Dialect().EpochNs("start")
	t, err := env.Shared(ctx, "SELECT min("+ts+"), max("+ts+"), count(*) FROM flows")
	if err != nil {
		return r, err
	}
	row := t.Rows[0]
	if analysis.AsInt(row[2]) == 0 {
		r.from, r.to = from, to
		return r, nil
	}
	r.from, r.to, r.ok = analysis.AsInt(row[0]), analysis.AsInt(row[1])+1, true
	r.whole = true
	if v.IsSet("from") && from > r.from {
		r.from, r.whole = from, false
	} else if v.IsSet("from") {
		r.from = from
	}
	if v.IsSet("to") && to < r.to {
		r.to, r.whole = to, false
	} else if v.IsSet("to") {
		r.to = to
	}
	if r.from >= r.to {
		r.ok = false
	}
	return r, nil
}

// parseRange reads the from and to parameters: a date (to: the whole day)
// or an RFC 3339 time. Unset values are 0.
func parseRange(from, to string) (int64, int64, error) {
	var out [2]int64
	for i, s := range []string{from, to} {
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			if i == 1 {
				t = t.Add(24 * time.Hour)
			}
			out[i] = t.UnixNano()
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, 0, fmt.Errorf("%s %q: want a date (2024-03-01) or a time (2024-03-01T12:00:00Z)", []string{"from", "to"}[i], s)
		}
		out[i] = t.UnixNano()
	}
	return out[0], out[1], nil
}

// binOf is the SQL of the start of the bin of width w of time ts (an
// integer expression of nanoseconds).
func binOf(ts string, w int64) string {
	return fmt.Sprintf("(%[1]s - (%[1]s + %[2]d) %% %[3]d)", ts, binShift, w)
}

// binStart returns the start of the bin of width w that holds t.
func binStart(t, w int64) int64 {
	r := (t + binShift) % w
	if r < 0 {
		r += w
	}
	return t - r
}

// bins returns the starts of the bins of width w from the one holding
// r.from to the one holding r.to - 1: every bin of the range, for
// zero-filled series.
func bins(r flowRange, w int64) []int64 {
	if !r.ok {
		return nil
	}
	var out []int64
	for b := binStart(r.from, w); b < r.to; b += w {
		out = append(out, b)
	}
	return out
}

// flowAddrs is the query of the addresses of the flows matching where, the
// candidates for labels.
func flowAddrs(where string) string {
	return "SELECT a AS addr FROM flows WHERE " + where + " UNION ALL SELECT b AS addr FROM flows WHERE " + where
}

// userNeed says which flows userFlows keeps, by the ends that may be
// users: an end may be one when the flow names its user or its address
// lies in a block of user labels. Leaving out early the flows that cannot
// count saves the joins that find the users of the others.
type userNeed int

const (
	anyFlow   userNeed = iota // every flow
	bothUsers                 // flows both ends of which may be users
)

// userFlows returns a query of the flows of range r with the columns cols
// (which must hold a and b) and ts (start, nanoseconds since the epoch),
// ua and ub: the users of a and of b at the flow's start, from the labels
// of kind user, else from the flow's own user_a and user_b (flow records
// that name their users); "" for none. Kinds follow: typical when one end
// is a user, p2p when both are, nouser when neither is. need leaves out
// flows that cannot have the users asked for.
func userFlows(ctx context.Context, env *analysis.Env, r flowRange, cols []string, need userNeed) (string, error) {
	d := env.Dialect()
	where := r.where(d)
	list := strings.Join(cols, ", ")
	blocks, err := labelBlocks(ctx, env, labels.User, r)
	if err != nil {
		return "", err
	}
	spans, w, err := labelSpans(ctx, env, labels.User, blocks, r)
	if err != nil {
		return "", err
	}
	if need == bothUsers {
		named, err := flowsNameUsers(ctx, env)
		if err != nil {
			return "", err
		}
		if !named {
			// Every user comes from the labels: the flows both ends of
			// which lie in blocks of user labels (a cheap filter, over
			// a few thousand addresses) join the spans of each end, an
			// inner join that keeps those with a user at their time
			// and that the engines build on the spans, not the flows.
			in := "a " + d.In() + " (SELECT _lmaddr FROM " + blocks + " AS _lka) AND b " + d.In() + " (SELECT _lmaddr FROM " + blocks + " AS _lkb)"
			base := "(SELECT " + list + ", " + d.EpochNs("start") + " AS ts FROM flows WHERE (" + where + ") AND " + in + ")"
			all := append(append([]string(nil), cols...), "ts")
			q := labels.JoinSpans(base, all, "a", "ts", "ua", spans, w)
			q = labels.JoinSpans("("+q+")", append(all, "ua"), "b", "ts", "ub", spans, w)
			return "SELECT " + list + ", ts, ua, ub FROM (" + q + ") AS lu", nil
		}
	}
	mayA := "(coalesce(user_a, '') <> '' OR a " + d.In() + " (SELECT _lmaddr FROM " + blocks + " AS _lka))"
	mayB := "(coalesce(user_b, '') <> '' OR b " + d.In() + " (SELECT _lmaddr FROM " + blocks + " AS _lkb))"
	if need == bothUsers {
		where = "(" + where + ") AND " + mayA + " AND " + mayB
	}
	base := "(SELECT " + list + ", " + d.EpochNs("start") + " AS ts, coalesce(user_a, '') AS ua0, coalesce(user_b, '') AS ub0 FROM flows WHERE " + where + ")"
	all := append(append([]string(nil), cols...), "ts", "ua0", "ub0")
	q := labels.AttachSpans(base, all, "a", "ts", "ual", spans, w)
	q = labels.AttachSpans("("+q+")", append(all, "ual"), "b", "ts", "ubl", spans, w)
	return "SELECT " + list + ", ts, CASE WHEN ual <> '' THEN ual ELSE ua0 END AS ua, CASE WHEN ubl <> '' THEN ubl ELSE ub0 END AS ub FROM (" + q + ") AS lu", nil
}

// flowsNameUsers reports whether a flow of the dataset names a user of
// either end (user_a or user_b, from flow records that carry user ids).
func flowsNameUsers(ctx context.Context, env *analysis.Env) (bool, error) {
	t, err := env.Shared(ctx, "SELECT count(*) FROM (SELECT 1 AS n FROM flows WHERE coalesce(user_a, '') <> '' OR coalesce(user_b, '') <> '' LIMIT 1) AS u")
	if err != nil {
		return false, fmt.Errorf("user ids of flows: %w", err)
	}
	return analysis.AsInt(t.Rows[0][0]) > 0, nil
}

// rangeAddrs returns a relation of the distinct addresses (column addr)
// of the flows of range r, kept by the engine for all the analyses on env
// that ask for it: the labels of every kind are looked up for them.
func rangeAddrs(ctx context.Context, env *analysis.Env, r flowRange) (string, error) {
	rel, err := env.Kept(ctx, "SELECT DISTINCT addr FROM ("+flowAddrs(r.where(env.Dialect()))+") AS fa")
	if err != nil {
		return "", fmt.Errorf("addresses of flows: %w", err)
	}
	return rel, nil
}

// labelBlocks returns a relation of the blocks of labels of kind that hold
// the addresses of the flows of range r (see labels.Blocks), kept by the
// engine for all the analyses on env that ask for it: the flows analyses
// of a report find the blocks of the same addresses once.
func labelBlocks(ctx context.Context, env *analysis.Env, kind string, r flowRange) (string, error) {
	addrs, err := rangeAddrs(ctx, env, r)
	if err != nil {
		return "", err
	}
	rel, err := env.Kept(ctx, labels.Blocks(env.Dialect(), kind, "SELECT addr FROM "+addrs+" AS ra"))
	if err != nil {
		return "", fmt.Errorf("blocks of %s labels: %w", kind, err)
	}
	return rel, nil
}

// labelSpans returns a relation of the labels of kind of the addresses of
// blocks (from labelBlocks) over the times of range r, in time buckets of
// the width it returns (see labels.AddrSpans), kept by the engine like
// the blocks.
func labelSpans(ctx context.Context, env *analysis.Env, kind, blocks string, r flowRange) (string, int64, error) {
	t, err := env.Shared(ctx, labels.SpanStats(kind, blocks))
	if err != nil {
		return "", 0, fmt.Errorf("spans of %s labels: %w", kind, err)
	}
	w := labels.SpanWidth(r.from, r.to, analysis.AsInt(t.Rows[0][0]), analysis.AsInt(t.Rows[0][1]))
	rel, err := env.Kept(ctx, labels.AddrSpans(env.Dialect(), kind, blocks, r.from, r.to, w))
	if err != nil {
		return "", 0, fmt.Errorf("spans of %s labels: %w", kind, err)
	}
	return rel, w, nil
}

// hasUsers reports whether the dataset knows users: labels of kind user,
// or flows that carry user ids.
func hasUsers(ctx context.Context, env *analysis.Env) (bool, error) {
	present, err := labels.Present(ctx, env.Shared)
	if err != nil {
		return false, err
	}
	return present[labels.User] > 0, nil
}

// noUsersNote is the note of a flows analysis run without users.
const noUsersNote = "no users: load them with 'netlens label --kind user' (or ingest --users); without them no end of a flow is a user"

// day formats nanoseconds as a UTC date.
func day(ns int64) string { return analysis.Time(ns).Format(time.DateOnly) }
