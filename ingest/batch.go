package ingest

import (
	"context"

	"github.com/netlens/netlens/dataset"
)

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
// them in flight; setCapture stores a capture id in a row, and prepare, when
// not nil, sees every batch, in order, just before it is written.
func startRowWriter[T any](ctx context.Context, tw *dataset.TableWriter[T], ids *captureIDs, setCapture func(*T, string), prepare func([]T), size, n int) *rowWriter[T] {
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
				if prepare != nil {
					prepare(b.rows)
				}
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
