package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/analysis/suite"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/internal/testcapture"
	"github.com/netlens/netlens/internal/testenv"
)

// TestMain runs the tests, then removes the datasets built once for all
// of them.
func TestMain(m *testing.M) {
	code := testenv.Main(m)
	madeMu.Lock()
	for _, dir := range made {
		os.RemoveAll(dir)
	}
	madeMu.Unlock()
	os.Exit(code)
}

var (
	madeMu sync.Mutex
	made   []string // directories that outlive a test, removed by TestMain
)

// mkdirShared makes a temporary directory that TestMain removes after the
// last test.
func mkdirShared(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err == nil {
		madeMu.Lock()
		made = append(made, dir)
		madeMu.Unlock()
	}
	return dir, err
}

var camera = filepath.Join(testenv.RepoRoot(), "examples", "dlink-camera-setup.pcap")

// datasets are built once per capture and shared by the tests.
var datasets sync.Map // capture path -> *datasetOnce

type datasetOnce struct {
	once sync.Once
	dir  string
	err  error
}

// buildDataset ingests capture into a dataset in a directory of its own,
// once per test binary.
func buildDataset(t testing.TB, capture string) string {
	t.Helper()
	v, _ := datasets.LoadOrStore(capture, &datasetOnce{})
	d := v.(*datasetOnce)
	d.once.Do(func() {
		dir, err := mkdirShared("netlens-web-test-")
		if err != nil {
			d.err = err
			return
		}
		d.dir = filepath.Join(dir, "ds")
		ds, err := dataset.OpenWrite(d.dir)
		if err != nil {
			d.err = err
			return
		}
		defer ds.Close()
		_, d.err = ingest.Run(context.Background(), ds, []string{capture}, ingest.DefaultConfig())
	})
	if d.err != nil {
		t.Fatal(d.err)
	}
	return d.dir
}

// hostileDataset is a dataset of testcapture.Hostile.
func hostileDataset(t testing.TB) string {
	t.Helper()
	pcap := filepath.Join(os.TempDir(), "netlens-web-hostile.pcap")
	if _, err := os.Stat(pcap); err != nil {
		testcapture.Hostile(t, pcap)
	}
	return buildDataset(t, pcap)
}

// testServer is a server running on loopback for one test.
type testServer struct {
	*Server
	URL  string // http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT
	Dir  string
}

// start serves the dataset in dir with cfg (its Addr is replaced by a
// free loopback port) until the test ends.
func start(t testing.TB, dir string, cfg Config, catalog []analysis.Analysis) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	eng, err := duckdb.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	s, err := New(ctx, eng, cfg, Options{Dir: dir, Catalog: catalog, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		eng.Close()
	})
	host := ln.Addr().String()
	return &testServer{Server: s, URL: "http://" + host, Host: host, Dir: dir}
}

// do sends a request and returns the status and body.
func do(t testing.TB, req *http.Request) (int, string, http.Header) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := do(t, req)
	return code, body
}

func post(t testing.TB, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	code, b, _ := do(t, req)
	return code, b
}

func decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// TestListensOnLoopbackOnly: an address beyond loopback is refused
// unless remote access is allowed, which then makes a token.
func TestListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.0.2.1:8080", "[::]:8080", "example.org:8080"} {
		cfg := DefaultConfig()
		cfg.Addr = addr
		if err := cfg.Validate(); !errors.Is(err, ErrRemote) {
			t.Errorf("%s: %v, want ErrRemote", addr, err)
		}
		cfg.AllowRemote = true
		if err := cfg.Validate(); err != nil || len(cfg.Token) < 32 {
			t.Errorf("%s with AllowRemote: %v, token %q", addr, err, cfg.Token)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "[::1]:0", "localhost:8080", "127.1.2.3:80"} {
		cfg := DefaultConfig()
		cfg.Addr = addr
		if err := cfg.Validate(); err != nil || cfg.Token != "" {
			t.Errorf("%s: %v, token %q; want it accepted without a token", addr, err, cfg.Token)
		}
	}
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:http-nope"} {
		cfg := DefaultConfig()
		cfg.Addr = addr
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", addr)
		}
	}
}

// TestToken: with remote access allowed, every request needs the token,
// as a header, a bearer token or the cookie that the printed link sets.
func TestToken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AllowRemote = true
	s := start(t, buildDataset(t, camera), cfg, nil)
	tok := s.Token()
	if tok == "" || !strings.Contains(s.URL+"/?token="+tok, tok) {
		t.Fatal("no token")
	}
	for _, path := range []string{"/", "/api/analyses", "/api/run/talkers", "/assets/app.js", "/api/schema"} {
		if code, _ := get(t, s.URL+path); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, code)
		}
	}
	if code, _ := post(t, s.URL+"/api/query", "SELECT 1"); code != http.StatusUnauthorized {
		t.Errorf("POST /api/query without the token: %d, want 401", code)
	}
	try := func(name string, set func(*http.Request)) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/analyses", nil)
		set(req)
		code, _, _ := do(t, req)
		return code
	}
	for name, tt := range map[string]struct {
		set  func(*http.Request)
		want int
	}{
		"header":       {func(r *http.Request) { r.Header.Set("X-Netlens-Token", tok) }, 200},
		"bearer":       {func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, 200},
		"cookie":       {func(r *http.Request) { r.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok}) }, 200},
		"wrong header": {func(r *http.Request) { r.Header.Set("X-Netlens-Token", tok[:len(tok)-1]+"x") }, 401},
		"wrong cookie": {func(r *http.Request) { r.AddCookie(&http.Cookie{Name: tokenCookie, Value: "x"}) }, 401},
		"empty":        {func(r *http.Request) { r.Header.Set("X-Netlens-Token", "") }, 401},
	} {
		if got := try(name, tt.set); got != tt.want {
			t.Errorf("%s: %d, want %d", name, got, tt.want)
		}
	}
	// The printed link sets the cookie and sends the browser on without
	// the token in the address.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/analysis/bursts?gap=1s&token="+tok, nil)
	code, _, hdr := do(t, req)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/analysis/bursts?gap=1s" {
		t.Errorf("the link: %d to %q, want 303 to /analysis/bursts?gap=1s", code, hdr.Get("Location"))
	}
	c := hdr.Get("Set-Cookie")
	if !strings.Contains(c, tokenCookie+"="+tok) || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Errorf("cookie %q", c)
	}
	// A wrong token in the link sets nothing.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/?token=nope", nil)
	if code, _, hdr := do(t, req); code != http.StatusUnauthorized || hdr.Get("Set-Cookie") != "" {
		t.Errorf("a wrong token in the link: %d, cookie %q", code, hdr.Get("Set-Cookie"))
	}
}

// TestHostHeader: requests for any other name than the address served or
// localhost are refused (DNS rebinding: a page of evil.example whose name
// now resolves to 127.0.0.1).
func TestHostHeader(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	_, port, _ := net.SplitHostPort(s.Host)
	for host, want := range map[string]int{
		s.Host:                     200,
		"localhost:" + port:        200,
		"LOCALHOST:" + port:        200,
		"[::1]:" + port:            200,
		"evil.example:" + port:     http.StatusMisdirectedRequest,
		"evil.example":             http.StatusMisdirectedRequest,
		"localhost":                http.StatusMisdirectedRequest, // another port
		"127.0.0.1:1":              http.StatusMisdirectedRequest,
		"localhost.evil.example":   http.StatusMisdirectedRequest,
		"127.0.0.1.nip.io:" + port: http.StatusMisdirectedRequest,
	} {
		for _, path := range []string{"/", "/api/analyses"} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			req.Host = host
			if code, _, _ := do(t, req); code != want {
				t.Errorf("GET %s with Host %q: %d, want %d", path, host, code, want)
			}
		}
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/query", strings.NewReader("SELECT 1"))
	req.Host = "evil.example:" + port
	if code, _, _ := do(t, req); code != http.StatusMisdirectedRequest {
		t.Errorf("POST with a foreign Host: %d", code)
	}
}

// TestOriginCheck: a write (POST) from another origin is refused; the
// page's own and programs' (no Origin) are answered.
func TestOriginCheck(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	for _, tt := range []struct {
		origin, site string
		want         int
	}{
		{"", "", 200},
		{"http://" + s.Host, "same-origin", 200},
		{"http://evil.example", "cross-site", 403},
		{"http://evil.example", "", 403},
		{"null", "", 403},
		{"https://" + s.Host, "", 403},
		{"", "cross-site", 403},
		{"", "same-site", 403},
	} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/query", strings.NewReader("SELECT 1 AS one"))
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if tt.site != "" {
			req.Header.Set("Sec-Fetch-Site", tt.site)
		}
		if code, body, _ := do(t, req); code != tt.want {
			t.Errorf("Origin %q, Sec-Fetch-Site %q: %d %s, want %d", tt.origin, tt.site, code, body, tt.want)
		}
	}
}

// TestSecurityHeaders: every answer forbids other scripts, framing and
// sniffing.
func TestSecurityHeaders(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	for _, path := range []string{"/", "/analysis/talkers", "/api/analyses", "/assets/app.js", "/nope"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		_, _, hdr := do(t, req)
		csp := hdr.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "default-src 'none'") ||
			hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, hdr)
		}
	}
}

// TestConsoleReadOnly: the SQL console runs one statement that reads,
// over the dataset only: every write, setting, attachment, extension and
// file outside the dataset is refused, and the views the analyses read stay
// as they were.
func TestConsoleReadOnly(t *testing.T) {
	s := start(t, buildDataset(t, camera), DefaultConfig(), nil)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.csv")
	if err := os.WriteFile(secret, []byte("a\nsecret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(s.Dir, "x.csv")
	for _, q := range []string{
		"CREATE TABLE t AS SELECT 1",
		"CREATE OR REPLACE VIEW packets AS SELECT 1 AS x",
		"DROP VIEW packets",
		"INSERT INTO packets SELECT * FROM packets",
		"DELETE FROM packets",
		"UPDATE packets SET src = 'x'",
		"COPY (SELECT 1) TO '" + inside + "'",
		"COPY packets TO '" + filepath.Join(outside, "p.csv") + "'",
		"EXPORT DATABASE '" + outside + "'",
		"ATTACH '" + filepath.Join(outside, "x.db") + "' AS x",
		"ATTACH ':memory:' AS m",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET GLOBAL lock_configuration = false",
		"RESET allowed_directories",
		"PRAGMA threads = 1",
		"CALL pragma_version()",
		"CHECKPOINT",
		"SELECT 1; DROP VIEW packets",
		"SELECT 1; SELECT 2",
		"SELECT * FROM query('DROP VIEW packets')",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM read_blob('/etc/hostname')",
		"SELECT * FROM glob('/etc/*')",
		"SELECT * FROM glob('" + outside + "/*')",
		"SELECT * FROM read_csv('" + s.Dir + "/../*/secret.csv')",
		"SELECT * FROM read_parquet('" + outside + "/*.parquet')",
		"SELECT * FROM 'https://example.org/x.csv'",
		"FROM '" + secret + "'",
	} {
		code, body := post(t, s.URL+"/api/query", q)
		if code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s; want 400", q, code, body)
		}
		if strings.Contains(body, "secret") && !strings.Contains(q, "secret") {
			t.Errorf("%s: the answer holds a file outside the dataset: %s", q, body)
		}
	}
	if _, err := os.Stat(inside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("COPY TO wrote into the dataset: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("files written outside the dataset: %v", entries)
	}
	// What reads is answered, and the views are those of the dataset.
	for q, want := range map[string]string{
		"SELECT count(*) AS n FROM packets":                                  `"rows":[[624]]`,
		"  select count(*) AS n FROM flows WHERE proto = 6;  ":               `"columns":["n"]`,
		"WITH t AS (SELECT 1 AS x) SELECT x FROM t":                          `"rows":[[1]]`,
		"FROM packets SELECT count(*)":                                       `"rows":[[624]]`,
		"DESCRIBE flows":                                                     `"column_name"`,
		"SUMMARIZE dns":                                                      `"column_name"`,
		"SELECT count(*) AS n FROM read_text('" + s.Dir + "/manifest.json')": `"rows":[[1]]`,
	} {
		code, body := post(t, s.URL+"/api/query", q)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s; want 200 with %s", q, code, body, want)
		}
	}
}

// TestConsoleLimits: a query stops at the time limit, and at most the row
// cap of its rows are kept, which the answer says.
func TestConsoleLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QueryTimeout = 300 * time.Millisecond
	cfg.QueryRows = 1000
	s := start(t, buildDataset(t, camera), cfg, nil)
	begin := time.Now()
	code, body := post(t, s.URL+"/api/query", "SELECT count(*) FROM range(1000000000000) a")
	if code != http.StatusGatewayTimeout || !strings.Contains(body, "time limit of 300ms") {
		t.Errorf("endless query: %d %s; want 504 at the time limit", code, body)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("endless query stopped after %s", d)
	}
	code, body = post(t, s.URL+"/api/query?limit=5&offset=990", "SELECT range AS i FROM range(5000)")
	p := decode[page](t, body)
	if code != 200 || p.Total != 1000 || !p.Truncated || len(p.Rows) != 5 || string(p.Rows[0][0]) != "990" {
		t.Errorf("capped query: %d total %d truncated %v rows %d first %s", code, p.Total, p.Truncated, len(p.Rows), p.Rows[0][0])
	}
	code, body = post(t, s.URL+"/api/query?format=csv", "SELECT range AS i FROM range(5000)")
	if lines := strings.Count(body, "\n"); code != 200 || lines != 1001 {
		t.Errorf("capped CSV: %d, %d lines; want the header and 1000 rows", code, lines)
	}
	code, body = post(t, s.URL+"/api/query", strings.Repeat(" ", maxSQL+1))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge SQL: %d %s", code, body)
	}
}

// TestRunAPI: /api/run gives one table of an analysis as JSON (paged and
// sorted on the server) or CSV; bad requests say what is wrong.
func TestRunAPI(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PageRows = 4
	s := start(t, buildDataset(t, camera), cfg, nil)

	code, body := get(t, s.URL+"/api/analyses")
	cat := decode[[]analysisJSON](t, body)
	if code != 200 || len(cat) != len(catalog.All()) {
		t.Fatalf("catalogue: %d, %d analyses", code, len(cat))
	}
	files := 0
	for i, a := range catalog.All() {
		m := a.Meta()
		// A parameter naming a file is the command line's only.
		n := len(m.Params)
		m.Params = slices.DeleteFunc(m.Params, func(p analysis.Param) bool { return p.Kind == analysis.File })
		files += n - len(m.Params)
		_, applies := suite.Applies(m, s.held)
		if cat[i].Name != m.Name || cat[i].Group != m.Group || cat[i].Title != m.Title || cat[i].Doc != m.Doc || len(cat[i].Params) != len(m.Params) || cat[i].Applies != applies {
			t.Errorf("catalogue entry %d: %+v, want %s", i, cat[i], m.Name)
		}
		for j, p := range m.Params {
			if got := cat[i].Params[j]; got.Name != p.Name || got.Kind != string(p.Kind) || got.Default != p.Default {
				t.Errorf("%s parameter %d: %+v, want %+v", m.Name, j, got, p)
			}
		}
	}

	if files == 0 {
		t.Error("no analysis takes a file, so none shows that serve leaves such parameters out")
	}

	code, body = get(t, s.URL+"/api/run/talkers?sort=payload_bytes&limit=100")
	type runPage struct {
		Analysis, Table string
		page
	}
	p := decode[runPage](t, body)
	if code != 200 || p.Table != "talkers_sent" || p.Total != 10 || len(p.Rows) != 4 {
		t.Fatalf("talkers: %d %s", code, body)
	}
	col := 2 // payload_bytes
	for i := 1; i < len(p.Rows); i++ {
		if a, b := p.Rows[i-1][col], p.Rows[i][col]; analysis.AsFloat(jsonNumber(a)) > analysis.AsFloat(jsonNumber(b)) {
			t.Errorf("sorted ascending: %s before %s", a, b)
		}
	}
	_, body = get(t, s.URL+"/api/run/talkers?sort=payload_bytes&desc=1&limit=1&offset=0")
	top := decode[runPage](t, body)
	_, body = get(t, s.URL+"/api/run/talkers?limit=1")
	first := decode[runPage](t, body)
	if string(top.Rows[0][0]) != `"10.10.10.37"` || string(first.Rows[0][0]) != `"10.10.10.37"` {
		t.Errorf("top talker: %s, first row %s", top.Rows[0][0], first.Rows[0][0])
	}
	code, body = get(t, s.URL+"/api/run/talkers?table=talkers_received&format=csv")
	if code != 200 || !strings.HasPrefix(body, "address,name,payload_bytes") || strings.Count(body, "\n") < 3 {
		t.Errorf("talkers_received as CSV: %d %q", code, body)
	}
	for _, tt := range []struct{ url, want string }{
		{"/api/run/nope", `no analysis \"nope\"`},
		{"/api/run/talkers?table=nope", `table \"nope\": this analysis gives talkers_sent, talkers_received`},
		{"/api/run/talkers?format=xml", `format \"xml\": want json, csv or parquet`},
		{"/api/run/talkers?sort=nope", `sort \"nope\": no such column`},
		{"/api/run/talkers?offset=-1", `offset \"-1\"`},
		{"/api/run/bursts?gap=xx", `bursts: parameter gap=\"xx\"`},
		{"/api/run/bursts?nope=1", `bursts: unknown parameter \"nope\"`},
		{"/api/run/class_services?services=/etc/passwd", `class_services: unknown parameter \"services\"`},
	} {
		code, body := get(t, s.URL+tt.url)
		if code/100 != 4 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s; want 4xx with %s", tt.url, code, body, tt.want)
		}
	}
	// The figures and the view of the page.
	code, body = get(t, s.URL+"/api/view/talkers")
	id := decode[viewJSON](t, body).Charts[0].ID
	for _, f := range []string{"png", "svg", "pdf"} {
		code, body := get(t, s.URL+"/api/figure/talkers/"+id+"."+f)
		if code != 200 || len(body) < 500 {
			t.Errorf("figure talkers.%s: %d, %d bytes", f, code, len(body))
		}
	}
	code, body = get(t, s.URL+"/api/view/bursts?min_size=300&future=1")
	v := decode[viewJSON](t, body)
	if code != 200 || len(v.Invalid) != 0 || v.Error != "" || len(v.Charts) == 0 || v.Unknown["future"] != "1" || v.Settings["min_size"] != "300" {
		t.Errorf("view of bursts: %d %+v", code, v)
	}
	code, body = get(t, s.URL+"/api/view/bursts?min_size=-3&gap=xx")
	v = decode[viewJSON](t, body)
	if code != 200 || len(v.Invalid) != 2 || v.Invalid[0].Param != "gap" || v.Invalid[1].Param != "min_size" || len(v.Charts) != 0 {
		t.Errorf("view of bursts with bad parameters: %d %+v", code, v)
	}
}

func jsonNumber(b json.RawMessage) float64 {
	var f float64
	json.Unmarshal(b, &f)
	return f
}

// TestReservedNames: no analysis has a parameter named like a key of
// /api/run that is not a parameter.
func TestReservedNames(t *testing.T) {
	for _, a := range catalog.All() {
		for _, p := range a.Meta().Params {
			for _, r := range reserved {
				if p.Name == r || p.Name == "token" {
					t.Errorf("%s: parameter %s is a reserved name of /api/run", a.Meta().Name, p.Name)
				}
			}
		}
	}
}

// counting is an analysis that counts its runs and can wait for its
// context while a query runs in the engine.
type counting struct {
	runs    atomic.Int32
	slow    bool
	stopped chan error // the error of the slow query
}

func (c *counting) Meta() analysis.Meta {
	return analysis.Meta{Name: "counting", Group: "test", Title: "Counting", Tables: []string{"packets"},
		Params: []analysis.Param{{Name: "n", Kind: analysis.Int, Default: "1"}}}
}

func (c *counting) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	c.runs.Add(1)
	if c.slow {
		_, err := env.Query(ctx, "SELECT count(*) FROM range(1000000000000) a")
		c.stopped <- err
		return nil, err
	}
	t := analysis.NewTable("counting", "Counting")
	return &analysis.Result{Tables: []analysis.Table{t}}, nil
}

// TestResultsCached: a result is computed once per set of values, however
// the parameters are spelled.
func TestResultsCached(t *testing.T) {
	c := &counting{}
	s := start(t, buildDataset(t, camera), DefaultConfig(), []analysis.Analysis{c})
	for _, q := range []string{"", "?n=1", "?n=01", "?format=csv", "?n=2", "?n=2&limit=3"} {
		if code, body := get(t, s.URL+"/api/run/counting"+q); code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
	}
	if n := c.runs.Load(); n != 2 {
		t.Errorf("%d runs, want 2 (n=1 and n=2)", n)
	}
}

// TestClientGoneCancels: when the client of a running analysis goes away,
// its query is stopped in the engine.
func TestClientGoneCancels(t *testing.T) {
	c := &counting{slow: true, stopped: make(chan error, 1)}
	s := start(t, buildDataset(t, camera), DefaultConfig(), []analysis.Analysis{c})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/run/counting", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request: %v, want it to time out", err)
	}
	select {
	case err := <-c.stopped:
		if !errors.Is(err, context.Canceled) && !strings.Contains(strings.ToLower(err.Error()), "interrupt") {
			t.Errorf("the query ended with %v, want it cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the query still runs 10 s after its client went away")
	}
	// Asked again, it runs again: a cancelled run is not kept.
	c.slow = false
	if code, body := get(t, s.URL+"/api/run/counting"); code != 200 {
		t.Errorf("asked again: %d %s", code, body)
	}
}

// TestHostileDataInert: every answer that carries names from the data
// holds them JSON-encoded with <, > and & escaped, so that no answer can be
// read as markup; and the host page finds the names.
func TestHostileDataInert(t *testing.T) {
	s := start(t, hostileDataset(t), DefaultConfig(), nil)
	urls := []string{"/api/host/203.0.113.9", "/api/host/203.0.113.7?table=host_names", "/api/run/talkers?table=talkers_received", "/api/dataset"}
	for _, a := range catalog.All() {
		urls = append(urls, "/api/view/"+a.Meta().Name)
	}
	for _, u := range urls {
		code, body := get(t, s.URL+u)
		if code != 200 {
			t.Errorf("%s: %d %s", u, code, body)
			continue
		}
		if strings.ContainsAny(body, "<>") {
			i := strings.IndexAny(body, "<>")
			t.Errorf("%s: raw markup in the answer: %q", u, body[max(0, i-60):min(len(body), i+60)])
		}
	}
	code, body := post(t, s.URL+"/api/query", "SELECT query FROM dns")
	if code != 200 || strings.ContainsAny(body, "<>") || !strings.Contains(body, `\u003c/script\u003e`) {
		t.Errorf("query of the names: %d %s", code, body)
	}
	code, body = get(t, s.URL+"/api/host/203.0.113.9")
	h := decode[hostJSON](t, body)
	want := "203.0.113.9 (" + testcapture.HostileNames["203.0.113.9"] + ")"
	if code != 200 || h.Label != want {
		t.Errorf("host label %q, want %q", h.Label, want)
	}
	_, body = get(t, s.URL+"/api/host/203.0.113.9?table=host_names")
	p := decode[page](t, body)
	if len(p.Rows) == 0 || !strings.Contains(string(p.Rows[0][0]), `\u003c/script\u003e`) {
		t.Errorf("names of 203.0.113.9: %s", body)
	}
	if code, _ := get(t, s.URL+"/api/host/"+url.PathEscape("<script>")); code != http.StatusBadRequest {
		t.Errorf("host page of a non-address: %d", code)
	}
}
