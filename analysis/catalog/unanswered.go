package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
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

// multicast is the SQL condition that the textual address in col is
// multicast (224.0.0.0/4, ff00::/8) or the IPv4 broadcast address.
func multicast(col string) string {
	conds := []string{col + " = '255.255.255.255'", col + " LIKE 'ff%'"}
	for o := 224; o <= 239; o++ {
		conds = append(conds, fmt.Sprintf("%s LIKE '%d.%%'", col, o))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// Outcomes of a request.
const (
	answeredReq = iota
	noReply
	rejected
)

func (unanswered) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	r, err := timeRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	type key struct{ host, service string }
	type counts [3]int64 // by outcome
	per := map[key]*counts{}
	classes := []string{"TCP connection attempts", "DNS queries", "other UDP", "SSDP M-SEARCH to the multicast group"}
	var byClass [4]counts
	add := func(k key, class, outcome int, n int64) {
		if per[k] == nil {
			per[k] = &counts{}
		}
		per[k][outcome] += n
		byClass[class][outcome] += n
	}
	if r.ok {
		d := env.Dialect()
		where := r.where(d)
		t, err := env.Query(ctx, `SELECT a, service, CASE WHEN service IS NULL THEN b_port ELSE 0 END AS port, proto, b_port = 53 AS dns,
			CASE WHEN proto = 6 THEN (CASE WHEN state = 'S0' THEN 1 WHEN state = 'REJ' THEN 2 ELSE 0 END)
				ELSE (CASE WHEN pkts_b_to_a = 0 THEN 1 ELSE 0 END) END AS outcome, count(*)
			FROM flows WHERE `+where+` AND proto IN (6, 17) AND NOT `+multicast("b")+` AND NOT (proto = 17 AND a_port = 1900)
			GROUP BY a, service, port, proto, dns, outcome`)
		if err != nil {
			return nil, err
		}
		for _, row := range t.Rows {
			svc := analysis.AsString(row[1])
			proto := analysis.AsInt(row[3])
			if svc == "" {
				svc = portProto(analysis.AsInt(row[2]), proto)
			}
			class := 2 // other UDP
			switch {
			case proto == 6:
				class = 0
			case analysis.AsInt(row[4]) != 0:
				class = 1
			}
			add(key{analysis.AsString(row[0]), svc}, class, int(analysis.AsInt(row[5])), analysis.AsInt(row[6]))
		}
		// SSDP M-SEARCH to the multicast group, and the replies from port
		// 1900 to the searcher's address and port.
		ts := d.EpochNs("start")
		t, err = env.Query(ctx, fmt.Sprintf(`SELECT a, count(*), sum(replied) FROM (
			SELECT fid, a, max(CASE WHEN rts >= qts AND rts <= qts + %[1]d THEN 1 ELSE 0 END) AS replied FROM (
				SELECT flow_id AS fid, a, a_port, %[2]s AS qts FROM flows
				WHERE %[3]s AND proto = 17 AND b_port = 1900 AND a_port <> 1900 AND (b = '239.255.255.250' OR b LIKE 'ff0_::c')
			) AS q LEFT JOIN (
				SELECT b AS rb, b_port AS rport, %[2]s AS rts FROM flows WHERE proto = 17 AND a_port = 1900 AND NOT %[4]s
			) AS rep ON a = rb AND a_port = rport
			GROUP BY fid, a) AS s
			GROUP BY a`, v.Duration("ssdp_wait").Nanoseconds(), ts, where, multicast("b")))
		if err != nil {
			return nil, err
		}
		for _, row := range t.Rows {
			n, replied := analysis.AsInt(row[1]), analysis.AsInt(row[2])
			k := key{analysis.AsString(row[0]), "ssdp/udp M-SEARCH"}
			add(k, 3, answeredReq, replied)
			add(k, 3, noReply, n-replied)
		}
	}
	// Sorted with their counts beside them: a scan has millions of hosts,
	// and a look-up in per for each comparison costs more than the rest.
	type entry struct {
		key
		c            counts
		un, requests int64
	}
	keys := make([]entry, 0, len(per))
	for k, c := range per {
		keys = append(keys, entry{key: k, c: *c, un: c[noReply] + c[rejected], requests: c[0] + c[1] + c[2]})
	}
	per = nil
	slices.SortFunc(keys, func(x, y entry) int {
		return cmp.Or(cmp.Compare(y.un, x.un), cmp.Compare(y.requests, x.requests), cmp.Compare(x.host, y.host), cmp.Compare(x.service, y.service))
	})
	tab := analysis.NewTable("unanswered", "Requests per host and service, and the share answered",
		"host", "name", "service", "requests", "answered", "no_reply", "rejected", "share_answered").WithUnit("share_answered", output.Share).WithUnit("share_answered", output.Share)
	var cats []string
	var answered, unanswered []float64
	top := v.Int("top")
	for _, k := range keys {
		c, requests := k.c, k.requests
		tab.Add(k.host, nullable(env.Names[k.host]), k.service, requests, c[answeredReq], c[noReply], c[rejected], float64(c[answeredReq])/float64(requests))
		if k.un > 0 && int64(len(cats)) < top {
			cats = append(cats, env.Label(k.host)+" "+k.service)
			answered, unanswered = append(answered, float64(c[answeredReq])), append(unanswered, float64(k.un))
		}
	}
	sum := analysis.NewTable("unanswered_summary", "Requests by kind, and the share answered",
		"kind", "requests", "answered", "no_reply", "rejected", "share_answered").WithUnit("share_answered", output.Share).WithUnit("share_answered", output.Share)
	for i, name := range classes {
		c := byClass[i]
		requests := c[0] + c[1] + c[2]
		var share any // NULL without requests
		if requests > 0 {
			share = float64(c[answeredReq]) / float64(requests)
		}
		sum.Add(name, requests, c[answeredReq], c[noReply], c[rejected], share)
	}
	c := chart.NewHBar("unanswered", "Unanswered requests per host and service", cats,
		chart.Bars("unanswered", unanswered), chart.Bars("answered", answered))
	c.X.Title = "requests"
	if n := len(keys); n > len(cats) {
		c.Note = fmt.Sprintf("the top %d hosts and services with unanswered requests, of %d", len(cats), n)
	}
	return &analysis.Result{
		Tables: []analysis.Table{tab, sum},
		Charts: []*chart.Chart{c.OrEmpty("no unanswered requests")},
	}, nil
}
