// Package textrec holds what the readers of text flow records (input/zeek,
// input/nfdump, input/flowcsv) share: a line reader that counts lines, and
// parsers of numbers, times and addresses that work on byte slices without
// allocating.
//
// textrec imports the standard library only.
package textrec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// MaxLine is the longest line Lines reads.
const MaxLine = 1 << 20

// ErrLineTooLong is returned by Lines.Next for a line longer than MaxLine.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLine)

// Lines reads a text file line by line and counts the lines.
type Lines struct {
	br   *bufio.Reader
	long []byte // a line longer than the buffer, gathered
	n    int64
	err  error // sticky error
}

// NewLines returns a Lines reading r.
func NewLines(r io.Reader) *Lines {
	return &Lines{br: bufio.NewReaderSize(r, 256<<10)}
}

// Line returns the 1-based number of the line Next returned last; after
// an error, Line()+1 is the line at fault.
func (l *Lines) Line() int64 { return l.n }

// Next returns the next line without its end (\n or \r\n). The slice is
// valid until the next call. A last line without an end is returned when
// the input ends cleanly; when reading fails inside a line (a compressed
// file cut short), that line is dropped and the error returned. Next
// returns io.EOF at the end, and ErrLineTooLong, for good, on a line
// longer than MaxLine.
func (l *Lines) Next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(l.long) > MaxLine {
				l.err = ErrLineTooLong
				return nil, l.err
			}
			line, err = l.br.ReadSlice('\n')
			l.long = append(l.long, line...)
		}
		line = l.long
	}
	switch {
	case err == nil:
	case err == io.EOF:
		if len(line) == 0 {
			l.err = io.EOF
			return nil, io.EOF
		}
		l.err = io.EOF // the last line has no end: return it, then io.EOF
	default:
		l.err = err
		return nil, err
	}
	if len(line) > MaxLine {
		l.err = ErrLineTooLong
		return nil, l.err
	}
	l.n++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}
