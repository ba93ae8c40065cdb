// Command serveload puts `netlens serve` under load: concurrent clients run
// analyses with varied parameters (half of the analysis pages with their
// progress events), page through their tables, open host pages and send SQL
// queries, for a bounded time; it prints the latency of each kind of request
// (median, p95, p99, max), the errors, and the peak memory of the server
// when it runs it itself.
//
//	go run ./bench/serveload [-clients 20] [-duration 1m] -d DATASET
//	go run ./bench/serveload [-clients 20] [-duration 1m] [-token T] http://127.0.0.1:8080
//
// With -d it serves the dataset in process on a loopback port, as netlens
// serve does, so that its peak RSS is the server's (and the clients'). Any
// answer but 200 is an error, and the command exits with status 1 when
// there is one.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/web"
)

func main() {
	clients := flag.Int("clients", 20, "concurrent clients")
	duration := flag.Duration("duration", time.Minute, "how long the clients send requests")
	dir := flag.String("d", "", "serve this dataset in process (instead of URL)")
	token := flag.String("token", "", "the token of a server started with --allow-remote")
	seed := flag.Uint64("seed", 1, "seed of the clients' choices")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: serveload [-clients N] [-duration D] (-d DATASET | URL)\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if (*dir == "") == (flag.NArg() != 1) || *clients < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := flag.Arg(0)
	if *dir != "" {
		u, stop, err := serve(ctx, *dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "serveload: %v\n", err)
			os.Exit(1)
		}
		defer stop()
		base = u
	}
	if err := load(ctx, strings.TrimSuffix(base, "/"), *token, *clients, *duration, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "serveload: %v\n", err)
		os.Exit(1)
	}
}

// serve starts the web server over the dataset in dir on a loopback port.
func serve(ctx context.Context, dir string) (string, func(), error) {
	eng, err := duckdb.OpenDir(ctx, dir)
	if err != nil {
		return "", nil, err
	}
	cfg := web.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := web.New(ctx, eng, cfg, web.Options{Dir: dir, Version: "serveload"})
	if err != nil {
		eng.Close()
		return "", nil, err
	}
	ln, err := s.Listen()
	if err != nil {
		eng.Close()
		return "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done; eng.Close() }, nil
}

type param struct {
	Name, Kind, Default string
	Choices             []string
	Min                 *float64 // the least value of an int (durations: in seconds)
}

type entry struct {
	Name    string
	Applies bool
	Params  []param
}

// sample is one request's kind and latency, or its error.
type sample struct {
	kind string
	d    time.Duration
	err  error
}

// queries are the SQL of the console clients; %d is a threshold they vary.
var queries = []string{
	"SELECT src, count(*) AS packets, sum(payload_len) AS payload FROM packets WHERE payload_len > %d GROUP BY src ORDER BY payload DESC",
	"SELECT b_port, service, count(*) AS flows FROM flows WHERE bytes_a_to_b + bytes_b_to_a > %d GROUP BY b_port, service ORDER BY flows DESC",
	"SELECT dst, dport, count(*) AS n FROM packets WHERE wire_len > %d GROUP BY dst, dport ORDER BY n DESC",
	"SELECT * FROM packets WHERE payload_len > %d ORDER BY ts",
}

func load(ctx context.Context, base, token string, clients int, duration time.Duration, seed uint64) error {
	client := &http.Client{Timeout: 5 * time.Minute}
	do := func(ctx context.Context, method, path, body string) error {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("X-Netlens-Token", token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		if err == nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			err = resultOf(string(b))
			if err != nil {
				err = fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return err
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/analyses", nil)
	if token != "" {
		req.Header.Set("X-Netlens-Token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	var cat []entry
	err = json.NewDecoder(resp.Body).Decode(&cat)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	cat = slices.DeleteFunc(cat, func(e entry) bool { return !e.Applies })
	if len(cat) == 0 {
		return fmt.Errorf("no analysis applies to the dataset")
	}

	// The busiest addresses, for host pages.
	hosts, err := busiest(ctx, client, base, token)
	if err != nil {
		return err
	}

	start := time.Now()
	deadline := start.Add(duration)
	samples := make(chan sample, 1024)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			for time.Now().Before(deadline) {
				var kind, method, path, body string
				switch r := rng.IntN(10); {
				case r < 4: // an analysis' table, one page of it
					a := cat[rng.IntN(len(cat))]
					kind, method, path = "run", http.MethodGet, "/api/run/"+a.Name+"?"+settings(rng, a).Encode()
					if rng.IntN(2) == 0 {
						path += "&offset=100&desc=true"
					}
				case r < 6: // the analysis page, half of the time with progress
					a := cat[rng.IntN(len(cat))]
					v := settings(rng, a)
					if rng.IntN(2) == 0 {
						v.Set("progress", "1")
					}
					kind, method, path = "view", http.MethodGet, "/api/view/"+a.Name+"?"+v.Encode()
				case r < 7 && len(hosts) > 0: // a host page
					kind, method, path = "host", http.MethodGet, "/api/host/"+url.PathEscape(hosts[rng.IntN(len(hosts))])+"?progress=1"
				default: // the SQL console
					kind, method, path = "query", http.MethodPost, "/api/query?limit=100"
					body = fmt.Sprintf(queries[rng.IntN(len(queries))], rng.IntN(50)*10)
				}
				t0 := time.Now()
				err := do(ctx, method, path, body)
				samples <- sample{kind, time.Since(t0), err}
			}
		}()
	}
	go func() { wg.Wait(); close(samples) }()

	byKind := map[string][]time.Duration{}
	var errs []error
	for s := range samples {
		if s.err != nil {
			errs = append(errs, s.err)
			continue
		}
		byKind[s.kind] = append(byKind[s.kind], s.d)
		byKind["all"] = append(byKind["all"], s.d)
	}
	elapsed := time.Since(start)
	fmt.Printf("%d clients for %s: %d requests (%.0f/s), %d errors\n", clients, elapsed.Round(time.Millisecond), len(byKind["all"])+len(errs), float64(len(byKind["all"])+len(errs))/elapsed.Seconds(), len(errs))
	fmt.Printf("%-6s %8s %10s %10s %10s %10s\n", "kind", "requests", "median", "p95", "p99", "max")
	for _, k := range []string{"run", "view", "host", "query", "all"} {
		ds := byKind[k]
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
		fmt.Printf("%-6s %8d %10s %10s %10s %10s\n", k, len(ds), q(0.5).Round(time.Microsecond), q(0.95).Round(time.Microsecond), q(0.99).Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}
	if rss := peakRSS(); rss != "" {
		fmt.Printf("peak RSS of this process (server and clients): %s\n", rss)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Printf("CPU time of this process: %s, %.2f cores on average\n",
			cpu.Round(time.Millisecond), cpu.Seconds()/elapsed.Seconds())
	}
	for i, err := range errs {
		if i == 5 {
			fmt.Printf("... and %d more errors\n", len(errs)-i)
			break
		}
		fmt.Println("error:", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d requests failed", len(errs), len(byKind["all"])+len(errs))
	}
	return nil
}

// resultOf reads the result event of a stream of server-sent events: nil
// when its status is 200.
func resultOf(stream string) error {
	i := strings.LastIndex(stream, "event: result\ndata: ")
	if i < 0 {
		return fmt.Errorf("no result event")
	}
	var res struct {
		Status int
		Answer json.RawMessage
	}
	line, _, _ := strings.Cut(stream[i+len("event: result\ndata: "):], "\n")
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return fmt.Errorf("result event: %w", err)
	}
	if res.Status != http.StatusOK {
		return fmt.Errorf("%d %s", res.Status, res.Answer)
	}
	return nil
}

// busiest returns the 20 addresses that send the most packets.
func busiest(ctx context.Context, client *http.Client, base, token string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/query?limit=20",
		strings.NewReader("SELECT src, count(*) AS n FROM packets WHERE src IS NOT NULL GROUP BY src ORDER BY n DESC, src LIMIT 20"))
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("X-Netlens-Token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var p struct{ Rows [][]any }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, fmt.Errorf("busiest addresses: %w", err)
	}
	var out []string
	for _, r := range p.Rows {
		if s, ok := r[0].(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// settings picks parameter values: the default most of the time, else one
// of a few others (at least the parameter's least value), so that some
// requests share results and some do not.
func settings(rng *rand.Rand, a entry) url.Values {
	v := url.Values{}
	for _, p := range a.Params {
		if rng.IntN(3) != 0 {
			continue
		}
		var pick []string
		switch {
		case len(p.Choices) > 0:
			pick = p.Choices
		case p.Kind == "int":
			pick = []string{"1", "5", "10", "50", "100", "300"}
		case p.Kind == "duration":
			pick = []string{"100ms", "300ms", "1s", "5s", "1m"}
		case p.Kind == "bool":
			pick = []string{"true", "false"}
		}
		pick = slices.DeleteFunc(slices.Clone(pick), func(s string) bool {
			if p.Min == nil {
				return false
			}
			if d, err := time.ParseDuration(s); err == nil && p.Kind == "duration" {
				return d.Seconds() < *p.Min
			}
			var f float64
			_, err := fmt.Sscan(s, &f)
			return err == nil && f < *p.Min
		})
		if len(pick) > 0 {
			v.Set(p.Name, pick[rng.IntN(len(pick))])
		}
	}
	return v
}

// peakRSS reads the peak resident memory of this process (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
