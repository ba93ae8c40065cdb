package ingest

import (
	"context"
	"sync"

	"github.com/netlens/netlens/dataset"
)

// pool hands out at most max batches, making them as needed and reusing
// those put back, the most recently put back first: its memory is the most
// likely to be in a cache.
type pool[B any] struct {
	mu    sync.Mutex
	freed sync.Cond // signalled when a batch is put back
	free  []*B
	made  int
	max   int
	alloc func() *B
}

func newPool[B any](max int, alloc func() *B) *pool[B] {
	p := &pool[B]{max: max, alloc: alloc}
	p.freed.L = &p.mu
	return p
}

// get returns a free batch, waiting for one when all are in use.
func (p *pool[B]) get() *B {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.free) == 0 && p.made == p.max {
		p.freed.Wait()
	}
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	p.made++
	return p.alloc()
}

// put gives b back.
func (p *pool[B]) put(b *B) {
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
	p.freed.Signal()
}

// rowBatch is a batch of rows of one table and the inputs they come from.
type rowBatch[T any] struct {
	rows []T
	runs []fileRun
}

// fileRun says that rows from start up to the next run's start come from
// input file.
type fileRun struct{ start, file int }

// from notes that the rows appended next come from input file.
func (b *rowBatch[T]) from(file int) {
	if n := len(b.runs); n == 0 || b.runs[n-1].file != file {
		b.runs = append(b.runs, fileRun{start: len(b.rows), file: file})
	}
}

// rowWriter writes batches of rows of one table on a goroutine of its own.
// Rows get the capture id of their input there, once it is known, so that
// decoding need not wait for the hash of an input.
type rowWriter[T any] struct {
	*pool[rowBatch[T]]
	queue chan *rowBatch[T]
	done  chan struct{}
	rows  int64
	err   error
}

// startRowWriter starts writing to tw batches of size rows, at most n of
// them in flight; setCapture stores a capture id in a row.
func startRowWriter[T any](ctx context.Context, tw *dataset.TableWriter[T], ids *captureIDs, setCapture func(*T, string), size, n int) *rowWriter[T] {
	w := &rowWriter[T]{
		pool:  newPool(n, func() *rowBatch[T] { return &rowBatch[T]{rows: make([]T, 0, size)} }),
		queue: make(chan *rowBatch[T], n),
		done:  make(chan struct{}),
	}
	go func() {
		defer close(w.done)
		for b := range w.queue {
			if w.err == nil {
				w.err = setCaptures(ctx, b, ids, setCapture)
			}
			if w.err == nil {
				w.err = tw.Write(b.rows)
				w.rows += int64(len(b.rows))
			}
			b.rows, b.runs = b.rows[:0], b.runs[:0]
			w.put(b)
		}
		if err := tw.Close(); w.err == nil {
			w.err = err
		}
	}()
	return w
}

// setCaptures gives every row of b the capture id of its input.
func setCaptures[T any](ctx context.Context, b *rowBatch[T], ids *captureIDs, set func(*T, string)) error {
	for i, r := range b.runs {
		end := len(b.rows)
		if i+1 < len(b.runs) {
			end = b.runs[i+1].start
		}
		id, err := ids.id(ctx, r.file)
		if err != nil {
			return err
		}
		for j := r.start; j < end; j++ {
			set(&b.rows[j], id)
		}
	}
	return nil
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
