package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/browser"
	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/labels"
)

// tracepoint is a Bitcoin node's message log: its peers 203.0.113.5 and
// 2001:db8::7.
var tracepoint = filepath.Join(testenv.RepoRoot(), "input", "btclog", "testdata", "tracepoint.csv")

// hostileLabels are labels of the hostile capture's addresses that are
// markup, by kind: an address or prefix and its label.
var hostileLabels = map[string][][2]string{
	"user":  {{"203.0.113.9", `<script>alert("user")</script>`}},
	"org":   {{"203.0.113.0/24", `<img src=x onerror=alert("org")>`}},
	"class": {{"203.0.113.5", `peer & <b>friend</b>`}},
}

var labelled struct {
	once sync.Once
	dir  string
	err  error
}

// labelledDataset is a dataset of the hostile capture and the Bitcoin
// node's message log, with hostileLabels loaded, built once.
func labelledDataset(t *testing.T) string {
	t.Helper()
	labelled.once.Do(func() {
		tmp, err := mkdirShared("netlens-web-labels-")
		if err != nil {
			labelled.err = err
			return
		}
		pcap := filepath.Join(tmp, "hostile.pcap")
		testcapture.Hostile(t, pcap)
		labelled.dir = filepath.Join(tmp, "ds")
		ds, err := dataset.OpenWrite(labelled.dir)
		if err != nil {
			labelled.err = err
			return
		}
		defer ds.Close()
		if _, err := ingest.Run(context.Background(), ds, []string{pcap, tracepoint}, ingest.DefaultConfig()); err != nil {
			labelled.err = err
			return
		}
		for kind, ls := range hostileLabels {
			var b strings.Builder
			w := csv.NewWriter(&b)
			for _, l := range ls {
				w.Write(l[:])
			}
			w.Flush()
			path := filepath.Join(tmp, kind+".csv")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				labelled.err = err
				return
			}
			if _, err := labels.Load(ds, "test", kind, []string{path}, false); err != nil {
				labelled.err = err
				return
			}
		}
	})
	if labelled.err != nil {
		t.Fatal(labelled.err)
	}
	return labelled.dir
}

// peerMessages counts the messages of the log with a peer, by direction
// and type, as "direction msg_type count" lines, sorted.
func peerMessages(t *testing.T, peer string) []string {
	t.Helper()
	f, err := os.Open(tracepoint)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range recs[1:] { // timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size
		if strings.HasPrefix(r[2], peer) {
			n[r[4]+" "+r[5]]++
		}
	}
	var out []string
	for k, c := range n {
		out = append(out, k+" "+strings.Repeat("|", c))
	}
	sort.Strings(out)
	return out
}

// TestHostLabelsAndPeers: the host page gives the labels of the address
// (of every kind, the longest prefix's) and, for a Bitcoin peer, its
// messages by type and direction as the node's log has them; markup in
// labels stays JSON-escaped text.
func TestHostLabelsAndPeers(t *testing.T) {
	s := start(t, labelledDataset(t), DefaultConfig(), nil)
	for _, tt := range []struct {
		addr   string
		labels []fact
		peer   string // the prefix of its peer_addr in the log, "" if none
	}{
		{"203.0.113.9", []fact{{"org", hostileLabels["org"][0][1]}, {"user", hostileLabels["user"][0][1]}}, ""},
		{"203.0.113.5", []fact{{"class", hostileLabels["class"][0][1]}, {"org", hostileLabels["org"][0][1]}}, "203.0.113.5:"},
		{"2001:db8::7", []fact{}, "[2001:db8::7]:"},
		{"10.0.0.2", []fact{}, ""},
	} {
		code, body := get(t, s.URL+"/api/host/"+tt.addr)
		if code != 200 || strings.ContainsAny(body, "<>") {
			t.Fatalf("%s: %d %s", tt.addr, code, body)
		}
		h := decode[hostJSON](t, body)
		if diff := cmp.Diff(tt.labels, h.Labels); diff != "" {
			t.Errorf("%s: labels (-want +got):\n%s", tt.addr, diff)
		}
		var names []string
		for _, tb := range h.Tables {
			names = append(names, tb.Name)
		}
		if !strings.Contains(strings.Join(names, " "), "host_labels") {
			t.Errorf("%s: no labels table in %v", tt.addr, names)
		}
		hasPeer := strings.Contains(strings.Join(names, " "), "host_peer_messages")
		if hasPeer != (tt.peer != "") {
			t.Errorf("%s: tables %v", tt.addr, names)
		}
		if tt.peer == "" {
			continue
		}
		_, body = get(t, s.URL+"/api/host/"+tt.addr+"?table=host_peer_messages&limit=1000")
		p := decode[page](t, body)
		var got []string
		for _, r := range p.Rows {
			var dir, typ string
			var n int
			decodeInto(t, r[2], &dir)
			decodeInto(t, r[3], &typ)
			decodeInto(t, r[4], &n)
			if !strings.HasPrefix(strings.Trim(string(r[1]), `"`), tt.peer) {
				t.Errorf("%s: peer_addr %s", tt.addr, r[1])
			}
			got = append(got, dir+" "+typ+" "+strings.Repeat("|", n))
		}
		sort.Strings(got)
		if diff := cmp.Diff(peerMessages(t, tt.peer), got); diff != "" {
			t.Errorf("%s: messages (-log +host page):\n%s", tt.addr, diff)
		}
	}
}

func decodeInto(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// TestBrowserHostLabels: the labels and peer messages of the host page,
// markup in labels shown as text; nothing of it runs.
func TestBrowserHostLabels(t *testing.T) {
	s := start(t, labelledDataset(t), DefaultConfig(), nil)
	p := browser.Open(t, s.URL+"/host/203.0.113.9")
	waitView(p, 1)
	if got, want := text(p, "#host-labels"), "org"+hostileLabels["org"][0][1]+"user"+hostileLabels["user"][0][1]; got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
	p.Eval(`(() => { history.pushState(null, '', '/host/203.0.113.5'); dispatchEvent(new PopStateEvent('popstate')); return true })()`, nil)
	waitView(p, 2)
	if n := p.Count(`[data-table-block="host_peer_messages"] tbody tr`); n != len(peerMessages(t, "203.0.113.5:")) {
		t.Errorf("%d rows of peer messages", n)
	}
	if !strings.Contains(text(p, "#host-labels"), hostileLabels["class"][0][1]) {
		t.Errorf("labels of the peer: %q", text(p, "#host-labels"))
	}
	if n := p.Count(`img, b, main script:not([type="application/json"])`); n > 0 {
		t.Errorf("%d elements made of labels", n)
	}
	if d := p.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs: %v", d)
	}
	healthy(t, p, "host labels")
}

// TestHostUnanswered: the requests without an answer of a host add up, by
// outcome, to what the unanswered analysis counts for it (SSDP searches
// aside, which it answers from other flows).
func TestHostUnanswered(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	_, body := get(t, s.URL+"/api/run/unanswered?table=unanswered&top=100000&limit=10000")
	p := decode[page](t, body)
	if len(p.Rows) == 0 {
		t.Fatalf("unanswered: %s", body)
	}
	col := func(name string) int { return slices.Index(p.Columns, name) }
	want := map[string][2]int{} // host -> no reply, rejected
	for _, r := range p.Rows {
		var host, service string
		var noReply, rejected int
		decodeInto(t, r[col("host")], &host)
		decodeInto(t, r[col("service")], &service)
		decodeInto(t, r[col("no_reply")], &noReply)
		decodeInto(t, r[col("rejected")], &rejected)
		if service == "ssdp/udp M-SEARCH" || noReply+rejected == 0 {
			continue
		}
		w := want[host]
		want[host] = [2]int{w[0] + noReply, w[1] + rejected}
	}
	if len(want) == 0 {
		t.Fatal("no host with unanswered requests")
	}
	for host, w := range want {
		_, body := get(t, s.URL+"/api/host/"+host+"?table=host_unanswered&limit=10000")
		hp := decode[page](t, body)
		var got [2]int
		for _, r := range hp.Rows {
			var outcome string
			var n int
			decodeInto(t, r[4], &outcome)
			decodeInto(t, r[5], &n)
			if outcome == "rejected" {
				got[1] += n
			} else {
				got[0] += n
			}
		}
		if got != w {
			t.Errorf("%s: %v without reply and rejected on its page, the unanswered analysis counts %v", host, got, w)
		}
	}
}
