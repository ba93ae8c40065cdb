package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

type unanswered struct{}

func (unanswered) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "unanswered", Group: flowsGroup, Title: "Unanswered requests",
		Doc: `Per host (the initiator a) and service, its requests and the share answered. A request is ` +
			`a TCP or UDP flow to a unicast address: a TCP connection attempt without reply (state S0) or ` +
			`rejected (REJ), a UDP flow with nothing back (which covers DNS queries without a response) ` +
			`are not answered, the rest are. UDP from port 1900 is SSDP's answers and announcements, not requests. Requests to multicast and broadcast addresses get their ` +
			`answers, if any, in other flows, so they are left out, except SSDP M-SEARCH (to port 1900 ` +
			`of 239.255.255.250 or ff0X::c): it is answered when a flow from port 1900 to the searching ` +
			`address and port starts within ssdp_wait. Services are those of the responder's port ` +
			`(dns/udp, https/tcp), else port/protocol.`,
		Tables: []string{"flows"},
		Params: []analysis.Param{fromParam, toParam, top("20"),
			{Name: "ssdp_wait", Kind: analysis.Duration, Default: "6s", Min: analysis.AtLeast(0),
				Doc: "how long after an SSDP M-SEARCH a reply counts as its answer (UPnP devices answer within its MX, 1 to 5 s)"}},
	}
}

// unicast is the SQL condition that the textual address in col is
// neither multicast (224.0.0.0/4, ff00::/8) nor the IPv4 broadcast
// address: it does not start with ff, nor with 224. to 239. (a text from
// 224. up to 22: or from 230. up to 23:, whose fourth character is a
// dot). A condition per first octet, each tested on every flow, took 10
// of the 33 processor seconds of unanswered on 100 M flows; these take 5.
func unicast(col string) string {
	return fmt.Sprintf("(%[1]s <> '255.255.255.255' AND %[1]s NOT LIKE 'ff%%' AND (%[1]s < '224.' OR %[1]s >= '23:' OR %[1]s >= '22:' AND %[1]s < '230.' OR %[1]s NOT LIKE '2__.%%'))", col)
}

func (unanswered) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := timeRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	d := env.Dialect()
	where := "FALSE"
	if r.ok {
		where = r.where(d)
	}
	// Per host and service: requests answered, without reply and
	// rejected. A service is the responder's port's name, else
	// port/protocol. The engine keeps them: a scan has millions of hosts,
	// whose rows are read from it as the table is written.
	ts := d.EpochNs("start")
	// The requests of services but SSDP M-SEARCH, one row each: host,
	// service, kind of request (0 TCP, 1 DNS, 2 other UDP), answered, no
	// reply, rejected (1 or 0).
	requests := fmt.Sprintf(`SELECT coalesce(a, '') AS host,
			CASE WHEN service IS NULL THEN CAST(b_port AS VARCHAR) || CASE WHEN proto = 6 THEN '/tcp' ELSE '/udp' END
				WHEN service = '' THEN CASE WHEN proto = 6 THEN '0/tcp' ELSE '0/udp' END
				ELSE service END AS svc,
			CASE WHEN proto = 6 THEN 0 WHEN b_port = 53 THEN 1 ELSE 2 END AS kind,
			CASE WHEN proto = 6 AND state NOT IN ('S0', 'REJ') OR proto <> 6 AND pkts_b_to_a <> 0 THEN 1 ELSE 0 END AS answered,
			CASE WHEN proto = 6 AND state = 'S0' OR proto <> 6 AND pkts_b_to_a = 0 THEN 1 ELSE 0 END AS no_reply,
			CASE WHEN proto = 6 AND state = 'REJ' THEN 1 ELSE 0 END AS rejected
		FROM flows WHERE %s AND proto IN (6, 17) AND %s AND NOT (proto = 17 AND a_port = 1900)`, where, unicast("b"))
	// The SSDP M-SEARCHes (kind 3), one row each: host, replied (1 or 0).
	searches := fmt.Sprintf(`SELECT a, max(CASE WHEN rts >= qts AND rts <= qts + %[1]d THEN 1 ELSE 0 END) AS replied FROM (
			SELECT flow_id AS fid, a, a_port, %[2]s AS qts FROM flows
			WHERE %[3]s AND proto = 17 AND b_port = 1900 AND a_port <> 1900 AND (b = '239.255.255.250' OR b LIKE 'ff0_::c')
		) AS q LEFT JOIN (
			SELECT b AS rb, b_port AS rport, %[2]s AS rts FROM flows WHERE proto = 17 AND a_port = 1900 AND %[4]s
		) AS rep ON a = rb AND a_port = rport
		GROUP BY fid, a`, v.Duration("ssdp_wait").Nanoseconds(), ts, where, unicast("b"))
	// Per host and service, from one pass over the flows, kept by the
	// engine for the table, the chart's top and the count of rows, with
	// the least and greatest kind of request (3: SSDP M-SEARCH) of its
	// requests: a service's requests are nearly always of one kind (its
	// name says the protocol), and the summary by kind adds up the hosts
	// and services of one kind rather than grouping the flows by host,
	// service and kind first (a scan's millions of hosts grouped twice).
	rel, err := env.Kept(ctx, `SELECT host, service, answered + no_reply + rejected AS requests, answered, no_reply, rejected, no_reply + rejected AS un, kmin, kmax FROM (
		SELECT host, service, sum(answered) AS answered, sum(no_reply) AS no_reply, sum(rejected) AS rejected, min(kind) AS kmin, max(kind) AS kmax FROM (
			SELECT host, svc AS service, kind, answered, no_reply, rejected FROM (`+requests+`) AS f
			UNION ALL
			SELECT coalesce(a, ''), 'ssdp/udp M-SEARCH', 3, replied, CASE WHEN replied = 0 THEN 1 ELSE 0 END, 0 FROM (`+searches+`) AS s
		) AS r GROUP BY host, service) AS h`)
	if err != nil {
		return nil, err
	}
	perHost := `SELECT host, service, requests, answered, no_reply, rejected, un FROM ` + rel + ` AS k`
	order := ` ORDER BY un DESC, requests DESC, host, service`
	// The table's rows come from the engine ordered by all but the
	// service, and the services of a host with as many requests and
	// unanswered are then put in order (engine.OrderRuns): a run is at
	// most a host's services, one per port and protocol or name.
	tab := env.StreamTable("unanswered", "Requests per host and service, and the share answered",
		[]string{"host", "name", "service", "requests", "answered", "no_reply", "rejected", "share_answered"},
		[]string{"VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "DOUBLE"},
		func(in, out []any) error {
			host := analysis.AsString(in[0])
			requests, answered := analysis.AsInt(in[2]), analysis.AsInt(in[3])
			out[0], out[1], out[2], out[3] = host, nullable(env.Names[host]), analysis.AsString(in[1]), requests
			out[4], out[5], out[6], out[7] = answered, analysis.AsInt(in[4]), analysis.AsInt(in[5]), float64(answered)/float64(requests)
			return nil
		}, `SELECT host, service, `+bigints("requests", "answered", "no_reply", "rejected")+` FROM (`+perHost+`) AS t `+engine.RunsOrdered+` ORDER BY `+bigints("un")+` DESC, `+bigints("requests")+` DESC, host`).
		WithUnit("share_answered", output.Share)
	tab.Stream = engine.OrderRuns(tab.Stream,
		func(a, b []any) bool {
			return a[3] == b[3] && a[0] == b[0] && analysis.AsInt(a[5])+analysis.AsInt(a[6]) == analysis.AsInt(b[5])+analysis.AsInt(b[6])
		},
		func(a, b []any) int { return strings.Compare(analysis.AsString(a[2]), analysis.AsString(b[2])) })
	top, err := env.Query(ctx, fmt.Sprintf(`SELECT host, service, answered, un FROM (%s) AS t WHERE un > 0%s LIMIT %d`, perHost, order, v.Int("top")))
	if err != nil {
		return nil, err
	}
	var cats []string
	var answered, unanswered []float64
	for _, row := range top.Rows {
		cats = append(cats, env.Label(analysis.AsString(row[0]))+" "+analysis.AsString(row[1]))
		answered, unanswered = append(answered, float64(analysis.AsInt(row[2]))), append(unanswered, float64(analysis.AsInt(row[3])))
	}
	// How many rows the table has, unanswered or not.
	nt, err := env.Query(ctx, `SELECT count(*) FROM (`+perHost+`) AS t`)
	if err != nil {
		return nil, err
	}
	n := analysis.AsInt(nt.Rows[0][0])

	sums, err := unansweredByKind(ctx, env, rel, requests, searches)
	if err != nil {
		return nil, err
	}
	sum := analysis.NewTable("unanswered_summary", "Requests by kind, and the share answered",
		"kind", "requests", "answered", "no_reply", "rejected", "share_answered").WithUnit("share_answered", output.Share)
	for i, name := range []string{"TCP connection attempts", "DNS queries", "other UDP", "SSDP M-SEARCH to the multicast group"} {
		c := sums[i]
		requests := c[0] + c[1] + c[2]
		var share any // NULL without requests
		if requests > 0 {
			share = float64(c[0]) / float64(requests)
		}
		sum.Add(name, requests, c[0], c[1], c[2], share)
	}
	c := chart.NewHBar("unanswered", "Unanswered requests per host and service", cats,
		chart.Bars("unanswered", unanswered), chart.Bars("answered", answered))
	c.X.Title = "requests"
	if n > int64(len(cats)) {
		c.Note = fmt.Sprintf("the top %d hosts and services with unanswered requests, of %d", len(cats), n)
	}
	return &analysis.Result{
		Tables: []analysis.Table{tab, sum},
		Charts: []*chart.Chart{c.OrEmpty("no unanswered requests")},
	}, nil
}

// unansweredByKind returns the requests answered, without reply and
// rejected of each kind (0 TCP, 1 DNS, 2 other UDP, 3 SSDP M-SEARCH):
// from the sums per host and service rel when each of them is of one
// kind, else from the requests and searches themselves.
func unansweredByKind(ctx context.Context, env *analysis.Env, rel, requests, searches string) ([4][3]int64, error) {
	var sums [4][3]int64
	byKind, err := env.Query(ctx, `SELECT kmin, kmax, sum(answered), sum(no_reply), sum(rejected) FROM `+rel+` AS k GROUP BY kmin, kmax`)
	if err != nil {
		return sums, err
	}
	if slices.ContainsFunc(byKind.Rows, func(row []any) bool { return analysis.AsInt(row[0]) != analysis.AsInt(row[1]) }) {
		byKind, err = env.Query(ctx, `SELECT kind, kind, sum(answered), sum(no_reply), sum(rejected) FROM (
			SELECT kind, answered, no_reply, rejected FROM (`+requests+`) AS f
			UNION ALL
			SELECT 3, replied, CASE WHEN replied = 0 THEN 1 ELSE 0 END, 0 FROM (`+searches+`) AS s
		) AS r GROUP BY kind`)
		if err != nil {
			return sums, err
		}
	}
	for _, row := range byKind.Rows {
		if k := analysis.AsInt(row[0]); k >= 0 && k < 4 {
			sums[k] = [3]int64{analysis.AsInt(row[2]), analysis.AsInt(row[3]), analysis.AsInt(row[4])}
		}
	}
	return sums, nil
}
