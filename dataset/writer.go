package dataset

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"time"
	"unsafe"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/netlens/netlens/schema"
)

const (
	nsPerDay = int64(24 * time.Hour)

	// maxOpenDays is the number of day files a TableWriter keeps open.
	maxOpenDays = 8
	// rowGroupRows is the largest row group written.
	rowGroupRows = 256 << 10
	// pageBufferSize is the size of a column's in-memory page buffer.
	pageBufferSize = 256 << 10
	// writeBufferSize is the buffer between the encoder and the file.
	writeBufferSize = 256 << 10
	// dictMaxBytes is the size past which a column chunk's dictionary
	// gives up: the rest of the row group is written PLAIN. The addresses
	// of real traffic fit many times over; those of a scan or a telescope,
	// nearly all distinct, would cost a dictionary insert per value and
	// save nothing.
	dictMaxBytes = 256 << 10
)

// writerOptions are the Parquet settings of every file of the dataset.
// Integer columns without an explicit encoding use DELTA_BINARY_PACKED:
// time stamps, counters and near-constant columns shrink to a few bits per
// value before zstd sees them, which halves the compression work.
func writerOptions(codec *zstd.Codec, version string) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.DefaultEncodingFor(parquet.Int32, &parquet.DeltaBinaryPacked),
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.PageBufferSize(pageBufferSize),
		parquet.WriteBufferSize(writeBufferSize),
		parquet.DictionaryMaxBytes(dictMaxBytes),
		// The column index holds page statistics already; copies in every page
		// header cost time and help no reader.
		parquet.DataPageStatistics(false),
		&parquet.WriterConfig{CreatedBy: createdBy(version)},
	}
}

// createdBy is the writer name recorded in each file's footer, in the form
// the Parquet specification gives: "<application> version <version>".
func createdBy(version string) string {
	if version == "" {
		version = "unknown"
	}
	return "netlens version " + version
}

// TableWriter writes rows of type T to the part files of one table, one file
// per UTC day of the rows' time. Files become part of the dataset when the
// transaction commits. A TableWriter is not safe for concurrent use.
type TableWriter[T any] struct {
	tx     *Txn
	table  *schema.Table
	timeOf func(*T) int64

	tmpl *fileTemplate  // what its pageFiles share
	zstd *kzstd.Encoder // the pageFiles' compressor

	days   map[int64]*dayFile[T]
	cur    *dayFile[T] // the day file of the last row written
	inputs []string    // the inputs its files record; nil: the transaction's
	tick   uint64
	err    error // sticky: the first write error
}

// dayFile is an open part file for one day.
type dayFile[T any] struct {
	day      int64 // days since the Unix epoch
	lo, hi   int64 // nanosecond bounds of the day, [lo, hi)
	f        *os.File
	crc      *crcWriter
	pf       *pageFile
	tmp, rel string
	rows     int64
	flushed  int64 // rows when writeback of the file was last started
	used     uint64
}

// NewTableWriter returns a writer of table's rows within tx. timeOf returns
// a row's time (nanoseconds since the Unix epoch, UTC), which picks the day
// partition; it should be the table's TimeCol. T must be the table's record
// type from package schema.
func NewTableWriter[T any](tx *Txn, table *schema.Table, timeOf func(*T) int64) (*TableWriter[T], error) {
	if table == nil || timeOf == nil {
		return nil, errors.New("new table writer: nil table or time function")
	}
	if !validName(table.Name) {
		return nil, fmt.Errorf("new table writer: invalid table name %q", table.Name)
	}
	tmpl, enc, err := pagesOf[T](tx)
	if err != nil {
		return nil, fmt.Errorf("new table writer %s: %w", table.Name, err)
	}
	w := &TableWriter[T]{tx: tx, table: table, timeOf: timeOf, days: map[int64]*dayFile[T]{}, tmpl: tmpl, zstd: enc}
	if err := tx.register(w); err != nil {
		return nil, fmt.Errorf("new table writer %s: %w", table.Name, err)
	}
	return w, nil
}

// SetInputs sets the ids that the writer's files record as the inputs
// whose rows they hold, instead of the inputs of the transaction: the id
// of a label file, say, whose rows must go when it goes. Call it before
// the first Write.
func (w *TableWriter[T]) SetInputs(ids []string) { w.inputs = slices.Clone(ids) }

// Write appends rows, routing each to the file of its UTC day. Rows of a day
// may be interleaved with rows of other days; at most a few days are open at
// once, and a day that comes back after its file was closed continues in a
// new part file.
func (w *TableWriter[T]) Write(rows []T) error {
	if w.err != nil {
		return w.err
	}
	for i := 0; i < len(rows); {
		ts := w.timeOf(&rows[i])
		if w.cur == nil || ts < w.cur.lo || ts >= w.cur.hi {
			if err := w.switchDay(floorDiv(ts, nsPerDay)); err != nil {
				w.err = err
				return err
			}
		}
		j := i + 1
		for j < len(rows) {
			t := w.timeOf(&rows[j])
			if t < w.cur.lo || t >= w.cur.hi {
				break
			}
			j++
		}
		if err := w.writeDay(rows[i:j]); err != nil {
			w.err = fmt.Errorf("write %s: %w", w.cur.rel, err)
			return w.err
		}
		w.cur.rows += int64(j - i)
		if w.cur.rows-w.cur.flushed >= rowGroupRows {
			// A row group went to the file meanwhile: have the kernel write
			// it out now rather than all of the file at commit.
			startWriteback(w.cur.f)
			w.cur.flushed = w.cur.rows
		}
		i = j
	}
	return nil
}

// writeDay writes rows, all of the current day, to its file.
func (w *TableWriter[T]) writeDay(rows []T) error {
	return w.cur.pf.write(unsafe.Pointer(&rows[0]), len(rows))
}

// switchDay makes the file of day current, opening it (and closing the least
// recently used file when too many are open) if needed.
func (w *TableWriter[T]) switchDay(day int64) error {
	w.tick++
	if df, ok := w.days[day]; ok {
		df.used = w.tick
		w.cur = df
		return nil
	}
	if len(w.days) >= maxOpenDays {
		var lru *dayFile[T]
		for _, df := range w.days {
			if lru == nil || df.used < lru.used {
				lru = df
			}
		}
		delete(w.days, lru.day)
		if err := w.finish(lru); err != nil {
			return err
		}
	}
	tmp, rel, err := w.tx.newPart(w.table.Name, dayName(day))
	if err != nil {
		return fmt.Errorf("write %s: %w", w.table.Name, err)
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.table.Name, err)
	}
	crc := &crcWriter{w: f}
	df := &dayFile[T]{
		day: day, lo: day * nsPerDay, hi: day*nsPerDay + nsPerDay,
		f: f, crc: crc, tmp: tmp, rel: rel, used: w.tick,
	}
	df.pf = newPageFile(crc, w.tmpl, w.zstd)
	// The first and last days of int64 time are cut short.
	if day < 0 && df.lo > 0 {
		df.lo = math.MinInt64
	}
	if day >= 0 && df.hi < 0 {
		df.hi = math.MaxInt64
	}
	w.days[day] = df
	w.cur = df
	return nil
}

// finish closes a day file, syncs it and hands it to the transaction.
func (w *TableWriter[T]) finish(df *dayFile[T]) error {
	if w.cur == df {
		w.cur = nil
	}
	err := df.pf.close()
	if err == nil {
		err = df.f.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = df.f.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := df.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", df.rel, err)
	}
	w.tx.addFile(w.table.Name, pending{tmp: df.tmp, file: File{Path: df.rel, Rows: df.rows, Bytes: size, Day: dayName(df.day), CRC32C: df.crc.sum(), Inputs: slices.Clone(w.inputs)}})
	return nil
}

// Close finishes every open file. The files join the dataset when the
// transaction commits; Commit closes writers that are still open.
func (w *TableWriter[T]) Close() error {
	defer w.tx.unregister(w)
	if w.days == nil {
		if errors.Is(w.err, ErrDone) {
			return nil
		}
		return w.err
	}
	var errs []error
	if w.err != nil {
		errs = append(errs, w.err)
	}
	for day, df := range w.days {
		delete(w.days, day)
		if w.err != nil {
			df.f.Close()
			continue
		}
		if err := w.finish(df); err != nil {
			errs = append(errs, err)
		}
	}
	w.days = nil
	w.cur = nil
	if err := errors.Join(errs...); err != nil {
		if w.err == nil {
			w.err = err
		}
		return err
	}
	w.err = ErrDone
	return nil
}

// abort closes the open files without finishing them.
func (w *TableWriter[T]) abort() {
	for _, df := range w.days {
		df.f.Close()
	}
	w.days = nil
	w.cur = nil
	w.err = ErrDone
	w.tx.unregister(w)
}

// dayName returns the date of a day number, YYYY-MM-DD.
func dayName(day int64) string {
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}

// floorDiv divides rounding towards negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// castagnoli is the CRC-32C table; the checksum of every file of the dataset.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcWriter passes writes on to w and keeps the CRC-32C of what it wrote.
type crcWriter struct {
	w   io.Writer
	crc uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

// sum returns the checksum as recorded in the manifest.
func (c *crcWriter) sum() string { return fmt.Sprintf("%08x", c.crc) }
