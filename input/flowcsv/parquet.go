package flowcsv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
)

// IsParquet reports whether magic, the first four bytes of a file, start a
// Parquet file.
func IsParquet(magic []byte) bool { return bytes.HasPrefix(magic, []byte("PAR1")) }

// timeUnit is how a Parquet column's integers count time.
type timeUnit uint8

const (
	notTime timeUnit = iota
	nanos
	micros
	millis
	days
)

// parquetReader reads a Parquet file of flow records, row by row.
type parquetReader struct {
	closer io.Closer
	name   string
	plan   *plan
	leaf   []int      // the leaf column of each column of plan
	units  []timeUnit // how each leaf column counts time
	uns    []bool     // whether each leaf column holds unsigned integers
	scales []int32    // each leaf column's decimal scale, -1 if not a decimal
	rows   parquet.Rows
	groups []parquet.RowGroup
	batch  []parquet.Row
	n, at  int   // rows in batch, the next one
	row    int64 // rows read, for Line
	text   []byte
	addrs  textrec.Addrs
	strs   textrec.Strings
	err    error
}

// NewParquet returns a reader of the Parquet file of flow records that r
// reads (size bytes), naming it name in errors, after reading its schema
// and deciding, with mapping, what each column fills (see NewCSV).
// Closing it closes closer, if not nil.
func NewParquet(r io.ReaderAt, size int64, closer io.Closer, name string, mapping map[string]string) (rd record.Reader, err error) {
	defer func() {
		if v := recover(); v != nil { // the Parquet library's, on a corrupt file
			rd, err = nil, &record.RowError{File: name, Reason: fmt.Sprintf("corrupt Parquet file: %v", v), Fatal: true}
		}
	}()
	if err := checkFooter(r, size); err != nil {
		return nil, &record.RowError{File: name, Line: 0, Reason: "not a Parquet file netlens can read: " + err.Error(), Fatal: true, Err: err}
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err == nil {
		err = checkPages(r, pf, size)
	}
	if err != nil {
		return nil, &record.RowError{File: name, Line: 0, Reason: "not a Parquet file netlens can read: " + err.Error(), Fatal: true, Err: err}
	}
	schema := pf.Schema()
	var header []string
	var leaves []int
	var units []timeUnit
	var unsigned []bool
	var scales []int32
	for _, path := range schema.Columns() {
		lc, ok := schema.Lookup(path...)
		if !ok || len(path) != 1 || lc.MaxRepetitionLevel > 0 {
			continue // nested and repeated columns are not read
		}
		header = append(header, path[0])
		leaves = append(leaves, lc.ColumnIndex)
		units = append(units, unitOf(lc.Node))
		lt := lc.Node.Type().LogicalType()
		unsigned = append(unsigned, lt != nil && strings.HasPrefix(lt.String(), "INT(") && strings.HasSuffix(lt.String(), ",false)"))
		scale := int32(-1)
		if lt != nil {
			if d, ok := lt.Value.(*format.DecimalType); ok {
				scale = d.Scale
			}
		}
		scales = append(scales, scale)
	}
	p, err := newPlan(header, mapping)
	if err != nil {
		return nil, &record.RowError{File: name, Line: 0, Reason: err.Error(), Fatal: true}
	}
	maxLeaf := 0
	for _, l := range leaves {
		maxLeaf = max(maxLeaf, l)
	}
	u := make([]timeUnit, maxLeaf+1)
	uns := make([]bool, maxLeaf+1)
	sc := make([]int32, maxLeaf+1)
	for i := range sc {
		sc[i] = -1
	}
	for i, l := range leaves {
		u[l], uns[l], sc[l] = units[i], unsigned[i], scales[i]
	}
	return &parquetReader{closer: closer, name: name, plan: p, leaf: leaves, units: u, uns: uns, scales: sc, groups: pf.RowGroups(), batch: make([]parquet.Row, 256)}, nil
}

// checkFooter checks that the footer length a Parquet file ends with fits
// in the file, before the Parquet library allocates a buffer of that length
// (up to 4 GiB for a corrupt file).
func checkFooter(r io.ReaderAt, size int64) error {
	var tail [8]byte
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("read the footer: %w", err)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("the footer's length, %d bytes, is more than the file holds (%d bytes)", n, size)
	}
	return nil
}

// decimalText appends the decimal n/10^scale to b.
func decimalText(b []byte, n *big.Int, scale int32) []byte {
	if scale <= 0 || scale > 76 {
		return n.Append(b, 10)
	}
	if n.Sign() < 0 {
		b = append(b, '-')
		n.Neg(n)
	}
	digits := n.Text(10)
	if pad := int(scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(scale)
	b = append(b, digits[:cut]...)
	b = append(b, '.')
	return append(b, digits[cut:]...)
}

// twosComplement reads a big-endian two's complement integer, as Parquet
// stores a decimal in a byte array.
func twosComplement(v []byte) *big.Int {
	n := new(big.Int).SetBytes(v)
	if len(v) > 0 && v[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v))))
	}
	return n
}

// unitOf tells how a column's values count time, from its logical type.
func unitOf(n parquet.Node) timeUnit {
	t := n.Type()
	if t.Kind() == parquet.Int96 {
		return nanos // INT96 timestamps (older Spark and pandas)
	}
	lt := t.LogicalType()
	if lt == nil {
		return notTime
	}
	s := lt.String()
	switch {
	case strings.HasPrefix(s, "TIMESTAMP") && strings.Contains(s, "NANOS"):
		return nanos
	case strings.HasPrefix(s, "TIMESTAMP") && strings.Contains(s, "MICROS"):
		return micros
	case strings.HasPrefix(s, "TIMESTAMP") && strings.Contains(s, "MILLIS"):
		return millis
	case strings.HasPrefix(s, "DATE"):
		return days
	}
	return notTime
}

// Layout says how the reader reads the file (see csvReader.Layout).
func (p *parquetReader) Layout() string { return p.plan.describe() }

// Close releases the file.
func (p *parquetReader) Close() error {
	var err error
	if p.rows != nil {
		err = p.rows.Close()
	}
	if p.closer != nil {
		err = errors.Join(err, p.closer.Close())
	}
	return err
}

// Next reads the next record into rec (see record.Reader).
func (p *parquetReader) Next(rec *record.Flow) error {
	if p.err != nil {
		return p.err
	}
	err := p.nextSafe(rec)
	if record.Ends(err) {
		p.err = err
	}
	return err
}

// nextSafe is next, with a panic of the Parquet library on a corrupt file
// turned into an error.
func (p *parquetReader) nextSafe(rec *record.Flow) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &record.RowError{File: p.name, Line: p.row + 1, Reason: fmt.Sprintf("corrupt Parquet file: %v", v), Fatal: true}
		}
	}()
	return p.next(rec)
}

func (p *parquetReader) next(rec *record.Flow) error {
	for p.at >= p.n {
		if p.rows == nil {
			if len(p.groups) == 0 {
				return io.EOF
			}
			p.rows = p.groups[0].Rows()
			p.groups = p.groups[1:]
		}
		n, err := p.rows.ReadRows(p.batch)
		p.n, p.at = n, 0
		if err == io.EOF {
			if cerr := p.rows.Close(); cerr != nil {
				return &record.RowError{File: p.name, Line: p.row + 1, Reason: cerr.Error(), Fatal: true, Err: cerr}
			}
			p.rows = nil
		} else if err != nil {
			return &record.RowError{File: p.name, Line: p.row + 1, Reason: "read: " + err.Error(), Fatal: true, Err: err}
		}
	}
	values := p.batch[p.at]
	p.at++
	p.row++
	*rec = record.Flow{Line: p.row}
	r := row{rec: rec}
	pl := p.plan
	for i, t := range pl.cols {
		if t == tNone {
			continue
		}
		v, ok := p.value(values, p.leaf[i])
		if !ok {
			return &record.RowError{File: p.name, Line: p.row, Column: pl.names[i], Reason: "a value of a type netlens cannot read"}
		}
		if reason := pl.set(&r, t, v, &p.addrs, &p.strs); reason != "" {
			return &record.RowError{File: p.name, Line: p.row, Column: pl.names[i], Reason: reason}
		}
	}
	if t, reason := pl.finish(&r); reason != "" {
		return &record.RowError{File: p.name, Line: p.row, Column: targetNames[t], Reason: reason}
	}
	return nil
}

// value returns the text of the value of leaf column leaf in values, as
// the CSV reader would see it: times as epoch nanoseconds, numbers in
// decimal, NULL as empty.
func (p *parquetReader) value(values parquet.Row, leaf int) ([]byte, bool) {
	var v parquet.Value
	found := false
	if leaf < len(values) && values[leaf].Column() == leaf { // a flat schema
		v, found = values[leaf], true
	} else {
		for _, x := range values {
			if x.Column() == leaf {
				v, found = x, true
				break
			}
		}
	}
	if !found || v.IsNull() {
		return nil, true
	}
	b := p.text[:0]
	unit := p.units[leaf]
	switch v.Kind() {
	case parquet.Boolean:
		b = strconv.AppendBool(b, v.Boolean())
	case parquet.Int32, parquet.Int64:
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		switch unit {
		case micros:
			n *= 1e3
		case millis:
			n *= 1e6
		case days:
			n *= 86400e9
		}
		switch {
		case unit != notTime:
			b = nanosText(b, n)
		case p.scales[leaf] > 0:
			b = decimalText(b, big.NewInt(n), p.scales[leaf])
		case p.uns[leaf] && v.Kind() == parquet.Int64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case p.uns[leaf]:
			b = strconv.AppendUint(b, uint64(v.Uint32()), 10)
		default:
			b = strconv.AppendInt(b, n, 10)
		}
	case parquet.Int96:
		i := v.Int96()
		nsOfDay := int64(i[1])<<32 | int64(i[0])
		julian := int64(i[2])
		b = nanosText(b, (julian-2440588)*86400e9+nsOfDay)
	case parquet.Float, parquet.Double:
		f := v.Double()
		if v.Kind() == parquet.Float {
			f = float64(v.Float())
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, true
		}
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if p.scales[leaf] >= 0 {
			b = decimalText(b, twosComplement(v.ByteArray()), p.scales[leaf])
			break
		}
		b = append(b, v.ByteArray()...)
	default:
		return nil, false
	}
	p.text = b
	return b, true
}

// nanosText writes epoch nanoseconds as seconds with nine decimals, which
// textrec.Time reads back exactly.
func nanosText(b []byte, ns int64) []byte {
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	s := strconv.AppendInt(nil, frac, 10)
	for range 9 - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}
