package flow

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netlens/netlens/schema"
)

// TestFlowTable compares an Assembler's flowTable with a map over random
// puts, gets and deletes, with few keys (probe runs that cross and wrap)
// and many (growth).
func TestFlowTable(t *testing.T) {
	tests := []struct {
		name string
		keys int
		ops  int
	}{
		{"few", 200, 100000},
		{"many", 40000, 200000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			keys := make([]key, tt.keys)
			for i := range keys {
				k := &keys[i]
				k.lo[15], k.hi[14], k.hi[15] = byte(i), byte(i>>8), byte(i>>16)
				k.loPort, k.hiPort, k.proto = uint16(r.IntN(3)), 80, 6
			}
			a := New(DefaultConfig(), 1, func(*schema.Flow) {})
			a.flows = newFlowTable(2)
			want := map[key]ref{}
			for n := range tt.ops {
				k := &keys[r.IntN(len(keys))]
				if r.IntN(2) == 0 {
					if _, ok := want[*k]; !ok {
						e := a.newEntry()
						e.key = *k
						a.flows.put(k, e.self)
						want[*k] = e.self
					}
				} else if e, ok := want[*k]; ok {
					a.flows.delete(k, e)
					delete(want, *k)
				}
				if got := a.get(k); got != want[*k] {
					t.Fatalf("op %d: get = %d; want %d", n, got, want[*k])
				}
				if a.flows.used != len(want) {
					t.Fatalf("op %d: %d used; want %d", n, a.flows.used, len(want))
				}
			}
			for k, e := range want {
				if got := a.get(&k); got != e {
					t.Fatalf("get = %d; want %d", got, e)
				}
			}
		})
	}
}

// TestFlowTableGrowth puts more keys than a table of quadrupleFrom slots
// holds and checks the sizes it grows through: twofold below
// quadrupleFrom, then fourfold but never past its most, and every key
// found.
func TestFlowTableGrowth(t *testing.T) {
	tests := []struct {
		name  string
		most  int
		keys  int
		sizes []int
	}{
		{"no bound", 0, 300000, []int{1 << 16, 1 << 18, 1 << 20}},
		{"bound", 1 << 19, 200000, []int{1 << 16, 1 << 18, 1 << 19}},
		{"bound within a fourfold growth", 1 << 17, 60000, []int{1 << 16, 1 << 17}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(DefaultConfig(), 1, func(*schema.Flow) {})
			a.flows = newFlowTable(1 << 10)
			a.flows.most = tt.most
			var sizes []int
			keys := make([]key, tt.keys)
			for i := range keys {
				k := &keys[i]
				k.lo[13], k.lo[14], k.lo[15] = byte(i>>16), byte(i>>8), byte(i)
				k.loPort, k.hiPort, k.proto = 1234, 80, 6
				e := a.newEntry()
				e.key = *k
				a.flows.put(k, e.self)
				if n := len(a.flows.slots); n >= quadrupleFrom && (len(sizes) == 0 || sizes[len(sizes)-1] != n) {
					sizes = append(sizes, n)
				}
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Errorf("sizes from %d slots: %v; want %v", quadrupleFrom, sizes, tt.sizes)
			}
			for i := range keys {
				if a.get(&keys[i]) == 0 {
					t.Fatalf("key %d not found", i)
				}
			}
		})
	}
}
