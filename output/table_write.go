package output

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"

	"github.com/netlens/netlens/engine"
)

// WriteTable writes every row of the materialised table t to w in format,
// exactly as Write writes the query result it was collected from. Columns
// without a database type name are typed from their first non-NULL value.
func WriteTable(w io.Writer, t *engine.Table, format Format, opt Options) error {
	if t == nil {
		return fmt.Errorf("write %s: no table", format)
	}
	if len(t.Types) != 0 && len(t.Types) != len(t.Columns) {
		return fmt.Errorf("write %s: %d column types for %d columns", format, len(t.Types), len(t.Columns))
	}
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("write %s: row %d has %d values for %d columns", format, i+1, len(r), len(t.Columns))
		}
	}
	return writeReader(context.Background(), w, &tableRows{t: t}, format, opt)
}

// tableRows serves the rows of an engine.Table.
type tableRows struct {
	t *engine.Table
	i int
}

func (r *tableRows) Columns() []string { return r.t.Columns }
func (r *tableRows) Close() error      { return nil }

func (r *tableRows) Next(dest []driver.Value) error {
	if r.i >= len(r.t.Rows) {
		return io.EOF
	}
	for j, v := range r.t.Rows[r.i] {
		dest[j] = v
	}
	r.i++
	return nil
}

// ColumnTypeDatabaseTypeName returns the type name the table was collected
// with, or "" when it has none.
func (r *tableRows) ColumnTypeDatabaseTypeName(i int) string {
	if i < len(r.t.Types) {
		return r.t.Types[i]
	}
	return ""
}

// ColumnTypeScanType returns the Go type of the column's first non-NULL
// value, or the empty interface when every value is NULL.
func (r *tableRows) ColumnTypeScanType(i int) reflect.Type {
	for _, row := range r.t.Rows {
		if row[i] != nil {
			return reflect.TypeOf(row[i])
		}
	}
	return reflect.TypeFor[any]()
}
