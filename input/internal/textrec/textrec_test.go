package textrec

import (
	"io"
	"net/netip"
	"strings"
	"testing"
)

// FuzzAddrs checks Addrs.Parse against netip.ParseAddr: the same
// addresses accepted, the canonical text, twice in a row (the second time
// from its cache).
func FuzzAddrs(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "2001:DB8::1",
		"::ffff:192.0.2.1", "fe80::1%eth0", "", "1..2.3", "1.2.3.4 ", "::", "2001:db8:0:0:0:0:0:1"} {
		f.Add(s)
	}
	var a Addrs
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		ok := err == nil && want.Zone() == ""
		for range 2 {
			text, ip, got := a.Parse([]byte(s))
			if got != ok || got && (ip != want || text != want.String()) {
				t.Fatalf("Parse(%q) = %q, %v, %v; netip: %v, %v", s, text, ip, got, want, err)
			}
		}
	})
}

func TestTime(t *testing.T) {
	for s, want := range map[string]int64{
		"2019-03-05 12:34:56":           1551789296e9,
		"2019-03-05T12:34:56.789Z":      1551789296789e6,
		"2019-03-05 12:34:56.789000":    1551789296789e6,
		"2019-03-05 13:34:56+01:00":     1551789296e9,
		"2019-03-05 07:34:56-0500":      1551789296e9,
		"1551789296":                    1551789296e9,
		"1551789296.5":                  1551789296500e6,
		"1551789296789":                 1551789296789e6,
		"9223372036854":                 9223372036854e6,
		"1551789296789123":              1551789296789123e3,
		"1551789296789123456":           1551789296789123456,
		"1.5517892965e9":                1551789296500e6,
		"2020-02-29 00:00:00":           1582934400e9,
		"1969-12-31 23:59:59.000000001": -999999999,
	} {
		got, ok := Time([]byte(s))
		if !ok || got != want {
			t.Errorf("Time(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"2019-02-29 00:00:00", "2019-13-01 00:00:00", "2019-03-05 24:00:00", "2019-03-05 12:34:56+25:00", "yesterday", "2019-03-05 12:34:56Q", "9460732977977", "99999999999999999"} {
		if got, ok := Time([]byte(s)); ok {
			t.Errorf("Time(%q) = %d, want an error", s, got)
		}
	}
}

func TestSplitCSV(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
		ok   bool
	}{
		{"a,b,,c", []string{"a", "b", "", "c"}, true},
		{`"a,b","c""d",e`, []string{"a,b", `c"d`, "e"}, true},
		{`"a"b,c`, []string{"a"}, false},
		{`"a,b`, nil, false},
		{`a,""`, []string{"a", ""}, true},
	} {
		got, _, ok := SplitCSV([]byte(tt.line), ',', nil, nil)
		if ok != tt.ok || ok && strings.Join(toStrings(got), "|") != strings.Join(tt.want, "|") {
			t.Errorf("SplitCSV(%q) = %q, %v", tt.line, toStrings(got), ok)
		}
	}
}

func toStrings(b [][]byte) []string {
	var s []string
	for _, x := range b {
		s = append(s, string(x))
	}
	return s
}

func TestLines(t *testing.T) {
	l := NewLines(strings.NewReader("a\r\nb\n\nc"))
	var got []string
	for {
		line, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(line))
	}
	if strings.Join(got, "|") != "a|b||c" || l.Line() != 4 {
		t.Errorf("lines %q, line %d", got, l.Line())
	}
}
