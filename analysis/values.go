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

// AsFloats returns a list value (a quantile list, say) as float64s; nil
// for NULL or a value that is not a list.
func AsFloats(v any) []float64 {
	switch x := v.(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = AsFloat(e)
		}
		return out
	}
	return nil
}
