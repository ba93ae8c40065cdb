package suite

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTelescopeWithoutCounting: class labels, and packets without flows,
// make a telescope; fewer flows than TelescopeMinFlows make none, without
// counting them. (The count of one-way flows runs on an engine: see
// internal/cli's TestReportDarknetGroup.)
func TestTelescopeWithoutCounting(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Holdings
		want Verdict
	}{
		{"class labels", Holdings{Rows: map[string]int64{"packets": 10, "flows": 5}, Labels: map[string]int64{"class": 3}},
			Verdict{true, "the dataset has 3 class labels"}},
		{"packet logs", Holdings{Rows: map[string]int64{"packets": 10, "flows": 0}},
			Verdict{true, "the dataset has packets and no flows: logs of packets"}},
		{"a device's capture", Holdings{Rows: map[string]int64{"packets": 624, "flows": 32}, Labels: map[string]int64{"user": 2}},
			Verdict{false, "no class labels, and 32 flows: fewer than the 1000 needed to judge"}},
		{"nothing", Holdings{},
			Verdict{false, "no class labels, and 0 flows: fewer than the 1000 needed to judge"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Telescope(context.Background(), nil, &tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}
