package dataset

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/klauspost/compress/huff0"
	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netlens/netlens/internal/hugepages"
	"github.com/netlens/netlens/internal/pagezstd"
)

// A pageFile writes the Parquet file of a flat record type itself, column
// by column from the rows, instead of through parquet-go's writer: each
// column's values are read from the rows into a typed slice, a page at a
// time, and encoded from there (DELTA_BINARY_PACKED integers, PLAIN floats
// and booleans, texts in a dictionary or PLAIN); page bounds are computed on
// the typed values and texts are looked up in the dictionary by where they
// lie in memory before their content. parquet-go's column writers take one
// parquet.Value at a time and insert every text through a map, which made
// the packets table cost about three times as much.
//
// The files are those parquet-go writes with writerOptions, but for where
// pages end and which are compressed: the same footer (schema elements,
// logical types, column orders and created-by taken from parquet-go
// itself), data pages v2 with zstd, chunk statistics, column and offset
// indexes, size statistics and a dictionary that gives up past
// dictMaxBytes per row group. The pages of a column that zstd does not
// shrink (see incompressible) are mostly stored uncompressed, which the
// v2 page header says. Encoding functions and metadata types are
// parquet-go's.
type pageFile struct {
	tmpl   *fileTemplate
	zstd   *kzstd.Encoder
	out    *bufio.Writer
	offset int64
	cols   []pageColumn
	groups []format.RowGroup
	cidx   [][]format.ColumnIndex
	oidx   [][]format.OffsetIndex
	rows   int64 // rows in the current row group
	// blocks hold the data pages of the row group being built, of all
	// columns as they are made; each column knows its own (see span).
	// A block is never moved nor grown: a page that does not fit in the
	// rest of blocks[blk] goes to the next one. They are kept from row
	// group to row group.
	blocks [][]byte
	blk    int

	thrift  thrift.Encoder
	proto   thrift.CompactProtocol
	hdr     bytes.Buffer
	scratch []byte // encoded page values
	zbuf    []byte // compressed page values
	lbuf    []byte // the page values as a literals frame, when zbuf is zstd's
	huff    huff0.Scratch
	levels  []byte // encoded definition levels
}

// fileTemplate is what every file of a record type shares.
type fileTemplate struct {
	layout    *rowLayout
	schema    []format.SchemaElement
	orders    []format.ColumnOrder
	createdBy string
	dict      []bool // the column's texts go through a dictionary
}

// pageBufferBytes is the size of a column's page, as parquet-go counts it,
// past which the page ends (parquet-go: 98% of PageBufferSize).
const pageBufferBytes = pageBufferSize * 98 / 100

// pagesOf returns the template of T's files and a compressor of their
// pages at tx's level. Every record type of package schema has them.
func pagesOf[T any](tx *Txn) (*fileTemplate, *kzstd.Encoder, error) {
	l, err := layoutOf[T](parquet.SchemaOf(new(T)))
	if err != nil {
		return nil, nil, err
	}
	t, err := newFileTemplate[T](l, tx.version)
	if err != nil {
		return nil, nil, err
	}
	enc, err := pagezstd.NewEncoder(tx.codec.Level)
	return t, enc, err
}

// newFileTemplate returns the template of T's files, or an error when T's
// columns are not all of kinds pageFile writes.
func newFileTemplate[T any](l *rowLayout, version string) (*fileTemplate, error) {
	s := parquet.SchemaOf(new(T))
	// An empty file written by parquet-go has the footer's schema.
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, writerOptions(&zstd.Codec{}, version)...)
	if err := w.Close(); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, err
	}
	md := f.Metadata()
	t := &fileTemplate{layout: l, schema: md.Schema, orders: md.ColumnOrders, createdBy: md.CreatedBy, dict: make([]bool, len(l.cols))}
	for k, path := range s.Columns() {
		leaf, _ := s.Lookup(path...)
		enc := leaf.Node.Encoding()
		switch {
		case enc == nil:
		case enc.Encoding() == format.RLEDictionary || enc.Encoding() == format.PlainDictionary:
			if l.cols[k].kind != fieldString {
				return nil, fmt.Errorf("column %s: dictionary of a %v", path[0], l.cols[k].kind)
			}
			t.dict[k] = true
		default:
			return nil, fmt.Errorf("column %s: encoding %s", path[0], enc)
		}
		if leaf.Node.Compression() != nil {
			return nil, fmt.Errorf("column %s: compression of its own", path[0])
		}
	}
	if len(md.Schema) != len(l.cols)+1 {
		return nil, fmt.Errorf("%d schema elements for %d columns", len(md.Schema), len(l.cols))
	}
	return t, nil
}

// newPageFile returns a pageFile writing to w, compressing with enc.
func newPageFile(w io.Writer, t *fileTemplate, enc *kzstd.Encoder) *pageFile {
	f := &pageFile{tmpl: t, zstd: enc, out: bufio.NewWriterSize(w, writeBufferSize), cols: make([]pageColumn, len(t.layout.cols))}
	for k := range f.cols {
		f.cols[k].init(t.layout.cols[k], t.dict[k], string(t.schema[k+1].Name))
	}
	f.carvePages()
	f.thrift.Reset(f.proto.NewWriter(&f.hdr))
	return f
}

// write appends n rows that start at base. As parquet-go's row writer
// does, a row group ends when a row comes after it is full, and the rows of
// each call go to the columns 64 at a time from its first row.
func (f *pageFile) write(base unsafe.Pointer, n int) error {
	stride := f.tmpl.layout.stride
	for n > 0 {
		if f.rows == rowGroupRows {
			if err := f.endRowGroup(); err != nil {
				return err
			}
		}
		m := min(n, int(rowGroupRows-f.rows))
		if err := f.writeGroup(base, m); err != nil {
			return err
		}
		// Advanced only while rows are left: a pointer just past the
		// rows' allocation is not a valid Go pointer.
		if n -= m; n > 0 {
			base = unsafe.Add(base, uintptr(m)*stride)
		}
	}
	return nil
}

// writeGroup appends n rows that start at base, all within one row group.
func (f *pageFile) writeGroup(base unsafe.Pointer, n int) error {
	stride := f.tmpl.layout.stride
	for k := 0; k < n; k += chunkRows {
		m := min(chunkRows, n-k)
		p := unsafe.Add(base, uintptr(k)*stride)
		for c := range f.cols {
			col := &f.cols[c]
			col.append(p, m, stride)
			if col.pageSize() >= pageBufferBytes {
				if err := f.flushPage(col); err != nil {
					return err
				}
			}
		}
	}
	f.rows += int64(n)
	return nil
}

// writeHeader encodes h into f.hdr.
func (f *pageFile) writeHeader(h *format.PageHeader) error {
	f.hdr.Reset()
	return f.thrift.Encode(h)
}

// flushPage encodes the buffered values of col as a data page into the
// column's chunk.
func (f *pageFile) flushPage(col *pageColumn) error {
	if col.pageRows == 0 {
		return nil
	}
	f.levels = f.levels[:0]
	if col.optional {
		var err error
		if f.levels, err = levelsRLE.EncodeLevels(f.levels, col.levels); err != nil {
			return err
		}
	}
	enc, err := col.encode(f.scratch[:0])
	if err != nil {
		return fmt.Errorf("encode column %s: %w", col.name, err)
	}
	f.scratch = enc
	body, compressed := f.scratch, false
	if col.incompressible() && col.skipped < rawPages {
		col.skipped++
	} else {
		z, err := f.compress(col)
		if err != nil {
			return fmt.Errorf("compress column %s: %w", col.name, err)
		}
		if len(z) < len(f.scratch) {
			body, compressed = z, true
		}
		col.zIn += int64(len(f.scratch))
		col.zOut += int64(len(body))
		col.zPages++
		col.skipped = 0
	}
	crc := crc32.Update(0, crc32.IEEETable, f.levels)
	crc = crc32.Update(crc, crc32.IEEETable, body)
	nulls := col.pageRows - col.pageValues
	encoding := format.DeltaBinaryPacked
	switch {
	case col.kind == fieldString && col.dictOn:
		encoding = format.RLEDictionary
	case col.kind == fieldString || col.kind == fieldBool || col.kind == fieldFloat32 || col.kind == fieldFloat64:
		encoding = format.Plain
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(f.levels) + len(f.scratch)),
		CompressedPageSize:   int32(len(f.levels) + len(body)),
		CRC:                  int32(crc),
	}
	h.DataPageHeaderV2.Valid = true
	h.DataPageHeaderV2.V = format.DataPageHeaderV2{
		NumValues:                  int32(col.pageRows),
		NumNulls:                   int32(nulls),
		NumRows:                    int32(col.pageRows),
		Encoding:                   encoding,
		DefinitionLevelsByteLength: int32(len(f.levels)),
		IsCompressed:               thrift.New(compressed),
	}
	if err := f.writeHeader(&h); err != nil {
		return err
	}
	hlen := int64(f.hdr.Len())
	f.room(f.hdr.Len() + len(f.levels) + len(body))
	b := &f.blocks[f.blk]
	at := len(*b)
	*b = append(*b, f.hdr.Bytes()...)
	*b = append(*b, f.levels...)
	*b = append(*b, body...)
	col.offsets.PageLocations = append(col.offsets.PageLocations, format.PageLocation{
		Offset:             col.chunkBytes, // made absolute when written
		CompressedPageSize: int32(len(*b) - at),
		FirstRowIndex:      col.chunkRows,
	})
	col.spans = append(col.spans, span{f.blk, at, len(*b)})
	col.chunkBytes += int64(len(*b) - at)
	md := &col.meta
	md.NumValues += int64(col.pageRows)
	md.Statistics.NullCount += int64(nulls)
	md.TotalUncompressedSize += hlen + int64(h.UncompressedPageSize)
	md.TotalCompressedSize += hlen + int64(h.CompressedPageSize)
	col.addPageStats(format.DataPageV2, encoding)
	if encoding == format.Plain && col.kind == fieldString {
		md.SizeStatistics.UnencodedByteArrayDataBytes += int64(col.textBytes)
	}
	col.indexPage(nulls)
	col.chunkRows += int64(col.pageRows)
	col.resetPage()
	if col.dictOn && col.dictBytes > dictMaxBytes {
		// The rest of the row group is written PLAIN, as parquet-go does.
		col.dictOn = false
		col.meta.Encoding = addEncoding(col.meta.Encoding, format.Plain)
	}
	return nil
}

// compress returns the page in f.scratch compressed: by zstd, or, for
// PLAIN texts whose pages zstd's search for matches shrinks little more
// than Huffman coding alone, as a literals frame (see appendLiteralsFrame),
// several times faster. A column of PLAIN texts has one page in
// litProbe+1 made both ways, and the choice holds for the litProbe pages
// that follow it.
func (f *pageFile) compress(col *pageColumn) ([]byte, error) {
	if col.kind != fieldString || col.dictOn {
		f.zbuf = f.zstd.EncodeAll(f.scratch, f.zbuf[:0])
		return f.zbuf, nil
	}
	var err error
	if col.probeIn > 0 {
		col.probeIn--
		if !col.literals {
			f.zbuf = f.zstd.EncodeAll(f.scratch, f.zbuf[:0])
			return f.zbuf, nil
		}
		f.zbuf, err = appendLiteralsFrame(f.zbuf[:0], f.scratch, &f.huff)
		return f.zbuf, err
	}
	col.probeIn = litProbe
	f.zbuf = f.zstd.EncodeAll(f.scratch, f.zbuf[:0])
	if f.lbuf, err = appendLiteralsFrame(f.lbuf[:0], f.scratch, &f.huff); err != nil {
		return nil, err
	}
	col.literals = len(f.lbuf)*litSlack <= len(f.zbuf)*(litSlack+1)
	if col.literals {
		return f.lbuf, nil
	}
	return f.zbuf, nil
}

// litProbe is the number of pages of PLAIN texts compressed the way the
// page before them chose. A literals frame is chosen when it is at most a
// litSlack-th larger than zstd's frame: a scan's random addresses come
// out 15% larger (the lengths before the texts, three zero bytes each,
// are what zstd's matches find), and are compressed 6 to 8 times faster;
// texts that repeat, as a scan's destinations, are half the size with
// zstd and stay with it.
const (
	litProbe = 15
	litSlack = 4
)

// rawPages is the number of pages of an incompressible column stored as
// they are before zstd is tried again.
const rawPages = 7

// incompressible reports whether zstd saved less than a thirty-second of
// the column's pages so far in the file, two pages at least: time stamps,
// checksums and gaps once delta-encoded. Their pages are stored as they are
// (is_compressed false), but for one in rawPages+1 that tries again.
func (c *pageColumn) incompressible() bool {
	return c.zPages >= 2 && c.zOut*32 > c.zIn*31
}

// levelsRLE encodes definition levels of 0 and 1.
var levelsRLE = rle.Encoding{BitWidth: 1}

// endRowGroup writes the row group being built.
func (f *pageFile) endRowGroup() error {
	if f.rows == 0 {
		return nil
	}
	for c := range f.cols {
		if err := f.flushPage(&f.cols[c]); err != nil {
			return err
		}
	}
	if f.offset == 0 {
		if err := f.emit([]byte("PAR1")); err != nil {
			return err
		}
	}
	rg := format.RowGroup{NumRows: f.rows, FileOffset: f.offset, Ordinal: int16(len(f.groups)), Columns: make([]format.ColumnChunk, len(f.cols)), SortingColumns: []format.SortingColumn{}}
	cidx := make([]format.ColumnIndex, len(f.cols))
	oidx := make([]format.OffsetIndex, len(f.cols))
	for c := range f.cols {
		col := &f.cols[c]
		if col.dict {
			col.meta.DictionaryPageOffset = f.offset
			if err := f.writeDictionary(col); err != nil {
				return err
			}
		}
		col.meta.DataPageOffset = f.offset
		for i := range col.offsets.PageLocations {
			col.offsets.PageLocations[i].Offset += f.offset
		}
		for _, sp := range col.spans {
			if err := f.emit(f.blocks[sp.block][sp.from:sp.to]); err != nil {
				return err
			}
		}
		slices.SortFunc(col.meta.EncodingStats, func(a, b format.PageEncodingStats) int {
			if k := cmp.Compare(a.PageType, b.PageType); k != 0 {
				return k
			}
			return cmp.Compare(a.Encoding, b.Encoding)
		})
		slices.Sort(col.meta.Encoding)
		if col.optional {
			col.meta.SizeStatistics.DefinitionLevelHistogram = []int64{col.meta.Statistics.NullCount, col.meta.NumValues - col.meta.Statistics.NullCount}
		}
		rg.Columns[c].MetaData = col.meta
		rg.TotalByteSize += col.meta.TotalUncompressedSize
		rg.TotalCompressedSize += col.meta.TotalCompressedSize
		cidx[c] = col.columnIndex()
		oidx[c] = col.offsets
		col.resetChunk()
	}
	for i := range f.blocks {
		f.blocks[i] = f.blocks[i][:0]
	}
	f.blk = 0
	f.groups = append(f.groups, rg)
	f.cidx = append(f.cidx, cidx)
	f.oidx = append(f.oidx, oidx)
	f.rows = 0
	return nil
}

// carvePages gives the columns' page buffers room for a whole page, all
// in one allocation that the kernel may back with huge pages: fresh memory
// costs a page fault every 4 KiB otherwise.
func (f *pageFile) carvePages() {
	var mem []byte
	total := 0
	for pass := range 2 {
		if pass == 1 {
			words := hugepages.Make[uint64]((total + 7) / 8)
			mem = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)
		}
		for k := range f.cols {
			c := &f.cols[k]
			n := c.maxRows
			if c.optional {
				total += carve(pass, &mem, &c.levels, n)
			}
			switch c.kind {
			case fieldInt64:
				total += carve(pass, &mem, &c.i64, n)
			case fieldFloat64:
				total += carve(pass, &mem, &c.f64, n)
			case fieldFloat32:
				total += carve(pass, &mem, &c.f32, n)
			case fieldBool:
				total += carve(pass, &mem, &c.bools, n)
			case fieldString:
				if c.dict {
					total += carve(pass, &mem, &c.idx, n)
				}
			default:
				total += carve(pass, &mem, &c.i32, n)
			}
		}
	}
}

// carve returns the bytes that n elements of s take, rounded up to 64; in
// pass 1 it also makes s an empty slice of that capacity at the start of
// *mem and moves *mem past it. E holds no pointer.
func carve[E any](pass int, mem *[]byte, s *[]E, n int) int {
	var zero E
	size := (n*int(unsafe.Sizeof(zero)) + 63) &^ 63
	if pass == 1 {
		*s = unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(*mem))), n)[:0]
		*mem = (*mem)[size:]
	}
	return size
}

// arenaBlock is the size of a block of a pageFile's data pages: the
// least that hugepages.Make asks huge pages for.
const arenaBlock = hugepages.MinBytes

// room makes f.blocks[f.blk] a block with room for n more bytes: the one
// being filled, else the next one kept from an earlier row group, else a
// new one. Blocks are memory the kernel may back with huge pages: a row
// group's pages take several MiB, and fresh memory costs a page fault every
// 4 KiB otherwise. Pages are never copied from block to block, and a row
// group touches no more memory than its pages take.
func (f *pageFile) room(n int) {
	if len(f.blocks) > 0 {
		if b := f.blocks[f.blk]; len(b)+n <= cap(b) {
			return
		}
		if len(f.blocks[f.blk]) > 0 {
			f.blk++
		}
		if f.blk < len(f.blocks) && n <= cap(f.blocks[f.blk]) {
			return
		}
	}
	b := hugepages.Make[byte](max(n, arenaBlock))[:0]
	if f.blk < len(f.blocks) {
		f.blocks[f.blk] = b
	} else {
		f.blocks = append(f.blocks, b)
	}
}

// span is where a page lies in the blocks.
type span struct{ block, from, to int }

// writeDictionary writes col's dictionary page.
func (f *pageFile) writeDictionary(col *pageColumn) error {
	f.zbuf = f.zstd.EncodeAll(col.dictPlain, f.zbuf[:0])
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(col.dictPlain)),
		CompressedPageSize:   int32(len(f.zbuf)),
		CRC:                  int32(crc32.ChecksumIEEE(f.zbuf)),
	}
	h.DictionaryPageHeader.Valid = true
	h.DictionaryPageHeader.V = format.DictionaryPageHeader{NumValues: int32(col.dictN), Encoding: format.Plain}
	if err := f.writeHeader(&h); err != nil {
		return err
	}
	hlen := int64(f.hdr.Len())
	if err := f.emit(f.hdr.Bytes()); err != nil {
		return err
	}
	if err := f.emit(f.zbuf); err != nil {
		return err
	}
	col.meta.TotalUncompressedSize += hlen + int64(h.UncompressedPageSize)
	col.meta.TotalCompressedSize += hlen + int64(h.CompressedPageSize)
	col.addPageStats(format.DictionaryPage, format.Plain)
	return nil
}

// emit writes b to the file.
func (f *pageFile) emit(b []byte) error {
	n, err := f.out.Write(b)
	f.offset += int64(n)
	return err
}

// close ends the last row group and writes the page index and the footer.
func (f *pageFile) close() error {
	if err := f.endRowGroup(); err != nil {
		return err
	}
	if f.offset == 0 {
		if err := f.emit([]byte("PAR1")); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	enc := thrift.NewEncoder(f.proto.NewWriter(&buf))
	put := func(v any) (int64, int32, error) {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return 0, 0, err
		}
		at := f.offset
		return at, int32(buf.Len()), f.emit(buf.Bytes())
	}
	var err error
	for g := range f.cidx {
		for c := range f.cidx[g] {
			cc := &f.groups[g].Columns[c]
			if cc.ColumnIndexOffset, cc.ColumnIndexLength, err = put(&f.cidx[g][c]); err != nil {
				return err
			}
		}
	}
	for g := range f.oidx {
		for c := range f.oidx[g] {
			cc := &f.groups[g].Columns[c]
			if cc.OffsetIndexOffset, cc.OffsetIndexLength, err = put(&f.oidx[g][c]); err != nil {
				return err
			}
		}
	}
	md := format.FileMetaData{
		Version:          2,
		Schema:           f.tmpl.schema,
		RowGroups:        f.groups,
		KeyValueMetadata: []format.KeyValue{},
		CreatedBy:        f.tmpl.createdBy,
		ColumnOrders:     f.tmpl.orders,
	}
	for _, g := range f.groups {
		md.NumRows += g.NumRows
	}
	_, n, err := put(&md)
	if err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(n))
	copy(tail[4:], "PAR1")
	if err := f.emit(tail[:]); err != nil {
		return err
	}
	return f.out.Flush()
}

// addEncoding adds e to encs unless it is there.
func addEncoding(encs []format.Encoding, e format.Encoding) []format.Encoding {
	if slices.Contains(encs, e) {
		return encs
	}
	return append(encs, e)
}

// pageColumn is one column of a pageFile: the values of its current page,
// its dictionary and the pages of the row group being built.
type pageColumn struct {
	fieldColumn
	name     string
	optional bool
	unsigned bool // INT32/INT64 of an unsigned integer type: compared as such
	dict     bool // the column has a dictionary
	dictOn   bool // the dictionary has not given up in this row group
	// What zstd made of the column's pages so far in the file, and the
	// pages stored uncompressed since it was last tried.
	zIn, zOut, zPages int64
	skipped           int
	// PLAIN texts: whether their pages are literals frames, and for how
	// many more pages before they are made both ways again (see compress).
	literals bool
	probeIn  int
	rowBytes int // bytes parquet-go counts for each row of a page
	maxRows  int // rows a page holds at most (but for PLAIN texts)
	valBytes int // and for each non-null value

	// The current page.
	pageRows   int
	pageValues int // non-null values
	levels     []byte
	i32        []int32
	i64        []int64
	f32        []float32
	f64        []float64
	bools      []bool
	idx        []int32 // dictionary indexes
	text       []byte  // PLAIN texts, each after its length
	textBytes  int     // bytes of the texts without their lengths
	pageUsed   []int32 // the dictionary entries used by the page
	pageStamp  int32
	usedStamp  []int32 // per entry: the stamp of the last page that used it
	minB, maxB []byte  // bounds of a PLAIN text page

	// The dictionary of the row group.
	dictVals  []string
	dictPlain []byte // the dictionary page's values
	dictBytes int
	dictN     int
	byText    textTable
	byPtr     []ptrSlot

	// The row group's column chunk.
	spans      []span // its data pages in the blocks, headers included
	chunkBytes int64
	chunkRows  int64
	meta       format.ColumnMetaData
	offsets    format.OffsetIndex
	nullPages  []bool
	nullCounts []int64
	minVals    [][]byte
	maxVals    [][]byte
	histograms []int64
	statMin    []byte
	statMax    []byte
	bounds8    []byte // the bounds of the row group's pages (see bound)
	tmp        [8]byte
	hasStat    bool
}

// textTable finds the dictionary index of a text by its content: an
// open-addressing table (linear probing, at most half full) of the hash
// and index of each entry of the dictionary, whose texts are the
// column's dictVals. A miss, the common case of a scan's addresses, costs
// one probe and no insert of its own, where a Go map took a look-up and
// an insert, each hashing the text.
type textTable struct {
	slots []textSlot
	used  int
}

// textSlot is the hash of a text and its index plus 1 (0: a free slot).
type textSlot struct {
	hash uint32
	id1  int32
}

// textSeed seeds the hashes of textTable.
var textSeed = maphash.MakeSeed()

// find returns the index of the text s, of hash h, among vals, or -1 and
// the slot where put places it.
func (t *textTable) find(h uint32, s string, vals []string) (id int32, slot int) {
	if 2*(t.used+1) > len(t.slots) {
		t.grow(vals)
	}
	mask := len(t.slots) - 1
	i := int(h) & mask
	for {
		e := t.slots[i]
		if e.id1 == 0 {
			return -1, i
		}
		if e.hash == h && vals[e.id1-1] == s {
			return e.id1 - 1, i
		}
		i = (i + 1) & mask
	}
}

// put records at slot (from find) the text of hash h and index id.
func (t *textTable) put(slot int, h uint32, id int32) {
	t.slots[slot] = textSlot{hash: h, id1: id + 1}
	t.used++
}

// grow doubles the table (it starts at 1,024 slots) and places its
// entries again.
func (t *textTable) grow(vals []string) {
	old := t.slots
	t.slots = make([]textSlot, max(2*len(old), 1<<10))
	mask := len(t.slots) - 1
	for _, e := range old {
		if e.id1 == 0 {
			continue
		}
		i := int(e.hash) & mask
		for t.slots[i].id1 != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = e
	}
}

// reset empties the table, keeping its size.
func (t *textTable) reset() {
	clear(t.slots)
	t.used = 0
}

// ptrSlot remembers the dictionary index of the text at p, of length n.
// Texts that repeat are mostly the same string (interned by the decoder),
// so most look-ups stop here, without hashing the text.
type ptrSlot struct {
	p  *byte
	n  int
	id int32
}

const ptrSlots = 4096

func (c *pageColumn) init(fc fieldColumn, dict bool, name string) {
	c.fieldColumn = fc
	c.name = name
	c.optional = fc.pointer || fc.zeroNil
	c.dict = dict
	c.unsigned = fc.unsigned
	switch fc.kind {
	case fieldInt64, fieldFloat64:
		c.valBytes = 8
	case fieldBool:
		c.valBytes = 0 // one bit: a page of booleans never fills
	case fieldString:
		if dict {
			c.valBytes = 4
		}
	default:
		c.valBytes = 4
	}
	if c.optional {
		c.rowBytes = 5 // the row number and the definition level
	}
	c.maxRows = rowGroupRows
	if b := c.rowBytes + c.valBytes; b > 0 {
		c.maxRows = min(rowGroupRows, pageBufferBytes/b+chunkRows)
	}
	c.pageStamp = 1 // entries start at 0: unused by any page
	if dict {
		c.byPtr = make([]ptrSlot, ptrSlots)
	}
	c.resetChunk()
}

// resetChunk starts a new column chunk.
func (c *pageColumn) resetChunk() {
	c.spans = c.spans[:0]
	c.chunkBytes, c.chunkRows = 0, 0
	enc := []format.Encoding{}
	switch {
	case c.kind == fieldString && c.dict:
		enc = append(enc, format.Plain, format.RLEDictionary)
	case c.kind == fieldString || c.kind == fieldBool || c.kind == fieldFloat32 || c.kind == fieldFloat64:
		enc = append(enc, format.Plain)
	default:
		enc = append(enc, format.DeltaBinaryPacked)
	}
	if c.optional {
		enc = append(enc, format.RLE)
	}
	slices.Sort(enc)
	c.meta = format.ColumnMetaData{
		Type:         c.physical(),
		Encoding:     enc,
		PathInSchema: []string{c.name},
		Codec:        format.Zstd,
	}
	c.offsets = format.OffsetIndex{}
	// The last row group's index and statistics are the footer's now.
	c.nullPages, c.nullCounts = make([]bool, 0, 16), make([]int64, 0, 16)
	c.minVals, c.maxVals = make([][]byte, 0, 16), make([][]byte, 0, 16)
	c.histograms = nil
	if c.optional {
		c.histograms = make([]int64, 0, 32)
	}
	c.bounds8 = make([]byte, 0, 512)
	c.statMin, c.statMax, c.hasStat = nil, nil, false
	if c.dict {
		c.dictOn = true
		c.dictVals = c.dictVals[:0]
		c.dictPlain = c.dictPlain[:0]
		if c.dictN > 0 { // else no text was looked up since they were made or cleared
			c.byText.reset()
			clear(c.byPtr)
		}
		c.dictBytes, c.dictN = 0, 0
		c.usedStamp = c.usedStamp[:0]
	}
}

func (c *pageColumn) physical() format.Type {
	switch c.kind {
	case fieldInt64:
		return format.Int64
	case fieldBool:
		return format.Boolean
	case fieldFloat32:
		return format.Float
	case fieldFloat64:
		return format.Double
	case fieldString:
		return format.ByteArray
	}
	return format.Int32
}

func (c *pageColumn) resetPage() {
	c.pageRows, c.pageValues = 0, 0
	c.levels = c.levels[:0]
	c.i32, c.i64, c.f32, c.f64 = c.i32[:0], c.i64[:0], c.f32[:0], c.f64[:0]
	c.bools, c.idx, c.text, c.textBytes = c.bools[:0], c.idx[:0], c.text[:0], 0
	c.pageUsed = c.pageUsed[:0]
	c.pageStamp++
	c.minB, c.maxB = c.minB[:0], c.maxB[:0]
}

// pageSize is the size of the page as parquet-go counts it.
func (c *pageColumn) pageSize() int {
	n := c.pageRows*c.rowBytes + c.pageValues*c.valBytes
	if c.kind == fieldString && !(c.dict && c.dictOn) {
		n = c.pageRows*c.rowBytes + c.textBytes + 4*c.pageValues
	}
	return n
}

// append adds the values of the column in the n rows that start at base.
func (c *pageColumn) append(base unsafe.Pointer, n int, stride uintptr) {
	p := unsafe.Add(base, c.offset)
	c.pageRows += n
	if c.optional {
		c.appendOptional(p, n, stride)
		return
	}
	c.pageValues += n
	switch c.kind {
	case fieldInt64:
		load[int64](extend(&c.i64, n, c.maxRows), p, stride)
	case fieldInt32, fieldUint32:
		load[int32](extend(&c.i32, n, c.maxRows), p, stride)
	case fieldInt16:
		widen[int16](extend(&c.i32, n, c.maxRows), p, stride)
	case fieldUint16:
		widen[uint16](extend(&c.i32, n, c.maxRows), p, stride)
	case fieldInt8:
		widen[int8](extend(&c.i32, n, c.maxRows), p, stride)
	case fieldUint8:
		widen[uint8](extend(&c.i32, n, c.maxRows), p, stride)
	case fieldBool:
		load[bool](extend(&c.bools, n, c.maxRows), p, stride)
	case fieldFloat32:
		load[float32](extend(&c.f32, n, c.maxRows), p, stride)
	case fieldFloat64:
		load[float64](extend(&c.f64, n, c.maxRows), p, stride)
	case fieldString:
		if c.dict && c.dictOn {
			reserve(&c.idx, n, c.maxRows)
		}
		for i := range n {
			c.appendText(*(*string)(unsafe.Add(p, uintptr(i)*stride)))
		}
	}
}

// load sets d to the fields of type E at p in len(d) rows of stride bytes.
func load[E any](d []E, p unsafe.Pointer, stride uintptr) {
	for i := range d {
		d[i] = *(*E)(unsafe.Add(p, uintptr(i)*stride))
	}
}

// widen is load for the small integers a column stores as INT32.
func widen[E int8 | uint8 | int16 | uint16](d []int32, p unsafe.Pointer, stride uintptr) {
	for i := range d {
		d[i] = int32(*(*E)(unsafe.Add(p, uintptr(i)*stride)))
	}
}

// extend lengthens *s by n and returns the n new elements. A slice that
// must grow gets room for a whole page at once (atLeast elements).
func extend[E any](s *[]E, n, atLeast int) []E {
	l := len(*s)
	reserve(s, n, atLeast)
	*s = (*s)[:l+n]
	return (*s)[l:]
}

// reserve makes room in *s for n more elements; a slice that must grow
// gets room for atLeast elements, or twice its capacity.
func reserve[E any](s *[]E, n, atLeast int) {
	if l := len(*s); l+n > cap(*s) {
		*s = slices.Grow(*s, max(n, atLeast-l, cap(*s)))
	}
}

// appendOptional is append for an optional column: NULL where the field
// is a nil pointer or, not a pointer, zero.
func (c *pageColumn) appendOptional(p unsafe.Pointer, n int, stride uintptr) {
	lv := extend(&c.levels, n, c.maxRows)
	switch c.kind {
	case fieldInt64:
		reserve(&c.i64, n, c.maxRows)
	case fieldFloat32:
		reserve(&c.f32, n, c.maxRows)
	case fieldFloat64:
		reserve(&c.f64, n, c.maxRows)
	case fieldBool:
		reserve(&c.bools, n, c.maxRows)
	case fieldString:
		if c.dict && c.dictOn {
			reserve(&c.idx, n, c.maxRows)
		}
	default:
		reserve(&c.i32, n, c.maxRows)
	}
	for i := range n {
		q := unsafe.Add(p, uintptr(i)*stride)
		if c.pointer {
			q = *(*unsafe.Pointer)(q)
			if q == nil {
				lv[i] = 0
				continue
			}
		} else if c.isZero(q) {
			lv[i] = 0
			continue
		}
		lv[i] = 1
		c.pageValues++
		switch c.kind {
		case fieldInt64:
			c.i64 = append(c.i64, *(*int64)(q))
		case fieldInt32, fieldUint32:
			c.i32 = append(c.i32, *(*int32)(q))
		case fieldInt16:
			c.i32 = append(c.i32, int32(*(*int16)(q)))
		case fieldUint16:
			c.i32 = append(c.i32, int32(*(*uint16)(q)))
		case fieldInt8:
			c.i32 = append(c.i32, int32(*(*int8)(q)))
		case fieldUint8:
			c.i32 = append(c.i32, int32(*(*uint8)(q)))
		case fieldBool:
			c.bools = append(c.bools, *(*bool)(q))
		case fieldFloat32:
			c.f32 = append(c.f32, *(*float32)(q))
		case fieldFloat64:
			c.f64 = append(c.f64, *(*float64)(q))
		case fieldString:
			c.appendText(*(*string)(q))
		}
	}
}

// appendText adds a text value to the page.
func (c *pageColumn) appendText(s string) {
	if c.dict && c.dictOn {
		id := c.lookup(s)
		c.idx = append(c.idx, id)
		if c.usedStamp[id] != c.pageStamp {
			c.usedStamp[id] = c.pageStamp
			c.pageUsed = append(c.pageUsed, id)
		}
		return
	}
	c.text = binary.LittleEndian.AppendUint32(c.text, uint32(len(s)))
	c.text = append(c.text, s...)
	c.textBytes += len(s)
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	if c.pageValues == 1 {
		c.minB, c.maxB = append(c.minB[:0], b...), append(c.maxB[:0], b...)
	} else if bytes.Compare(b, c.minB) < 0 {
		c.minB = append(c.minB[:0], b...)
	} else if bytes.Compare(b, c.maxB) > 0 {
		c.maxB = append(c.maxB[:0], b...)
	}
}

// lookup returns the dictionary index of s, adding it when new.
func (c *pageColumn) lookup(s string) int32 {
	p := unsafe.StringData(s)
	h := (uintptr(unsafe.Pointer(p)) * 0x9E3779B97F4A7C15) >> 40
	slot := &c.byPtr[h&(ptrSlots-1)]
	if slot.p == p && slot.n == len(s) && p != nil {
		return slot.id
	}
	hs := uint32(maphash.String(textSeed, s))
	id, at := c.byText.find(hs, s, c.dictVals)
	if id < 0 {
		id = int32(c.dictN)
		c.dictN++
		c.dictVals = append(c.dictVals, s)
		c.byText.put(at, hs, id)
		c.dictPlain = binary.LittleEndian.AppendUint32(c.dictPlain, uint32(len(s)))
		c.dictPlain = append(c.dictPlain, s...)
		c.dictBytes += len(s)
		c.usedStamp = append(c.usedStamp, 0)
	}
	*slot = ptrSlot{p: p, n: len(s), id: id}
	return id
}

// encode appends the encoded values of the page to dst.
func (c *pageColumn) encode(dst []byte) ([]byte, error) {
	switch c.kind {
	case fieldInt64:
		return deltaEnc.EncodeInt64(dst, c.i64)
	case fieldBool:
		dst = slices.Grow(dst[:0], (len(c.bools)+7)/8)[:(len(c.bools)+7)/8]
		clear(dst)
		for i, v := range c.bools {
			if v {
				dst[i/8] |= 1 << (i % 8)
			}
		}
		return dst, nil
	case fieldFloat32:
		dst = dst[:0]
		for _, v := range c.f32 {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
		return dst, nil
	case fieldFloat64:
		dst = dst[:0]
		for _, v := range c.f64 {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
		return dst, nil
	case fieldString:
		if c.dict && c.dictOn {
			return dictEnc.EncodeInt32(dst, c.idx)
		}
		return append(dst[:0], c.text...), nil
	}
	return deltaEnc.EncodeInt32(dst, c.i32)
}

var (
	deltaEnc delta.BinaryPackedEncoding
	dictEnc  rle.DictionaryEncoding
)

// addPageStats counts a page of type t and encoding e.
func (c *pageColumn) addPageStats(t format.PageType, e format.Encoding) {
	for i := range c.meta.EncodingStats {
		if s := &c.meta.EncodingStats[i]; s.PageType == t && s.Encoding == e {
			s.Count++
			return
		}
	}
	c.meta.EncodingStats = append(c.meta.EncodingStats, format.PageEncodingStats{PageType: t, Encoding: e, Count: 1})
}

// indexPage records the bounds, nulls and levels of the page in the
// column index and the chunk's statistics.
func (c *pageColumn) indexPage(nulls int) {
	lo, hi, ok := c.bounds()
	if !ok { // a page of NULLs
		lo, hi = c.zeroBound(), c.zeroBound()
	}
	c.nullPages = append(c.nullPages, nulls == c.pageRows)
	c.nullCounts = append(c.nullCounts, int64(nulls))
	c.minVals = append(c.minVals, lo)
	c.maxVals = append(c.maxVals, hi)
	if c.optional {
		c.histograms = append(c.histograms, int64(nulls), int64(c.pageRows-nulls))
	}
	if !ok {
		return
	}
	// An empty text is a bound, not a missing one: never nil.
	if !c.hasStat || c.less(lo, c.statMin) {
		c.statMin = append(c.statMin[:0], lo...)
	}
	if !c.hasStat || c.less(c.statMax, hi) {
		c.statMax = append(c.statMax[:0], hi...)
	}
	if c.statMin == nil {
		c.statMin = []byte{}
	}
	if c.statMax == nil {
		c.statMax = []byte{}
	}
	c.hasStat = true
	c.meta.Statistics.MinValue, c.meta.Statistics.MaxValue = c.statMin, c.statMax
}

// zeroBound is the bound parquet-go records for a page of NULLs.
func (c *pageColumn) zeroBound() []byte {
	var zero [8]byte
	switch c.kind {
	case fieldInt64, fieldFloat64:
		return c.bound(zero[:8])
	case fieldBool:
		return c.bound(zero[:1])
	case fieldString:
		return c.bound(nil)
	}
	return c.bound(zero[:4])
}

// bound returns a copy of b that lasts as long as the row group's column
// index: the bounds of a row group's pages are kept side by side.
func (c *pageColumn) bound(b []byte) []byte {
	at := len(c.bounds8)
	c.bounds8 = append(c.bounds8, b...)
	return c.bounds8[at:len(c.bounds8):len(c.bounds8)]
}

// less compares two bounds of the column in its order.
func (c *pageColumn) less(a, b []byte) bool {
	switch c.kind {
	case fieldInt64:
		x, y := binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)
		if c.unsigned {
			return x < y
		}
		return int64(x) < int64(y)
	case fieldFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(a)) < math.Float32frombits(binary.LittleEndian.Uint32(b))
	case fieldFloat64:
		return math.Float64frombits(binary.LittleEndian.Uint64(a)) < math.Float64frombits(binary.LittleEndian.Uint64(b))
	case fieldBool:
		return a[0] < b[0]
	case fieldString:
		return bytes.Compare(a, b) < 0
	}
	x, y := binary.LittleEndian.Uint32(a), binary.LittleEndian.Uint32(b)
	if c.unsigned {
		return x < y
	}
	return int32(x) < int32(y)
}

// bounds returns the least and greatest values of the page, PLAIN encoded
// (texts without their length); ok is false when the page holds no value.
func (c *pageColumn) bounds() (lo, hi []byte, ok bool) {
	if c.pageValues == 0 {
		return nil, nil, false
	}
	switch c.kind {
	case fieldInt64:
		var a, b uint64
		if c.unsigned {
			a, b = minMax(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(c.i64))), len(c.i64)))
		} else {
			x, y := minMax(c.i64)
			a, b = uint64(x), uint64(y)
		}
		return c.bound(binary.LittleEndian.AppendUint64(c.tmp[:0], a)), c.bound(binary.LittleEndian.AppendUint64(c.tmp[:0], b)), true
	case fieldBool:
		lo, hi := byte(1), byte(0)
		for _, v := range c.bools {
			if v {
				hi = 1
			} else {
				lo = 0
			}
		}
		return c.bound([]byte{lo}), c.bound([]byte{hi}), true
	case fieldFloat32:
		a, b := minMax(c.f32)
		return c.bound(binary.LittleEndian.AppendUint32(c.tmp[:0], math.Float32bits(a))), c.bound(binary.LittleEndian.AppendUint32(c.tmp[:0], math.Float32bits(b))), true
	case fieldFloat64:
		a, b := minMax(c.f64)
		return c.bound(binary.LittleEndian.AppendUint64(c.tmp[:0], math.Float64bits(a))), c.bound(binary.LittleEndian.AppendUint64(c.tmp[:0], math.Float64bits(b))), true
	case fieldString:
		if len(c.pageUsed) == 0 {
			return c.bound(c.minB), c.bound(c.maxB), true
		}
		lo, hi := c.dictVals[c.pageUsed[0]], c.dictVals[c.pageUsed[0]]
		for _, id := range c.pageUsed[1:] {
			s := c.dictVals[id]
			if s < lo {
				lo = s
			} else if s > hi {
				hi = s
			}
		}
		return c.bound(unsafe.Slice(unsafe.StringData(lo), len(lo))), c.bound(unsafe.Slice(unsafe.StringData(hi), len(hi))), true
	}
	var a, b uint32
	if c.unsigned {
		a, b = minMax(unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(c.i32))), len(c.i32)))
	} else {
		x, y := minMax(c.i32)
		a, b = uint32(x), uint32(y)
	}
	return c.bound(binary.LittleEndian.AppendUint32(c.tmp[:0], a)), c.bound(binary.LittleEndian.AppendUint32(c.tmp[:0], b)), true
}

// minMax returns the least and greatest of s, which is not empty. Four
// pairs of bounds run side by side, so that their comparisons overlap.
func minMax[T cmp.Ordered](s []T) (T, T) {
	lo0, hi0 := s[0], s[0]
	lo1, hi1, lo2, hi2, lo3, hi3 := lo0, hi0, lo0, hi0, lo0, hi0
	for len(s) >= 4 {
		lo0, hi0 = min(lo0, s[0]), max(hi0, s[0])
		lo1, hi1 = min(lo1, s[1]), max(hi1, s[1])
		lo2, hi2 = min(lo2, s[2]), max(hi2, s[2])
		lo3, hi3 = min(lo3, s[3]), max(hi3, s[3])
		s = s[4:]
	}
	for _, v := range s {
		lo0, hi0 = min(lo0, v), max(hi0, v)
	}
	return min(lo0, lo1, lo2, lo3), max(hi0, hi1, hi2, hi3)
}

// columnIndex returns the column index of the chunk.
func (c *pageColumn) columnIndex() format.ColumnIndex {
	mins, maxs := c.minVals, c.maxVals
	if c.kind == fieldString {
		for i := range mins {
			if len(mins[i]) > columnIndexSizeLimit {
				mins[i] = mins[i][:columnIndexSizeLimit]
			}
			if len(maxs[i]) > columnIndexSizeLimit {
				maxs[i] = incrementBytes(maxs[i][:columnIndexSizeLimit])
			}
		}
	}
	ci := format.ColumnIndex{
		NullPages:     c.nullPages,
		MinValues:     mins,
		MaxValues:     maxs,
		NullCounts:    c.nullCounts,
		BoundaryOrder: c.boundaryOrder(mins, maxs),
	}
	if c.optional {
		ci.DefinitionLevelHistogram = c.histograms
	}
	return ci
}

// columnIndexSizeLimit is the length past which parquet-go cuts the texts
// of a column index.
const columnIndexSizeLimit = parquet.DefaultColumnIndexSizeLimit

// incrementBytes adds one to b, a big-endian number, in place; all ones
// when it overflows.
func incrementBytes(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return b
		}
	}
	for i := range b {
		b[i] = 0xff
	}
	return b
}

// boundaryOrder is ascending when both lists of bounds are, descending
// when both are, else unordered.
func (c *pageColumn) boundaryOrder(mins, maxs [][]byte) format.BoundaryOrder {
	a, b := c.order(mins), c.order(maxs)
	switch {
	case a == b && a > 0:
		return format.Ascending
	case a == b && a < 0:
		return format.Descending
	}
	return format.Unordered
}

// order is +1 when vals never decrease, -1 when they never increase and
// change, else 0 (also for fewer than two values).
func (c *pageColumn) order(vals [][]byte) int {
	if len(vals) < 2 {
		return 0
	}
	asc, desc := true, true
	for i := 1; i < len(vals); i++ {
		if c.less(vals[i], vals[i-1]) {
			asc = false
		}
		if c.less(vals[i-1], vals[i]) {
			desc = false
		}
	}
	switch {
	case asc:
		return 1
	case desc:
		return -1
	}
	return 0
}
