package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
)

// NewCmdList builds `netlens list`.
func NewCmdList(ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "list [ANALYSIS]",
		Short: "Show the analysis catalogue with parameters and defaults",
		Long: `Show every analysis netlens can run, by group, with what it computes, the
tables (and labels) it needs and its parameters with their defaults. With a
name, show that analysis only. Set a parameter with --set name=value on 'netlens run',
or --set analysis.name=value on 'netlens report'.`,
		Example: `  netlens list
  netlens list bursts`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			all := catalog.All()
			if len(args) == 1 {
				a, ok := catalog.ByName(args[0])
				if !ok {
					return usageError("no analysis %q; 'netlens list' shows them all", args[0])
				}
				all = []analysis.Analysis{a}
			}
			return writeCatalog(ios.Out, all)
		},
	}
}

func writeCatalog(w io.Writer, all []analysis.Analysis) error {
	group := ""
	for _, a := range all {
		m := a.Meta()
		if m.Group != group {
			group = m.Group
			fmt.Fprintf(w, "%s\n\n", strings.ToUpper(group))
		}
		needs := strings.Join(m.Tables, ", ")
		for _, kind := range m.Labels {
			needs += ", " + kind + " labels"
		}
		fmt.Fprintf(w, "  %-10s %s (needs %s)\n", m.Name, m.Title, needs)
		for _, line := range wrap(m.Doc, 72) {
			fmt.Fprintf(w, "             %s\n", line)
		}
		for _, p := range m.Params {
			def := p.Default
			if def == "" {
				def = "unset"
			}
			fmt.Fprintf(w, "             --set %s=%s  (%s) %s\n", p.Name, def, p.Kind, p.Doc)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
