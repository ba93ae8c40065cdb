package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/output"
)

// page is one page of a table as JSON: the rows from offset on, at most
// limit of them, in the order asked for.
type page struct {
	Columns []string `json:"columns"`
	Types   []string `json:"types"`
	Total   int      `json:"total"`
	Offset  int      `json:"offset"`
	Sort    string   `json:"sort,omitempty"`
	Desc    bool     `json:"desc,omitempty"`
	// Units are the units of the columns (see unitsOf), for the page to
	// show numbers by: a share as a percentage.
	Units     []string            `json:"units"`
	Truncated bool                `json:"truncated,omitempty"` // a query answer cut at the row cap
	Rows      [][]json.RawMessage `json:"rows"`
}

// unitsOf names the units of n columns, as an analysis table gives them
// (nil: every column a number): "number" or "share".
func unitsOf(units []output.Unit, n int) []string { return output.UnitNames(units, n) }

// pageQuery reads offset, limit, sort and desc of a request.
type pageQuery struct {
	offset, limit int
	sort          string
	desc          bool
}

func (s *Server) parsePage(q url.Values) (pageQuery, error) {
	p := pageQuery{limit: 100, sort: q.Get("sort")}
	var err error
	if v := q.Get("offset"); v != "" {
		if p.offset, err = strconv.Atoi(v); err != nil || p.offset < 0 {
			return p, fmt.Errorf("offset %q: want a whole number, 0 or more", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if p.limit, err = strconv.Atoi(v); err != nil || p.limit < 0 {
			return p, fmt.Errorf("limit %q: want a whole number, 0 or more", v)
		}
	}
	p.limit = min(p.limit, s.cfg.PageRows)
	switch v := q.Get("desc"); v {
	case "", "0", "false":
	case "1", "true":
		p.desc = true
	default:
		return p, fmt.Errorf("desc %q: want true or false", v)
	}
	return p, nil
}

// sorter keeps the orders of rows computed for sorted pages, by table,
// column and direction.
type sorter struct {
	mu     sync.Mutex
	orders map[sortKey][]int
}

type sortKey struct {
	t    *engine.Table
	col  int
	desc bool
}

// order returns the indexes of t's rows sorted by column col, NULLs last.
func (so *sorter) order(t *engine.Table, col int, desc bool) []int {
	k := sortKey{t, col, desc}
	so.mu.Lock()
	o, ok := so.orders[k]
	so.mu.Unlock()
	if ok {
		return o
	}
	o = make([]int, len(t.Rows))
	for i := range o {
		o[i] = i
	}
	slices.SortStableFunc(o, func(a, b int) int {
		x, y := t.Rows[a][col], t.Rows[b][col]
		if x == nil || y == nil {
			switch {
			case x == nil && y == nil:
				return 0
			case x == nil:
				return 1
			}
			return -1
		}
		c := compare(x, y)
		if desc {
			c = -c
		}
		return c
	})
	so.mu.Lock()
	if so.orders == nil || len(so.orders) > 256 {
		so.orders = map[sortKey][]int{}
	}
	so.orders[k] = o
	so.mu.Unlock()
	return o
}

// compare orders two values of one column: numbers by value, times by time,
// the rest by their text.
func compare(x, y any) int {
	if a, ok := number(x); ok {
		if b, ok := number(y); ok {
			return a.Cmp(b)
		}
	}
	if a, ok := x.(time.Time); ok {
		if b, ok := y.(time.Time); ok {
			return a.Compare(b)
		}
	}
	if a, ok := x.(bool); ok {
		if b, ok := y.(bool); ok {
			switch {
			case a == b:
				return 0
			case !a:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(x), fmt.Sprint(y))
}

// number returns a numeric value exactly, as a big.Float.
func number(v any) (*big.Float, bool) {
	f := new(big.Float).SetPrec(128)
	switch x := v.(type) {
	case int64:
		return f.SetInt64(x), true
	case int32:
		return f.SetInt64(int64(x)), true
	case int16:
		return f.SetInt64(int64(x)), true
	case int8:
		return f.SetInt64(int64(x)), true
	case int:
		return f.SetInt64(int64(x)), true
	case uint64:
		return f.SetUint64(x), true
	case uint32:
		return f.SetUint64(uint64(x)), true
	case uint16:
		return f.SetUint64(uint64(x)), true
	case uint8:
		return f.SetUint64(uint64(x)), true
	case float64:
		if x != x { // NaN sorts first
			return f.SetInf(true), true
		}
		return f.SetFloat64(x), true
	case float32:
		if x != x {
			return f.SetInf(true), true
		}
		return f.SetFloat64(float64(x)), true
	case *big.Int:
		return f.SetInt(x), true
	}
	return nil, false
}

// pageOf cuts the page p out of t.
func (s *Server) pageOf(t *engine.Table, p pageQuery) (*page, error) {
	out := &page{Columns: t.Columns, Types: t.Types, Units: unitsOf(nil, len(t.Columns)), Total: len(t.Rows), Offset: p.offset, Rows: [][]json.RawMessage{}}
	if out.Types == nil {
		out.Types = make([]string, len(t.Columns))
	}
	idx := make([]int, 0, p.limit)
	var order []int
	if p.sort != "" {
		col := slices.Index(t.Columns, p.sort)
		if col < 0 {
			return nil, fmt.Errorf("sort %q: no such column (columns: %s)", p.sort, strings.Join(t.Columns, ", "))
		}
		order = s.sorts.order(t, col, p.desc)
		out.Sort, out.Desc = p.sort, p.desc
	}
	for i := p.offset; i < len(t.Rows) && len(idx) < p.limit; i++ {
		if order != nil {
			idx = append(idx, order[i])
		} else {
			idx = append(idx, i)
		}
	}
	sub := &engine.Table{Columns: t.Columns, Types: t.Types, Rows: make([][]any, len(idx))}
	for i, r := range idx {
		sub.Rows[i] = t.Rows[r]
	}
	rows, err := jsonRows(sub)
	if err != nil {
		return nil, err
	}
	out.Rows = rows
	return out, nil
}

// jsonRows encodes the rows of t as JSON values in column order, as
// `netlens run --format json` writes them; integers beyond the 53 bits
// JavaScript holds exactly become strings.
func jsonRows(t *engine.Table) ([][]json.RawMessage, error) {
	rows := make([][]json.RawMessage, 0, len(t.Rows))
	if len(t.Rows) == 0 {
		return rows, nil
	}
	var buf bytes.Buffer
	if err := output.WriteTable(&buf, t, output.JSON, output.Options{}); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	for dec.More() {
		if _, err := dec.Token(); err != nil { // {
			return nil, err
		}
		row := make([]json.RawMessage, 0, len(t.Columns))
		for dec.More() {
			if _, err := dec.Token(); err != nil { // key
				return nil, err
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			row = append(row, exact(v))
		}
		if _, err := dec.Token(); err != nil { // }
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// exact turns an integer too large for a JavaScript number into a string.
func exact(v json.RawMessage) json.RawMessage {
	if len(v) < 16 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) || bytes.ContainsAny(v, ".eE") {
		return v
	}
	n, ok := new(big.Int).SetString(string(v), 10)
	if !ok || n.IsInt64() && n.Int64() <= 1<<53 && n.Int64() >= -(1<<53) {
		return v
	}
	return append(append([]byte{'"'}, v...), '"')
}

// writeJSON answers with v as JSON (see encodeJSON).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// encodeJSON encodes v as one line of JSON. "<", ">" and "&" are escaped
// in every string, so that no answer can be taken for markup.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	// json.RawMessage values are copied as they are: escape them too. In
	// JSON these bytes occur only inside strings.
	b := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(buf.String())
	return []byte(b), nil
}

// downloads are the formats of /api/run and /api/query besides JSON:
// files of every row.
var downloads = map[string]output.Format{"csv": output.CSV, "parquet": output.Parquet}

// formatOf reads the format of a request: json (the default), csv or
// parquet.
func formatOf(q url.Values) (string, error) {
	f := q.Get("format")
	if f == "" {
		return "json", nil
	}
	if _, ok := downloads[f]; !ok && f != "json" {
		return "", fmt.Errorf("format %q: want json, csv or parquet", f)
	}
	return f, nil
}

// writeFile answers with every row of t in format (csv or parquet), as the
// file stem.csv or stem.parquet, written as `netlens run --format` writes
// it. The file is made before the answer starts, so that a failure is an
// error answer and not a cut file.
func writeFile(w http.ResponseWriter, r *http.Request, t *engine.Table, format, stem string) {
	var b bytes.Buffer
	if err := output.WriteTable(&b, t, downloads[format], output.Options{}); err != nil {
		fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	types := map[string]string{"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": stem + "." + format}))
	w.Write(b.Bytes())
}

// apiError is the JSON of a refused or failed request.
type apiError struct {
	Error string `json:"error"`
	// Param names the parameter the error is about, if any.
	Param string `json:"param,omitempty"`
}

// fail answers with an error: text for requests of files (CSV,
// Parquet), else JSON.
func fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if _, ok := downloads[r.URL.Query().Get("format")]; ok {
		http.Error(w, msg, status)
		return
	}
	writeJSON(w, status, apiError{Error: msg})
}
