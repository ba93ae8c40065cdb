package output

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"

	"github.com/netlens/netlens/engine"
)

// WriteStream writes every row of s to w in format, reading them from s as
// they are written: only the table format holds rows back (at most
// TableBufferRows). The bytes are those WriteTable writes for a table of
// the same rows whose columns are typed as s types them. A failure of the
// stream part way stops the writing with its error: w then holds the rows
// written so far, without the end a Parquet file needs.
func WriteStream(ctx context.Context, w io.Writer, s *engine.Stream, format Format, opt Options) error {
	if s == nil || s.Open == nil {
		return fmt.Errorf("write %s: no stream", format)
	}
	if len(s.Types) != len(s.Columns) {
		return fmt.Errorf("write %s: %d column types for %d columns", format, len(s.Types), len(s.Columns))
	}
	r, err := s.Open(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	defer r.Close()
	return writeReader(ctx, w, &readerRows{cols: s.Columns, types: s.Types, r: r}, format, opt)
}

// writeReader writes the rows of rr through Write: the writers read a
// *sql.Rows, and a one-connection database that serves rr hands it to
// them without a second code path.
func writeReader(ctx context.Context, w io.Writer, rr driver.Rows, format Format, opt Options) error {
	db := sql.OpenDB(rowsConnector{rr})
	defer db.Close()
	rows, err := db.QueryContext(ctx, "")
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return Write(w, rows, format, opt)
}

// rowsConnector and rowsConn serve one driver.Rows through database/sql.
// Values are handed over as they are: database/sql scans them into the
// writers' *any destinations unchanged (byte slices copied).
type rowsConnector struct{ rows driver.Rows }

func (c rowsConnector) Connect(context.Context) (driver.Conn, error) { return rowsConn(c), nil }
func (c rowsConnector) Driver() driver.Driver                        { return tableDriver{} }

type tableDriver struct{}

func (tableDriver) Open(string) (driver.Conn, error) {
	return nil, fmt.Errorf("table driver: open by name is not supported")
}

type rowsConn struct{ rows driver.Rows }

var (
	_ driver.Connector                      = rowsConnector{}
	_ driver.QueryerContext                 = rowsConn{}
	_ driver.RowsColumnTypeDatabaseTypeName = (*readerRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*readerRows)(nil)
)

func (c rowsConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return c.rows, nil
}

func (rowsConn) Prepare(string) (driver.Stmt, error) {
	return nil, fmt.Errorf("table driver: prepare is not supported")
}
func (rowsConn) Close() error { return nil }
func (rowsConn) Begin() (driver.Tx, error) {
	return nil, fmt.Errorf("table driver: transactions are not supported")
}

// readerRows serves the rows of an engine.RowReader, typed by database
// type names.
type readerRows struct {
	cols, types []string
	r           engine.RowReader
}

func (r *readerRows) Columns() []string { return r.cols }
func (r *readerRows) Close() error      { return r.r.Close() }

func (r *readerRows) Next(dest []driver.Value) error {
	row, err := r.r.Next()
	if err != nil {
		return err
	}
	if len(row) != len(r.cols) {
		return fmt.Errorf("%d values for %d columns", len(row), len(r.cols))
	}
	for j, v := range row {
		dest[j] = v
	}
	return nil
}

// ColumnTypeDatabaseTypeName returns the type name of column i.
func (r *readerRows) ColumnTypeDatabaseTypeName(i int) string { return r.types[i] }

// ColumnTypeScanType returns the empty interface: the database type names
// type the columns.
func (r *readerRows) ColumnTypeScanType(int) reflect.Type { return reflect.TypeFor[any]() }
