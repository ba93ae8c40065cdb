package output

import (
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
	cols := make([]column, len(t.Columns))
	for i, name := range t.Columns {
		dbType := ""
		if i < len(t.Types) {
			dbType = t.Types[i]
		}
		cols[i] = classify(name, dbType, scanType(t, i))
	}
	rows := t.Rows
	return writeSource(w, &source{cols: cols, read: func() ([]any, bool, error) {
		if len(rows) == 0 {
			return nil, false, nil
		}
		row := rows[0]
		rows = rows[1:]
		return row, true, nil
	}}, format, opt)
}

// scanType returns the Go type of the first non-NULL value of column i of
// t, or the empty interface when every value is NULL.
func scanType(t *engine.Table, i int) reflect.Type {
	for _, row := range t.Rows {
		if row[i] != nil {
			return reflect.TypeOf(row[i])
		}
	}
	return reflect.TypeFor[any]()
}
