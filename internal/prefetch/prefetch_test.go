package prefetch

import (
	"testing"
	"unsafe"
)

// TestLoad checks that a prefetch of valid memory, of no memory and of
// an address that is not mapped neither faults nor changes what memory
// holds.
func TestLoad(t *testing.T) {
	table := make([]uint64, 1<<10)
	for i := range table {
		table[i] = uint64(i) * 3
	}
	tests := []struct {
		name string
		p    uintptr
	}{
		{"first slot", uintptr(unsafe.Pointer(&table[0]))},
		{"last slot", uintptr(unsafe.Pointer(&table[len(table)-1]))},
		{"nil", 0},
		{"not mapped", 1 << 47},
		{"kernel half", ^uintptr(0) &^ 63},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Load(tt.p)
			for i, v := range table {
				if v != uint64(i)*3 {
					t.Fatalf("table[%d] = %d after the prefetch, want %d", i, v, i*3)
				}
			}
		})
	}
}
