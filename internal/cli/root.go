// Package cli is the command line of netlens: one file per verb. It wires the
// other packages together and holds no analysis or storage logic itself.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// ExitCode is the status netlens exits with.
type ExitCode int

// Exit codes.
const (
	ExitOK             ExitCode = 0 // success
	ExitError          ExitCode = 1 // the command failed
	ExitUsage          ExitCode = 2 // bad flags or arguments
	ExitBadInput       ExitCode = 3 // some input was corrupt or cut: what was read before the fault is kept
	ExitFailedAnalyses ExitCode = 4 // the report was written with what succeeded, but some analyses failed
	ExitDamaged        ExitCode = 5 // the dataset has damaged files (netlens check, repair)
	ExitInterrupt      ExitCode = 130
)

// version is set at build time with -ldflags "-X github.com/netlens/netlens/internal/cli.version=...".
var version = ""

// Version returns netlens' version: the build-time one, else the module's.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// IO is where a command reads and writes.
type IO struct {
	In          io.Reader
	Out, ErrOut io.Writer
	// OutTTY and ErrTTY tell whether Out and ErrOut are terminals.
	OutTTY, ErrTTY bool
}

// SystemIO returns the process' standard streams.
func SystemIO() *IO {
	return &IO{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// exitError carries an exit code through cobra.
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks an error in flags or arguments.
func usageError(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// NewCmdRoot builds the netlens command tree.
func NewCmdRoot(ios *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "netlens",
		Short: "Turn packet captures and flow logs into answers",
		Long: `netlens reads packet captures (pcap, pcapng, compressed or not), decodes
every packet, assembles bidirectional flows, and stores both as a typed
Parquet dataset that any tool can read, then answers questions: a catalogue
of named analyses ('netlens list'), each a table, an interactive chart and a
publication figure, gathered in a report that opens offline. Ad hoc
questions go to SQL on the embedded DuckDB engine. When data outgrows one
machine, the same commands run on ClickHouse with --engine.`,
		Example: `  # the main job: a report of every analysis on a capture, offline HTML
  netlens report camera.pcap -o camera-report

  # build a dataset from captures (files, directories or globs)
  netlens ingest captures/*.pcap.gz -d ds

  # one analysis, as a table and a figure
  netlens run bursts -d ds --figure bursts.pdf

  # ask it a question
  netlens query -d ds "SELECT src, count(*) AS packets FROM packets GROUP BY src ORDER BY packets DESC LIMIT 5"

  # scale out: load into ClickHouse, then run the same analyses there
  netlens push -d ds --engine clickhouse://ch1:9000/netlens
  netlens run talkers --engine clickhouse://ch1:9000/netlens`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	root.AddCommand(
		NewCmdReport(ios, nil),
		NewCmdIngest(ios, nil),
		NewCmdList(ios),
		NewCmdRun(ios, nil),
		NewCmdQuery(ios, nil),
		NewCmdLabel(ios, nil),
		NewCmdPush(ios, nil),
		NewCmdCheck(ios, nil),
		NewCmdRepair(ios, nil),
		NewCmdServe(ios, nil),
		NewCmdVersion(ios),
	)
	return root
}

// Main runs netlens with the process' arguments and returns its exit code.
func Main() ExitCode {
	ios := SystemIO()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewCmdRoot(ios)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(ios.ErrOut, "netlens:", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.code == ExitUsage {
			fmt.Fprintln(ios.ErrOut, "Run 'netlens --help' for usage.")
		}
		return ee.code
	case ctx.Err() != nil:
		return ExitInterrupt
	}
	return ExitError
}
