package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

const (
	parquetBatch     = 1024
	parquetGroupRows = 128 << 10
)

// orderedGroup is a Parquet group whose fields keep the result's column
// order (parquet.Group sorts them by name).
type orderedGroup struct {
	parquet.Group
	order []string
}

// Fields returns the group's fields in column order.
func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	rank := make(map[string]int, len(g.order))
	for i, n := range g.order {
		rank[n] = i
	}
	slices.SortFunc(fields, func(a, b parquet.Field) int { return rank[a.Name()] - rank[b.Name()] })
	return fields
}

// parquetNode returns the Parquet type of a column; every column is optional.
func parquetNode(c column) parquet.Node {
	var n parquet.Node
	switch c.kind {
	case kindInt:
		n = parquet.Int(c.bits)
	case kindUint:
		n = parquet.Uint(c.bits)
	case kindFloat:
		n = parquet.Leaf(parquet.DoubleType)
	case kindBool:
		n = parquet.Leaf(parquet.BooleanType)
	case kindTime:
		n = parquet.TimestampAdjusted(parquet.Nanosecond, false)
	case kindDate:
		n = parquet.Date()
	case kindBytes:
		n = parquet.Leaf(parquet.ByteArrayType)
	default:
		n = parquet.String()
	}
	return parquet.Optional(n)
}

// parquetSink writes one Parquet file. Integers keep their width and
// signedness, DECIMAL becomes DOUBLE, timestamps are UTC nanoseconds,
// lists, maps and other nested values are JSON text.
//
// A batch of rows is kept column by column and each column's values are
// handed to its column writer at once: the writer need not take rows
// apart into their columns again.
type parquetSink struct {
	pw      *parquet.Writer
	cols    []column
	batch   [][]parquet.Value // per column, the values of the batch's rows
	nulls   []parquet.Value   // per column, its NULL at its levels
	n       int               // rows in the batch
	inGroup int               // rows in the row group being written
	rowNum  int
}

// parquetZstd is the codec of every Parquet file written here, so that the
// files of a report share their encoders rather than each making one (and
// clearing its history).
var parquetZstd = &zstdCodec{level: zstd.SpeedFastest}

func newParquetSink(w io.Writer, cols []column) (*parquetSink, error) {
	if len(cols) == 0 {
		return nil, errors.New("result has no columns")
	}
	names := uniqueNames(cols)
	g := orderedGroup{Group: parquet.Group{}, order: names}
	for i, c := range cols {
		g.Group[names[i]] = parquetNode(c)
	}
	schema := parquet.NewSchema("result", g)
	pw := parquet.NewWriter(w, schema,
		parquet.Compression(parquetZstd),
		parquet.MaxRowsPerRowGroup(parquetGroupRows),
		&parquet.WriterConfig{CreatedBy: "netlens"})
	if got := len(pw.ColumnWriters()); got != len(cols) {
		return nil, fmt.Errorf("parquet writer has %d columns for %d", got, len(cols))
	}
	batch := make([][]parquet.Value, len(cols))
	nulls := make([]parquet.Value, len(cols))
	for i := range batch {
		batch[i] = make([]parquet.Value, parquetBatch)
		nulls[i] = parquet.Value{}.Level(0, 0, i)
	}
	return &parquetSink{pw: pw, cols: cols, batch: batch, nulls: nulls}, nil
}

func (s *parquetSink) write(vals []any) error {
	s.rowNum++
	for i, v := range vals {
		if v == nil {
			s.batch[i][s.n] = s.nulls[i]
			continue
		}
		c := &s.cols[i]
		pv, ok := plainParquetValue(v, c)
		if !ok {
			var err error
			if pv, err = parquetValue(v, c); err != nil {
				return fmt.Errorf("row %d, column %s: %w", s.rowNum, c.name, err)
			}
		}
		s.batch[i][s.n] = pv.Level(0, 1, i)
	}
	s.n++
	if s.n == parquetBatch {
		return s.flush()
	}
	return nil
}

// flush writes the rows of the batch, each column's values at once (the
// writers copy them), and ends the row group once it holds
// parquetGroupRows rows (a multiple of parquetBatch).
func (s *parquetSink) flush() error {
	if s.n == 0 {
		return nil
	}
	for i, c := range s.pw.ColumnWriters() {
		if _, err := c.WriteRowValues(s.batch[i][:s.n]); err != nil {
			return err
		}
	}
	s.inGroup += s.n
	s.n = 0
	if s.inGroup >= parquetGroupRows {
		s.inGroup = 0
		return s.pw.Flush()
	}
	return nil
}

func (s *parquetSink) close() error {
	if err := s.flush(); err != nil {
		return err
	}
	return s.pw.Close()
}

// plainParquetValue converts the values most cells of a scan's large
// tables hold, 64-bit integers of BIGINT columns and texts of text
// columns, as parquetValue does but without its checks, which they need
// not; it reports false for any other value.
func plainParquetValue(v any, c *column) (parquet.Value, bool) {
	switch x := v.(type) {
	case int64:
		if c.kind == kindInt && c.bits == 64 {
			return parquet.Int64Value(x), true
		}
	case string:
		if c.kind == kindString && x != "" {
			return textValue(x), true
		}
	}
	return parquet.Value{}, false
}

// parquetValue converts a value to the Parquet type of its column.
func parquetValue(v any, c *column) (parquet.Value, error) {
	if v == nil {
		return parquet.Value{}, nil
	}
	switch c.kind {
	case kindInt:
		i, err := toInt64(v)
		if err != nil {
			return parquet.Value{}, err
		}
		if c.bits < 64 {
			if lim := int64(1) << (c.bits - 1); i < -lim || i >= lim {
				return parquet.Value{}, errRange
			}
			return parquet.Int32Value(int32(i)), nil
		}
		return parquet.Int64Value(i), nil
	case kindUint:
		u, err := toUint64(v)
		if err != nil {
			return parquet.Value{}, err
		}
		if c.bits < 64 {
			if u >= uint64(1)<<c.bits {
				return parquet.Value{}, errRange
			}
			return parquet.Int32Value(int32(uint32(u))), nil
		}
		return parquet.Int64Value(int64(u)), nil
	case kindFloat:
		f, err := toFloat64(v)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.DoubleValue(f), nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return parquet.Value{}, fmt.Errorf("%T is not a boolean", v)
		}
		return parquet.BooleanValue(b), nil
	case kindTime, kindDate:
		t, ok := v.(time.Time)
		if !ok {
			return parquet.Value{}, fmt.Errorf("%T is not a time", v)
		}
		if c.kind == kindDate {
			days := t.Unix() / 86400
			if t.Unix()%86400 < 0 {
				days--
			}
			if days < math.MinInt32 || days > math.MaxInt32 {
				return parquet.Value{}, errRange
			}
			return parquet.Int32Value(int32(days)), nil
		}
		if t.Year() < 1678 || t.Year() > 2261 {
			return parquet.Value{}, errRange
		}
		return parquet.Int64Value(t.UnixNano()), nil
	case kindBytes:
		b, ok := v.([]byte)
		if !ok {
			return parquet.ByteArrayValue([]byte(text(v, *c, false))), nil
		}
		return parquet.ByteArrayValue(slices.Clone(b)), nil
	}
	if s, ok := v.(string); ok && s != "" {
		return textValue(s), nil
	}
	return parquet.ByteArrayValue([]byte(text(v, *c, false))), nil
}

// textValue is the Parquet value of the non-empty text s. The writer
// copies the bytes and never writes to them: the text's own bytes do,
// without a copy per value.
func textValue(s string) parquet.Value {
	return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
}
