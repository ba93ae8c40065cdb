package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/internal/browser"
)

// gate is an analysis that runs until the test opens its gate, or its
// context ends: slow for as long as a test wants, with no timing.
type gate struct {
	open    chan struct{}
	started chan struct{} // gets a value when a run starts
	stopped chan error    // gets the error of a run its context ended
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), started: make(chan struct{}, 10), stopped: make(chan error, 10)}
}

func (g *gate) Meta() analysis.Meta {
	return analysis.Meta{Name: "gate", Group: "test", Title: "Gate", Doc: "Waits for the test.", Tables: []string{"packets"}}
}

func (g *gate) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	g.started <- struct{}{}
	select {
	case <-g.open:
	case <-ctx.Done():
		g.stopped <- ctx.Err()
		return nil, ctx.Err()
	}
	t := analysis.NewTable("gate", "Gate", "opened")
	t.Add(int64(1))
	return &analysis.Result{Tables: []analysis.Table{t}}, nil
}

// event is one server-sent event.
type event struct{ name, data string }

// events reads the server-sent events of an answer, one at a time.
func events(t *testing.T, resp *http.Response) <-chan event {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	out := make(chan event)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			case line == "":
				out <- ev
				ev = event{}
			}
		}
	}()
	return out
}

// TestProgressEvents: with progress=1 the analysis page's answer is a
// stream of events: progress (the step: the analysis running) while the
// analysis runs, then the result, the same JSON as without progress. A
// client that goes away stops the analysis.
func TestProgressEvents(t *testing.T) {
	g := newGate()
	cfg := DefaultConfig()
	cfg.ProgressInterval = 10 * time.Millisecond
	s := start(t, buildDataset(t, camera), cfg, []analysis.Analysis{g})
	resp, err := http.Get(s.URL + "/api/view/gate?progress=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	evs := events(t, resp)
	<-g.started
	// Progress events come while the gate is shut; then it opens.
	for range 3 {
		ev := <-evs
		var p progressEvent
		if err := json.Unmarshal([]byte(ev.data), &p); ev.name != "progress" || err != nil {
			t.Fatalf("event %q %s: %v", ev.name, ev.data, err)
		}
		if p.Step != "gate: running its queries in the duckdb engine" && p.Step != "gate: checking the parameters" {
			t.Errorf("step %q", p.Step)
		}
	}
	close(g.open)
	var res event
	for ev := range evs {
		if ev.name != "progress" {
			res = ev
		}
	}
	var r struct {
		Status int
		Answer viewJSON
	}
	if err := json.Unmarshal([]byte(res.data), &r); res.name != "result" || err != nil {
		t.Fatalf("last event %q %s: %v", res.name, res.data, err)
	}
	if r.Status != 200 || len(r.Answer.Tables) != 1 || r.Answer.Tables[0].Name != "gate" || r.Answer.Analysis.Name != "gate" {
		t.Errorf("result %+v", r)
	}
	// The same answer without progress, from the cache.
	_, body := get(t, s.URL+"/api/view/gate")
	if v := decode[viewJSON](t, body); len(v.Tables) != 1 || v.Tables[0].Rows != 1 {
		t.Errorf("without progress: %s", body)
	}

	// A console query streams its progress too; errors come as results.
	req := mustRequest(t, http.MethodPost, s.URL+"/api/query?progress=1", "DROP TABLE packets")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	var last event
	for ev := range events(t, resp2) {
		last = ev
	}
	if last.name != "result" || !strings.Contains(last.data, `"status":400`) || !strings.Contains(last.data, "the console runs one statement that reads") {
		t.Errorf("refused query: %q %s", last.name, last.data)
	}

	// The other views stream theirs: each ends with the answer it gives
	// without progress.
	for _, u := range []string{"/api/dataset", "/api/timeline", "/api/host/10.10.10.37"} {
		resp, err := http.Get(s.URL + u + "?progress=1")
		if err != nil {
			t.Fatal(err)
		}
		var last event
		for ev := range events(t, resp) {
			last = ev
		}
		resp.Body.Close()
		_, plain := get(t, s.URL+u)
		if want := `{"status":200,"answer":` + strings.TrimSpace(plain) + `}`; last.name != "result" || last.data != want {
			t.Errorf("%s: last event %q %.200s, want the result %.200s", u, last.name, last.data, want)
		}
	}
}

// TestProgressClientGone: a client that leaves a stream of progress stops
// the analysis.
func TestProgressClientGone(t *testing.T) {
	g := newGate()
	s := start(t, buildDataset(t, camera), DefaultConfig(), []analysis.Analysis{g})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/view/gate?progress=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	<-g.started
	cancel()
	resp.Body.Close()
	select {
	case err := <-g.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the analysis ended with %v, want it cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the analysis still runs 10 s after its client went away")
	}
}

// TestBrowserProgress: while an analysis runs, its page shows which one
// runs and for how long, and the result replaces it when it ends.
func TestBrowserProgress(t *testing.T) {
	g := newGate()
	cfg := DefaultConfig()
	cfg.ProgressInterval = 50 * time.Millisecond
	s := start(t, buildDataset(t, camera), cfg, []analysis.Analysis{g})
	p := browser.Open(t, s.URL+"/analysis/gate")
	<-g.started
	p.WaitFor(`(() => { const e = document.querySelector('#progress'); return e && !e.hidden &&
		e.querySelector('.step').textContent === 'gate: running its queries in the duckdb engine' && / s$/.test(e.querySelector('.secs').textContent) })()`, wait)
	if v := views(p); v != 0 {
		t.Errorf("%d views done while the analysis runs", v)
	}
	close(g.open)
	waitView(p, 1)
	if p.Count("#progress") != 0 || p.Count(`[data-table-block="gate"] tbody tr`) != 1 {
		t.Errorf("after the run: %d progress elements, %d rows", p.Count("#progress"), p.Count(`[data-table-block="gate"] tbody tr`))
	}
	healthy(t, p, "progress")
}
