package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/netlens/netlens/engine"
)

// maxSQL is the longest SQL the console takes.
const maxSQL = 64 << 10

// answer is what a query of the console gave: its rows up to the row cap.
type answer struct {
	*engine.Table
	Truncated bool
	Elapsed   time.Duration
}

// Confiner is an engine that can run a query read-only: Confine returns a
// context under which the engine refuses every statement that writes or
// changes a setting. The web console uses it where the engine has it.
type Confiner interface {
	Confine(ctx context.Context) context.Context
}

// ErrNotRead is wrapped by the error of a console query that is not one
// statement that reads.
var ErrNotRead = errors.New("the console runs one statement that reads: SELECT, WITH, FROM, DESCRIBE, SHOW or SUMMARIZE")

// readOnly checks that q is a single statement that only reads. On DuckDB
// it asks DuckDB's own parser: json_serialize_sql serializes SELECT
// statements only (DESCRIBE, SHOW, SUMMARIZE and FROM-first queries are
// SELECTs to it), and says how many statements q holds. No setting, write,
// COPY, ATTACH, INSTALL, LOAD, PRAGMA or CALL is one. Files outside the
// dataset are out of reach of what remains: the engine's settings refuse
// them, for reads as for writes.
func (s *Server) readOnly(ctx context.Context, q string) error {
	if s.eng.Name() != "duckdb" {
		if _, ok := s.eng.(Confiner); !ok {
			return fmt.Errorf("the SQL console is not available on %s: it cannot make its queries read-only", s.eng.Name())
		}
		return nil
	}
	rows, err := s.eng.Query(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", q)
	if err != nil {
		return err
	}
	t, err := engine.Collect(rows, 1)
	if err != nil {
		return err
	}
	if len(t.Rows) != 1 {
		return fmt.Errorf("check the query: no answer")
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Type       string            `json:"error_type"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(t.Rows[0][0])), &parsed); err != nil {
		return fmt.Errorf("check the query: %w", err)
	}
	switch {
	case parsed.Error && parsed.Type == "not implemented":
		return ErrNotRead
	case parsed.Error:
		return fmt.Errorf("%s error: %s", parsed.Type, parsed.Message)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("%w; this holds %d statements", ErrNotRead, len(parsed.Statements))
	}
	return nil
}

// runQuery runs q read-only, within the time limit, keeping at most the
// row cap of its rows. It tells prog (when not nil) its steps.
func (s *Server) runQuery(ctx context.Context, q string, prog *progress) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	if err := s.readOnly(ctx, q); err != nil {
		return nil, err
	}
	if prog != nil {
		prog.set(fmt.Sprintf("query: running in the %s engine (at most %s, %d rows)", s.eng.Name(), s.cfg.QueryTimeout, s.cfg.QueryRows))
	}
	if c, ok := s.eng.(Confiner); ok {
		ctx = c.Confine(ctx)
	}
	start := time.Now()
	rows, err := s.eng.Query(ctx, q)
	if err != nil {
		return nil, timedOut(ctx, err, s.cfg.QueryTimeout)
	}
	t, err := engine.Collect(rows, s.cfg.QueryRows+1)
	if err != nil {
		return nil, timedOut(ctx, err, s.cfg.QueryTimeout)
	}
	a := &answer{Table: t, Elapsed: time.Since(start)}
	if len(t.Rows) > s.cfg.QueryRows {
		t.Rows = t.Rows[:s.cfg.QueryRows]
		a.Truncated = true
	}
	return a, nil
}

// ErrTimeLimit is wrapped by the error of a query stopped at the time
// limit.
var ErrTimeLimit = errors.New("time limit")

func timedOut(ctx context.Context, err error, limit time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("query stopped at the %w of %s", ErrTimeLimit, limit)
	}
	return err
}

// apiQuery answers POST /api/query: the SQL of the body, read-only, as
// JSON (paged like tables), CSV or Parquet (every row up to the cap).
func (s *Server) apiQuery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format, err := formatOf(q)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	pq, err := s.parsePage(q)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSQL+1))
	if err != nil {
		fail(w, r, http.StatusBadRequest, "read the SQL: "+err.Error())
		return
	}
	if len(body) > maxSQL {
		fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the SQL is longer than %d bytes", maxSQL))
		return
	}
	sqlText := strings.TrimSpace(string(body))
	if sqlText == "" {
		fail(w, r, http.StatusBadRequest, "no SQL: send it as the body of the request")
		return
	}
	if format != "json" {
		a, status, err := s.answer(r.Context(), sqlText, nil)
		if err != nil {
			if status != 0 {
				fail(w, r, status, err.Error())
			}
			return
		}
		if a.Truncated {
			w.Header().Set("X-Netlens-Truncated", fmt.Sprint(s.cfg.QueryRows))
		}
		writeFile(w, r, a.Table, format, "query")
		return
	}
	s.respond(w, r, "query: checking that it only reads", func(ctx context.Context, prog *progress) (int, any) {
		a, status, err := s.answer(ctx, sqlText, prog)
		if err != nil {
			return status, apiError{Error: err.Error()}
		}
		p, err := s.pageOf(a.Table, pq)
		if err != nil {
			return http.StatusBadRequest, apiError{Error: err.Error()}
		}
		p.Truncated = a.Truncated
		return http.StatusOK, struct {
			*page
			Cap     int     `json:"cap"`
			Elapsed float64 `json:"elapsed"`
		}{p, s.cfg.QueryRows, a.Elapsed.Seconds()}
	})
}

// answer returns the answer of the console's query q, run once for every
// request that asks for it meanwhile and kept. On error, status is that of
// the answer to give, 0 when ctx ended and nobody listens.
func (s *Server) answer(ctx context.Context, q string, prog *progress) (*answer, int, error) {
	a, err := s.queries.get(ctx, s.base, q, func(ctx context.Context) (*answer, error) {
		return s.runQuery(ctx, q, prog)
	})
	if err == nil {
		return a, http.StatusOK, nil
	}
	if ctx.Err() != nil {
		return nil, 0, err
	}
	if errors.Is(err, ErrTimeLimit) {
		return nil, http.StatusGatewayTimeout, err
	}
	return nil, http.StatusBadRequest, err
}

// tableSchema is a table of the schema browser.
type tableSchema struct {
	Name    string         `json:"name"`
	Rows    int64          `json:"rows"`
	Columns []columnSchema `json:"columns"`
}

type columnSchema struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// apiSchema answers GET /api/schema: the tables queries can use, with
// their columns, types and row counts.
func (s *Server) apiSchema(w http.ResponseWriter, r *http.Request) {
	out := []tableSchema{}
	for _, name := range s.eng.Tables() {
		// The name is one of the engine's own tables, never a request's.
		rows, err := s.eng.Query(r.Context(), "SELECT * FROM "+quoteIdent(name)+" WHERE 1 = 0")
		if err != nil {
			fail(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		cols, err := columnsOf(rows)
		rows.Close()
		if err != nil {
			fail(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		out = append(out, tableSchema{Name: name, Rows: s.held.Rows[name], Columns: cols})
	}
	writeJSON(w, http.StatusOK, out)
}

func columnsOf(rows *sql.Rows) ([]columnSchema, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]columnSchema, len(types))
	for i, t := range types {
		cols[i] = columnSchema{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	return cols, nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
