package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/labels"
)

type activity struct{}

// pointsParam is the budget of points of an activity chart.
var pointsParam = analysis.Param{Name: "points", Kind: analysis.Int, Default: "20000", Min: analysis.AtLeast(1),
	Doc: "at most this many packets are drawn: a deterministic sample of the packets when there are more"}

func (activity) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "activity", Group: darknetGroup, Title: "Activity pattern of the senders",
		Doc: `Each packet of the first span of the range as a dot: its time, and its sender as a token, the ` +
			`rank of the sender's first packet (0 for the first sender seen), as the seed's activity ` +
			`pattern. Instead of the seed's every third packet, at most points packets are drawn: when ` +
			`there are more, a sample fixed by the packets' times (a hash of the time, the same on every ` +
			`engine and every run), then every k-th of it by time.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, pointsParam,
			{Name: "span", Kind: analysis.Duration, Default: "9d", Min: analysis.AtLeast(1),
				Doc: "how much of the start of the range is drawn (the seed's 9 days)"}},
	}
}

// The sampling hash of a packet's time: ((ts mod samplePrime) *
// sampleMul) mod samplePrime, uniform over [0, samplePrime) for times
// apart by a microsecond or more, in integers that fit 64 bits.
const (
	samplePrime = 1000003
	sampleMul   = 7919
)

// activityRows returns the sample of at most points packets of [from, to)
// whose senders the SQL condition cond (with args) keeps, as rows of time,
// sender and token, in time order, and the number of packets sampled from.
// kept, when not empty, is a relation of those senders with the time
// of their first packet and their packets (src, ft, n), else they are
// counted from the packets.
func activityRows(ctx context.Context, env *analysis.Env, from, to int64, cond string, args []any, points int64, kept string) ([][3]any, int64, error) {
	d := env.Dialect()
	ts := d.EpochNs("ts")
	where := fmt.Sprintf("%s >= %d AND %s < %d AND ip_version IN (4, 6) AND %s", ts, from, ts, to, cond)
	var senders []firstPacket
	var total int64
	if kept != "" {
		t, err := env.Query(ctx, "SELECT "+bigints("sum(n)")+" FROM "+kept+" AS s")
		if err != nil {
			return nil, 0, err
		}
		if len(t.Rows) > 0 {
			total = analysis.AsInt(t.Rows[0][0])
		}
	} else {
		var err error
		if senders, total, err = firstPackets(ctx, env, where, args); err != nil {
			return nil, 0, err
		}
	}
	sample := ""
	if total > points {
		// Twice the budget of times, then every k-th of them.
		thr := min(samplePrime, (2*points*samplePrime+total-1)/total)
		sample = fmt.Sprintf(" AND ((%s %% %d) * %d) %% %d < %d", ts, samplePrime, sampleMul, samplePrime, thr)
	}
	t, err := env.Query(ctx, "SELECT "+ts+" AS t, src FROM packets WHERE "+where+sample+" ORDER BY t, src", args...)
	if err != nil {
		return nil, 0, err
	}
	rows := t.Rows
	n := int64(len(rows))
	var out [][3]any
	// The token of a sender is its rank among all: those of the senders
	// of the sample are looked up once it is drawn.
	token := map[string]int64{}
	for i, row := range rows {
		// Keep the rows where floor(i * points / n) steps: at most points of them, evenly spread.
		if n > points && i > 0 && int64(i)*points/n == int64(i-1)*points/n {
			continue
		}
		src := analysis.AsString(row[1])
		token[src] = 0
		out = append(out, [3]any{analysis.AsInt(row[0]), src, nil})
	}
	if kept != "" {
		err = rankKept(ctx, env, kept, "SELECT coalesce(src, '') FROM packets WHERE "+where+sample, args, token)
		if err != nil {
			return nil, 0, err
		}
	} else {
		for i, s := range senders {
			if _, ok := token[s.src]; ok {
				token[s.src] = int64(i)
			}
		}
	}
	for i := range out {
		out[i][2] = token[out[i][1].(string)]
	}
	return out, total, nil
}

// firstPacket is a sender and the time of its first packet.
type firstPacket struct {
	src   string
	first int64
}

// firstPackets returns the senders of the packets that match where (with
// args) in the order of their first packets (then of their addresses),
// and the number of those packets.
func firstPackets(ctx context.Context, env *analysis.Env, where string, args []any) ([]firstPacket, int64, error) {
	ts := env.Dialect().EpochNs("ts")
	rows, err := env.Engine.Query(ctx, "SELECT src, min("+ts+") AS f, count(*) AS n FROM packets WHERE "+where+" GROUP BY src", args...)
	if err != nil {
		return nil, 0, err
	}
	var senders []firstPacket
	var total int64
	err = engine.Each(rows, func(row []any) error {
		senders = append(senders, firstPacket{analysis.AsString(row[0]), analysis.AsInt(row[1])})
		total += analysis.AsInt(row[2])
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(senders, func(a, b firstPacket) int { return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.src, b.src)) })
	return senders, total, nil
}

// rankKept sets the token of each sender of token, the rank of its first
// packet among the senders of the relation kept (src, ft: the time of its
// first packet), ties in the order of the addresses; sampled is the query
// (with args) of the senders drawn, among whom those of token. A
// telescope has millions of senders: only the times of their first
// packets are read, and the addresses of those whose time is one of the
// drawn senders'.
func rankKept(ctx context.Context, env *analysis.Env, kept, sampled string, args []any, token map[string]int64) error {
	if len(token) == 0 {
		return nil
	}
	// The senders whose first packet came at the time of a drawn sender's
	// first packet: the drawn senders themselves, and those that tie with
	// them.
	in := env.Dialect().In()
	rows, err := env.Engine.Query(ctx, "SELECT ft, coalesce(src, '') FROM "+kept+" AS s WHERE ft "+in+" (SELECT ft FROM "+kept+
		" AS d WHERE coalesce(src, '') "+in+" ("+sampled+"))", args...)
	if err != nil {
		return err
	}
	first := make(map[string]int64, len(token))
	ties := map[int64][]string{}
	err = engine.Each(rows, func(row []any) error {
		ft, src := analysis.AsInt(row[0]), analysis.AsString(row[1])
		ties[ft] = append(ties[ft], src)
		if _, ok := token[src]; ok {
			first[src] = ft
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows, err = env.Engine.Query(ctx, "SELECT ft FROM "+kept+" AS s")
	if err != nil {
		return err
	}
	var times []int64
	err = engine.Each(rows, func(row []any) error {
		times = append(times, analysis.AsInt(row[0]))
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(times)
	for src := range token {
		ft, ok := first[src]
		if !ok {
			return fmt.Errorf("activity: sender %q of the sample is not among the senders", src)
		}
		rank, _ := slices.BinarySearch(times, ft) // the senders whose first packet came before
		for _, t := range ties[ft] {
			if t < src {
				rank++
			}
		}
		token[src] = int64(rank)
	}
	return nil
}

// activityResult builds the table and chart of activityRows' packets.
func activityResult(env *analysis.Env, name, title string, rows [][3]any, total int64, why string) *analysis.Result {
	tab := analysis.NewTable(name, title, "ts", "sender", "token")
	pts := make([]chart.Point, 0, len(rows))
	for _, r := range rows {
		ns := r[0].(int64)
		tab.Add(analysis.Time(ns), r[1], r[2])
		pts = append(pts, chart.Point{X: chart.UnixSeconds(ns), Y: float64(r[2].(int64))})
	}
	c := chart.NewScatter(name, title, chart.Series{Name: "packets", Points: pts})
	c.X = chart.Axis{Title: "time", Unit: chart.UnitTime}
	c.Y = chart.Axis{Title: "sender (token: rank of its first packet)"}
	if int64(len(rows)) < total {
		c.Note = fmt.Sprintf("%d of %d packets, a deterministic sample", len(rows), total)
	}
	return &analysis.Result{Tables: []analysis.Table{tab}, Charts: []*chart.Chart{c.OrEmpty(why)}}
}

func (activity) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	title := "Activity pattern: packets by sender over time"
	if !r.ok {
		return activityResult(env, "activity", title, nil, 0, noDarknet), nil
	}
	to := min(r.to, r.from+v.Duration("span").Nanoseconds())
	// When the span holds the whole range, its senders are those the
	// other analyses of the group count.
	var senders string
	if st, ok, err := senderTables(ctx, env, r); err != nil {
		return nil, err
	} else if ok && to == r.to {
		senders = st.senders
	}
	rows, total, err := activityRows(ctx, env, r.from, to, "1 = 1", nil, v.Int("points"), senders)
	if err != nil {
		return nil, err
	}
	return activityResult(env, "activity", title+", "+r.dayOf(r.from)+" to "+r.dayOf(to-1), rows, total, noDarknet), nil
}

type classActivity struct{}

func (classActivity) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "class_activity", Group: darknetGroup, Title: "Activity pattern of a ground-truth class",
		Doc: `The activity pattern (see activity) of the senders of one ground-truth class over the whole ` +
			`range, as the seed draws Stretchoid's and Engin-Umich's: each packet as a dot, its time and its ` +
			`sender's token, at most points of them. class=unknown draws the senders without a class and ` +
			`those of the classes of fold.`,
		Tables: []string{"packets"},
		Labels: []string{labels.Class},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, pointsParam, foldParam,
			{Name: "class", Kind: analysis.String, Default: "stretchoid", Doc: "the ground-truth class drawn"}},
	}
}

func (classActivity) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	class := v.String("class")
	title := "Activity pattern of class " + class
	why := "no packets of class " + class + " in the range"
	if !r.ok {
		return activityResult(env, "class_activity", title, nil, 0, why), nil
	}
	d := env.Dialect()
	fold := folded(v)
	if class != unknownClass && fold[class] {
		return activityResult(env, "class_activity", title, nil, 0, "class "+class+" is folded into unknown (fold)"), nil
	}
	// The senders of the range with a class label, so that the class'
	// senders go to the engine as a list when they are few.
	senders := fmt.Sprintf("(SELECT src FROM packets WHERE %s GROUP BY src)", r.all(d))
	// The senders with their labels, kept as a table where the engine
	// keeps results: found once, not by each query that asks.
	lq, err := env.Kept(ctx, withClass(d, senders, []string{"src"}, r.from, "SELECT src AS addr FROM "+senders+" AS sa"))
	if err != nil {
		return nil, err
	}
	lt, err := env.Shared(ctx, "SELECT src, class FROM "+lq+" AS ls WHERE class <> '' ORDER BY src")
	if err != nil {
		return nil, err
	}
	// A named class: its senders. unknown: every sender but those whose
	// class stands.
	var list []any
	for _, row := range lt.Rows {
		c := classOf(analysis.AsString(row[1]), fold)
		if class == unknownClass && c != unknownClass || class != unknownClass && c == class {
			list = append(list, analysis.AsString(row[0]))
		}
	}
	var cond string
	var args []any
	switch {
	case len(list) > maxListed:
		cond, args = classCond(class, fold, lq)
	case class != unknownClass && len(list) == 0:
		return activityResult(env, "class_activity", title, nil, 0, why), nil
	case class != unknownClass:
		cond, args = "src IN ("+placeholders(len(list))+")", list
	case len(list) == 0:
		cond = "1 = 1"
	default:
		cond, args = "src NOT IN ("+placeholders(len(list))+")", list
	}
	rows, total, err := activityRows(ctx, env, r.from, r.to, cond, args, v.Int("points"), "")
	if err != nil {
		return nil, err
	}
	return activityResult(env, "class_activity", title, rows, total, why), nil
}

// maxListed is the most senders a query lists as its arguments: DuckDB
// compares a packet with every value of a list of arguments, so a longer
// list goes as a subquery of the labelled senders.
var maxListed = 64

// placeholders returns n comma-separated "?".
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// classCond is the SQL condition, with its arguments, that a packet's
// sender is of class (unknown: without a label, or of a folded class),
// from the relation lq of the senders of the range with their labels.
func classCond(class string, fold map[string]bool, lq string) (string, []any) {
	names := []string{class}
	if class == unknownClass {
		names = []string{""}
		for f := range fold {
			names = append(names, f)
		}
		slices.Sort(names) // a stable query text and arguments
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	return "src IN (SELECT src FROM " + lq + " AS cs WHERE class IN (" + placeholders(len(names)) + "))", args
}
