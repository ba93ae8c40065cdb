package embed

import (
	"sync"
	"sync/atomic"
)

// NA is the class of a vote without a single winner.
const NA = -1

// Neighbors returns the k rows of m nearest to each row of queries by
// cosine distance, the query row itself left out (leave one out), the
// nearest first; of rows at the same distance the lower index comes
// first. It returns them as idx[q*k+j] with their distances dist[q*k+j]
// (1 - cosine similarity, clipped to [0, 2] as scikit-learn does), and k
// itself, lowered to m.Rows-1 when m has fewer rows. threads goroutines
// share the queries; the result does not depend on their number.
func Neighbors(m *Matrix, queries []int, k, threads int) (idx []int32, dist []float32, kk int) {
	k = max(0, min(k, m.Rows-1))
	idx = make([]int32, len(queries)*k)
	dist = make([]float32, len(queries)*k)
	if k == 0 || len(queries) == 0 {
		return idx, dist, k
	}
	u := unitRows(m)
	// Queries in chunks, taken by the threads in turn; each chunk is
	// compared with blocks of candidate rows small enough to stay in
	// the cache, in order, so that ties still go to the lower index.
	const chunk, block = 256, 512
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < max(1, threads); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sims := make([]float32, chunk*k)
			counts := make([]int, chunk)
			for {
				c := int(next.Add(1)-1) * chunk
				if c >= len(queries) {
					return
				}
				qs := queries[c:min(c+chunk, len(queries))]
				clear(counts)
				for b := 0; b < u.Rows; b += block {
					for qi, q := range qs {
						o := (c + qi) * k
						counts[qi] = nearest(u, q, b, min(b+block, u.Rows), idx[o:o+k], sims[qi*k:(qi+1)*k], counts[qi])
					}
				}
				for qi := range qs {
					for j, s := range sims[qi*k : (qi+1)*k] {
						dist[(c+qi)*k+j] = min(2, max(0, 1-s))
					}
				}
			}
		}()
	}
	wg.Wait()
	return idx, dist, k
}

// nearest updates idx and sims, the n rows most similar to row q found
// so far (most similar first), with the rows [from, to) of the unit-row
// matrix u, q left out, and returns the new n.
func nearest(u *Matrix, q, from, to int, idx []int32, sims []float32, n int) int {
	k := len(idx)
	x := u.Row(q)
	for j := from; j < to; j++ {
		if j == q {
			continue
		}
		s := dot(x, u.Row(j))
		if n == k && s <= sims[k-1] {
			continue
		}
		// Insert, keeping sims descending and earlier rows first on ties.
		p := min(n, k-1)
		for p > 0 && sims[p-1] < s {
			sims[p], idx[p] = sims[p-1], idx[p-1]
			p--
		}
		sims[p], idx[p] = s, int32(j)
		if n < k {
			n++
		}
	}
	return n
}

// Vote returns the majority class among the labels of the neighbours
// and its votes; when several classes share the most votes, the class is
// NA (DarkVec's "n.a."). counts is scratch space with one entry per
// class, left zeroed.
func Vote(labels []int32, neighbors []int32, counts []int) (class int32, votes int) {
	for _, n := range neighbors {
		counts[labels[n]]++
	}
	class, leaders := NA, 0
	for _, n := range neighbors {
		c := labels[n]
		switch v := counts[c]; {
		case v > votes:
			class, votes, leaders = c, v, 1
		case v == votes && c != class:
			leaders++
		}
		counts[c] = -counts[c] // seen: count each class once
	}
	for _, n := range neighbors {
		counts[labels[n]] = 0
	}
	if leaders > 1 {
		return NA, votes
	}
	return class, votes
}

// Classify predicts the class of every row of queries from its k
// nearest other rows of m, by majority vote (Vote) over labels (one
// class per row of m, numbered from 0 below classes). It returns the
// predictions and their votes, one per query.
func Classify(m *Matrix, labels []int32, classes int, queries []int, k, threads int) (pred []int32, votes []int) {
	idx, _, kk := Neighbors(m, queries, k, threads)
	pred = make([]int32, len(queries))
	votes = make([]int, len(queries))
	counts := make([]int, classes)
	for q := range queries {
		if kk == 0 {
			pred[q] = NA
			continue
		}
		pred[q], votes[q] = Vote(labels, idx[q*kk:(q+1)*kk], counts)
	}
	return pred, votes
}

// Score is the classification quality of one class, as scikit-learn's
// classification_report gives it.
type Score struct {
	Class     int32
	Precision float64 // correct / predicted; 0 when never predicted
	Recall    float64 // correct / support; 0 without support
	Support   int     // queries of the class
	Predicted int     // queries predicted as the class
	Correct   int
}

// Evaluate scores predictions pred against truth for each class in
// order, and returns the accuracy over all of truth.
func Evaluate(truth, pred []int32, order []int32) (scores []Score, accuracy float64) {
	pos := map[int32]int{}
	scores = make([]Score, len(order))
	for i, c := range order {
		pos[c] = i
		scores[i].Class = c
	}
	correct := 0
	for i, t := range truth {
		if i, ok := pos[t]; ok {
			scores[i].Support++
		}
		if i, ok := pos[pred[i]]; ok {
			scores[i].Predicted++
		}
		if pred[i] == t {
			correct++
			if i, ok := pos[t]; ok {
				scores[i].Correct++
			}
		}
	}
	for i := range scores {
		s := &scores[i]
		if s.Predicted > 0 {
			s.Precision = float64(s.Correct) / float64(s.Predicted)
		}
		if s.Support > 0 {
			s.Recall = float64(s.Correct) / float64(s.Support)
		}
	}
	if len(truth) > 0 {
		accuracy = float64(correct) / float64(len(truth))
	}
	return scores, accuracy
}
