package input

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// FileStat is the outcome for one input of a Source.
type FileStat struct {
	Path   string
	Frames uint64 // frames returned from this file
	Err    error  // why the file stopped early (open error, *FormatError), nil if read to its end
}

// Source is a time-ordered stream of the frames of several captures.
//
// The merge compares the next frame of each file: a file whose frames go back
// in time is passed on in its own order, it is not sorted. Files are opened
// only when their first frame is due, so rotated captures, which do not
// overlap, keep one or two files open at a time.
//
// A file that fails (it cannot be opened, or is corrupt or cut) does not stop
// the others: its error is recorded in Files, the frames read before it stand
// and the merge goes on without it.
//
// A stream (see IsStream) is opened once, by NewSource, and read as it
// comes; it is not counted in TotalBytes.
type Source struct {
	ctx     context.Context
	paths   []string
	stats   []FileStat
	heap    memberHeap
	pending *member // member whose head frame was returned last
	read    atomic.Int64
	total   int64
	tees    map[int]io.Writer // see Tee
}

// member is one file taking part in the merge.
type member struct {
	idx  int    // index in the paths given to NewSource
	ts   int64  // timestamp of head, or of the first frame while not open
	r    Reader // nil until the file is opened
	head Frame
}

// memberHeap orders members by timestamp, then by file index.
type memberHeap []*member

func (h memberHeap) Len() int { return len(h) }
func (h memberHeap) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].idx < h[j].idx
}
func (h memberHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *memberHeap) Push(x any)   { *h = append(*h, x.(*member)) }
func (h *memberHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return m
}

// NewSource prepares the merge of the captures at paths. It reads the first
// frame of each file (opening and closing it again) to order them; files that
// fail there are recorded in Files and left out. A stream is opened here and
// stays open. names, if not nil, gives for each path the name that errors
// and Files use instead of it. Cancelling ctx ends the waits and reads of
// streams that block (see OpenContext). NewSource returns an error only when
// paths is empty or names does not match it.
func NewSource(ctx context.Context, paths, names []string) (*Source, error) {
	if len(paths) == 0 {
		return nil, errors.New("new source: no input files")
	}
	if names == nil {
		names = paths
	}
	if len(names) != len(paths) {
		return nil, fmt.Errorf("new source: %d names for %d paths", len(names), len(paths))
	}
	s := &Source{ctx: ctx, paths: paths, stats: make([]FileStat, len(paths))}
	for i, p := range paths {
		s.stats[i].Path = names[i]
		if IsStream(p) {
			s.openStream(i)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			s.stats[i].Err = fmt.Errorf("open capture: %w", err)
			continue
		}
		s.total += st.Size()
		ts, ok, err := firstTimestamp(ctx, p, names[i])
		if err != nil {
			s.stats[i].Err = err
			continue
		}
		if ok {
			s.heap = append(s.heap, &member{idx: i, ts: ts})
		}
	}
	heap.Init(&s.heap)
	return s, nil
}

// openStream opens the stream of input i, which can be read only once, and
// reads its first frame: it joins the merge open.
func (s *Source) openStream(i int) {
	r, err := open(s.ctx, s.paths[i], s.stats[i].Path, &s.read, nil)
	if err != nil {
		s.stats[i].Err = err
		return
	}
	m := &member{idx: i, r: r}
	if err := r.Next(&m.head); err != nil {
		if err == io.EOF {
			err = nil
		}
		s.stats[i].Err = errors.Join(err, r.Close())
		return
	}
	m.ts = m.head.Ts
	s.heap = append(s.heap, m)
}

// firstTimestamp returns the timestamp of the first frame of the capture at
// path; ok is false for a capture without frames.
func firstTimestamp(ctx context.Context, path, name string) (ts int64, ok bool, err error) {
	r, err := open(ctx, path, name, nil, nil)
	if err != nil {
		return 0, false, err
	}
	var f Frame
	err = r.Next(&f)
	cerr := r.Close()
	switch {
	case err == io.EOF:
		return 0, false, cerr
	case err != nil:
		return 0, false, err
	}
	return f.Ts, true, nil
}

// Next reads the next frame in time order into f and returns the index (in
// the paths given to NewSource) of the file it comes from. f.Data is valid
// until the next call. Next returns io.EOF when every file is done; errors
// of single files are in Files, not returned here.
func (s *Source) Next(f *Frame) (file int, err error) {
	if m := s.pending; m != nil {
		s.pending = nil
		s.advance(m)
	}
	for len(s.heap) > 0 {
		m := s.heap[0]
		if m.r == nil {
			if !s.open(m) {
				continue
			}
			if len(s.heap) > 1 {
				heap.Fix(&s.heap, 0)
				if s.heap[0] != m {
					continue
				}
			}
		}
		*f = m.head
		s.stats[m.idx].Frames++
		s.pending = m
		return m.idx, nil
	}
	return -1, io.EOF
}

// open opens the file of m, which is at the top of the heap, and reads its
// first frame. On failure it records the error, drops m and returns false.
func (s *Source) open(m *member) bool {
	r, err := open(s.ctx, s.paths[m.idx], s.stats[m.idx].Path, &s.read, s.tees[m.idx])
	if err != nil {
		s.stats[m.idx].Err = err
		heap.Pop(&s.heap)
		return false
	}
	m.r = r
	if err := r.Next(&m.head); err != nil {
		s.drop(m, err)
		return false
	}
	m.ts = m.head.Ts
	return true
}

// advance reads the next frame of m, which is at the top of the heap, and
// restores the heap order; at the end of the file or on error it closes the
// file and drops m.
func (s *Source) advance(m *member) {
	if err := m.r.Next(&m.head); err != nil {
		s.drop(m, err)
		return
	}
	if m.head.Ts != m.ts {
		m.ts = m.head.Ts
		if len(s.heap) > 1 {
			heap.Fix(&s.heap, 0)
		}
	}
}

// drop closes m's file, records err unless it is io.EOF, and removes m from
// the top of the heap.
func (s *Source) drop(m *member, err error) {
	cerr := m.r.Close()
	m.r = nil
	if err == io.EOF {
		err = nil
	}
	if err = errors.Join(err, cerr); err != nil {
		s.stats[m.idx].Err = err
	}
	heap.Pop(&s.heap)
}

// Tee has the bytes of the file of input i (an index into the paths given
// to NewSource) written to w as Next reads them, in order: all of the file
// when it is read to its end, without the first look NewSource takes at
// it. A stream, opened by NewSource, is not teed. An error of w ends the
// file as a read error would. Call Tee before the first Next.
func (s *Source) Tee(i int, w io.Writer) {
	if s.tees == nil {
		s.tees = map[int]io.Writer{}
	}
	s.tees[i] = w
}

// Files returns, for each path given to NewSource and in that order, the
// frames returned so far and the error that stopped the file, if any. It must
// not be called concurrently with Next.
func (s *Source) Files() []FileStat {
	return append([]FileStat(nil), s.stats...)
}

// BytesRead returns the bytes read from disk so far (compressed sizes),
// summed over the files, not counting the first look that NewSource takes at
// each file. It is safe to call from another goroutine while Next runs.
func (s *Source) BytesRead() int64 { return s.read.Load() }

// TotalBytes returns the sum of the sizes of the files, streams left out.
func (s *Source) TotalBytes() int64 { return s.total }

// Close closes the files still open. Next returns io.EOF after Close.
func (s *Source) Close() error {
	var errs []error
	for _, m := range s.heap {
		if m.r != nil {
			if err := m.r.Close(); err != nil {
				errs = append(errs, err)
			}
			m.r = nil
		}
	}
	s.heap = nil
	s.pending = nil
	return errors.Join(errs...)
}
