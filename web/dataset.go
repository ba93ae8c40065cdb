package web

import (
	"context"
	"net/http"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/dataset"
)

// inputJSON is an input of the dataset page: the manifest's record, with
// the time span of its packets.
type inputJSON struct {
	dataset.Input
	Packets int64  `json:"packets"`
	First   string `json:"first,omitempty"`
	Last    string `json:"last,omitempty"`
}

// apiDataset answers GET /api/dataset: what the dataset holds, from its
// manifest (inputs with size, hash and time span; ingests with their
// parameters; labels) and the rows of each table. With progress=1 it
// comes as events (see respond): the time spans read every packet.
func (s *Server) apiDataset(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, "the dataset: the time span of each input's packets", s.dataset)
}

// dataset computes the answer of /api/dataset.
func (s *Server) dataset(ctx context.Context, _ *progress) (int, any) {
	ts := s.env.Dialect().EpochNs("ts")
	spans := map[string][3]int64{}
	t, err := s.env.Query(ctx, "SELECT capture, count(*), min("+ts+"), max("+ts+") FROM packets GROUP BY capture")
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil
		}
		return http.StatusInternalServerError, apiError{Error: err.Error()}
	}
	for _, row := range t.Rows {
		spans[analysis.AsString(row[0])] = [3]int64{analysis.AsInt(row[1]), analysis.AsInt(row[2]), analysis.AsInt(row[3])}
	}
	const layout = "2006-01-02 15:04:05.000000 UTC"
	inputs := []inputJSON{}
	for _, in := range s.held.Inputs {
		j := inputJSON{Input: in}
		if sp, ok := spans[in.ID]; ok && sp[0] > 0 {
			j.Packets = sp[0]
			j.First = analysis.Time(sp[1]).Format(layout)
			j.Last = analysis.Time(sp[2]).Format(layout)
		}
		inputs = append(inputs, j)
	}
	return http.StatusOK, struct {
		Engine   string            `json:"engine"`
		Version  string            `json:"version"`
		Rows     map[string]int64  `json:"rows"`
		Inputs   []inputJSON       `json:"inputs"`
		Manifest *dataset.Manifest `json:"manifest,omitempty"`
	}{s.eng.Name(), s.version, s.held.Rows, inputs, s.manifest}
}
