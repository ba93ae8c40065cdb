package ingest

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// Batches of peer_messages rows in flight to their writer.
const (
	peerBatchRows = 16 << 10
	peerBatches   = 4
)

// splitPeers takes the Bitcoin node logs out of the inputs todo that are
// not captures, by the format splitInputs recorded.
func splitPeers(results []FileResult, todo []int) (records, peers []int) {
	for _, i := range todo {
		if slices.Contains(peerFormats, results[i].Format) {
			peers = append(peers, i)
		} else {
			records = append(records, i)
		}
	}
	return records, peers
}

// peerFormats are the formats (see input.Sniff) of Bitcoin node logs.
var peerFormats = []string{"btclog", "btclog-conns"}

// runPeers reads the Bitcoin node logs todo one after the other and writes
// their rows to peer_messages and peer_conns, each row naming its input. A
// bad row ends its file (the rows before it are kept) unless cfg.SkipBad.
// Their errors are in results; the returned error is one of writing, or
// ctx's.
func runPeers(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats) error {
	mw, err := dataset.NewTableWriter(tx, schema.PeerMessages, func(m *schema.PeerMessage) int64 { return m.Ts })
	if err != nil {
		return err
	}
	cw, err := dataset.NewTableWriter(tx, schema.PeerConns, func(c *schema.PeerConn) int64 { return c.Loaded })
	if err != nil {
		return errors.Join(err, mw.Close())
	}
	msgs := startRowWriter(mw, nil, peerBatchRows, peerBatches)
	var (
		mb        = msgs.get()
		conns     []schema.PeerConn
		records   atomic.Int64
		bytesRead atomic.Int64
		total     int64
		loaded    = time.Now().UnixNano()
	)
	total = sizeOf(read, todo)
	stop := startProgress(cfg.Progress, func() Progress {
		return Progress{BytesRead: bytesRead.Load(), TotalBytes: total, Records: records.Load()}
	})
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		r := &results[i]
		rd, err := input.OpenPeers(ctx, read[i], r.Path, input.FlowOptions{BytesRead: &bytesRead})
		if err != nil {
			r.Err = err
			continue
		}
		var (
			row input.PeerRow
			n   int64
		)
		for {
			if n&1023 == 0 && ctx.Err() != nil {
				break
			}
			err := rd.Next(&row)
			if err == io.EOF {
				break
			}
			if err != nil {
				if r.skipped(err, cfg.SkipBad) {
					continue
				}
				r.Err = err
				break
			}
			n++
			if n&1023 == 0 {
				records.Add(1024)
			}
			if rd.Table() == schema.PeerConns.Name {
				row.Conn.Capture, row.Conn.Loaded = r.ID, loaded
				conns = append(conns, row.Conn)
				continue
			}
			row.Message.Capture = r.ID
			mb.rows = append(mb.rows, row.Message)
			if len(mb.rows) == cap(mb.rows) {
				msgs.send(mb)
				mb = msgs.get()
			}
		}
		records.Add(n & 1023)
		if cerr := rd.Close(); cerr != nil && r.Err == nil {
			r.Err = cerr
		}
		r.Frames = uint64(n)
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	nmsgs, werr := msgs.close(mb)
	stop()
	werr = errors.Join(werr, cw.Write(conns), cw.Close())
	st.PeerMessages += nmsgs
	if werr == nil {
		st.PeerConns += int64(len(conns))
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(err, werr)
	}
	return werr
}
