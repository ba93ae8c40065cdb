package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// progress is the step a request under way is at, which its client is
// told while it waits.
type progress struct {
	mu   sync.Mutex
	step string
}

// set records the step the work is at.
func (p *progress) set(step string) {
	p.mu.Lock()
	p.step = step
	p.mu.Unlock()
}

func (p *progress) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.step
}

// progressEvent is the data of a progress event.
type progressEvent struct {
	Elapsed float64 `json:"elapsed"` // seconds since the request came
	Step    string  `json:"step"`
}

// resultEvent is the data of the result event: the status and the JSON of
// the answer a request without progress gets.
type resultEvent struct {
	Status int `json:"status"`
	Answer any `json:"answer"`
}

// respond answers r with the JSON of what work returns (a status and a
// value; status 0 when r ended and nobody listens). When r asks for
// progress (progress=1), the answer is a stream of server-sent events
// instead: a "progress" event at once and then every ProgressInterval
// with the seconds elapsed and the step work is at, then one "result"
// event with the status and the JSON answer. Work runs under r's context
// either way: a client that goes away stops it.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, first string, work func(ctx context.Context, p *progress) (int, any)) {
	p := &progress{step: first}
	if r.URL.Query().Get("progress") != "1" {
		status, v := work(r.Context(), p)
		if status == 0 || r.Context().Err() != nil {
			return
		}
		writeJSON(w, status, v)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, r, http.StatusInternalServerError, "this connection cannot stream progress")
		return
	}
	type out struct {
		status int
		v      any
	}
	done := make(chan out, 1)
	start := time.Now()
	go func() {
		status, v := work(r.Context(), p)
		done <- out{status, v}
	}()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := encodeJSON(v)
		if err != nil {
			b, _ = encodeJSON(resultEvent{Status: http.StatusInternalServerError, Answer: apiError{Error: err.Error()}})
			event = "result"
		}
		// encodeJSON writes one line: the data of one event.
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n", event, b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	tick := time.NewTicker(s.cfg.ProgressInterval)
	defer tick.Stop()
	progressNow := func() bool {
		return send("progress", progressEvent{Elapsed: time.Since(start).Seconds(), Step: p.get()})
	}
	if !progressNow() {
		return
	}
	for {
		select {
		case <-tick.C:
			if !progressNow() {
				return
			}
		case o := <-done:
			if o.status == 0 || r.Context().Err() != nil {
				return
			}
			send("result", resultEvent{Status: o.status, Answer: o.v})
			return
		case <-r.Context().Done():
			<-done
			return
		}
	}
}
