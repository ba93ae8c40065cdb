package output

import (
	"bufio"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// TableBufferRows is the number of rows the table format reads before it
// prints anything, to size its columns. Later rows are cut to those widths.
const TableBufferRows = 10000

const (
	columnGap = "  "
	ellipsis  = "…"
	bold      = "\x1b[1m"
	reset     = "\x1b[0m"
)

func writeTable(w io.Writer, src *source, opt Options) error {
	n := len(src.cols)
	widths := make([]int, n)
	header := make([]string, n)
	for i, c := range src.cols {
		header[i] = sanitize(c.name)
		widths[i] = runewidth.StringWidth(header[i])
	}
	var buf [][]string
	more := true
	for len(buf) < TableBufferRows {
		vals, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			more = false
			break
		}
		cells := tableCells(vals, src.cols, opt)
		for i, s := range cells {
			widths[i] = max(widths[i], runewidth.StringWidth(s))
		}
		buf = append(buf, cells)
	}
	fit(widths, src.cols, opt.Width)

	bw := bufio.NewWriter(w)
	var line strings.Builder
	if opt.TTY {
		line.WriteString(bold)
	}
	formatRow(&line, header, src.cols, widths)
	if opt.TTY {
		line.WriteString(reset)
	}
	line.WriteByte('\n')
	if _, err := bw.WriteString(line.String()); err != nil {
		return err
	}
	print := func(cells []string) error {
		line.Reset()
		formatRow(&line, cells, src.cols, widths)
		line.WriteByte('\n')
		_, err := bw.WriteString(line.String())
		return err
	}
	for _, cells := range buf {
		if err := print(cells); err != nil {
			return err
		}
	}
	for more {
		vals, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := print(tableCells(vals, src.cols, opt)); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// tableCells returns the cells of a row as the table shows them: shares as
// percentages, other values as readable text.
func tableCells(vals []any, cols []column, opt Options) []string {
	cells := make([]string, len(vals))
	for i, v := range vals {
		if opt.unit(i) == Share && v != nil && cols[i].numeric() {
			if f, err := toFloat64(v); err == nil {
				cells[i] = FormatShare(f)
				continue
			}
		}
		cells[i] = sanitize(text(v, cols[i], true))
	}
	return cells
}

// formatRow writes cells padded to widths: numbers right-aligned, the rest
// left-aligned, cut with an ellipsis when too wide. The last column has no
// trailing blanks.
func formatRow(b *strings.Builder, cells []string, cols []column, widths []int) {
	for i, s := range cells {
		if i > 0 {
			b.WriteString(columnGap)
		}
		w := runewidth.StringWidth(s)
		if w > widths[i] {
			s = runewidth.Truncate(s, widths[i], ellipsis)
			w = runewidth.StringWidth(s)
		}
		pad := widths[i] - w
		switch {
		case cols[i].numeric():
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(s)
		case i == len(cells)-1:
			b.WriteString(s)
		default:
			b.WriteString(s)
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	// A right-aligned last column may still leave blanks on an empty line.
	line := b.String()
	if trimmed := strings.TrimRight(line, " "); len(trimmed) != len(line) {
		b.Reset()
		b.WriteString(trimmed)
	}
}

// minCut is the narrowest a text column is cut to.
const minCut = 6

// fit narrows the widest text columns so that the table fits in width
// cells: they keep their widths up to a common cap, chosen as large as the
// space allows but not below minCut. Numbers, booleans and times are never
// cut; a table that does not fit even so is left wider than width.
func fit(widths []int, cols []column, width int) {
	n := len(widths)
	if width <= 0 || n == 0 {
		return
	}
	avail := width - len(columnGap)*(n-1)
	var flex []int
	for i, w := range widths {
		if cols[i].fixed() {
			avail -= w
		} else {
			flex = append(flex, w)
		}
	}
	total := 0
	for _, w := range flex {
		total += w
	}
	if total <= avail {
		return
	}
	sort.Ints(flex)
	limit, rest := minCut, avail
	for k, w := range flex {
		share := rest / (len(flex) - k)
		if w > share {
			limit = max(share, minCut)
			break
		}
		rest -= w
	}
	for i := range widths {
		if !cols[i].fixed() {
			widths[i] = min(widths[i], limit)
		}
	}
}

// sanitize makes text safe to print on a terminal: control characters,
// bidirectional overrides and invalid UTF-8 are shown as escapes.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100 && unsafeRune(r):
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case unsafeRune(r):
			b.WriteString(`\u`)
			b.WriteString(hex2(byte(r >> 8)))
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&0xf]})
}
