package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// NewCmdVersion prints netlens' version.
func NewCmdVersion(ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the netlens version",
		Example: "  netlens version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(ios.Out, "netlens %s (%s, %s/%s)\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
