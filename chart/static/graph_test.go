package static

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg"

	"github.com/netlens/netlens/chart"
)

// TestLayoutOnce: a graph laid out again, with the same aspect, gets the
// very points of the first layout, also when asked for at once from
// several goroutines; another aspect or another edge gets its own.
func TestLayoutOnce(t *testing.T) {
	g := &chart.Graph{}
	g.AddEdge("10.0.0.1", "10.0.0.2", 3, "")
	g.AddEdge("10.0.0.2", "10.0.0.3", 1, "")
	c := &layoutCache{}
	var wg sync.WaitGroup
	got := make([][]vg.Point, 4)
	for i := range got {
		wg.Go(func() { got[i] = c.of(g, 1.5) })
	}
	wg.Wait()
	want := layout(g, 1.5)
	for i, pos := range got {
		if diff := cmp.Diff(want, pos); diff != "" {
			t.Fatalf("layout %d (-want +got):\n%s", i, diff)
		}
		if &pos[0] != &got[0][0] {
			t.Errorf("layout %d computed again", i)
		}
	}
	if other := c.of(g, 2); &other[0] == &got[0][0] || cmp.Equal(other, got[0]) {
		t.Error("another aspect got the same layout")
	}
	g.AddEdge("10.0.0.3", "10.0.0.1", 1, "")
	if other := c.of(g, 1.5); &other[0] == &got[0][0] {
		t.Error("another edge got the same layout")
	}
}
