package ingest

import "github.com/netlens/netlens/dataset"

// pool hands out at most cap(free) batches, making them as needed and
// reusing those put back. get is called by one goroutine only; put never
// blocks.
type pool[B any] struct {
	free  chan *B
	made  int
	alloc func() *B
}

func newPool[B any](n int, alloc func() *B) *pool[B] {
	return &pool[B]{free: make(chan *B, n), alloc: alloc}
}

// get returns a free batch, waiting for one when all are in use.
func (p *pool[B]) get() *B {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made < cap(p.free) {
		p.made++
		return p.alloc()
	}
	return <-p.free
}

// put gives b back.
func (p *pool[B]) put(b *B) { p.free <- b }

// rowBatch is a batch of rows of one table.
type rowBatch[T any] struct {
	rows []T
	// keys holds, for a batch of packets from captures, the v4Last keys of
	// each row's source and destination (see gapTracker.fill): the
	// decoder had their numbers, which the packets writer need not read
	// back from their texts. Other batches leave it empty.
	keys []uint64
}

// rowWriter writes batches of rows of one table on a goroutine of its own.
type rowWriter[T any] struct {
	*pool[rowBatch[T]]
	queue chan *rowBatch[T]
	done  chan struct{}
	rows  int64
	err   error
}

// startRowWriter starts writing to tw batches of size rows, at most n of
// them in flight; prepare, when not nil, sees every batch, in order, just
// before it is written.
func startRowWriter[T any](tw *dataset.TableWriter[T], prepare func(*rowBatch[T]), size, n int) *rowWriter[T] {
	w := &rowWriter[T]{
		pool:  newPool(n, func() *rowBatch[T] { return &rowBatch[T]{rows: make([]T, 0, size)} }),
		queue: make(chan *rowBatch[T], n),
		done:  make(chan struct{}),
	}
	go func() {
		defer close(w.done)
		for b := range w.queue {
			if w.err == nil {
				if prepare != nil {
					prepare(b)
				}
				w.err = tw.Write(b.rows)
				w.rows += int64(len(b.rows))
			}
			b.rows, b.keys = b.rows[:0], b.keys[:0]
			w.put(b)
		}
		if err := tw.Close(); w.err == nil {
			w.err = err
		}
	}()
	return w
}

// send queues b for writing; b must not be used afterwards.
func (w *rowWriter[T]) send(b *rowBatch[T]) { w.queue <- b }

// close writes b (which may be empty), waits for every batch to be written
// and closes the table writer. It returns the number of rows written.
func (w *rowWriter[T]) close(b *rowBatch[T]) (int64, error) {
	if len(b.rows) > 0 {
		w.send(b)
	}
	close(w.queue)
	<-w.done
	return w.rows, w.err
}
