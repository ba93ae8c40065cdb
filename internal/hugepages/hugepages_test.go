package hugepages

import "testing"

// TestMake checks that tables below and above MinBytes have their length,
// start zero and hold what is written to them.
func TestMake(t *testing.T) {
	type slot struct{ a, b uint64 }
	tests := []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"small", 1000},
		{"just below", MinBytes/16 - 1},
		{"huge", 3 * MinBytes / 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Make[slot](tt.n)
			if len(s) != tt.n {
				t.Fatalf("len %d, want %d", len(s), tt.n)
			}
			for i := range s {
				if s[i] != (slot{}) {
					t.Fatalf("slot %d not zero: %v", i, s[i])
				}
				s[i] = slot{uint64(i), ^uint64(i)}
			}
			for i := range s {
				if s[i] != (slot{uint64(i), ^uint64(i)}) {
					t.Fatalf("slot %d: %v", i, s[i])
				}
			}
		})
	}
}
