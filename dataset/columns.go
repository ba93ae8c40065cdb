package dataset

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// chunkRows is the number of rows of a column read from the rows at a
// time. parquet-go's row writer deconstructs rows 64 at a time and ends a
// page after the chunk that fills it; reading the columns in chunks of the
// same size ends the pages, and so a dictionary's giving up, at the same
// rows when batches are whole chunks.
const chunkRows = 64

// rowLayout says where each column of a flat record type lies in its rows,
// so that a pageFile reads a batch's values of a column straight from the
// rows. parquet-go's row writer (v0.32.0) writes some empty optional texts
// as empty texts rather than NULL, depending on where the NULLs fall in its
// chunks of 64 rows (parquet-go/parquet-go#154); a pageFile writes an empty
// optional text as NULL, as FORMAT.md says.
type rowLayout struct {
	stride uintptr
	cols   []fieldColumn
}

// fieldKind is how a field is read from a row.
type fieldKind uint8

const (
	fieldInt64 fieldKind = iota // int64 and uint64: INT64
	fieldInt32                  // int32: INT32
	fieldUint32
	fieldInt16
	fieldUint16
	fieldInt8
	fieldUint8
	fieldBool
	fieldFloat32
	fieldFloat64
	fieldString // BYTE_ARRAY
)

// fieldColumn is one column: its field's place in a row and how to read it.
type fieldColumn struct {
	offset   uintptr
	kind     fieldKind
	pointer  bool // a *X field, NULL when nil
	zeroNil  bool // an optional X field, NULL when zero (parquet-go's rule)
	unsigned bool // a uint32 or uint64 field: its order is unsigned
}

// layoutOf returns the layout of T's rows for the Parquet schema s (the
// schema parquet-go derives from T), or an error saying why T's rows
// cannot be written column by column: a field that is nested, repeated or
// of a kind not handled here, or columns that do not follow the fields in
// order. Such types are written through parquet-go's row writer.
func layoutOf[T any](s *parquet.Schema) (*rowLayout, error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, errors.New("not a struct")
	}
	paths := s.Columns()
	l := &rowLayout{stride: t.Size()}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		k := len(l.cols)
		if k >= len(paths) || len(paths[k]) != 1 || paths[k][0] != name {
			return nil, fmt.Errorf("field %s is not column %d", f.Name, k)
		}
		leaf, ok := s.Lookup(name)
		if !ok || leaf.ColumnIndex != k || leaf.MaxRepetitionLevel != 0 {
			return nil, fmt.Errorf("column %s is not a flat column %d", name, k)
		}
		c := fieldColumn{offset: f.Offset}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			c.pointer, ft = true, ft.Elem()
		} else {
			c.zeroNil = hasOption(opts, "optional")
		}
		if want := c.pointer || c.zeroNil; (leaf.MaxDefinitionLevel == 1) != want || leaf.MaxDefinitionLevel > 1 {
			return nil, fmt.Errorf("column %s: definition level %d", name, leaf.MaxDefinitionLevel)
		}
		var phys parquet.Kind
		switch ft.Kind() {
		case reflect.Int64, reflect.Uint64:
			c.kind, phys = fieldInt64, parquet.Int64
			c.unsigned = ft.Kind() == reflect.Uint64
		case reflect.Int32:
			c.kind, phys = fieldInt32, parquet.Int32
		case reflect.Uint32:
			c.kind, phys = fieldUint32, parquet.Int32
			c.unsigned = true
		case reflect.Int16:
			c.kind, phys = fieldInt16, parquet.Int32
		case reflect.Uint16:
			c.kind, phys = fieldUint16, parquet.Int32
		case reflect.Int8:
			c.kind, phys = fieldInt8, parquet.Int32
		case reflect.Uint8:
			c.kind, phys = fieldUint8, parquet.Int32
		case reflect.Bool:
			c.kind, phys = fieldBool, parquet.Boolean
		case reflect.Float32:
			c.kind, phys = fieldFloat32, parquet.Float
		case reflect.Float64:
			c.kind, phys = fieldFloat64, parquet.Double
		case reflect.String:
			c.kind, phys = fieldString, parquet.ByteArray
		default:
			return nil, fmt.Errorf("field %s: kind %s", f.Name, ft.Kind())
		}
		if c.zeroNil && (c.kind == fieldFloat32 || c.kind == fieldFloat64) {
			return nil, fmt.Errorf("field %s: optional float", f.Name)
		}
		if got := leaf.Node.Type().Kind(); got != phys {
			return nil, fmt.Errorf("column %s: %s for a %s field", name, got, ft.Kind())
		}
		l.cols = append(l.cols, c)
	}
	if len(l.cols) != len(paths) || len(l.cols) == 0 {
		return nil, fmt.Errorf("%d fields for %d columns", len(l.cols), len(paths))
	}
	return l, nil
}

// hasOption reports whether the options of a parquet struct tag include opt.
func hasOption(opts, opt string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// isZero reports whether the field at q holds its type's zero value, which
// an optional field that is not a pointer writes as NULL.
func (c *fieldColumn) isZero(q unsafe.Pointer) bool {
	switch c.kind {
	case fieldInt64:
		return *(*int64)(q) == 0
	case fieldInt32, fieldUint32:
		return *(*int32)(q) == 0
	case fieldInt16, fieldUint16:
		return *(*int16)(q) == 0
	case fieldInt8, fieldUint8, fieldBool:
		return *(*int8)(q) == 0
	case fieldString:
		return len(*(*string)(q)) == 0
	}
	return false
}
