package output

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// kind is how a column's values are written.
type kind int

const (
	kindString kind = iota
	kindInt
	kindUint
	kindFloat
	kindBool
	kindTime
	kindDate
	kindBytes
	kindOther // lists, maps, structs and the like: JSON text
)

// column is a result column.
type column struct {
	name   string
	dbType string
	kind   kind
	bits   int // integer width for kindInt and kindUint
}

// numeric reports whether the column is right-aligned in tables.
func (c column) numeric() bool {
	return c.kind == kindInt || c.kind == kindUint || c.kind == kindFloat
}

// fixed reports whether the column's cells are never cut in tables.
func (c column) fixed() bool {
	switch c.kind {
	case kindInt, kindUint, kindFloat, kindBool, kindTime, kindDate:
		return true
	}
	return false
}

var dbKinds = map[string]struct {
	kind kind
	bits int
}{
	"TINYINT": {kindInt, 8}, "SMALLINT": {kindInt, 16}, "INTEGER": {kindInt, 32}, "INT": {kindInt, 32},
	"BIGINT": {kindInt, 64}, "HUGEINT": {kindInt, 64},
	"UTINYINT": {kindUint, 8}, "USMALLINT": {kindUint, 16}, "UINTEGER": {kindUint, 32},
	"UBIGINT": {kindUint, 64}, "UHUGEINT": {kindUint, 64},
	"FLOAT": {kindFloat, 0}, "REAL": {kindFloat, 0}, "DOUBLE": {kindFloat, 0},
	"BOOLEAN": {kindBool, 0}, "BOOL": {kindBool, 0},
	"VARCHAR": {kindString, 0}, "TEXT": {kindString, 0}, "STRING": {kindString, 0}, "ENUM": {kindString, 0},
	"DATE": {kindDate, 0}, "BLOB": {kindBytes, 0},
}

func columnsOf(rows *sql.Rows) ([]column, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(types))
	for i, t := range types {
		cols[i] = classify(t.Name(), t.DatabaseTypeName(), t.ScanType())
	}
	return cols, nil
}

// classify picks a column's kind from its database type name, or from the
// Go type the driver scans it into when the name is not known.
func classify(name, dbType string, scan reflect.Type) column {
	c := column{name: name, dbType: dbType, kind: kindOther}
	upper := strings.ToUpper(dbType)
	if k, ok := dbKinds[upper]; ok {
		c.kind, c.bits = k.kind, k.bits
		return c
	}
	switch {
	case strings.HasPrefix(upper, "TIMESTAMP"):
		c.kind = kindTime
		return c
	case strings.HasPrefix(upper, "DECIMAL"), strings.HasPrefix(upper, "NUMERIC"):
		c.kind = kindFloat
		return c
	}
	if scan == nil {
		return c
	}
	for scan.Kind() == reflect.Pointer {
		scan = scan.Elem()
	}
	switch scan.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		c.kind, c.bits = kindInt, scan.Bits()
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		c.kind, c.bits = kindUint, scan.Bits()
	case reflect.Float32, reflect.Float64:
		c.kind = kindFloat
	case reflect.Bool:
		c.kind = kindBool
	case reflect.String:
		c.kind = kindString
	case reflect.Slice:
		if scan.Elem().Kind() == reflect.Uint8 {
			c.kind = kindBytes
		}
	case reflect.Struct:
		if scan == reflect.TypeFor[time.Time]() {
			c.kind = kindTime
		}
	}
	if c.kind == kindInt && c.bits == 0 || c.kind == kindUint && c.bits == 0 {
		c.bits = 64
	}
	return c
}

// Time layouts: a readable one for tables, RFC 3339 for programs.
const (
	tableTime = "2006-01-02 15:04:05.999999999"
	tableDate = time.DateOnly
)

// timeLayout is the layout of a time in column c, in UTC: a date alone
// for a DATE column, else to the nanosecond, as RFC 3339 or, readable,
// as tableTime.
func timeLayout(c column, readable bool) string {
	switch {
	case c.kind == kindDate:
		return tableDate
	case readable:
		return tableTime
	}
	return time.RFC3339Nano
}

// text returns a value as text for tables (readable) or CSV (machine form).
// NULL is the empty string.
func text(v any, c column, readable bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int:
		return strconv.Itoa(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case time.Time:
		return x.UTC().Format(timeLayout(c, readable))
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// formatFloat writes f as its shortest exact decimal, without an exponent
// for ordinary magnitudes.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// appendJSON appends v as a JSON value. Numbers stay numbers (NaN and
// infinities become null), times are RFC 3339 strings, bytes are \x-hex
// strings, and nested values are encoded as JSON.
func appendJSON(dst []byte, v any, c column) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendJSONString(dst, x)
	case bool, int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, uint, *big.Int:
		return append(dst, text(x, c, false)...)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		return append(dst, formatFloat(x, 64)...)
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return append(dst, "null"...)
		}
		return append(dst, formatFloat(float64(x), 32)...)
	case []byte, time.Time:
		return appendJSONString(dst, text(x, c, false))
	}
	if c.kind == kindFloat {
		// Decimals: their exact text is a JSON number.
		if s := text(v, c, false); json.Valid([]byte(s)) {
			return append(dst, s...)
		}
	}
	if b, err := json.Marshal(v); err == nil {
		return append(dst, b...)
	}
	return appendJSONString(dst, fmt.Sprint(v))
}

// appendJSONString appends s as a JSON string, leaving <, > and & as they are.
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			dst = append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		case r == 0xfffd:
			// Invalid UTF-8 decodes as U+FFFD and is written as such.
			dst = append(dst, "\ufffd"...)
		default:
			dst = append(dst, string(r)...)
		}
	}
	return append(dst, '"')
}

// Errors converting values for typed outputs.
var errRange = errors.New("value out of range")

// toInt64 converts an integer value of any Go type.
func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, errRange
		}
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return 0, errRange
		}
		return x.Int64(), nil
	case float64:
		if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
			return 0, errRange
		}
		return int64(x), nil
	}
	return 0, fmt.Errorf("%T is not an integer", v)
}

// toUint64 converts a non-negative integer value of any Go type.
func toUint64(v any) (uint64, error) {
	switch x := v.(type) {
	case uint64:
		return x, nil
	case uint32:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint8:
		return uint64(x), nil
	case uint:
		return uint64(x), nil
	case *big.Int:
		if !x.IsUint64() {
			return 0, errRange
		}
		return x.Uint64(), nil
	}
	i, err := toInt64(v)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		return 0, errRange
	}
	return uint64(i), nil
}

// toFloat64 converts a number of any Go type, decimals included.
func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	case interface{ Float64() float64 }:
		return x.Float64(), nil
	}
	if i, err := toInt64(v); err == nil {
		return float64(i), nil
	}
	if u, err := toUint64(v); err == nil {
		return float64(u), nil
	}
	f, err := strconv.ParseFloat(text(v, column{}, false), 64)
	if err != nil {
		return 0, fmt.Errorf("%T is not a number", v)
	}
	return f, nil
}
