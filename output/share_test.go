package output

import (
	"bytes"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/engine"
)

func TestFormatShare(t *testing.T) {
	for _, tt := range []struct {
		share float64
		want  string
	}{
		{0.9907468605419696, "99.07 %"},
		{1, "100.00 %"},
		{0.5, "50.00 %"},
		{0.02884615385, "2.88 %"},
		{0.01, "1.00 %"},
		{0, "0 %"},
		// Below 1 %: two significant digits, never 0.00 %.
		{0.0059, "0.59 %"},
		{0.000123, "0.012 %"},
		{0.00001, "0.0010 %"},
		{1e-9, "0.00000010 %"},
		{3e-17, "3e-15 %"},
		// Near all: never 100.00 % unless it is all.
		{0.999996, "99.9996 %"},
		{0.99999999, "99.999999 %"},
		// Ratios beyond a whole, and below none.
		{2.5, "250.00 %"},
		{-0.25, "-25.00 %"},
		{-0.000123, "-0.012 %"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Inf"},
	} {
		if got := FormatShare(tt.share); got != tt.want {
			t.Errorf("FormatShare(%v) = %q, want %q", tt.share, got, tt.want)
		}
	}
}

// TestShareColumns: the table format shows a Share column as percentages
// (and leaves NULL empty); CSV, JSON and Parquet write the same bytes with
// units as without, full precision.
func TestShareColumns(t *testing.T) {
	tab := &engine.Table{
		Columns: []string{"layer", "packets", "share"},
		Rows: [][]any{
			{"All", int64(624), 1.0},
			{"IP", int64(606), 0.9711538461538461},
			{"Other IP", int64(1), 0.0016025641025641025},
			{"none", int64(0), nil},
		},
	}
	units := Options{Units: []Unit{Number, Number, Share}}
	var b bytes.Buffer
	if err := WriteTable(&b, tab, Table, units); err != nil {
		t.Fatal(err)
	}
	want := "layer     packets     share\n" +
		"All           624  100.00 %\n" +
		"IP            606   97.12 %\n" +
		"Other IP        1    0.16 %\n" +
		"none            0\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	for _, f := range []Format{CSV, JSON, Parquet} {
		var plain, with bytes.Buffer
		if err := WriteTable(&plain, tab, f, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteTable(&with, tab, f, units); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain.Bytes(), with.Bytes()) {
			t.Errorf("%s differs with units:\n%s\nwithout:\n%s", f, with.Bytes(), plain.Bytes())
		}
		if f == CSV && !bytes.Contains(with.Bytes(), []byte("IP,606,0.9711538461538461\n")) {
			t.Errorf("CSV lost the share's precision:\n%s", with.Bytes())
		}
	}
}
