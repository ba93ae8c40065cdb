package embed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// telescope generates a DarkVec-like corpus: hourly sentences per
// service of the senders active then, in random order. Senders of a
// class share a set of services and a schedule of active hours; noise
// senders (class -1) hit random services at random hours.
func telescope(seed uint64, classes, perClass, noise, hours, services int) (*Corpus, []int32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	type class struct {
		services []int
		active   []bool
	}
	cs := make([]class, classes)
	for c := range cs {
		cs[c].services = rng.Perm(services)[:2+rng.IntN(3)]
		cs[c].active = make([]bool, hours)
		for h := range cs[c].active {
			cs[c].active[h] = rng.Float64() < 0.4
		}
	}
	labels := make([]int32, 0, classes*perClass+noise)
	for c := 0; c < classes; c++ {
		for i := 0; i < perClass; i++ {
			labels = append(labels, int32(c))
		}
	}
	for i := 0; i < noise; i++ {
		labels = append(labels, -1)
	}
	corpus := &Corpus{}
	var sentence []int32
	for h := 0; h < hours; h++ {
		for s := 0; s < services; s++ {
			sentence = sentence[:0]
			for w, c := range labels {
				switch {
				case c >= 0 && cs[c].active[h] && slices.Contains(cs[c].services, s) && rng.Float64() < 0.7:
					sentence = append(sentence, int32(w))
				case c < 0 && rng.Float64() < 0.02:
					sentence = append(sentence, int32(w))
				}
			}
			rng.Shuffle(len(sentence), func(i, j int) { sentence[i], sentence[j] = sentence[j], sentence[i] })
			if len(sentence) > 0 {
				corpus.Add(sentence...)
			}
		}
	}
	return corpus, labels
}

// knnAccuracy is DarkVec's evaluation: 7-NN leave one out over the
// labelled rows, noise rows voting as their own class.
func knnAccuracy(m *Matrix, labels []int32, classes int) float64 {
	lab := make([]int32, len(labels))
	var queries []int
	var truth []int32
	for i, c := range labels {
		if c < 0 {
			lab[i] = int32(classes) // unknown
			continue
		}
		lab[i] = c
		queries = append(queries, i)
		truth = append(truth, c)
	}
	pred, _ := Classify(m, lab, classes+1, queries, 7, 2)
	_, acc := Evaluate(truth, pred, nil)
	return acc
}

func TestTrainRecoversClasses(t *testing.T) {
	corpus, labels := telescope(1, 8, 40, 80, 96, 12)
	cfg := DarkVec()
	cfg.Dim, cfg.Epochs = 50, 5
	for _, threads := range []int{1, 2} {
		cfg.Threads = threads
		a, err := Train(corpus, len(labels), cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Train(corpus, len(labels), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Data, b.Data) {
			t.Errorf("threads=%d: two runs with the same seed differ", threads)
		}
		if acc := knnAccuracy(a, labels, 8); acc < 0.9 {
			t.Errorf("threads=%d: 7-NN accuracy %.3f, want >= 0.9", threads, acc)
		} else {
			t.Logf("threads=%d: 7-NN accuracy %.3f over %d words", threads, acc, len(corpus.Tokens))
		}
		if acc := knnAccuracy(StandardScale(a), labels, 8); acc < 0.9 {
			t.Errorf("threads=%d: scaled 7-NN accuracy %.3f, want >= 0.9", threads, acc)
		}
	}
	cfg.Seed++
	c, _ := Train(corpus, len(labels), cfg)
	d, _ := Train(corpus, len(labels), DarkVec())
	if slices.Equal(c.Data[:50], d.Data[:50]) {
		t.Error("another seed gives the same vectors")
	}
}

func TestTrainErrors(t *testing.T) {
	c := &Corpus{}
	c.Add(0, 1, 5)
	if _, err := Train(c, 3, DarkVec()); err == nil || err.Error() != "word2vec: token 5 at position 2 out of range [0, 3)" {
		t.Errorf("err = %v", err)
	}
	cfg := DarkVec()
	cfg.Window = 0
	if _, err := Train(c, 6, cfg); err == nil {
		t.Error("window 0 accepted")
	}
}

func BenchmarkTrain(b *testing.B) {
	corpus, labels := telescope(1, 8, 200, 400, 48, 12)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			cfg := DarkVec()
			cfg.Threads = threads
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Train(corpus, len(labels), cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(corpus.Tokens))*float64(b.N)/b.Elapsed().Seconds(), "words/s")
		})
	}
}

func BenchmarkNeighbors(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := NewMatrix(4000, 200)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	q := make([]int, m.Rows)
	for i := range q {
		q[i] = i
	}
	b.ReportAllocs()
	for b.Loop() {
		Neighbors(m, q, 7, 2)
	}
}
