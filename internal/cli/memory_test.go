package cli

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/flow"
)

func TestFlowMemoryFlag(t *testing.T) {
	for _, tt := range []struct {
		arg  string
		want int64
		err  string
	}{
		{"", flow.DefaultMemory, ""},
		{"512MB", 512_000_000, ""},
		{"512MiB", 512 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"1.5G", 3 << 29, ""},
		{"64k", 64 << 10, ""},
		{"300000000", 300_000_000, ""},
		{"0", 0, ""},
		{"lots", 0, `"lots" is not a size`},
		{"-1MB", 0, `"-1MB" is not a size`},
	} {
		ios, _, _ := testIO()
		var got *IngestOptions
		cmd := NewCmdIngest(ios, func(_ *cobra.Command, o *IngestOptions) error { got = o; return nil })
		args := []string{"a.pcap", "-d", "ds"}
		if tt.arg != "" {
			args = append(args, "--flow-memory", tt.arg)
		}
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("--flow-memory %s: error %v, want %q", tt.arg, err, tt.err)
			}
		case err != nil:
			t.Errorf("--flow-memory %s: %v", tt.arg, err)
		case got.Flow.Memory != tt.want:
			t.Errorf("--flow-memory %s: %d bytes, want %d", tt.arg, got.Flow.Memory, tt.want)
		}
	}
}

// TestLimitMemory checks that an ingest's limit of the Go heap is lifted
// after it, and left alone when GOMEMLIMIT sets one.
func TestLimitMemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	for _, env := range []string{"", "2GiB"} {
		t.Setenv("GOMEMLIMIT", env)
		restore := limitMemory()
		want := int64(goMemoryLimit)
		if env != "" {
			want = before
		}
		if got := debug.SetMemoryLimit(-1); got != want {
			t.Errorf("GOMEMLIMIT=%q: limit during the ingest %d, want %d", env, got, want)
		}
		restore()
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("GOMEMLIMIT=%q: limit after the ingest %d, want %d as before", env, got, before)
		}
	}
}
