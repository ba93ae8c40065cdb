package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/engine/duckdb"
	"github.com/netlens/netlens/web"
)

// TestServeFlags: serve needs a dataset, and listens beyond loopback only
// with --allow-remote; both are refused before any work.
func TestServeFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "serve needs -d DATASET"},
		{[]string{"serve", "-d", "ds", "--addr", "0.0.0.0:8080"}, "needs --allow-remote"},
		{[]string{"serve", "-d", "ds", "--addr", "192.0.2.1:8080"}, "needs --allow-remote"},
		{[]string{"serve", "-d", "ds", "--addr", "nope"}, "want host:port"},
		{[]string{"serve", "-d", "ds", "extra"}, "serve takes no arguments"},
	} {
		ios, _, _ := testIO()
		ran := false
		root := NewCmdRoot(ios)
		for _, c := range root.Commands() {
			if c.Name() == "serve" {
				root.RemoveCommand(c)
			}
		}
		root.AddCommand(NewCmdServe(ios, func(*cobra.Command, *ServeOptions) error { ran = true; return nil }))
		err, code := execute(root, tt.args...)
		if err == nil || code != ExitUsage || !strings.Contains(err.Error(), tt.want) || ran {
			t.Errorf("%v: exit %d, %v (ran %v); want a usage error with %q", tt.args, code, err, ran, tt.want)
		}
	}
	ios, _, _ := testIO()
	var got *ServeOptions
	cmd := NewCmdServe(ios, func(_ *cobra.Command, o *ServeOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-d", "ds", "--addr", "192.0.2.1:9000", "--allow-remote", "--query-rows", "10"})
	if err := cmd.Execute(); err != nil || got.Addr != "192.0.2.1:9000" || !got.AllowRemote || got.QueryRows != 10 {
		t.Errorf("%v, %+v", err, got)
	}
}

// TestServeSameMessages: a bad parameter gives /api/run the message of
// netlens run.
func TestServeSameMessages(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	ios, _, _ := testIO()
	if err, _ := execute(NewCmdRoot(ios), "ingest", camera, "-d", ds, "-q"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng, err := duckdb.OpenDir(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cfg := web.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := web.New(ctx, eng, cfg, web.Options{Dir: ds})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	for _, set := range []string{"gap=xx", "min_size=-1", "gap=9999999h", "nope=1", "ip_version=5"} {
		ios, _, _ := testIO()
		cliErr, _ := execute(NewCmdRoot(ios), "run", "bursts", "-d", ds, "--set", set)
		if cliErr == nil {
			t.Fatalf("run --set %s: no error", set)
		}
		resp, err := http.Get("http://" + ln.Addr().String() + "/api/run/bursts?" + set)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		if resp.StatusCode != http.StatusBadRequest || e.Error != cliErr.Error() {
			t.Errorf("%s: /api/run says %d %q, netlens run says %q", set, resp.StatusCode, e.Error, cliErr)
		}
	}
}
