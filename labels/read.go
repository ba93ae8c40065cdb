package labels

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/netlens/netlens/schema"
)

// The kinds of labels.
const (
	User     = "user"     // a subscriber's id: flow kinds typical, p2p and nouser
	Class    = "class"    // ground truth of a sender, e.g. a known scanner
	Org      = "org"      // the organisation behind an address or domain
	Category = "category" // what an address or domain serves: video, social, ...
)

// Kinds returns every kind of label.
func Kinds() []string { return []string{User, Class, Org, Category} }

// ValidKind reports whether kind is one of Kinds.
func ValidKind(kind string) bool { return slices.Contains(Kinds(), kind) }

// takesDomains reports whether labels of kind may name domains.
func takesDomains(kind string) bool { return kind == Org || kind == Category }

// File is a label file, read and checked, ready to be loaded.
type File struct {
	Kind   string
	Path   string // as given
	SHA256 string // hex, of the file's bytes as stored (compressed or not)
	Size   int64
	// Labels are the file's labels in order, with Kind, Line, Address,
	// Label and the optional times set.
	Labels []schema.Label
}

// Read reads the label file at path (CSV, plain or gzip-compressed) as
// labels of kind. Errors name the file, line and column.
func Read(path, kind string) (*File, error) {
	if !ValidKind(kind) {
		return nil, fmt.Errorf("label kind %q: want one of %s", kind, strings.Join(Kinds(), ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(f, h)}
	br := bufio.NewReader(cr)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	labels, err := Parse(r, path, kind)
	if err != nil {
		return nil, err
	}
	// The hash covers the whole file, also what a reader left unread.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &File{Kind: kind, Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cr.n, Labels: labels}, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// The names a header may give its columns, lower case.
var (
	addressColumns = []string{"address", "addr", "ip", "ip_address", "prefix", "cidr", "network", "net", "subnet", "src", "src_ip", "host", "domain"}
	labelColumns   = []string{"label", "user", "user_id", "class", "org", "organisation", "organization", "category", "name", "id"}
	fromColumns    = []string{"from", "valid_from", "start", "since", "begin"}
	toColumns      = []string{"to", "valid_to", "end", "until"}
)

// columns says where the fields of a label are in a record (-1: absent).
type columns struct {
	address, label, from, to int
	names                    []string // of the header, for messages
}

// positional is the layout of a file without header: address, label,
// from, to.
var positional = columns{address: 0, label: 1, from: 2, to: 3, names: []string{"address", "label", "from", "to"}}

// Parse reads CSV labels of kind from r; name is the file's name in
// messages. A line whose first field starts with '#' is a comment. The
// first record is a header when it names the columns (address, ip, prefix
// or domain; label, user, class, org or category; from; to): then the
// columns may come in any order and others are ignored. Without a header
// the columns are address, label, and optionally from and to.
func Parse(r io.Reader, name, kind string) ([]schema.Label, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var (
		out    []schema.Label
		cols   columns
		header = true // the next record may be a header
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if header {
			header = false
			if c, ok := headerOf(rec, kind); ok {
				cols = c
				if cols.address < 0 {
					line, _ := cr.FieldPos(0)
					return nil, fmt.Errorf("%s:%d: the header names no address column (one of %s)", name, line, strings.Join(addressColumns, ", "))
				}
				continue
			}
			cols = positional
		}
		l, err := parseRecord(cr, rec, cols, name, kind)
		if err != nil {
			return nil, err
		}
		if l == nil {
			continue // an empty line of fields
		}
		out = append(out, *l)
	}
}

// headerOf reads rec as a header, when it is one: its first field names an
// address column, or (for kinds that take no domains) it is no address.
func headerOf(rec []string, kind string) (columns, bool) {
	first := strings.ToLower(strings.TrimSpace(rec[0]))
	_, isAddr := parseAddress(first)
	if !slices.Contains(addressColumns, first) && (isAddr || takesDomains(kind) || !identifier(first)) {
		return columns{}, false
	}
	c := columns{address: -1, label: -1, from: -1, to: -1}
	for i, f := range rec {
		f = strings.ToLower(strings.TrimSpace(f))
		c.names = append(c.names, f)
		switch {
		case c.address < 0 && slices.Contains(addressColumns, f):
			c.address = i
		case c.label < 0 && (f == kind || slices.Contains(labelColumns, f)):
			c.label = i
		case c.from < 0 && slices.Contains(fromColumns, f):
			c.from = i
		case c.to < 0 && slices.Contains(toColumns, f):
			c.to = i
		}
	}
	if c.label < 0 { // the first other column
		for i := range rec {
			if i != c.address && i != c.from && i != c.to {
				c.label = i
				break
			}
		}
	}
	return c, true
}

// identifier reports whether s could name a column: letters, digits, '_'
// and spaces.
func identifier(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == ' ') {
			return false
		}
	}
	return s != ""
}

// parseRecord reads one label; nil for a record of empty fields.
func parseRecord(cr *csv.Reader, rec []string, c columns, name, kind string) (*schema.Label, error) {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	fail := func(i int, format string, args ...any) error {
		line, col := cr.FieldPos(max(0, min(i, len(rec)-1)))
		what := ""
		if i >= 0 && i < len(c.names) {
			what = fmt.Sprintf("column %d (%s): ", i+1, c.names[i])
		} else if i >= 0 {
			what = fmt.Sprintf("column %d: ", i+1)
		}
		return fmt.Errorf("%s:%d:%d: %s%s", name, line, col, what, fmt.Sprintf(format, args...))
	}
	if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
		return nil, nil
	}
	line, _ := cr.FieldPos(0)
	l := &schema.Label{Kind: kind, Line: uint32(line)}
	raw := field(c.address)
	if raw == "" {
		return nil, fail(c.address, "no address")
	}
	if p, ok := parseAddress(raw); ok {
		l.Address = canonical(p)
	} else if d, ok := parseDomain(raw); ok && takesDomains(kind) {
		l.Address = d
	} else if takesDomains(kind) {
		return nil, fail(c.address, "%q is not an address, a prefix (192.0.2.0/24) or a domain (example.com)", raw)
	} else {
		return nil, fail(c.address, "%q is not an address or a prefix (192.0.2.0/24, 2001:db8::/32)", raw)
	}
	l.Label = field(c.label)
	if l.Label == "" {
		if kind != User {
			return nil, fail(c.label, "no %s label for %s", kind, raw)
		}
		l.Label = l.Address // a user without an id is known by its address
	}
	if !utf8.ValidString(l.Label) {
		return nil, fail(c.label, "the label is not valid UTF-8")
	}
	for _, t := range []struct {
		i   int
		dst **int64
	}{{c.from, &l.ValidFrom}, {c.to, &l.ValidTo}} {
		s := field(t.i)
		if s == "" {
			continue
		}
		ns, err := parseTime(s)
		if err != nil {
			return nil, fail(t.i, "%v", err)
		}
		*t.dst = &ns
	}
	if l.ValidFrom != nil && l.ValidTo != nil && *l.ValidFrom >= *l.ValidTo {
		return nil, fail(c.to, "the label ends (%s) before it starts (%s)", field(c.to), field(c.from))
	}
	if (l.ValidFrom != nil || l.ValidTo != nil) && !IsAddress(l.Address) {
		return nil, fail(c.from, "a domain label applies at all times: from and to are for addresses and prefixes")
	}
	return l, nil
}

// parseAddress reads an address or a CIDR prefix; the prefix is masked.
func parseAddress(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// IsAddress reports whether the address of a label is an address or a
// prefix rather than a domain.
func IsAddress(s string) bool {
	_, ok := parseAddress(s)
	return ok
}

// canonical writes a prefix as labels store it: a single address without
// its length.
func canonical(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// parseDomain reads a domain name: letters, digits, '-' and '_' in labels
// separated by dots, lower-cased, without a final dot or a leading "*.".
func parseDomain(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(s), "*."), ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || len(part) > 63 {
			return "", false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false
			}
		}
	}
	return s, true
}

// timeLayouts are the layouts of times in label files, UTC unless they
// say otherwise.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"}

// parseTime reads a time as nanoseconds since the epoch: RFC 3339, a date
// and time without zone (UTC), a date, or Unix seconds.
func parseTime(s string) (int64, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1970 || t.Year() > 2261 {
				return 0, fmt.Errorf("%q is out of the range of label times (1970 to 2261)", s)
			}
			return t.UnixNano(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		if f < 0 || f >= 9.2e9 {
			return 0, fmt.Errorf("%q is out of the range of label times (1970 to 2261)", s)
		}
		sec, frac := math.Modf(f)
		return int64(sec)*1e9 + int64(math.Round(frac*1e9)), nil
	}
	return 0, fmt.Errorf("%q is not a time: want RFC 3339 (2024-03-01T12:00:00Z), a UTC date and time (2024-03-01 12:00:00), a date (2024-03-01) or Unix seconds", s)
}
