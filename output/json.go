package output

import (
	"bufio"
	"io"
	"strconv"
)

// jsonSink writes JSON Lines: one object per row, keys in column order.
// Repeated column names get a suffix (_2, _3, ...) so keys stay unique.
type jsonSink struct {
	bw   *bufio.Writer
	cols []column
	keys [][]byte
	line []byte
}

func newJSONSink(w io.Writer, cols []column) *jsonSink {
	names := uniqueNames(cols)
	keys := make([][]byte, len(names))
	for i, n := range names {
		keys[i] = append(appendJSONString(nil, n), ':')
	}
	return &jsonSink{bw: bufio.NewWriter(w), cols: cols, keys: keys}
}

func (s *jsonSink) write(vals []any) error {
	line := append(s.line[:0], '{')
	for i, v := range vals {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, s.keys[i]...)
		line = appendJSON(line, v, s.cols[i])
	}
	line = append(line, '}', '\n')
	s.line = line
	_, err := s.bw.Write(line)
	return err
}

func (s *jsonSink) close() error { return s.bw.Flush() }

// uniqueNames returns the column names with repeated ones suffixed.
func uniqueNames(cols []column) []string {
	names := make([]string, len(cols))
	used := map[string]bool{}
	for i, c := range cols {
		name := c.name
		for k := 2; used[name]; k++ {
			name = c.name + "_" + strconv.Itoa(k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}
