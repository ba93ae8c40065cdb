package clickhouse

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/netlens/netlens/schema"
)

// column copies one column out of a batch of rows of type T into the slice
// the ClickHouse client appends to a column of the catalogue type: text that
// is NULL in the catalogue ("" in Go) becomes a nil pointer, booleans become
// UInt8.
type column[T any] func(rows []T) any

// columnsOf returns the columns of table t, in catalogue order, read from
// the fields of T that carry the columns' parquet tags. Fields are read at
// their offsets, so a batch of a million rows is copied without reflection
// per value.
func columnsOf[T any](t *schema.Table) ([]column[T], error) {
	rt := reflect.TypeFor[T]()
	fields := map[string]reflect.StructField{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		fields[name] = f
	}
	cols := make([]column[T], len(t.Columns))
	for i, c := range t.Columns {
		f, ok := fields[c.Name]
		if !ok {
			return nil, fmt.Errorf("table %s: column %s has no field in %s", t.Name, c.Name, rt)
		}
		off := f.Offset
		switch k := f.Type.Kind(); {
		case k == reflect.Bool:
			cols[i] = func(rows []T) any {
				out := make([]uint8, len(rows))
				for j := range rows {
					if *at[T, bool](rows, j, off) {
						out[j] = 1
					}
				}
				return out
			}
		case k == reflect.String && c.Nullable:
			cols[i] = func(rows []T) any {
				out := make([]*string, len(rows))
				for j := range rows {
					if p := at[T, string](rows, j, off); *p != "" {
						out[j] = p
					}
				}
				return out
			}
		case k == reflect.String:
			cols[i] = copyColumn[T, string](off)
		case k == reflect.Uint8:
			cols[i] = copyColumn[T, uint8](off)
		case k == reflect.Uint16:
			cols[i] = copyColumn[T, uint16](off)
		case k == reflect.Uint32:
			cols[i] = copyColumn[T, uint32](off)
		case k == reflect.Uint64:
			cols[i] = copyColumn[T, uint64](off)
		case k == reflect.Int64:
			cols[i] = copyColumn[T, int64](off)
		case k == reflect.Float64:
			cols[i] = copyColumn[T, float64](off)
		case k == reflect.Pointer && f.Type.Elem().Kind() == reflect.Int64:
			cols[i] = copyColumn[T, *int64](off)
		case k == reflect.Pointer && f.Type.Elem().Kind() == reflect.Uint64:
			cols[i] = copyColumn[T, *uint64](off)
		default:
			return nil, fmt.Errorf("table %s: column %s: no ClickHouse column for Go type %s", t.Name, c.Name, f.Type)
		}
	}
	return cols, nil
}

// at returns the address of the field at offset off of rows[j].
func at[T, F any](rows []T, j int, off uintptr) *F {
	return (*F)(unsafe.Add(unsafe.Pointer(&rows[j]), off))
}

// copyColumn copies the field at offset off of every row.
func copyColumn[T, F any](off uintptr) column[T] {
	return func(rows []T) any {
		out := make([]F, len(rows))
		for j := range rows {
			out[j] = *at[T, F](rows, j, off)
		}
		return out
	}
}
