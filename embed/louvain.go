package embed

import "sort"

// Graph is an undirected weighted graph on nodes 0..N-1, as adjacency
// lists; an edge appears in the lists of both its ends.
type Graph struct {
	N     int
	Adj   [][]Edge
	Total float64 // sum of the edge weights, each edge once
}

// Edge is one end's view of an edge.
type Edge struct {
	To     int32
	Weight float64
}

// KNNGraph builds DarkVec's k-NN graph (src/knnGraph.py): an edge
// between every node and each of its k nearest neighbours (idx and dist
// as Neighbors gives them for the queries 0..n-1), weighted by the
// cosine similarity 1 - distance (its linear_weighting); an edge found
// from both ends is one edge.
func KNNGraph(n, k int, idx []int32, dist []float32) *Graph {
	g := &Graph{N: n, Adj: make([][]Edge, n)}
	type key struct{ a, b int32 }
	seen := map[key]bool{}
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			t := idx[i*k+j]
			a, b := int32(i), t
			if a > b {
				a, b = b, a
			}
			if a == b || seen[key{a, b}] {
				continue
			}
			seen[key{a, b}] = true
			w := 1 - float64(dist[i*k+j])
			g.Adj[a] = append(g.Adj[a], Edge{b, w})
			g.Adj[b] = append(g.Adj[b], Edge{a, w})
			g.Total += w
		}
	}
	for _, adj := range g.Adj {
		sort.Slice(adj, func(x, y int) bool { return adj[x].To < adj[y].To })
	}
	return g
}

// Louvain partitions g into communities by the Louvain method as
// python-louvain's best_partition does it (resolution 1, levels until the
// modularity gains less than 1e-7, the partition of the last level),
// except that nodes and neighbouring communities are visited in index
// order instead of a random one, so that the result is deterministic.
// It returns the community of each node, numbered from 0 in order of
// first node, and the modularity of the partition.
func Louvain(g *Graph) (community []int32, modularity float64) {
	community = make([]int32, g.N)
	for i := range community {
		community[i] = int32(i)
	}
	if g.Total == 0 {
		return community, 0
	}
	cur := g
	first := true
	mod := 0.0
	for {
		st := newLouvainState(cur)
		st.oneLevel()
		m := st.modularity()
		if !first && m-mod < 1e-7 {
			break
		}
		part := st.renumber()
		for i, c := range community {
			community[i] = part[c]
		}
		mod = m
		first = false
		cur = induced(cur, part)
	}
	return community, mod
}

type louvainState struct {
	g         *Graph
	node2com  []int32
	degrees   []float64 // per community
	gdegrees  []float64 // per node
	loops     []float64 // self-loop weight per node
	internals []float64 // per community
	size      []int32   // nodes per community
	// scratch of neighCom
	weights []float64
	coms    []int32
	inComs  []bool
}

func newLouvainState(g *Graph) *louvainState {
	st := &louvainState{g: g, node2com: make([]int32, g.N), degrees: make([]float64, g.N),
		gdegrees: make([]float64, g.N), loops: make([]float64, g.N), internals: make([]float64, g.N),
		weights: make([]float64, g.N), size: make([]int32, g.N), inComs: make([]bool, g.N)}
	for i := 0; i < g.N; i++ {
		st.node2com[i] = int32(i)
		st.size[i] = 1
		var deg float64
		for _, e := range g.Adj[i] {
			deg += e.Weight
			if int(e.To) == i {
				deg += e.Weight // networkx counts a self-loop twice
				st.loops[i] = e.Weight
			}
		}
		st.degrees[i], st.gdegrees[i], st.internals[i] = deg, deg, st.loops[i]
	}
	return st
}

func (st *louvainState) modularity() float64 {
	links := st.g.Total
	var q float64
	for c := range st.degrees {
		if st.size[c] == 0 {
			continue
		}
		q += st.internals[c]/links - (st.degrees[c]/(2*links))*(st.degrees[c]/(2*links))
	}
	return q
}

// neighCom fills st.coms with the communities next to node (first seen
// first) and st.weights with the weight of node's edges into each.
func (st *louvainState) neighCom(node int) {
	for _, c := range st.coms {
		st.weights[c] = 0
		st.inComs[c] = false
	}
	st.coms = st.coms[:0]
	for _, e := range st.g.Adj[node] {
		if int(e.To) == node {
			continue
		}
		c := st.node2com[e.To]
		if !st.inComs[c] {
			st.inComs[c] = true
			st.coms = append(st.coms, c)
		}
		st.weights[c] += e.Weight
	}
}

func (st *louvainState) oneLevel() {
	total2 := 2 * st.g.Total
	newMod := st.modularity()
	for {
		curMod := newMod
		modified := false
		for node := 0; node < st.g.N; node++ {
			com := st.node2com[node]
			degcTotw := st.gdegrees[node] / total2
			st.neighCom(node)
			removeCost := -st.weights[com] + (st.degrees[com]-st.gdegrees[node])*degcTotw
			// remove
			st.degrees[com] -= st.gdegrees[node]
			st.internals[com] -= st.weights[com] + st.loops[node]
			st.size[com]--
			best, bestIncrease := com, 0.0
			for _, c := range st.coms {
				incr := removeCost + st.weights[c] - st.degrees[c]*degcTotw
				if incr > bestIncrease {
					best, bestIncrease = c, incr
				}
			}
			// insert
			st.node2com[node] = best
			st.degrees[best] += st.gdegrees[node]
			st.internals[best] += st.weights[best] + st.loops[node]
			st.size[best]++
			if best != com {
				modified = true
			}
		}
		newMod = st.modularity()
		if !modified || newMod-curMod < 1e-7 {
			return
		}
	}
}

// renumber numbers the communities from 0 in order of their first node.
func (st *louvainState) renumber() []int32 {
	num := make(map[int32]int32)
	part := make([]int32, st.g.N)
	for i, c := range st.node2com {
		n, ok := num[c]
		if !ok {
			n = int32(len(num))
			num[c] = n
		}
		part[i] = n
	}
	return part
}

// induced is the graph of the communities of part: an edge between two
// communities weighs the edges between them, a self-loop the edges inside.
func induced(g *Graph, part []int32) *Graph {
	n := 0
	for _, c := range part {
		n = max(n, int(c)+1)
	}
	w := make([]map[int32]float64, n)
	for i := range w {
		w[i] = map[int32]float64{}
	}
	out := &Graph{N: n, Adj: make([][]Edge, n)}
	for a := 0; a < g.N; a++ {
		for _, e := range g.Adj[a] {
			if int(e.To) < a {
				continue
			}
			ca, cb := part[a], part[e.To]
			if ca > cb {
				ca, cb = cb, ca
			}
			w[ca][cb] += e.Weight
			out.Total += e.Weight
		}
	}
	for a, m := range w {
		keys := make([]int32, 0, len(m))
		for b := range m {
			keys = append(keys, b)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, b := range keys {
			out.Adj[a] = append(out.Adj[a], Edge{b, m[b]})
			if int(b) != a {
				out.Adj[b] = append(out.Adj[b], Edge{int32(a), m[b]})
			}
		}
	}
	for _, adj := range out.Adj {
		sort.Slice(adj, func(x, y int) bool { return adj[x].To < adj[y].To })
	}
	return out
}
