package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/dataset"
)

// CheckOptions are the options of netlens check.
type CheckOptions struct {
	IO      *IO
	Dataset string
	Quick   bool
}

// NewCmdCheck builds `netlens check`. runF replaces the work in tests.
func NewCmdCheck(ios *IO, runF func(*cobra.Command, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "check -d DATASET [--quick]",
		Short: "Verify every file of a dataset",
		Long: `Verify every file the dataset's manifest lists: that it is there, has the
size the manifest records, has a readable Parquet footer with the recorded
number of rows, and the recorded CRC-32C checksum (files written before
netlens recorded checksums are checked without). --quick checks presence and
size only. check only reads: it never changes the dataset.

It exits 0 when every file is whole and ` + fmt.Sprint(int(ExitDamaged)) + ` when some are damaged; then
'netlens repair' drops what is damaged so that the rest is usable again, and
names the inputs to ingest again. Parquet files in the table directories
that the manifest does not list are named too; netlens leaves them alone.`,
		Example: `  netlens check -d ds
  netlens check -d ds --quick && netlens report -d ds -o out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Dataset == "" {
				return usageError("check needs -d DATASET")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runCheck(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory")
	f.BoolVar(&opts.Quick, "quick", false, "check presence and size only, without reading the files")
	return cmd
}

func runCheck(cmd *cobra.Command, opts *CheckOptions) error {
	ds, err := dataset.Open(opts.Dataset)
	if err != nil {
		return err
	}
	defer ds.Close()
	level := dataset.CheckFull
	if opts.Quick {
		level = dataset.CheckQuick
	}
	r, err := ds.Check(cmd.Context(), level)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	for _, d := range r.Damaged {
		fmt.Fprintf(out, "damaged  %s: %s\n", d.Path, d.Reason)
	}
	for _, u := range r.Unlisted {
		fmt.Fprintf(out, "unlisted %s: not in the manifest, left alone\n", u)
	}
	if r.OK() {
		size := fmt.Sprintf("%d B", r.Bytes)
		if r.Bytes >= 1000 {
			size = siCount(float64(r.Bytes)) + "B"
		}
		fmt.Fprintf(out, "%s: %d files, %s, all whole\n", opts.Dataset, r.Files, size)
		return nil
	}
	return &exitError{code: ExitDamaged, err: fmt.Errorf("%s: %d of %d files damaged: run `netlens repair -d %s` to drop them and the rows of the inputs they held", opts.Dataset, len(r.Damaged), r.Files, opts.Dataset)}
}
