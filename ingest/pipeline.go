package ingest

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// Batches in flight between the goroutines of the pipeline. Packet batches
// are small, so that rows the hot goroutine writes are still in a cache when
// the packets writer reads them; a dozen or so let decoding run ahead while
// the writer ends a row group (more measured no faster, and cost memory).
const (
	packetBatchRows = 4 << 10 // rows of a packets batch (640 KiB)
	packetBatches   = 16      // packets batches in flight
	dnsBatches      = 32      // dns batches in flight
	sideBatches     = 8       // side batches in flight
)

// run is the pipeline over the inputs in todo, each read from its path in
// read (a stream from its copy). The calling goroutine reads,
// decodes and assembles flows; one goroutine writes packets; the side
// goroutine names flows and writes flows, and hands dns rows to one more
// that writes them; the inputs not hashed yet are hashed by another.
func run(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats) error {
	ctx, cancel := context.WithCancel(ctx)
	hashing := startHashing(ctx, results, todo)
	defer func() {
		cancel()
		_ = hashing.wait()
	}()

	paths := make([]string, len(todo))
	names := make([]string, len(todo))
	ids := make([]string, len(todo)) // capture id of each input of the source
	for k, i := range todo {
		paths[k], names[k], ids[k] = read[i], results[i].Path, results[i].ID
	}
	src, err := input.NewSource(ctx, paths, names)
	if err != nil {
		return err
	}
	defer src.Close()
	pw, err := dataset.NewTableWriter(tx, schema.Packets, func(p *schema.Packet) int64 { return p.Ts })
	if err != nil {
		return err
	}
	fw, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		return err
	}
	dw, err := dataset.NewTableWriter(tx, schema.DNSLog, func(d *schema.DNS) int64 { return d.Ts })
	if err != nil {
		return err
	}

	packets := startRowWriter(pw, newGapTracker().fill, packetBatchRows, packetBatches)
	dns := startRowWriter(dw, nil, dnsBatchRows, dnsBatches)
	sideQ := make(chan *sideBatch, sideBatches)
	sidePool := newPool(sideBatches, newSideBatch)
	var (
		sideDone         = make(chan struct{})
		nflows, ndns     int64
		sideErr, readErr error
	)
	nm := newNamer()
	go func() {
		defer close(sideDone)
		s := &side{names: nm, ids: ids, flows: fw, dns: dns}
		nflows, ndns, sideErr = s.run(sideQ, sidePool)
	}()

	var progress atomic.Int64
	stopProgress := startProgress(cfg.Progress, src, &progress)

	sb := sidePool.get()
	handOver := func() {
		if sb.full() {
			sideQ <- sb
			sb = sidePool.get()
		}
	}
	asm := flow.New(cfg.Flow, int64(tx.ID())<<40+1, func(f *schema.Flow) {
		sb.flow(f)
		handOver()
	})
	var (
		dec   = decode.New()
		frame input.Frame
		meta  decode.Meta
		pb    = packets.get()
		n     int64
		lt    uint16 // link type of the current run of frames
		ltRun int64  // frames in that run
	)
	for {
		if n&1023 == 0 && ctx.Err() != nil {
			break
		}
		file, err := src.Next(&frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err // Source reports per-file faults through Files; this is fatal
			break
		}
		if len(pb.rows) == cap(pb.rows) {
			progress.Store(n)
			packets.send(pb)
			pb = packets.get()
		}
		// Decode sets every field of a reused row but these.
		pb.rows = pb.rows[:len(pb.rows)+1]
		p := &pb.rows[len(pb.rows)-1]
		p.Ts, p.Capture, p.Frame, p.LinkType, p.WireLen, p.CapLen = frame.Ts, ids[file], frame.Index, frame.LinkType, frame.WireLen, frame.CapLen
		dec.Decode(frame.LinkType, frame.Data, p, &meta)
		switch meta.Status {
		case decode.UnknownLink:
			st.UnknownLink++
		case decode.Malformed:
			st.Malformed++
		}
		if frame.LinkType != lt {
			if ltRun > 0 {
				st.LinkTypes[lt] += ltRun
			}
			lt, ltRun = frame.LinkType, 0
		}
		ltRun++
		asm.Add(p, &meta)
		sb.packet(file, p, &meta)
		handOver()
		n++
	}
	asm.Flush()
	if ltRun > 0 {
		st.LinkTypes[lt] += ltRun
	}

	sideQ <- sb
	close(sideQ)
	<-sideDone
	st.DNSLongNames = nm.longNames
	_, packetsErr := packets.close(pb)
	progress.Store(n)
	stopProgress()
	hashErr := hashing.wait()

	for k, fs := range src.Files() {
		r := &results[todo[k]]
		r.Frames, r.Err = fs.Frames, fs.Err
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	st.Packets, st.Flows, st.DNS = n, nflows, ndns
	return errors.Join(readErr, hashErr, packetsErr, sideErr)
}

// startProgress calls report periodically until the returned stop is called.
func startProgress(report func(Progress), src *input.Source, packets *atomic.Int64) (stop func()) {
	if report == nil {
		return func() {}
	}
	start := time.Now()
	snap := func() Progress {
		return Progress{BytesRead: src.BytesRead(), TotalBytes: src.TotalBytes(), Packets: packets.Load(), Elapsed: time.Since(start)}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				report(snap())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		report(snap())
	}
}
