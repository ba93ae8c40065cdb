package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/netlens/netlens/internal/testenv"
)

// Timeout bounds the life of a page: starting Chromium, loading the page and
// every later call.
const Timeout = 2 * time.Minute

// Page is a page loaded in its own headless Chromium. Its methods fail the
// test on a browser error; what the page itself reports is recorded.
type Page struct {
	t    testing.TB
	ctx  context.Context
	load time.Duration

	mu         sync.Mutex
	console    []string
	exceptions []string
	dialogs    []string
	requests   []string
}

// Path returns the Chromium binary: $CHROMIUM, else /usr/bin/chromium, else
// chromium or chromium-browser on the PATH. It skips t when there is none
// (fails it in CI).
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		_, err := os.Stat(p)
		testenv.Require(t, err == nil, "$CHROMIUM "+p)
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium-browser"); err == nil {
		return p
	}
	return testenv.Tool(t, "chromium")
}

// Options are the flags of a headless Chromium at exe that stays off the
// network (this machine's, and in CI), with its profile in profile.
func Options(exe, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
}

// Open starts a fresh headless Chromium, loads url and waits for its load
// event. The browser is closed when the test ends.
func Open(t testing.TB, url string) *Page {
	t.Helper()
	exe := Path(t)
	var out lockedBuffer
	opts := append(Options(exe, t.TempDir()), chromedp.CombinedOutput(&out))
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	p := &Page{t: t, ctx: bctx}

	// Open the tab first, so that the listener sees every event of the load.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium %s: %v\n%s", exe, err, out.String())
	}
	if err := chromedp.Listen(bctx, p.record); err != nil {
		t.Fatalf("listen to chromium: %v", err)
	}
	start := time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	p.load = time.Since(start)
	// The browser's own clock, from navigation start to the load event,
	// leaves out the round trips of the protocol.
	var ms float64
	if p.eval(`(() => { const e = performance.getEntriesByType("navigation")[0]; return e ? e.loadEventStart - e.startTime : 0 })()`, &ms) == nil && ms > 0 {
		p.load = time.Duration(ms * float64(time.Millisecond))
	}
	return p
}

// record keeps what the page reports as broken. It runs in the loop that
// reads the browser's messages, so it only appends; a dialog is dismissed
// from another goroutine, since the page waits for it.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			p.console = append(p.console, "console."+string(e.Type)+": "+argsText(e.Args))
		}
	case *log.EventEntryAdded:
		if e.Entry != nil && e.Entry.Level == log.EntryLevelError {
			msg := string(e.Entry.Source) + ": " + e.Entry.Text
			if e.Entry.URL != "" {
				msg += " (" + e.Entry.URL + ")"
			}
			p.console = append(p.console, msg)
		}
	case *runtime.EventExceptionThrown:
		p.exceptions = append(p.exceptions, exceptionText(e.ExceptionDetails))
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, string(e.Type)+": "+e.Message)
		go func() {
			_, _ = chromedp.Call(p.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *network.EventRequestWillBeSent:
		if e.Request != nil {
			p.requests = append(p.requests, e.Request.URL)
		}
	}
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a == nil:
		case len(a.Value) > 0:
			if err := json.Unmarshal(a.Value, &s); err != nil {
				s = string(a.Value)
			}
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		default:
			s = a.Description
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	if d.URL != "" {
		s += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return s
}

// LoadTime returns the time from navigation start to the load event.
func (p *Page) LoadTime() time.Duration { return p.load }

// ConsoleErrors returns the console.error and console.assert messages and
// the browser's error log entries (failed loads, blocked content), in order.
func (p *Page) ConsoleErrors() []string { return p.snapshot(&p.console) }

// Exceptions returns the uncaught JavaScript exceptions, in order.
func (p *Page) Exceptions() []string { return p.snapshot(&p.exceptions) }

// Dialogs returns the JavaScript dialogs (alert, confirm, prompt,
// beforeunload) the page opened, as "type: message". Each was dismissed.
func (p *Page) Dialogs() []string { return p.snapshot(&p.dialogs) }

// Requests returns the URL of every request the page made, the page itself
// first.
func (p *Page) Requests() []string { return p.snapshot(&p.requests) }

// Failures returns every console error, exception and dialog, each
// prefixed with what it is. A healthy page has none.
func (p *Page) Failures() []string {
	var all []string
	for _, s := range p.ConsoleErrors() {
		all = append(all, "console error: "+s)
	}
	for _, s := range p.Exceptions() {
		all = append(all, "uncaught exception: "+s)
	}
	for _, s := range p.Dialogs() {
		all = append(all, "dialog: "+s)
	}
	return all
}

func (p *Page) snapshot(s *[]string) []string {
	// A round trip first: events that the browser sent before its reply
	// have then been recorded.
	_ = p.eval("0", nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), (*s)...)
}

// Eval evaluates the JavaScript expression expr and decodes its value, as
// JSON, into out (nil to ignore it). It fails the test when the expression
// throws or its value does not decode.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	if err := p.eval(expr, out); err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
}

func (p *Page) eval(expr string, out any) error {
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// WaitFor polls the JavaScript expression expr until it is true and
// returns how long after the load event that was. It fails the test when
// expr is still false after timeout.
func (p *Page) WaitFor(expr string, timeout time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	for {
		var ok bool
		if err := p.eval("Boolean("+expr+")", &ok); err != nil {
			p.t.Fatalf("evaluate %s: %v", expr, err)
		}
		if ok {
			return p.load + time.Since(start)
		}
		if time.Since(start) > timeout {
			p.t.Fatalf("%s still false %v after the load event", expr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Count returns the number of elements that match the CSS selector.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	sel, err := json.Marshal(selector)
	if err != nil {
		p.t.Fatalf("selector %q: %v", selector, err)
	}
	var n int
	p.Eval("document.querySelectorAll("+string(sel)+").length", &n)
	return n
}

// Screenshot returns a PNG of the whole page.
func (p *Page) Screenshot() []byte {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	return png
}

// lockedBuffer collects Chromium's output, which arrives from other
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
