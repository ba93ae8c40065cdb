package btclog

import (
	"testing"
	"time"
)

// TestParseTimeDays compares the times of every day from 1900 to 2100, at
// a time of day with a fraction and a zone, with the standard library's,
// and checks that days a month lacks are refused.
func TestParseTimeDays(t *testing.T) {
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2100; d = d.AddDate(0, 0, 1) {
		s := d.Format("2006-01-02") + " 23:59:60.123456+05:30"
		want := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 60, 123456000, time.FixedZone("", 5*3600+30*60)).UnixNano()
		if got, ok := ParseTime([]byte(s)); !ok || got != want {
			t.Fatalf("%s: %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"2025-02-29 00:00:00", "2024-02-30 00:00:00", "2025-04-31 00:00:00", "2025-13-01 00:00:00", "2025-00-10 00:00:00"} {
		if got, ok := ParseTime([]byte(s)); ok {
			t.Errorf("%s: %d, want refused", s, got)
		}
	}
	if got, ok := ParseTime([]byte("2024-02-29T12:00:00Z")); !ok || got != time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC).UnixNano() {
		t.Errorf("2024-02-29T12:00:00Z: %d, %v", got, ok)
	}
}
