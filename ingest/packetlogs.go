package ingest

import (
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"sync/atomic"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// Batches of packets rows read from logs of packets, in flight to their
// writer.
const (
	logBatchRows = 16 << 10
	logBatches   = 8
)

// packetLogFormats are the formats (see input.Sniff) of logs of packets:
// their rows go to packets, as a capture's, but need no decoding.
var packetLogFormats = []string{"darknet"}

// splitPacketLogs takes the logs of packets out of the inputs todo that
// are not captures, by the format splitInputs recorded.
func splitPacketLogs(results []FileResult, todo []int) (rest, logs []int) {
	for _, i := range todo {
		if slices.Contains(packetLogFormats, results[i].Format) {
			logs = append(logs, i)
		} else {
			rest = append(rest, i)
		}
	}
	return rest, logs
}

// runPacketLogs reads the logs of packets todo one after the other, in the
// order given, and writes their rows to packets, each naming its input,
// with the gaps between the packets of each address as for captures (see
// gapTracker), across the files. A bad row ends its file (the rows before
// it are kept) unless cfg.SkipBad. Their errors are in results; the
// returned error is one of writing, or ctx's.
func runPacketLogs(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats) error {
	pw, err := dataset.NewTableWriter(tx, schema.Packets, func(p *schema.Packet) int64 { return p.Ts })
	if err != nil {
		return err
	}
	packets := startRowWriter(pw, nil, logBatchRows, logBatches)
	var (
		pb        = packets.get()
		rows      atomic.Int64
		bytesRead atomic.Int64
		total     int64
		addrs     = input.NewAddrTable()
		gaps      = &addrGaps{stores: map[*rowBatch[schema.Packet]][]int64{}}
	)
	total = sizeOf(read, todo)
	stop := startProgress(cfg.Progress, func() Progress {
		return Progress{BytesRead: bytesRead.Load(), TotalBytes: total, Packets: rows.Load()}
	})
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		r := &results[i]
		rd, err := input.OpenPackets(ctx, read[i], r.Path, input.FlowOptions{BytesRead: &bytesRead}, addrs)
		if err != nil {
			r.Err = err
			continue
		}
		var n int64
		for {
			if n&1023 == 0 && ctx.Err() != nil {
				break
			}
			if len(pb.rows) == cap(pb.rows) {
				packets.send(pb)
				pb = packets.get()
			}
			pb.rows = pb.rows[:len(pb.rows)+1]
			p := &pb.rows[len(pb.rows)-1]
			err := rd.Next(p)
			if err != nil {
				pb.rows = pb.rows[:len(pb.rows)-1]
				if err == io.EOF {
					break
				}
				if r.skipped(err, cfg.SkipBad) {
					continue
				}
				r.Err = err
				break
			}
			p.Capture = r.ID
			src, dst := rd.AddrIDs()
			gaps.fill(pb, len(pb.rows)-1, addrs, src, dst)
			n++
			if n&1023 == 0 {
				rows.Add(1024)
			}
		}
		rows.Add(n & 1023)
		if cerr := rd.Close(); cerr != nil && r.Err == nil {
			r.Err = cerr
		}
		r.Frames = uint64(n)
		st.Packets += n
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	_, werr := packets.close(pb)
	stop()
	if err := ctx.Err(); err != nil {
		return errors.Join(err, werr)
	}
	return werr
}

// addrGaps is gapTracker for rows whose addresses come numbered (see
// input.AddrTable): the time of the last packet from and to each address
// is found by its id, with no lookup of its text.
type addrGaps struct {
	lastSrc, lastDst []int64 // by address id; noTime before the first packet
	gen              int     // generation of the table the ids are of
	// stores holds, per batch, the gaps its rows point to; a batch is
	// reused only once written.
	stores map[*rowBatch[schema.Packet]][]int64
	cur    *rowBatch[schema.Packet] // the batch of the last row, and its store
	store  []int64
}

// noTime marks an address not seen yet.
const noTime = math.MinInt64

// fill sets the gaps of row i of b, whose addresses have the ids src and
// dst (-1: none) in addrs.
func (g *addrGaps) fill(b *rowBatch[schema.Packet], i int, addrs *input.AddrTable, src, dst int32) {
	p := &b.rows[i]
	p.SrcGap, p.DstGap = nil, nil
	if p.IPVersion == 0 {
		return
	}
	if gen := addrs.Generation(); gen != g.gen { // the table started over
		g.gen, g.lastSrc, g.lastDst = gen, g.lastSrc[:0], g.lastDst[:0]
	}
	for n := addrs.Len(); len(g.lastSrc) < n; {
		g.lastSrc, g.lastDst = append(g.lastSrc, noTime), append(g.lastDst, noTime)
	}
	if b != g.cur {
		g.cur, g.store = b, g.stores[b]
		if g.store == nil {
			g.store = make([]int64, 2*cap(b.rows))
			g.stores[b] = g.store
		}
	}
	store := g.store
	if last := g.lastSrc[src]; last != noTime {
		store[2*i] = p.Ts - last
		p.SrcGap = &store[2*i]
	}
	g.lastSrc[src] = p.Ts
	if dst >= 0 {
		if last := g.lastDst[dst]; last != noTime {
			store[2*i+1] = p.Ts - last
			p.DstGap = &store[2*i+1]
		}
		g.lastDst[dst] = p.Ts
	}
}
