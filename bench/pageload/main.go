// Command pageload opens a netlens report in headless Chromium and tells how
// long the page takes to load and to draw every chart, as a reader opening
// it from the file would wait.
//
//	go run ./bench/pageload [-runs 3] report/index.html
//
// Each run starts a fresh Chromium with an empty profile. Times are the
// browser's own, from the start of navigation: to the load event, and to
// the moment the chart runtime (window.netlensCharts) has drawn every chart.
// It fails when a chart does not draw or the page reports an error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/netlens/netlens/internal/browser"
)

func main() {
	runs := flag.Int("runs", 3, "page loads to time, each in a fresh browser")
	perChart := flag.Bool("charts", false, "also print how long each chart took to draw, slowest first")
	timeout := flag.Duration("timeout", 2*time.Minute, "longest wait for one run")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: pageload [-runs N] [-timeout D] REPORT_DIR_OR_INDEX_HTML\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *runs, *timeout, *perChart); err != nil {
		fmt.Fprintf(os.Stderr, "pageload: %v\n", err)
		os.Exit(1)
	}
}

// timing is what one load of the page measured.
type timing struct {
	Load   float64 `json:"load"`   // ms from navigation start to the end of the load event
	Drawn  float64 `json:"drawn"`  // ms from navigation start until every chart is drawn
	Charts int     `json:"charts"` // chart containers in the page
	OK     int     `json:"ok"`     // charts drawn
	Errors []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"errors"`
	Each []struct {
		ID string  `json:"id"`
		MS float64 `json:"ms"`
	} `json:"each"` // time to set each chart's option, in drawing order
}

// timeCharts, run in the page before its own scripts, times each chart's
// setOption, where ECharts lays the chart out and draws it.
const timeCharts = `window.__netlensEach = [];
document.addEventListener("DOMContentLoaded", () => {
	if (typeof echarts === "undefined") return;
	const init = echarts.init;
	echarts.init = function (dom, ...rest) {
		const chart = init.call(this, dom, ...rest);
		const set = chart.setOption;
		chart.setOption = function (...args) {
			const start = performance.now();
			const r = set.apply(this, args);
			window.__netlensEach.push({id: dom.getAttribute("data-chart-id"), ms: performance.now() - start});
			return r;
		};
		return chart;
	};
}, true);`

func run(target string, runs int, timeout time.Duration, perChart bool) error {
	index, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(index); err != nil {
		return err
	} else if fi.IsDir() {
		index = filepath.Join(index, "index.html")
	}
	if _, err := os.Stat(index); err != nil {
		return err
	}
	exe, err := chromium()
	if err != nil {
		return err
	}
	var loads, drawn []float64
	charts := 0
	each := map[string][]float64{}
	for i := range runs {
		t, err := measure(exe, "file://"+index, timeout)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		loads, drawn, charts = append(loads, t.Load), append(drawn, t.Drawn), t.Charts
		for _, c := range t.Each {
			each[c.ID] = append(each[c.ID], c.MS)
		}
	}
	fmt.Printf("page load in Chromium (%s, %d charts, %d runs):\n", filepath.Base(index), charts, runs)
	fmt.Printf("  load event         %s\n", summary(loads))
	fmt.Printf("  every chart drawn  %s\n", summary(drawn))
	if perChart {
		ids := make([]string, 0, len(each))
		for id := range each {
			ids = append(ids, id)
		}
		med := func(id string) float64 { s := slices.Clone(each[id]); slices.Sort(s); return s[len(s)/2] }
		slices.SortFunc(ids, func(a, b string) int { return int(med(b)*1000) - int(med(a)*1000) })
		for _, id := range ids {
			fmt.Printf("    %-24s %s\n", id, summary(each[id]))
		}
	}
	return nil
}

// summary gives the minimum and median of times in milliseconds, in seconds.
func summary(ms []float64) string {
	s := slices.Clone(ms)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("min %.2f s  median %.2f s", s[0]/1000, med/1000)
}

// chromium finds the browser as the report tests do: $CHROMIUM,
// /usr/bin/chromium, or chromium or chromium-browser on the PATH.
func chromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: install it (apt-get install chromium) or set $CHROMIUM")
}

// measure loads url in a fresh headless Chromium and waits for every chart.
func measure(exe, url string, timeout time.Duration) (*timing, error) {
	profile, err := os.MkdirTemp("", "netlens-pageload-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := browser.Options(exe, profile)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// Open the tab first, so that the listener sees every error of the load.
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	var mu sync.Mutex
	var problems []string
	err = chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			if e.ExceptionDetails != nil {
				problems = append(problems, "exception: "+e.ExceptionDetails.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console error")
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listen to %s: %w", exe, err)
	}
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: timeCharts}); err != nil {
		return nil, fmt.Errorf("add the chart timer: %w", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return nil, fmt.Errorf("load %s: %w", url, err)
	}
	// Waited for in the page, so that the time is the browser's, without
	// the round trips of the protocol.
	const wait = `new Promise(resolve => {
		const check = () => {
			const s = window.netlensCharts;
			const nav = performance.getEntriesByType("navigation")[0];
			if (s && s.done && nav && nav.loadEventEnd > 0) {
				resolve({load: nav.loadEventEnd, drawn: performance.now(),
					charts: document.querySelectorAll("[data-chart-id]").length,
					ok: s.ok, errors: s.errors, each: window.__netlensEach || []});
				return;
			}
			setTimeout(check, 2);
		};
		check();
	})`
	t, err := chromedp.Run(bctx, chromedp.Evaluate[timing](wait, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("wait for the charts: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(t.Errors) > 0 || t.OK != t.Charts || len(problems) > 0 {
		var msgs []string
		for _, e := range t.Errors {
			msgs = append(msgs, e.ID+": "+e.Message)
		}
		msgs = append(msgs, problems...)
		return nil, fmt.Errorf("%d of %d charts drawn: %s", t.OK, t.Charts, strings.Join(msgs, "; "))
	}
	return &t, nil
}
