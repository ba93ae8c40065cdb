package analysis

import (
	"fmt"
	"math/big"
	"time"
)

// Engines return numbers in the Go types of their drivers (int64, uint16,
// *big.Int, float64, ...). These helpers read a value of a result row
// whatever the engine.

// AsInt returns v as an int64 (0 for NULL).
func AsInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case float64:
		return int64(x)
	case float32:
		return int64(x)
	case *big.Int:
		return x.Int64()
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// AsFloat returns v as a float64 (0 for NULL).
func AsFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	}
	return float64(AsInt(v))
}

// AsString returns v as text ("" for NULL).
func AsString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// Time returns nanoseconds since the epoch as a UTC time, the form result
// tables use for timestamps.
func Time(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// AsBigInt returns an integer value of any size as a *big.Int (0 for NULL
// or a value that is not an integer): the Go integers, *big.Int (DuckDB's
// HUGEINT), and the forms ClickHouse's driver gives Decimal(38, 0) in:
// decimal text, or a decimal that gives its value by a BigInt method.
func AsBigInt(v any) *big.Int {
	switch x := v.(type) {
	case *big.Int:
		return new(big.Int).Set(x)
	case uint64:
		return new(big.Int).SetUint64(x)
	case string:
		if b, ok := new(big.Int).SetString(x, 10); ok {
			return b
		}
		return new(big.Int)
	case interface{ BigInt() *big.Int }:
		return x.BigInt()
	}
	return big.NewInt(AsInt(v))
}

// AsInts returns a list value of integers (quantile bounds, say) as
// int64s; nil for NULL, an empty list or a value that is not a list.
func AsInts(v any) []int64 {
	switch x := v.(type) {
	case []int64:
		return append([]int64(nil), x...)
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]int64, len(x))
		for i, e := range x {
			out[i] = AsInt(e)
		}
		return out
	}
	return nil
}
