package embed

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func matrix(rows ...[]float32) *Matrix {
	m := NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(m.Row(i), r)
	}
	return m
}

func TestVote(t *testing.T) {
	labels := []int32{0, 0, 1, 1, 2, 2, 2}
	tests := []struct {
		name      string
		neighbors []int32
		class     int32
		votes     int
	}{
		{"one class", []int32{0, 1}, 0, 2},
		{"majority", []int32{0, 2, 3, 4}, 1, 2},
		{"majority last", []int32{0, 4, 5, 6, 2}, 2, 3},
		{"tie of two", []int32{0, 1, 2, 3}, NA, 2},
		{"tie of three", []int32{0, 2, 4}, NA, 1},
		{"tie then won", []int32{0, 2, 1}, 0, 2},
		{"won then tied", []int32{4, 5, 0, 1}, NA, 2},
		{"three of seven", []int32{0, 1, 4, 2, 5, 6, 3}, 2, 3},
	}
	counts := make([]int, 3)
	for _, tt := range tests {
		c, v := Vote(labels, tt.neighbors, counts)
		if c != tt.class || v != tt.votes {
			t.Errorf("%s: Vote = %d, %d; want %d, %d", tt.name, c, v, tt.class, tt.votes)
		}
		if slices.ContainsFunc(counts, func(n int) bool { return n != 0 }) {
			t.Fatalf("%s: counts left %v", tt.name, counts)
		}
	}
}

func TestNeighbors(t *testing.T) {
	// Angles 0, 10, 30, 90 and 180 degrees; row 5 repeats row 1 scaled.
	deg := func(d float64) []float32 {
		r := d * math.Pi / 180
		return []float32{float32(math.Cos(r)), float32(math.Sin(r))}
	}
	m := matrix(deg(0), deg(10), deg(30), deg(90), deg(180), []float32{2 * deg(10)[0], 2 * deg(10)[1]})
	idx, dist, k := Neighbors(m, []int{0, 1, 3, 4}, 3, 2)
	if k != 3 {
		t.Fatalf("k = %d", k)
	}
	want := []int32{
		1, 5, 2, // from 0: 10, 10 (tie, lower index first), 30
		5, 0, 2, // from 1: 0 (row 5), 10, 20
		2, 1, 5, // from 3: 60, 80, 80
		3, 2, 1, // from 4: 90, 150, 170
	}
	if !slices.Equal(idx, want) {
		t.Errorf("idx = %v, want %v", idx, want)
	}
	wantDist := []float64{10, 10, 30, 0, 10, 20, 60, 80, 80, 90, 150, 170}
	for i, d := range wantDist {
		if w := 1 - math.Cos(d*math.Pi/180); math.Abs(float64(dist[i])-w) > 1e-6 {
			t.Errorf("dist[%d] = %v, want %v", i, dist[i], w)
		}
	}
	// More neighbours than other rows.
	if _, _, k := Neighbors(m, []int{0}, 10, 1); k != 5 {
		t.Errorf("k = %d, want 5", k)
	}
}

func TestClassifyEvaluate(t *testing.T) {
	// Two tight groups on the axes, one row between them.
	m := matrix(
		[]float32{1, 0}, []float32{1, 0.01}, []float32{1, 0.02}, // class 0
		[]float32{0, 1}, []float32{0.01, 1}, []float32{0.02, 1}, // class 1
		[]float32{1, 1}, // class 2, alone
	)
	labels := []int32{0, 0, 0, 1, 1, 1, 2}
	pred, votes := Classify(m, labels, 3, []int{0, 3, 6}, 2, 1)
	// Row 6's nearest are rows 2 and 5 at the same distance: 0 vs 1, a tie.
	if want := []int32{0, 1, NA}; !slices.Equal(pred, want) {
		t.Errorf("pred = %v, want %v", pred, want)
	}
	if want := []int{2, 2, 1}; !slices.Equal(votes, want) {
		t.Errorf("votes = %v, want %v", votes, want)
	}
	scores, acc := Evaluate([]int32{0, 1, 2, 0}, []int32{0, 0, NA, 0}, []int32{0, 1, 2})
	want := []Score{
		{Class: 0, Precision: 2.0 / 3, Recall: 1, Support: 2, Predicted: 3, Correct: 2},
		{Class: 1, Precision: 0, Recall: 0, Support: 1, Predicted: 0},
		{Class: 2, Precision: 0, Recall: 0, Support: 1, Predicted: 0},
	}
	if !slices.Equal(scores, want) || acc != 0.5 {
		t.Errorf("Evaluate = %+v, %v; want %+v, 0.5", scores, acc, want)
	}
}

// silhouetteBrute is scikit-learn's definition, pair by pair.
func silhouetteBrute(m *Matrix, cluster []int32, clusters int) []float64 {
	cos := func(a, b []float32) float64 {
		var d, na, nb float64
		for i := range a {
			d += float64(a[i]) * float64(b[i])
			na += float64(a[i]) * float64(a[i])
			nb += float64(b[i]) * float64(b[i])
		}
		return 1 - d/math.Sqrt(na*nb)
	}
	out := make([]float64, m.Rows)
	for i := range out {
		sum := make([]float64, clusters)
		n := make([]int, clusters)
		for j := 0; j < m.Rows; j++ {
			if j != i {
				sum[cluster[j]] += cos(m.Row(i), m.Row(j))
				n[cluster[j]]++
			}
		}
		own := cluster[i]
		if n[own] == 0 {
			continue
		}
		a := sum[own] / float64(n[own])
		b := math.Inf(1)
		for c := range sum {
			if int32(c) != own && n[c] > 0 {
				b = min(b, sum[c]/float64(n[c]))
			}
		}
		out[i] = (b - a) / max(a, b)
	}
	return out
}

func TestSilhouette(t *testing.T) {
	// By hand: rows at 0 and 90 degrees in cluster 0, 180 in cluster 1.
	// Row 0: a = 1, b = 2 -> 0.5. Row 1: a = 1, b = 1 -> 0. Row 2: alone -> 0.
	m := matrix([]float32{1, 0}, []float32{0, 3}, []float32{-2, 0})
	got := Silhouette(m, []int32{0, 0, 1}, 2)
	for i, w := range []float64{0.5, 0, 0} {
		if math.Abs(got[i]-w) > 1e-12 {
			t.Errorf("silhouette[%d] = %v, want %v", i, got[i], w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m = NewMatrix(60, 5)
	cl := make([]int32, 60)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	for i := range cl {
		cl[i] = int32(rng.IntN(4))
		m.Row(i)[cl[i]] += 3
	}
	got = Silhouette(m, cl, 4)
	want := silhouetteBrute(m, cl, 4)
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("silhouette[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestLouvain(t *testing.T) {
	// Two triangles joined by one edge: m = 7, each community has 3
	// inner edges and degree 7, Q = 2 (3/7 - (7/14)^2) = 6/7 - 1/2.
	g := &Graph{N: 6, Adj: make([][]Edge, 6)}
	for _, e := range [][2]int32{{0, 1}, {1, 2}, {0, 2}, {3, 4}, {4, 5}, {3, 5}, {2, 3}} {
		g.Adj[e[0]] = append(g.Adj[e[0]], Edge{e[1], 1})
		g.Adj[e[1]] = append(g.Adj[e[1]], Edge{e[0], 1})
		g.Total++
	}
	com, q := Louvain(g)
	if want := []int32{0, 0, 0, 1, 1, 1}; !slices.Equal(com, want) {
		t.Errorf("communities = %v, want %v", com, want)
	}
	if want := 6.0/7 - 0.5; math.Abs(q-want) > 1e-12 {
		t.Errorf("modularity = %v, want %v", q, want)
	}
}

func TestKNNGraph(t *testing.T) {
	// 0's neighbours 1, 2; 1's 0, 2; 2's 1, 0: three edges, each once.
	g := KNNGraph(3, 2, []int32{1, 2, 0, 2, 1, 0}, []float32{0.1, 0.3, 0.1, 0.2, 0.2, 0.3})
	if math.Abs(g.Total-2.4) > 1e-6 {
		t.Errorf("total = %v, want 2.4", g.Total)
	}
	want := [][]Edge{{{1, 0.9}, {2, 0.7}}, {{0, 0.9}, {2, 0.8}}, {{0, 0.7}, {1, 0.8}}}
	for i, adj := range g.Adj {
		for j, e := range adj {
			if e.To != want[i][j].To || math.Abs(e.Weight-want[i][j].Weight) > 1e-6 {
				t.Errorf("adj[%d] = %v, want %v", i, adj, want[i])
			}
		}
	}
}

func TestPCA(t *testing.T) {
	// Points spread most along (1, 1), less along (1, -1), around (5, 5).
	s := math.Sqrt2 / 2
	var rows [][]float32
	for _, p := range [][2]float64{{3, 0}, {-3, 0}, {0, 1}, {0, -1}} {
		rows = append(rows, []float32{float32(5 + (p[0]+p[1])*s), float32(5 + (p[0]-p[1])*s), 7})
	}
	got := PCA(matrix(rows...))
	// Both loadings of the second component have the same size: the
	// first is made positive, (1, -1)/sqrt2.
	want := []float64{3, 0, -3, 0, 0, 1, 0, -1}
	for i, w := range want {
		if math.Abs(float64(got.Data[i])-w) > 1e-5 {
			t.Errorf("pca[%d] = %v, want %v (all %v)", i, got.Data[i], w, got.Data)
		}
	}
}

func TestStandardScale(t *testing.T) {
	got := StandardScale(matrix([]float32{1, 5}, []float32{3, 5}))
	if want := []float32{-1, 0, 1, 0}; !slices.Equal(got.Data, want) {
		t.Errorf("scaled = %v, want %v", got.Data, want)
	}
}

func TestNoiseTable(t *testing.T) {
	counts := make([]int64, 5000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range counts {
		counts[i] = 1 + int64(rng.ExpFloat64()*float64(1+i%50))
	}
	c := &Corpus{}
	c.Add(0)
	tr := newTrainer(c, counts, DarkVec())
	top := tr.cum[len(tr.cum)-1]
	for i := 0; i < 200000; i++ {
		x := uint32(rng.Uint64() % uint64(top))
		b := x >> bucketShift
		got := bisectLeft(tr.cum, x, int(tr.bucket[b]), min(int(tr.bucket[b+1])+1, len(tr.cum)))
		if want := bisectLeft(tr.cum, x, 0, len(tr.cum)); got != want {
			t.Fatalf("x=%d: bucketed bisection %d, plain %d", x, got, want)
		}
	}
	if top != 1<<31-1 {
		t.Errorf("table top %d, want 2^31-1", top)
	}
}

// TestKernels: the assembly and the Go kernels give the same bits.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 70; n++ {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		if got, want := dot(a, b), dotGo(a, b); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("n=%d: dot %v, Go %v", n, got, want)
		}
		var exact float64
		for i := range a {
			exact += float64(a[i]) * float64(b[i])
		}
		if got := dot(a, b); math.Abs(float64(got)-exact) > 1e-4*(1+math.Abs(exact)) {
			t.Errorf("n=%d: dot %v, exact %v", n, got, exact)
		}
		y1, y2 := slices.Clone(b), slices.Clone(b)
		axpy(0.37, a, y1)
		axpyGo(0.37, a, y2)
		for i := range y1 {
			if math.Float32bits(y1[i]) != math.Float32bits(y2[i]) {
				t.Fatalf("n=%d: axpy[%d] %v, Go %v", n, i, y1[i], y2[i])
			}
		}
	}
}

// TestNeighborsBlocks: across blocks of candidates and chunks of queries,
// the neighbours are those of a plain sort by cosine similarity.
func TestNeighborsBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := NewMatrix(1300, 12)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	queries := []int{0, 1, 511, 512, 513, 1024, 1299}
	for i := 0; i < 300; i++ {
		queries = append(queries, rng.IntN(m.Rows))
	}
	idx, _, k := Neighbors(m, queries, 5, 3)
	norm := func(r []float32) float64 {
		var s float64
		for _, v := range r {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	}
	for qi, q := range queries {
		type cand struct {
			j   int32
			sim float64
		}
		var all []cand
		for j := 0; j < m.Rows; j++ {
			if j == q {
				continue
			}
			var d float64
			for c := range m.Cols {
				d += float64(m.Row(q)[c]) * float64(m.Row(j)[c])
			}
			all = append(all, cand{int32(j), d / norm(m.Row(q)) / norm(m.Row(j))})
		}
		slices.SortStableFunc(all, func(a, b cand) int {
			if a.sim > b.sim {
				return -1
			}
			if a.sim < b.sim {
				return 1
			}
			return 0
		})
		for j := 0; j < k; j++ {
			if idx[qi*k+j] != all[j].j {
				t.Fatalf("query %d: neighbours %v, want %v", q, idx[qi*k:(qi+1)*k], all[:k])
			}
		}
	}
}
