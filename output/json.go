package output

import (
	"bufio"
	"io"
	"strconv"
)

// writeJSON writes JSON Lines: one object per row, keys in column order.
// Repeated column names get a suffix (_2, _3, ...) so keys stay unique.
func writeJSON(w io.Writer, src *source) error {
	names := uniqueNames(src.cols)
	keys := make([][]byte, len(names))
	for i, n := range names {
		keys[i] = append(appendJSONString(nil, n), ':')
	}
	bw := bufio.NewWriter(w)
	var line []byte
	for {
		vals, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		line = append(line[:0], '{')
		for i, v := range vals {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, keys[i]...)
			line = appendJSON(line, v, src.cols[i])
		}
		line = append(line, '}', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

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
