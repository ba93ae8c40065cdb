package embed

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Corpus is a list of sentences of tokens numbered from 0: sentence i is
// Tokens[Ends[i-1]:Ends[i]] (Tokens[:Ends[0]] for the first).
type Corpus struct {
	Tokens []int32
	Ends   []int
}

// Add appends a sentence to c.
func (c *Corpus) Add(sentence ...int32) {
	c.Tokens = append(c.Tokens, sentence...)
	c.Ends = append(c.Ends, len(c.Tokens))
}

// Sentence returns sentence i, sharing c's storage.
func (c *Corpus) Sentence(i int) []int32 {
	start := 0
	if i > 0 {
		start = c.Ends[i-1]
	}
	return c.Tokens[start:c.Ends[i]]
}

// Config holds the hyper-parameters of Train. The names are gensim's.
type Config struct {
	Dim      int     // vector size
	Window   int     // largest distance between a word and its context
	Negative int     // noise words drawn per (word, context) pair
	Epochs   int     // passes over the corpus
	Alpha    float64 // learning rate at the start
	MinAlpha float64 // learning rate at the end, reached linearly
	// Sample is the subsampling threshold of frequent words; 0 keeps
	// every word, as DarkVec does.
	Sample float64
	Seed   uint64
	// Threads is the number of goroutines training at once; the
	// vectors depend on it (see Train), not on the machine.
	Threads int
	// BatchWords is the number of words of a job: sentences are packed
	// into jobs of at most that many words, as gensim does.
	BatchWords int
	// MaxSentence caps the words trained of one job, as gensim's
	// MAX_SENTENCE_LEN does: a sentence longer than that is cut.
	MaxSentence int
	// SyncWords is how many words each thread trains between two merges
	// of the threads' changes (see Train).
	SyncWords int
}

// DarkVec returns the hyper-parameters of DarkVec's final model
// (word2vec_auto_c5_e200 in its notebooks, trained by its
// src/word2vec.py and src/modelTraining.py): skip-gram, 200 dimensions,
// a window of 5, 5 negative samples, no subsampling, min_count 0, one
// epoch, gensim's default learning rates, seed 15, on one thread.
func DarkVec() Config {
	return Config{
		Dim: 200, Window: 5, Negative: 5, Epochs: 1,
		Alpha: 0.025, MinAlpha: 0.0001, Sample: 0, Seed: 15, Threads: 1,
		BatchWords: 10000, MaxSentence: 10000, SyncWords: 1000,
	}
}

// Validate reports the first hyper-parameter out of range.
func (c Config) Validate() error {
	switch {
	case c.Dim < 1:
		return fmt.Errorf("dimension %d: must be at least 1", c.Dim)
	case c.Window < 1:
		return fmt.Errorf("window %d: must be at least 1", c.Window)
	case c.Negative < 1:
		return fmt.Errorf("negative %d: must be at least 1", c.Negative)
	case c.Epochs < 1:
		return fmt.Errorf("epochs %d: must be at least 1", c.Epochs)
	case !(c.Alpha > 0) || c.MinAlpha < 0 || c.MinAlpha > c.Alpha:
		return fmt.Errorf("learning rate %g to %g: need 0 <= min <= start, start > 0", c.Alpha, c.MinAlpha)
	case c.Sample < 0 || c.Sample >= 1:
		return fmt.Errorf("sample %g: must be in [0, 1)", c.Sample)
	case c.Threads < 1:
		return fmt.Errorf("threads %d: must be at least 1", c.Threads)
	case c.BatchWords < 1 || c.MaxSentence < 1 || c.SyncWords < 1:
		return fmt.Errorf("batch of %d words, sentences of %d, sync every %d: must be at least 1", c.BatchWords, c.MaxSentence, c.SyncWords)
	}
	return nil
}

// gensim's sigmoid table.
const (
	expTableSize = 1000
	maxExp       = 6
)

var expTable = func() [expTableSize]float32 {
	var t [expTableSize]float32
	for i := range t {
		e := math.Exp((float64(i)/expTableSize*2 - 1) * maxExp)
		t[i] = float32(e / (e + 1))
	}
	return t
}()

// Train learns one vector per word of c (words numbered 0..words-1) by
// skip-gram with negative sampling, with gensim's semantics: noise words
// drawn from the unigram distribution raised to 0.75 (a cumulative table
// searched by bisection, gensim's cum_table), each word's window shrunk
// by a random amount, the learning rate decayed linearly by the share of
// words processed, pairs whose score is beyond ±6 skipped, sentences
// packed into jobs of BatchWords words and cut at MaxSentence.
//
// Threads share the work without locks yet deterministically: the jobs
// are dealt in rounds, one to each thread, and each thread trains its job
// in steps of SyncWords words. In a step every thread trains on private
// copies of the rows it touches, starting from the weights of the end of
// the previous step (gensim's threads see each other's writes as they
// happen, Hogwild; here they see them at the end of the step), then the
// changes of all threads are added to the shared weights in thread order. Each thread has its own random generator
// seeded from Seed. So the vectors are a function of the corpus, the
// configuration and the thread count; one thread is plain sequential
// SGD. Words that never occur keep their random initial vectors.
func Train(c *Corpus, words int, cfg Config) (*Matrix, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("word2vec: %w", err)
	}
	if words < 1 {
		return nil, errors.New("word2vec: no words")
	}
	counts := make([]int64, words)
	for i, t := range c.Tokens {
		if t < 0 || int(t) >= words {
			return nil, fmt.Errorf("word2vec: token %d at position %d out of range [0, %d)", t, i, words)
		}
		counts[t]++
	}
	tr := newTrainer(c, counts, cfg)
	tr.run()
	return tr.syn0, nil
}

// trainer is the state shared by the threads of Train.
type trainer struct {
	cfg        Config
	corpus     *Corpus
	syn0, syn1 *Matrix
	cum        []uint32 // cumulative unigram^0.75, scaled to 2^31-1
	bucket     []int32  // bucket[x>>bucketShift]: where bisection of x starts
	sampleInt  []uint32 // keep word w when sampleInt[w] >= a random uint32
	jobs       []job
	total      int64 // words of one epoch
}

// job is a run of whole sentences and the words before it in the epoch.
type job struct {
	first, end int // sentences [first, end)
	before     int64
}

const bucketShift = 15

func newTrainer(c *Corpus, counts []int64, cfg Config) *trainer {
	words := len(counts)
	tr := &trainer{cfg: cfg, corpus: c, syn0: NewMatrix(words, cfg.Dim), syn1: NewMatrix(words, cfg.Dim)}
	// Initial vectors: uniform in [-1, 1) / dim, word by word, as gensim 4
	// draws them (prep_vectors).
	rng := splitmix(cfg.Seed)
	for i := range tr.syn0.Data {
		tr.syn0.Data[i] = (float32(rng.next()>>40)/(1<<23) - 1) / float32(cfg.Dim)
	}
	// gensim's make_cum_table.
	const domain = 1<<31 - 1
	var pow float64
	for _, n := range counts {
		pow += math.Pow(float64(n), 0.75)
	}
	tr.cum = make([]uint32, words)
	var cumulative float64
	for i, n := range counts {
		cumulative += math.Pow(float64(n), 0.75)
		tr.cum[i] = uint32(math.Round(cumulative / pow * domain))
	}
	top := tr.cum[words-1]
	tr.bucket = make([]int32, int(top>>bucketShift)+2)
	for b := range tr.bucket {
		tr.bucket[b] = int32(bisectLeft(tr.cum, uint32(min(uint64(b)<<bucketShift, math.MaxUint32)), 0, words))
	}
	// gensim's subsampling (word2vec.py prepare_vocab).
	var retain int64
	for _, n := range counts {
		retain += n
	}
	tr.sampleInt = make([]uint32, words)
	threshold := cfg.Sample * float64(retain)
	for i, n := range counts {
		p := 1.0
		if cfg.Sample > 0 && n > 0 {
			p = min(1, (math.Sqrt(float64(n)/threshold)+1)*(threshold/float64(n)))
		}
		tr.sampleInt[i] = uint32(math.Round(p * (1<<32 - 1)))
	}
	// Jobs as gensim's job producer packs them.
	start, size, before := 0, 0, int64(0)
	for s := range c.Ends {
		n := len(c.Sentence(s))
		if s > start && size+n > cfg.BatchWords {
			tr.jobs = append(tr.jobs, job{start, s, before})
			before += int64(size)
			start, size = s, 0
		}
		size += n
	}
	if start < len(c.Ends) {
		tr.jobs = append(tr.jobs, job{start, len(c.Ends), before})
		before += int64(size)
	}
	tr.total = before
	return tr
}

func bisectLeft(a []uint32, x uint32, lo, hi int) int {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if a[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (tr *trainer) run() {
	t := tr.cfg.Threads
	workers := make([]*worker, t)
	for i := range workers {
		workers[i] = newWorker(tr, i)
	}
	var wg sync.WaitGroup
	parallel := func(n int, f func(i int)) {
		if n == 1 {
			f(0)
			return
		}
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() {
				defer wg.Done()
				f(i)
			}()
		}
		wg.Wait()
	}
	step := tr.cfg.SyncWords
	for epoch := 0; epoch < tr.cfg.Epochs; epoch++ {
		for r := 0; r < len(tr.jobs); r += t {
			n := min(t, len(tr.jobs)-r)
			steps := 0
			for i, w := range workers[:n] {
				j := tr.jobs[r+i]
				w.prepare(j, tr.alpha(epoch, j.before))
				steps = max(steps, (len(w.idx)+step-1)/step)
			}
			for s := 0; s < steps; s++ {
				parallel(n, func(i int) { workers[i].trainRange(s*step, (s+1)*step) })
				parallel(n, func(part int) {
					orig := workers[part].orig
					mergeRows(workers[:n], part, n, tr.syn0, func(w *worker) *rows { return &w.in }, orig)
					mergeRows(workers[:n], part, n, tr.syn1, func(w *worker) *rows { return &w.out }, orig)
				})
				for _, w := range workers[:n] {
					w.in.reset()
					w.out.reset()
				}
			}
		}
	}
}

// alpha is gensim's learning rate for a job that starts after `before`
// words of the epoch.
func (tr *trainer) alpha(epoch int, before int64) float32 {
	progress := (float64(epoch) + float64(before)/float64(max(tr.total, 1))) / float64(tr.cfg.Epochs)
	a := tr.cfg.Alpha - (tr.cfg.Alpha-tr.cfg.MinAlpha)*progress
	return float32(max(tr.cfg.MinAlpha, a))
}

// rows holds a worker's private copies of the rows of one matrix it
// touched in a round.
type rows struct {
	slot    []int32 // slot of each row, -1 when untouched
	touched []int32 // rows, in order of first touch
	data    []float32
	dim     int
}

func (r *rows) get(m *Matrix, row int32) []float32 {
	s := r.slot[row]
	if s < 0 {
		s = int32(len(r.touched))
		r.slot[row] = s
		r.touched = append(r.touched, row)
		r.data = append(r.data, m.Row(int(row))...)
	}
	return r.data[int(s)*r.dim : int(s+1)*r.dim : int(s+1)*r.dim]
}

// row returns the copy of a touched row.
func (r *rows) row(row int32) []float32 {
	s := int(r.slot[row])
	return r.data[s*r.dim : (s+1)*r.dim : (s+1)*r.dim]
}

func (r *rows) reset() {
	for _, row := range r.touched {
		r.slot[row] = -1
	}
	r.touched = r.touched[:0]
	r.data = r.data[:0]
}

// mergeRows adds to m the changes the workers made to their copies, for
// the rows congruent to part modulo parts, in worker order. orig is
// scratch space of one row.
func mergeRows(ws []*worker, part, parts int, m *Matrix, pick func(*worker) *rows, orig []float32) {
	for wi, w := range ws {
		for _, row := range pick(w).touched {
			if int(row)%parts != part {
				continue
			}
			first := true
			for _, prev := range ws[:wi] {
				if pick(prev).slot[row] >= 0 {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			dst := m.Row(int(row))
			src := pick(w).row(row)
			others := 0
			for _, o := range ws[wi+1:] {
				if pick(o).slot[row] >= 0 {
					others++
				}
			}
			if others == 0 {
				copy(dst, src) // one thread's row: its copy is the result
				continue
			}
			copy(orig, dst)
			for _, o := range ws[wi:] {
				if r := pick(o); r.slot[row] >= 0 {
					axpy(1, r.row(row), dst)
					axpy(-1, orig, dst)
				}
			}
		}
	}
}

// worker is one training thread.
type worker struct {
	tr       *trainer
	random   uint64 // gensim's 48-bit linear congruential generator
	in, out  rows
	idx      []int32 // words of the current job after subsampling
	ends     []int   // sentence ends in idx, empty sentences left out
	alpha    float32 // learning rate of the current job
	sentence int     // sentence of the last word trained
	work     []float32
	orig     []float32 // scratch row for mergeRows
}

func newWorker(tr *trainer, id int) *worker {
	words := tr.syn0.Rows
	w := &worker{tr: tr, work: make([]float32, tr.cfg.Dim), orig: make([]float32, tr.cfg.Dim)}
	w.random = splitmix(tr.cfg.Seed^(0x9e3779b97f4a7c15*uint64(id+1))).next() & (1<<48 - 1)
	for _, r := range []*rows{&w.in, &w.out} {
		r.slot = make([]int32, words)
		for i := range r.slot {
			r.slot[i] = -1
		}
		r.dim = tr.cfg.Dim
	}
	return w
}

func (w *worker) rand32() uint32 {
	v := uint32(w.random >> 16)
	w.random = (w.random*25214903917 + 11) & (1<<48 - 1)
	return v
}

// prepare takes job j, to train at learning rate alpha: its words after
// subsampling, cut at MaxSentence, and its sentence ends.
func (w *worker) prepare(j job, alpha float32) {
	tr := w.tr
	w.idx, w.ends, w.alpha, w.sentence = w.idx[:0], w.ends[:0], alpha, 0
	sample := tr.cfg.Sample > 0
	full := false
	for s := j.first; s < j.end && !full; s++ {
		for _, t := range tr.corpus.Sentence(s) {
			if sample && tr.sampleInt[t] < w.rand32() {
				continue
			}
			w.idx = append(w.idx, t)
			if len(w.idx) == tr.cfg.MaxSentence {
				full = true
				break
			}
		}
		if len(w.ends) == 0 || w.ends[len(w.ends)-1] < len(w.idx) {
			w.ends = append(w.ends, len(w.idx))
		}
	}
}

// trainRange trains the words at positions [from, to) of the job, each
// with its context in its sentence.
func (w *worker) trainRange(from, to int) {
	window := w.tr.cfg.Window
	to = min(to, len(w.idx))
	for i := from; i < to; i++ {
		for w.ends[w.sentence] <= i {
			w.sentence++
		}
		start := 0
		if w.sentence > 0 {
			start = w.ends[w.sentence-1]
		}
		end := w.ends[w.sentence]
		b := int(w.rand32() % uint32(window))
		lo := max(start, i-window+b)
		hi := min(end, i+window+1-b)
		for k := lo; k < hi; k++ {
			if k == i {
				continue
			}
			w.pair(w.idx[i], w.idx[k], w.alpha)
		}
	}
}

// pair is gensim's fast_sentence_sg_neg: the vector of context predicts
// word against Negative noise words.
func (w *worker) pair(word, context int32, alpha float32) {
	tr := w.tr
	l1 := w.in.get(tr.syn0, context)
	work := w.work
	clear(work)
	top := tr.cum[len(tr.cum)-1]
	for d := 0; d <= tr.cfg.Negative; d++ {
		target := word
		var label float32 = 1
		if d > 0 {
			x := uint32((w.random >> 16) % uint64(top))
			w.random = (w.random*25214903917 + 11) & (1<<48 - 1)
			b := x >> bucketShift
			target = int32(bisectLeft(tr.cum, x, int(tr.bucket[b]), min(int(tr.bucket[b+1])+1, len(tr.cum))))
			if target == word {
				continue
			}
			label = 0
		}
		l2 := w.out.get(tr.syn1, target)
		f := dot(l1, l2)
		if f <= -maxExp || f >= maxExp {
			continue
		}
		f = expTable[int((f+maxExp)*(expTableSize/maxExp/2))]
		g := (label - f) * alpha
		axpy(g, l2, work)
		axpy(g, l1, l2)
	}
	axpy(1, work, l1)
}

// splitmix is a SplitMix64 generator, for seeds and initial vectors.
type splitmixState struct{ s uint64 }

func splitmix(seed uint64) *splitmixState { return &splitmixState{seed} }

func (r *splitmixState) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
