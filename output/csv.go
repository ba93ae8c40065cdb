package output

import (
	"encoding/csv"
	"io"
)

// writeCSV writes a header line and a line per row, quoted as RFC 4180
// requires, with LF line ends. NULL and the empty string are both empty.
func writeCSV(w io.Writer, src *source) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(src.cols))
	for i, c := range src.cols {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for {
		vals, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for i, v := range vals {
			rec[i] = text(v, src.cols[i], false)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
