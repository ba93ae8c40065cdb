package schema

import (
	"fmt"
	"reflect"
	"strings"
)

// Type is the logical type of a column, independent of any engine.
type Type int

// The column types of the dataset.
const (
	Bool Type = iota + 1
	UInt8
	UInt16
	UInt32
	UInt64
	Int64
	Float64
	String
	Timestamp // nanoseconds since the Unix epoch, UTC
)

// Column describes one column of a table.
type Column struct {
	Name     string
	Type     Type
	Nullable bool // NULL where the value does not apply
	Doc      string
}

// Table describes one table of the dataset.
type Table struct {
	Name    string
	Doc     string
	TimeCol string // the timestamp column that partitions the table by day
	Columns []Column
}

// Column returns the column named name, or false.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ColumnNames returns the names of t's columns in order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// The tables of the dataset.
var (
	Packets = tableOf[Packet]("packets", "ts", "one row per captured packet")
	Flows   = tableOf[Flow]("flows", "start", "bidirectional transport flows assembled from packets")
	DNSLog  = tableOf[DNS]("dns", "ts", "answers of the DNS and mDNS responses seen in captures")
	Labels  = tableOf[Label]("labels", "loaded", "labels of addresses, prefixes and domains: users, classes, organisations, categories")
	Spans   = tableOf[LabelSpan]("label_spans", "loaded", "the labels resolved into disjoint address blocks and time spans, for joins")
)

// Tables lists every table of the dataset, in dependency order.
func Tables() []*Table {
	return []*Table{Packets, Flows, DNSLog, Labels, Spans, PeerMessages, PeerConns}
}

// TableByName returns the table called name, or nil.
func TableByName(name string) *Table {
	for _, t := range Tables() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// tableOf derives a table's columns from the parquet and doc tags of T.
// It panics on a field it cannot map: the catalogue is fixed at build time.
func tableOf[T any](name, timeCol, doc string) *Table {
	rt := reflect.TypeFor[T]()
	t := &Table{Name: name, Doc: doc, TimeCol: timeCol}
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := strings.Split(f.Tag.Get("parquet"), ",")
		c := Column{Name: tag[0], Doc: f.Tag.Get("doc")}
		for _, opt := range tag[1:] {
			if opt == "optional" {
				c.Nullable = true
			}
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer { // a nullable value
			ft = ft.Elem()
			c.Nullable = true
		}
		switch ft.Kind() {
		case reflect.Bool:
			c.Type = Bool
		case reflect.Uint8:
			c.Type = UInt8
		case reflect.Uint16:
			c.Type = UInt16
		case reflect.Uint32:
			c.Type = UInt32
		case reflect.Uint64:
			c.Type = UInt64
		case reflect.Int64:
			c.Type = Int64
			if strings.Contains(f.Tag.Get("parquet"), "timestamp(") {
				c.Type = Timestamp
			}
		case reflect.Float64:
			c.Type = Float64
		case reflect.String:
			c.Type = String
		default:
			panic(fmt.Sprintf("schema: %s.%s: unsupported type %s", name, f.Name, f.Type))
		}
		if c.Name == "" || c.Doc == "" {
			panic(fmt.Sprintf("schema: %s.%s: missing parquet name or doc", name, f.Name))
		}
		t.Columns = append(t.Columns, c)
	}
	if _, ok := t.Column(timeCol); !ok {
		panic(fmt.Sprintf("schema: %s: no time column %q", name, timeCol))
	}
	return t
}
