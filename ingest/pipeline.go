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

// runAll reads the inputs todo (indexes into results), each from its path
// in read (a stream from its copy): the captures through the pipeline of
// run, then the files of flow records (see runRecords), whose flows are
// numbered after the captures'. The inputs not hashed yet are hashed on a
// goroutine of their own meanwhile.
func runAll(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats) error {
	ctx, cancel := context.WithCancel(ctx)
	captures, records := splitInputs(ctx, results, read, todo)
	hashing := startHashing(ctx, results, append(append([]int(nil), captures...), records...), captures)
	defer func() {
		cancel()
		_ = hashing.wait()
	}()
	next := int64(tx.ID())<<40 + 1
	var err error
	if len(captures) > 0 {
		next, err = run(ctx, tx, results, read, captures, cfg, st, next, hashing)
	}
	records, peers := splitPeers(results, records)
	records, logs := splitPacketLogs(results, records)
	if err == nil && len(records) > 0 {
		err = runRecords(ctx, tx, results, read, records, cfg, st, next)
	}
	if err == nil && len(peers) > 0 {
		err = runPeers(ctx, tx, results, read, peers, cfg, st)
	}
	if err == nil && len(logs) > 0 {
		err = runPacketLogs(ctx, tx, results, read, logs, cfg, st)
	}
	return errors.Join(err, hashing.wait())
}

// run is the pipeline over the captures in todo, each read from its path
// in read, with flows numbered from firstID; it returns the id after the
// last flow. The calling goroutine reads, decodes and assembles flows; one
// goroutine writes packets; the side goroutine makes the rows of the
// finished flows, names them and writes them, and hands dns rows to one
// more that writes them. The bytes read go to hashing's tees.
func run(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats, firstID int64, hashing *hasher) (int64, error) {
	paths := make([]string, len(todo))
	names := make([]string, len(todo))
	ids := make([]string, len(todo)) // capture id of each input of the source
	for k, i := range todo {
		paths[k], names[k], ids[k] = read[i], results[i].Path, results[i].ID
	}
	src, err := input.NewSource(ctx, paths, names)
	if err != nil {
		return firstID, err
	}
	defer src.Close()
	for k, i := range todo {
		if w := hashing.tee(i); w != nil {
			src.Tee(k, w)
		}
	}
	pw, err := dataset.NewTableWriter(tx, schema.Packets, func(p *schema.Packet) int64 { return p.Ts })
	if err != nil {
		return firstID, err
	}
	fw, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		return firstID, err
	}
	dw, err := dataset.NewTableWriter(tx, schema.DNSLog, func(d *schema.DNS) int64 { return d.Ts })
	if err != nil {
		return firstID, err
	}

	gaps := newGapTracker(src.TotalBytes())
	packets := startRowWriter(pw, func(b *rowBatch[schema.Packet]) { gaps.fill(b.rows, b.keys) }, packetBatchRows, packetBatches)
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
		s := &side{maker: flow.NewRowMaker(cfg.Flow), names: nm, ids: ids, flows: fw, dns: dns}
		nflows, ndns, sideErr = s.run(sideQ, sidePool)
	}()

	var progress atomic.Int64
	stopProgress := startProgress(cfg.Progress, func() Progress {
		return Progress{BytesRead: src.BytesRead(), TotalBytes: src.TotalBytes(), Packets: progress.Load()}
	})

	sb := sidePool.get()
	// endRows, once the input has ended, makes the rows of the batches'
	// flows before they are handed over: the side goroutine alone would
	// otherwise make and write the rows of every flow still live (on a
	// scan, a million or more) while this goroutine waits for it.
	var endRows *flow.RowMaker
	handOver := func() {
		if sb.full() {
			sb.makeRows(endRows)
			sideQ <- sb
			sb = sidePool.get()
		}
	}
	asm := flow.NewFinished(cfg.Flow, firstID, func(f *flow.Finished) {
		sb.flow(f)
		handOver()
	})
	peers := newP2P(tx, cfg)
	var (
		dec   = decode.New()
		frame input.Frame
		meta  decode.Meta
		pb    = packets.get()
		n     int64
		lt    uint16 // link type of the current run of frames
		ltRun int64  // frames in that run
	)
	// The texts of IPv4 addresses are made by the packets writer (see
	// gapTracker.fill), from the numbers beside the rows: on a scan, this
	// goroutine is the one the others wait for.
	dec.NoV4Texts = true
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
		if cap(pb.keys) == 0 {
			pb.keys = make([]uint64, 0, 2*cap(pb.rows))
		}
		pb.keys = pb.keys[:2*len(pb.rows)]
		k := pb.keys[len(pb.keys)-2:]
		k[0], k[1] = 0, 0
		if p.IPVersion == 4 {
			k[0], k[1] = v4Key(meta.Src), v4Key(meta.Dst)
		}
		asm.Add(p, &meta)
		peers.add(ids[file], p, &meta)
		sb.packet(file, p, &meta, dec)
		handOver()
		n++
	}
	// The packets writer ends its last row group and its file while the
	// live flows are flushed.
	var packetsErr error
	packetsDone := make(chan struct{})
	go func() {
		defer close(packetsDone)
		_, packetsErr = packets.close(pb)
	}()
	endRows = flow.NewRowMaker(cfg.Flow)
	asm.Flush()
	npeerMsgs, npeerConns, peersErr := peers.close()
	if ltRun > 0 {
		st.LinkTypes[lt] += ltRun
	}

	sb.makeRows(endRows)
	sideQ <- sb
	close(sideQ)
	<-sideDone
	st.DNSLongNames = nm.longNames
	<-packetsDone
	progress.Store(n)
	stopProgress()

	for k, fs := range src.Files() {
		r := &results[todo[k]]
		r.Frames, r.Err = fs.Frames, fs.Err
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	st.Packets, st.Flows, st.DNS = n, nflows, ndns
	st.FlowsEvicted += asm.Evicted()
	st.PeerMessages += npeerMsgs
	st.PeerConns += npeerConns
	return asm.NextID(), errors.Join(readErr, packetsErr, sideErr, peersErr)
}

// startProgress calls report with what snap returns, about five times a
// second and once more when the returned stop is called.
func startProgress(report func(Progress), snap func() Progress) (stop func()) {
	if report == nil {
		return func() {}
	}
	start := time.Now()
	take := func() Progress {
		p := snap()
		p.Elapsed = time.Since(start)
		return p
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
				report(take())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		report(take())
	}
}
