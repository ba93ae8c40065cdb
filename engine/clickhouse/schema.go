package clickhouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/netlens/netlens/schema"
)

// typeNames maps the catalogue's types to ClickHouse's. Timestamps are Int64
// nanoseconds and booleans UInt8, which every ClickHouse release since 18.16
// has.
var typeNames = map[schema.Type]string{
	schema.Bool:      "UInt8",
	schema.UInt8:     "UInt8",
	schema.UInt16:    "UInt16",
	schema.UInt32:    "UInt32",
	schema.UInt64:    "UInt64",
	schema.Int64:     "Int64",
	schema.Float64:   "Float64",
	schema.String:    "String",
	schema.Timestamp: "Int64",
}

// TypeName returns the ClickHouse type of a catalogue column.
func TypeName(c schema.Column) string {
	t := typeNames[c.Type]
	if c.Nullable {
		return "Nullable(" + t + ")"
	}
	return t
}

// layout is how a dataset table is stored: its sort key (time, then the
// addresses analyses filter on) and, on a cluster, its sharding key.
type layout struct {
	orderBy  string
	shardKey string
}

var layouts = map[string]layout{
	schema.Packets.Name: {"ts, ifNull(src, ''), ifNull(dst, '')", "cityHash64(capture, frame)"},
	schema.Flows.Name:   {"start, a, b", "cityHash64(flow_id)"},
	schema.DNSLog.Name:  {"ts, client", "cityHash64(capture, flow_id, ts)"},
	schema.Labels.Name:  {"kind, address, file, line", "cityHash64(kind, address)"},
	schema.Spans.Name:   {"kind, block_len, block, bucket", "cityHash64(kind, block)"},
	// peer_messages: time, then the peer analyses' groups.
	schema.PeerMessages.Name: {"ts, layout, ifNull(peer_id, -1)", "cityHash64(capture, ts)"},
	schema.PeerConns.Name:    {"ifNull(node, ''), peer_id, peer_addr", "cityHash64(capture, peer_id, peer_addr)"},
}

// metaTable is a bookkeeping table of netlens in the database.
type metaTable struct {
	name    string
	columns [][2]string // name, type
	orderBy string
}

// The bookkeeping tables: a load is one ingest of a dataset being copied into
// the database, an input is a capture file whose rows are all in it. A load
// is recorded as started before its rows are inserted and its inputs only
// after all of them are, so a load that was interrupted has a started row and
// no inputs, until its rows are deleted and it is recorded as abandoned.
var (
	loadsTable = metaTable{"netlens_loads", [][2]string{
		{"load", "UInt32"}, {"started", "Int64"}, {"netlens_version", "String"},
		{"dataset", "String"}, {"ingest", "UInt32"}, {"inputs", "Array(String)"}, {"state", "String"},
	}, "load"}
	inputsTable = metaTable{"netlens_inputs", [][2]string{
		{"id", "String"}, {"sha256", "String"}, {"name", "String"}, {"path", "String"},
		{"size", "Int64"}, {"frames", "UInt64"}, {"error", "String"}, {"load", "UInt32"}, {"loaded", "Int64"},
	}, "id"}
	// labelFilesTable lists the label files whose labels the database
	// holds, by kind, in load order (seq); rows are replaced a kind at a
	// time, after the labels (see ReplaceLabels).
	labelFilesTable = metaTable{"netlens_labels", [][2]string{
		{"kind", "String"}, {"seq", "UInt32"}, {"id", "String"}, {"name", "String"}, {"path", "String"},
		{"sha256", "String"}, {"size", "Int64"}, {"rows", "Int64"}, {"loaded", "Int64"},
	}, "kind, seq"}
	metaTables = []metaTable{loadsTable, inputsTable, labelFilesTable}
)

// localSuffix names the per-shard table beneath a Distributed one.
const localSuffix = "_local"

// tableDef is one table to create: its name, columns and storage.
type tableDef struct {
	name     string
	columns  [][2]string
	orderBy  string
	partBy   string // PARTITION BY expression, or ""
	shardKey string // sharding expression on a cluster
}

// tableDefs lists every table netlens keeps in a database, from the column
// catalogue and the bookkeeping tables.
func tableDefs() []tableDef {
	var defs []tableDef
	for _, t := range schema.Tables() {
		cols := make([][2]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = [2]string{c.Name, TypeName(c)}
		}
		l := layouts[t.Name]
		defs = append(defs, tableDef{
			name: t.Name, columns: cols, orderBy: l.orderBy, shardKey: l.shardKey,
			partBy: "toYYYYMMDD(toDateTime(intDiv(" + quote(t.TimeCol) + ", 1000000000), 'UTC'))",
		})
	}
	for _, m := range metaTables {
		// Bookkeeping rows all go to the first shard, so that the order
		// of loads is that of one table.
		defs = append(defs, tableDef{name: m.name, columns: m.columns, orderBy: m.orderBy, shardKey: "0"})
	}
	return defs
}

// createSQL returns the statement creating d as a MergeTree table called name.
func (d tableDef) createSQL(db, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", quote(db), quote(name))
	d.writeColumns(&b)
	b.WriteString(") ENGINE = MergeTree()")
	if d.partBy != "" {
		b.WriteString(" PARTITION BY " + d.partBy)
	}
	b.WriteString(" ORDER BY (" + d.orderBy + ")")
	return b.String()
}

// distributedSQL returns the statement creating the Distributed table d over
// the local tables of cluster.
func (d tableDef) distributedSQL(db, cluster string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", quote(db), quote(d.name))
	d.writeColumns(&b)
	fmt.Fprintf(&b, ") ENGINE = Distributed('%s', '%s', '%s', %s)", cluster, db, d.name+localSuffix, d.shardKey)
	return b.String()
}

func (d tableDef) writeColumns(b *strings.Builder) {
	for i, c := range d.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(c[0]) + " " + c[1])
	}
}

// setup creates what is missing of the database and its tables on every node
// and checks what exists: a column of the wrong type is an error, a missing
// column is added, and nothing is ever dropped.
func (e *Engine) setup(ctx context.Context) error {
	db := e.cfg.Database
	for _, n := range e.nodes {
		for _, d := range tableDefs() {
			names := []string{d.name}
			if e.cfg.Cluster != "" {
				names = []string{d.name + localSuffix, d.name}
			}
			for _, name := range names {
				create := d.createSQL(db, name)
				if e.cfg.Cluster != "" && name == d.name {
					create = d.distributedSQL(db, e.cfg.Cluster)
				}
				if err := n.ensureTable(ctx, db, name, create, d.columns); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ensureTable creates table name if it is missing, else checks its columns
// and adds those it lacks.
func (n *node) ensureTable(ctx context.Context, db, name, create string, columns [][2]string) error {
	have, err := n.columns(ctx, db, name)
	if err != nil {
		return err
	}
	if len(have) == 0 {
		return n.exec(ctx, create)
	}
	for _, c := range columns {
		t, ok := have[c[0]]
		switch {
		case !ok:
			if err := n.exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN %s %s", quote(db), quote(name), quote(c[0]), c[1])); err != nil {
				return err
			}
		case t != c[1]:
			return fmt.Errorf("clickhouse %s: table %s.%s: column %s is %s, netlens needs %s (netlens never changes or drops existing data; use another database)",
				n.addr, db, name, c[0], t, c[1])
		}
	}
	return nil
}

// columns returns the columns of db.table and their types; none when the
// table does not exist.
func (n *node) columns(ctx context.Context, db, table string) (map[string]string, error) {
	rows, err := n.db.QueryContext(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", db, table)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: columns of %s.%s: %w", n.addr, db, table, err)
	}
	defer rows.Close()
	cols := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("clickhouse %s: columns of %s.%s: %w", n.addr, db, table, err)
		}
		cols[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse %s: columns of %s.%s: %w", n.addr, db, table, err)
	}
	return cols, nil
}
