package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/engine"
)

// maxBins is the most bins /api/timeline gives.
const maxBins = 2000

// timelineJSON is the histogram of the dataset over time that the pages
// brush a time range on: the records of Table by the time in Column, in
// Counts bins of BinMs milliseconds from FromMs on. The times are
// milliseconds (with fractions) since the epoch, which JavaScript holds
// exactly enough; From and To are the same, in RFC 3339.
type timelineJSON struct {
	Table  string  `json:"table"`
	Column string  `json:"column"`
	Total  int64   `json:"total"`
	FromMs float64 `json:"from_ms"`
	ToMs   float64 `json:"to_ms"` // the end of the last bin, exclusive
	BinMs  float64 `json:"bin_ms"`
	From   string  `json:"from,omitempty"`
	To     string  `json:"to,omitempty"`
	Counts []int64 `json:"counts"`
}

// apiTimeline answers GET /api/timeline?bins=N (default 200): the flows
// of the dataset by their start, the time that the from and to parameters
// of analyses select, or, in a dataset without flows, its packets by time.
func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) {
	bins := 200
	if v := r.URL.Query().Get("bins"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBins {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("bins %q: want a whole number from 1 to %d", v, maxBins))
			return
		}
		bins = n
	}
	s.respond(w, r, "the dataset over time", func(ctx context.Context, _ *progress) (int, any) {
		tl, err := s.timeline(ctx, bins)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil
			}
			return http.StatusInternalServerError, apiError{Error: err.Error()}
		}
		return http.StatusOK, tl
	})
}

// timeline computes the histogram of bins bins, kept with the results.
func (s *Server) timeline(ctx context.Context, bins int) (*timelineJSON, error) {
	table, column := "flows", "start"
	if s.held.Rows["flows"] == 0 {
		table, column = "packets", "ts"
	}
	tl := &timelineJSON{Table: table, Column: column, Counts: []int64{}}
	if s.held.Rows[table] == 0 {
		return tl, nil
	}
	res, err := s.results.get(ctx, s.base, fmt.Sprintf("\x00timeline\x00%d", bins), func(ctx context.Context) (*analysis.Result, error) {
		// The table and column are the two above, never a request's.
		ts := s.env.Dialect().EpochNs(column)
		span, err := s.env.Query(ctx, "SELECT min("+ts+"), max("+ts+"), count(*) FROM "+table)
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		first, last := analysis.AsInt(span.Rows[0][0]), analysis.AsInt(span.Rows[0][1])
		width := max(1, (last-first)/int64(bins)+1) // bins of width cover [first, last]
		off := fmt.Sprintf("(%s - %d)", ts, first)
		bin := fmt.Sprintf("(%[1]s - %[1]s %% %[2]d)", off, width)
		counts, err := s.env.Query(ctx, "SELECT "+bin+" AS bin_offset, count(*) AS n FROM "+table+" GROUP BY "+bin+" ORDER BY bin_offset")
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		meta := &engine.Table{Columns: []string{"first", "width", "total"}, Rows: [][]any{{first, width, analysis.AsInt(span.Rows[0][2])}}}
		return &analysis.Result{Tables: []analysis.Table{{Name: "span", Table: meta}, {Name: "counts", Table: counts}}}, nil
	})
	if err != nil {
		return nil, err
	}
	m := res.Tables[0].Rows[0]
	first, width := m[0].(int64), m[1].(int64)
	tl.Total = m[2].(int64)
	tl.Counts = make([]int64, bins)
	for _, r := range res.Tables[1].Rows {
		i := analysis.AsInt(r[0]) / width
		if i >= 0 && i < int64(bins) {
			tl.Counts[i] += analysis.AsInt(r[1])
		}
	}
	end := first + width*int64(bins)
	tl.FromMs, tl.ToMs, tl.BinMs = float64(first)/1e6, float64(end)/1e6, float64(width)/1e6
	tl.From = analysis.Time(first).Format(time.RFC3339Nano)
	tl.To = analysis.Time(end).Format(time.RFC3339Nano)
	return tl, nil
}
