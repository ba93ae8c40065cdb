package flowcsv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// The Parquet library allocates whatever a page header states (a text's
// length, a page's size) before it finds that the file holds less: a
// corrupt header costs up to 2 GiB a field. checkPages walks every page
// header first and turns such a file into an error.

// checkPages checks that every column chunk the footer of pf describes lies
// in the file (size bytes, read through r), and that each of its page
// headers states no length longer than what is left of its chunk.
func checkPages(r io.ReaderAt, pf *parquet.File, size int64) error {
	for i, g := range pf.Metadata().RowGroups {
		for j, c := range g.Columns {
			m := c.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 {
				start = min(start, m.DictionaryPageOffset)
			}
			if start < 4 || m.TotalCompressedSize < 0 || start > size || m.TotalCompressedSize > size-start {
				return fmt.Errorf("row group %d, column %d: its %d bytes at offset %d are outside the file (%d bytes)", i, j, m.TotalCompressedSize, start, size)
			}
			if err := checkChunk(r, start, start+m.TotalCompressedSize); err != nil {
				return fmt.Errorf("row group %d, column %d: %w", i, j, err)
			}
		}
	}
	return nil
}

// checkChunk walks the pages of the column chunk in bytes [start, end).
func checkChunk(r io.ReaderAt, start, end int64) error {
	var buf []byte
	for pos := start; pos < end; {
		n := min(end-pos, 4096)
		for {
			if int64(cap(buf)) < n {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			if _, err := r.ReadAt(buf, pos); err != nil && !(errors.Is(err, io.EOF) && int64(len(buf)) == n) {
				return fmt.Errorf("read the page header at offset %d: %w", pos, err)
			}
			t := thriftWalk{b: buf, left: end - pos}
			hlen, compressed, err := t.pageHeader()
			if errors.Is(err, errShort) && n < end-pos {
				n = min(end-pos, 4*n)
				continue
			}
			if err != nil {
				return fmt.Errorf("the page header at offset %d: %w", pos, err)
			}
			if compressed < 0 || int64(compressed) > end-pos-int64(hlen) {
				return fmt.Errorf("the page at offset %d states %d bytes, more than its column chunk holds (%d)", pos, compressed, end-pos-int64(hlen))
			}
			pos += int64(hlen) + int64(compressed)
			break
		}
	}
	return nil
}

// errShort says that a header runs past the bytes read so far.
var errShort = errors.New("it runs past the end of its column chunk")

// thriftWalk reads a Thrift compact-protocol struct (a page header) without
// keeping it, checking every length against left, the bytes that follow in
// the column chunk.
type thriftWalk struct {
	b    []byte
	at   int
	left int64
}

func (t *thriftWalk) byte() (byte, error) {
	if t.at >= len(t.b) {
		return 0, errShort
	}
	t.at++
	return t.b[t.at-1], nil
}

func (t *thriftWalk) uvarint() (uint64, error) {
	v, n := binary.Uvarint(t.b[t.at:])
	switch {
	case n == 0:
		return 0, errShort
	case n < 0:
		return 0, errors.New("a number longer than 64 bits")
	}
	t.at += n
	return v, nil
}

// length reads a length and checks that that many bytes can follow.
func (t *thriftWalk) length() (int, error) {
	v, err := t.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(t.left-int64(t.at)) {
		return 0, fmt.Errorf("a length of %d bytes, more than the column chunk holds", v)
	}
	return int(v), nil
}

// pageHeader walks a PageHeader and returns its length in bytes and its
// compressed_page_size (field 3).
func (t *thriftWalk) pageHeader() (hlen int, compressed int32, err error) {
	var seen bool
	err = t.fields(0, func(id int16, typ byte) (bool, error) {
		if id != 3 || typ != 5 {
			return false, nil
		}
		v, err := t.uvarint()
		compressed, seen = int32(uint32(v>>1)^-uint32(v&1)), true
		return true, err
	})
	if err == nil && !seen {
		err = errors.New("no compressed_page_size")
	}
	return t.at, compressed, err
}

// fields walks the fields of a struct up to its stop byte. For each field,
// read may read its value itself (and say so) or leave it to be skipped.
func (t *thriftWalk) fields(depth int, read func(id int16, typ byte) (bool, error)) error {
	if depth > 32 {
		return errors.New("structures nested too deeply")
	}
	var id int16
	for {
		h, err := t.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if d := h >> 4; d != 0 {
			id += int16(d)
		} else {
			v, err := t.uvarint()
			if err != nil {
				return err
			}
			id = int16(uint16(v>>1) ^ -uint16(v&1))
		}
		typ := h & 0x0f
		if read != nil {
			done, err := read(id, typ)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := t.skip(typ, depth); err != nil {
			return err
		}
	}
}

// skip walks one value of compact type typ.
func (t *thriftWalk) skip(typ byte, depth int) error {
	switch typ {
	case 1, 2: // a boolean field's value is in its type
		return nil
	case 3:
		_, err := t.byte()
		return err
	case 4, 5, 6:
		_, err := t.uvarint()
		return err
	case 7:
		if len(t.b)-t.at < 8 {
			return errShort
		}
		t.at += 8
		return nil
	case 8:
		n, err := t.length()
		if err != nil {
			return err
		}
		if len(t.b)-t.at < n {
			return errShort
		}
		t.at += n
		return nil
	case 9, 10:
		h, err := t.byte()
		if err != nil {
			return err
		}
		n, et := int(h>>4), h&0x0f
		if n == 15 {
			if n, err = t.length(); err != nil {
				return err
			}
		}
		for range n {
			if et == 1 || et == 2 { // a boolean element takes a byte
				et = 3
			}
			if err := t.skip(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11:
		n, err := t.length()
		if err != nil || n == 0 {
			return err
		}
		kv, err := t.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := t.skip(kv>>4, depth+1); err != nil {
				return err
			}
			if err := t.skip(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12:
		return t.fields(depth+1, nil)
	}
	return fmt.Errorf("an unknown Thrift type %d", typ)
}
