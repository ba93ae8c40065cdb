package clickhouse

import (
	"context"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// Confine returns ctx with the setting under which the server runs only
// reads for the queries of ctx: readonly = 1 refuses every write, DDL
// statement, SET and SETTINGS clause, and the table functions (file, url,
// remote, ...), which need temporary tables. It is for SQL that people
// type, such as that of the web console; netlens' own queries do not need
// it.
func (e *Engine) Confine(ctx context.Context) context.Context {
	return ch.Context(ctx, ch.WithSettings(ch.Settings{"readonly": 1}))
}
