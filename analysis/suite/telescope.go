package suite

import (
	"context"
	"fmt"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/labels"
)

// DarknetGroup is the catalogue group of the analyses of a network
// telescope's traffic: who sends to an unused address block, to which
// ports, how often (DarkVec's overview of a darknet).
const DarknetGroup = "darknet"

// The one-way rule of Telescope: flows enough to tell, nearly all of them
// never answered.
const (
	// TelescopeMinFlows is the fewest flows the one-way rule judges: a
	// device's short capture (a camera's setup) often has a few flows that
	// nobody answers, and is no telescope.
	TelescopeMinFlows = 1000
	// TelescopeOneWay is the share of the flows, never answered, from which
	// the traffic is a telescope's.
	TelescopeOneWay = 0.9
)

// Verdict says whether a dataset holds a network telescope's traffic, and
// why, in a few words for the reader.
type Verdict struct {
	Telescope bool
	Why       string
}

// Telescope tells whether h is a network telescope's traffic (a darknet:
// an address block that only receives), for the report to run the darknet
// group on it. It is when any of these holds, checked in this order:
//
//   - there are labels of kind class: the ground truth of a telescope's
//     senders;
//   - packets has rows and flows none: logs of packets (a telescope's CSV
//     logs), not captures, whose IP packets always make flows;
//   - flows has at least TelescopeMinFlows rows, and at least
//     TelescopeOneWay of them were never answered (no packet from the
//     responder), as a telescope's pcap or a scan seen from the scanned
//     network: one count over the flows' answered column.
//
// Otherwise Why says which of these failed.
func Telescope(ctx context.Context, env *analysis.Env, h *Holdings) (Verdict, error) {
	if n := h.Labels[labels.Class]; n > 0 {
		return Verdict{true, fmt.Sprintf("the dataset has %d class labels", n)}, nil
	}
	packets, flows := h.Rows["packets"], h.Rows["flows"]
	if packets > 0 && flows == 0 {
		return Verdict{true, "the dataset has packets and no flows: logs of packets"}, nil
	}
	if flows < TelescopeMinFlows {
		return Verdict{false, fmt.Sprintf("no class labels, and %d flows: fewer than the %d needed to judge", flows, TelescopeMinFlows)}, nil
	}
	t, err := env.Query(ctx, "SELECT count(*), sum(CASE WHEN answered THEN 0 ELSE 1 END) FROM flows")
	if err != nil {
		return Verdict{}, fmt.Errorf("count one-way flows: %w", err)
	}
	var total, oneWay int64
	if len(t.Rows) == 1 {
		total, oneWay = analysis.AsInt(t.Rows[0][0]), analysis.AsInt(t.Rows[0][1])
	}
	share := 0.0
	if total > 0 {
		share = float64(oneWay) / float64(total)
	}
	what := fmt.Sprintf("%.1f%% of the %d flows are one-way", 100*share, total)
	if total >= TelescopeMinFlows && share >= TelescopeOneWay {
		return Verdict{true, what}, nil
	}
	return Verdict{false, fmt.Sprintf("no class labels, and %s (a telescope's are %.0f%% or more)", what, 100*TelescopeOneWay)}, nil
}
