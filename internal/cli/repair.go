package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/dataset"
)

// RepairOptions are the options of netlens repair.
type RepairOptions struct {
	IO      *IO
	Dataset string
}

// NewCmdRepair builds `netlens repair`. runF replaces the work in tests.
func NewCmdRepair(ios *IO, runF func(*cobra.Command, *RepairOptions) error) *cobra.Command {
	opts := &RepairOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "repair -d DATASET",
		Short: "Drop the damaged files of a dataset so that the rest is usable",
		Long: `Check every file of the dataset as 'netlens check' does and drop the
damaged ones in one transaction, together with every other row of the
inputs they held, so that no input is left half in the dataset. The rest
of the dataset is usable again at once. repair names the inputs it removed:
ingest them again ('netlens ingest FILE... -d DATASET') to get their rows
back. A dataset with nothing damaged is left as it is.

Flows come from all the inputs of one ingest together: when a damaged file
held flows of several inputs, all of them are removed.`,
		Example: `  netlens check -d ds || netlens repair -d ds`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Dataset == "" {
				return usageError("repair needs -d DATASET")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runRepair(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	return cmd
}

func runRepair(cmd *cobra.Command, opts *RepairOptions) error {
	// Only an existing dataset is repaired: Open refuses a directory
	// without a manifest before OpenWrite could make one.
	ro, err := dataset.Open(opts.Dataset)
	if err != nil {
		return err
	}
	ro.Close()
	ds, err := dataset.OpenWrite(opts.Dataset)
	if err != nil {
		return err
	}
	r, err := ds.Repair(cmd.Context(), Version())
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if len(r.Damaged) == 0 {
		fmt.Fprintf(out, "%s: nothing damaged, nothing changed\n", opts.Dataset)
		return nil
	}
	for _, d := range r.Damaged {
		fmt.Fprintf(out, "dropped %s: %s\n", d.Path, d.Reason)
	}
	var paths []string
	for _, in := range r.Removed {
		fmt.Fprintf(out, "removed input %s (%s, %d frames)\n", in.Path, in.ID, in.Frames)
		paths = append(paths, shellQuote(in.Path))
	}
	fmt.Fprintf(out, "%s is whole again: %d packets, %d flows, %d dns rows\n", opts.Dataset, r.Rows["packets"], r.Rows["flows"], r.Rows["dns"])
	if len(paths) > 0 {
		fmt.Fprintf(out, "to get the removed rows back: netlens ingest %s -d %s\n", strings.Join(paths, " "), shellQuote(opts.Dataset))
	}
	for _, l := range r.RemovedLabels {
		fmt.Fprintf(out, "removed %s labels %s (%d rows): to get them back: netlens label -d %s --kind %s %s\n",
			l.Kind, l.Path, l.Rows, shellQuote(opts.Dataset), l.Kind, shellQuote(l.Path))
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
