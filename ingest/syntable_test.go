package ingest

import (
	"math/rand/v2"
	"testing"
)

// TestSynTable compares a synTable with a map over random puts, gets and
// deletes of flows, dense (ids in a small range, so that probe runs cross
// and wrap) and sparse.
func TestSynTable(t *testing.T) {
	tests := []struct {
		name  string
		flows int64 // ids are 1..flows
		ops   int
	}{
		{"dense", 300, 200000},
		{"sparse", 1 << 40, 200000},
		{"many live", 50000, 300000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			tab := newSynTable(4)
			want := map[int64]synRec{}
			var ids []int64
			for n := range tt.ops {
				var id int64
				if len(ids) > 0 && r.IntN(3) > 0 {
					id = ids[r.IntN(len(ids))]
				} else {
					id = 1 + r.Int64N(tt.flows)
				}
				switch r.IntN(3) {
				case 0:
					o := synRec{flow: id, ts: int64(n)}
					tab.put(o)
					if _, ok := want[id]; !ok {
						ids = append(ids, id)
					}
					want[id] = o
				case 1:
					tab.delete(id)
					delete(want, id)
				}
				got := tab.get(id)
				w, ok := want[id]
				if ok != (got != nil) || ok && *got != w {
					t.Fatalf("op %d: get(%d) = %v; want %v, %v", n, id, got, w, ok)
				}
				if tab.used != len(want) {
					t.Fatalf("op %d: %d used; want %d", n, tab.used, len(want))
				}
			}
			for id, w := range want {
				if got := tab.get(id); got == nil || *got != w {
					t.Fatalf("get(%d) = %v; want %v", id, got, w)
				}
			}
		})
	}
}

// TestSynQueue compares a synQueue with a slice over random pushes and
// pops, through the ring's wrap and growth.
func TestSynQueue(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var q synQueue
	var want []synAt
	for n := range 100000 {
		if len(want) > 0 && r.IntN(5) < 2 {
			if got := q.head(); got != want[0] {
				t.Fatalf("op %d: head %v; want %v", n, got, want[0])
			}
			q.pop()
			want = want[1:]
		} else {
			s := synAt{flow: int64(n + 1), ts: int64(n)}
			q.push(s)
			want = append(want, s)
		}
		if q.n != len(want) {
			t.Fatalf("op %d: %d queued; want %d", n, q.n, len(want))
		}
	}
	for _, w := range want {
		if got := q.head(); got != w {
			t.Fatalf("head %v; want %v", got, w)
		}
		q.pop()
	}
}
