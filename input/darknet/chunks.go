package darknet

import (
	"bytes"
	"io"

	"github.com/netlens/netlens/input/internal/record"
	"github.com/netlens/netlens/input/internal/textrec"
	"github.com/netlens/netlens/schema"
)

// Chunks: a chunk holds at least chunkSize bytes of whole lines (a longer
// line makes it longer); chunksAhead are read and parsed ahead of the one
// Next returns rows from.
const (
	chunkSize   = 256 << 10
	chunksAhead = 4
)

// chunk is a run of whole lines of the log and, once done is closed, its
// rows.
type chunk struct {
	data  []byte
	fault error // what ends the input after data: a read error or a line too long; nil if none
	rows  []parsed
	lines int64 // the lines of data
	done  chan struct{}
	p     parser
}

// parsed is a row of a chunk: the packet without its addresses, which
// Next numbers in order, or the error of the row.
type parsed struct {
	p              schema.Packet
	line           int64  // 1-based in the chunk
	src, dst       []byte // dst nil when unset or absent
	src4, dst4     uint32 // the IPv4 addresses, when srcIs4, dstIs4
	srcIs4, dstIs4 bool
	err            *record.RowError // Line counts from the chunk's first line
}

// nextChunk makes the oldest chunk ahead the current one, reading and
// starting to parse more, or sets d.err to io.EOF when none is left.
func (d *Reader) nextChunk() {
	if d.cur != nil {
		d.base += d.cur.lines
		d.free = append(d.free, d.cur)
		d.cur = nil
	}
	for len(d.ahead) < chunksAhead && !d.readEnd {
		c := d.read()
		go c.parse()
		d.ahead = append(d.ahead, c)
	}
	if len(d.ahead) == 0 {
		d.err = io.EOF
		return
	}
	d.cur, d.next = d.ahead[0], 0
	d.ahead = append(d.ahead[:0], d.ahead[1:]...)
	<-d.cur.done
}

// read reads the next chunk: whole lines up to at least chunkSize bytes,
// and the last line of the input though it has no end. A read error or a
// line longer than textrec.MaxLine ends the input: the chunk's fault, after
// the whole lines before it.
func (d *Reader) read() *chunk {
	var c *chunk
	if n := len(d.free); n > 0 {
		c, d.free = d.free[n-1], d.free[:n-1]
	} else {
		c = &chunk{data: make([]byte, 0, chunkSize+4096), p: parser{h: &d.h, name: d.name}}
	}
	c.done = make(chan struct{})
	c.fault = nil
	c.data = append(c.data[:0], d.carry...)
	d.carry = d.carry[:0]
	end := bytes.LastIndexByte(c.data, '\n') // of the last whole line
	for {
		if len(c.data) >= chunkSize && end >= 0 {
			break
		}
		if len(c.data)-end-1 > textrec.MaxLine {
			c.fault = textrec.ErrLineTooLong
			d.readEnd = true
			break
		}
		if cap(c.data)-len(c.data) < 4096 {
			c.data = append(c.data, make([]byte, cap(c.data))...)[:len(c.data)]
		}
		n, err := d.br.Read(c.data[len(c.data):cap(c.data)])
		if i := bytes.LastIndexByte(c.data[len(c.data):len(c.data)+n], '\n'); i >= 0 {
			end = len(c.data) + i
		}
		c.data = c.data[:len(c.data)+n]
		if err == io.EOF {
			d.readEnd = true
			return c // the last line without its end too
		}
		if err != nil {
			c.fault = err
			d.readEnd = true
			break
		}
	}
	d.carry = append(d.carry, c.data[end+1:]...)
	c.data = c.data[:end+1]
	if c.fault != nil {
		d.carry = d.carry[:0]
	}
	return c
}

// parse parses the lines of c into its rows, as textrec.Lines splits them,
// and closes c.done.
func (c *chunk) parse() {
	defer close(c.done)
	c.rows = c.rows[:0]
	c.p.line = 0
	data := c.data
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		c.p.line++
		if len(line) > textrec.MaxLine {
			c.fail(textrec.ErrLineTooLong)
			return
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		c.rows = append(c.rows, parsed{})
		r := &c.rows[len(c.rows)-1]
		r.line = c.p.line
		r.err = c.p.row(line, r)
	}
	c.lines = c.p.line
	if c.fault != nil {
		c.p.line++
		c.fail(c.fault)
	}
}

// fail ends c's rows with the fatal error err at the line c.p.line.
func (c *chunk) fail(err error) {
	c.lines = c.p.line
	c.rows = append(c.rows, parsed{err: &record.RowError{File: c.p.name, Line: c.p.line, Reason: err.Error(), Fatal: true, Err: err}})
}
