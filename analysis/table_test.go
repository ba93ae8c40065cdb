package analysis_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/output"
)

// TestWithUnit: a column's unit is set by name, on a copy; a column the
// table lacks is a mistake that panics.
func TestWithUnit(t *testing.T) {
	tab := analysis.NewTable("overview", "Packets by layer", "layer", "packets", "share")
	shares := tab.WithUnit("share", output.Share)
	if diff := cmp.Diff([]output.Unit{output.Number, output.Number, output.Share}, shares.Units); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if tab.Units != nil {
		t.Errorf("the original table got units %v", tab.Units)
	}
	again := shares.WithUnit("packets", output.Share)
	if shares.Units[1] != output.Number || again.Units[1] != output.Share || again.Units[2] != output.Share {
		t.Errorf("units %v then %v", shares.Units, again.Units)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown column did not panic")
		}
	}()
	tab.WithUnit("ratio", output.Share)
}
