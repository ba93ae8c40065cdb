package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/analysis/suite"
	"github.com/netlens/netlens/chart/html"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
)

//go:embed assets
var assets embed.FS

// Server is the web application over one engine. Its handlers are safe for
// concurrent use.
type Server struct {
	cfg      Config
	eng      engine.Engine
	env      *analysis.Env
	held     *suite.Holdings
	manifest *dataset.Manifest
	catalog  []analysis.Analysis
	version  string

	base    context.Context // ends when Serve returns: the work of analyses runs under it
	results *cache[*analysis.Result]
	queries *cache[*answer]
	hosts   map[string]bool // the Host headers served
	static  fs.FS
	charts  []byte // ECharts and the chart runtime of chart/html
	sorts   sorter
}

// Options are what a Server shows besides its engine.
type Options struct {
	// Dir is the dataset directory the engine reads; "" for a server
	// engine.
	Dir string
	// Catalog is the list of analyses; nil means catalog.All().
	Catalog []analysis.Analysis
	// Version is netlens' version, shown on the dataset page.
	Version string
}

// New prepares a server over eng, configured by cfg (see Config.Validate,
// which New calls). The caller keeps eng open while the server runs, and
// closes it.
func New(ctx context.Context, eng engine.Engine, cfg Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	held, err := suite.HoldingsOf(ctx, eng, opts.Dir)
	if err != nil {
		return nil, err
	}
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, eng: eng, env: env, held: held, catalog: opts.Catalog, version: opts.Version,
		base:    context.Background(),
		results: newCache(cfg.CacheEntries, cfg.CacheCells, resultCost),
		queries: newCache(cfg.CacheEntries, cfg.CacheCells, func(a *answer) int64 { return tableCost(a.Table) }),
		charts:  []byte(html.Script()),
	}
	if s.catalog == nil {
		s.catalog = catalog.All()
	}
	s.catalog = withoutFiles(s.catalog)
	if opts.Dir != "" {
		ds, err := dataset.Open(opts.Dir)
		if err != nil {
			return nil, err
		}
		m := ds.Manifest()
		s.manifest = &m
		ds.Close()
	}
	s.static, _ = fs.Sub(assets, "assets")
	return s, nil
}

// tableCost is the number of cells of t.
func tableCost(t *engine.Table) int64 {
	if t == nil || len(t.Rows) == 0 {
		return 1
	}
	return int64(len(t.Rows)) * int64(max(1, len(t.Columns)))
}

// resultCost is the number of cells of a result's tables, and of points
// and values of its charts.
func resultCost(r *analysis.Result) int64 {
	n := int64(1)
	for _, t := range r.Tables {
		n += tableCost(t.Table)
	}
	for _, c := range r.Charts {
		for _, s := range c.Series {
			n += int64(len(s.Points) + len(s.Values))
		}
	}
	return n
}

// Token returns the token requests must carry, "" when none is needed.
func (s *Server) Token() string {
	if !s.cfg.AllowRemote {
		return ""
	}
	return s.cfg.Token
}

// Listen opens the listener of the configured address.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// URL returns the address of the application on ln, with the token when
// one is needed: the link to open.
func (s *Server) URL(ln net.Listener) string {
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil {
			host = name
		}
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/"}
	if t := s.Token(); t != "" {
		u.RawQuery = "token=" + t
	}
	return u.String()
}

// Serve answers requests on ln until ctx ends, then shuts down, letting
// requests under way end for a few seconds and cancelling their work.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.hosts = allowedHosts(ln.Addr())
	base, cancel := context.WithCancel(ctx)
	defer cancel()
	s.base = base
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// allowedHosts are the Host headers of requests the server answers: the
// address it listens on, and localhost and the loopback addresses on its
// port; when it listens on every interface, their addresses and the
// machine's name too. A page of another name that resolves to this machine
// (DNS rebinding) is refused.
func allowedHosts(a net.Addr) map[string]bool {
	host, port, _ := net.SplitHostPort(a.String())
	hosts := map[string]bool{}
	add := func(h string) { hosts[strings.ToLower(net.JoinHostPort(h, port))] = true }
	add(host)
	add("localhost")
	add("127.0.0.1")
	add("::1")
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
		if name, err := os.Hostname(); err == nil {
			add(name)
		}
	}
	return hosts
}

// hostAllowed tells whether the Host header h names this server.
func (s *Server) hostAllowed(h string) bool {
	h = strings.ToLower(h)
	if _, _, err := net.SplitHostPort(h); err != nil {
		h = net.JoinHostPort(strings.Trim(h, "[]"), "80")
	}
	return s.hosts[h]
}

// tokenCookie is the cookie that carries the token in a browser.
const tokenCookie = "netlens_token"

// guard wraps h with the checks every request passes, in order: the Host
// header names this server; the token, when one is needed; and, for a
// request that is not a read, an Origin (and Sec-Fetch-Site) of this server.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !s.hostAllowed(r.Host) {
			http.Error(w, fmt.Sprintf("host %q is not served here: open the address netlens serve printed", r.Host), http.StatusMisdirectedRequest)
			return
		}
		if tok := s.Token(); tok != "" {
			if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet && same(q, tok) {
				http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
				u := *r.URL
				v := u.Query()
				v.Del("token")
				u.RawQuery = v.Encode()
				http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
				return
			}
			if !s.authorized(r, tok) {
				http.Error(w, "this server needs the token netlens serve printed: open the link it printed, or send the header X-Netlens-Token", http.StatusUnauthorized)
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
				http.Error(w, fmt.Sprintf("origin %q may not write here", o), http.StatusForbidden)
				return
			}
			if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
				http.Error(w, "cross-site requests may not write here", http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// authorized tells whether r carries the token tok.
func (s *Server) authorized(r *http.Request, tok string) bool {
	if same(r.Header.Get("X-Netlens-Token"), tok) {
		return true
	}
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && same(strings.TrimSpace(b), tok) {
		return true
	}
	c, err := r.Cookie(tokenCookie)
	return err == nil && same(c.Value, tok)
}

// same compares secrets in constant time.
func same(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Handler returns the server's handler for requests to addr (Host headers
// are checked against it), for tests and for callers that run their own
// http.Server.
func (s *Server) Handler(addr net.Addr) http.Handler {
	s.hosts = allowedHosts(addr)
	return s.handler()
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, r *http.Request) { s.serveAsset(w, r, "index.html") }
	mux.HandleFunc("GET /{$}", page)
	mux.HandleFunc("GET /analysis/{name}", page)
	mux.HandleFunc("GET /host/{addr}", page)
	mux.HandleFunc("GET /sql", page)
	mux.HandleFunc("GET /dataset", page)
	mux.HandleFunc("GET /assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		s.serveAsset(w, r, r.PathValue("file"))
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { s.serveAsset(w, r, "favicon.svg") })

	mux.HandleFunc("GET /api/analyses", s.apiAnalyses)
	mux.HandleFunc("GET /api/run/{name}", s.apiRun)
	mux.HandleFunc("POST /api/query", s.apiQuery)
	mux.HandleFunc("GET /api/view/{name}", s.apiView)
	mux.HandleFunc("GET /api/figure/{name}/{file}", s.apiFigure)
	mux.HandleFunc("GET /api/file/{name}/{file}", s.apiFile)
	mux.HandleFunc("GET /api/schema", s.apiSchema)
	mux.HandleFunc("GET /api/dataset", s.apiDataset)
	mux.HandleFunc("GET /api/host/{addr}", s.apiHost)
	mux.HandleFunc("GET /api/timeline", s.apiTimeline)
	return s.guard(mux)
}

// serveAsset serves an embedded file of the application; charts.js is
// ECharts with the chart runtime of chart/html.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	var b []byte
	var err error
	if name == "charts.js" {
		b = s.charts
	} else {
		b, err = fs.ReadFile(s.static, name)
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".html"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Write(b)
}

// withoutFiles returns the analyses of list without their parameters of
// kind File: a request may not make the server read a file of its
// choosing, so such a parameter is unknown here and asking for it is a bad
// request, while the analysis runs with the parameter's default.
func withoutFiles(list []analysis.Analysis) []analysis.Analysis {
	out := make([]analysis.Analysis, len(list))
	for i, a := range list {
		if slices.ContainsFunc(a.Meta().Params, func(p analysis.Param) bool { return p.Kind == analysis.File }) {
			a = noFiles{a}
		}
		out[i] = a
	}
	return out
}

// noFiles is an analysis whose parameters of kind File are left out.
type noFiles struct{ analysis.Analysis }

// Meta returns the analysis' metadata without its File parameters.
func (n noFiles) Meta() analysis.Meta {
	m := n.Analysis.Meta()
	m.Params = slices.DeleteFunc(slices.Clone(m.Params), func(p analysis.Param) bool { return p.Kind == analysis.File })
	return m
}
