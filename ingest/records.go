package ingest

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// Batches of flow rows read from records, in flight to their writer.
const (
	recordBatchRows = 8 << 10
	recordBatches   = 8
)

// MaxBadReasons is how many reasons of skipped rows FileResult.BadReasons
// keeps per input.
const MaxBadReasons = 5

// DefaultPairWindow is how far apart in time, by default, a unidirectional
// record and its reverse may lie for Config.Pair to merge them.
const DefaultPairWindow = time.Minute

// splitInputs sorts the inputs todo into captures and files of flow
// records, by their content (read[i] is where input i is read from), and
// records each one's format in results. An input whose format is not
// recognised goes with the captures, whose reader says what is wrong.
func splitInputs(ctx context.Context, results []FileResult, read []string, todo []int) (captures, records []int) {
	for _, i := range todo {
		fm, err := input.Sniff(ctx, read[i])
		if err == nil {
			results[i].Format, results[i].Table = fm.Name, fm.Table
			if fm.Table != schema.Packets.Name || slices.Contains(packetLogFormats, fm.Name) { // flow records, Bitcoin node logs, logs of packets
				records = append(records, i)
				continue
			}
		}
		captures = append(captures, i)
	}
	return captures, records
}

// runRecords reads the files of flow records todo (indexes into results,
// read from read[i]) one after the other and writes their rows to flows,
// numbering them from firstID. A bad row ends its file (the rows before it
// are kept) unless cfg.SkipBad; a file that cannot be read on ends there.
// Their errors are in results; the returned error is one of writing, or
// ctx's.
func runRecords(ctx context.Context, tx *dataset.Txn, results []FileResult, read []string, todo []int, cfg Config, st *Stats, firstID int64) error {
	fw, err := dataset.NewTableWriter(tx, schema.Flows, func(f *schema.Flow) int64 { return f.Start })
	if err != nil {
		return err
	}
	flows := startRowWriter(fw, nil, recordBatchRows, recordBatches)
	var (
		roles     = flow.NewRoles(cfg.Flow)
		fb        = flows.get()
		id        = firstID
		records   atomic.Int64
		bytesRead atomic.Int64
		total     int64
	)
	total = sizeOf(read, todo)
	stop := startProgress(cfg.Progress, func() Progress {
		return Progress{BytesRead: bytesRead.Load(), TotalBytes: total, Records: records.Load()}
	})
	// emit completes a flow and queues it for writing.
	emit := func(f *schema.Flow, a, b netip.Addr, g flow.Given) {
		roles.Complete(f, a, b, g)
		f.FlowID = id
		id++
		fb.rows = append(fb.rows, *f)
		if len(fb.rows) == cap(fb.rows) {
			flows.send(fb)
			fb = flows.get()
		}
	}
	var pairer *flow.Pairer
	if cfg.Pair {
		pairer = flow.NewPairer(cfg.PairWindow, emit)
	}
	var n int64
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		r := &results[i]
		n += readRecords(ctx, r, read[i], cfg, &bytesRead, func(rec *input.FlowRecord) {
			f := &rec.Flow
			if rec.Has&input.ICMPTypeCode != 0 && (f.Proto == 1 || f.Proto == 58) {
				f.APort, f.BPort, _ = flow.ICMPPorts(f.Proto, uint8(f.APort), uint8(f.BPort))
			}
			if pairer != nil && rec.Has&input.OneWay != 0 {
				pairer.Add(f, rec.AAddr, rec.BAddr, given(rec.Has))
				return
			}
			emit(f, rec.AAddr, rec.BAddr, given(rec.Has))
		}, &records)
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	if pairer != nil {
		pairer.Flush()
	}
	nflows, werr := flows.close(fb)
	stop()
	st.Records += n
	st.Flows += nflows
	if err := ctx.Err(); err != nil {
		return errors.Join(err, werr)
	}
	return werr
}

// readRecords reads the records of the input r from path, handing each to
// add, and returns how many it read. It sets r's Frames, Err and the bad
// rows it skipped.
func readRecords(ctx context.Context, r *FileResult, path string, cfg Config, bytesRead *atomic.Int64, add func(*input.FlowRecord), count *atomic.Int64) int64 {
	rd, err := input.OpenFlows(ctx, path, r.Path, input.FlowOptions{BytesRead: bytesRead, Columns: cfg.Columns})
	if err != nil {
		r.Err = err
		return 0
	}
	var (
		rec input.FlowRecord
		n   int64
	)
	for {
		if n&1023 == 0 {
			if ctx.Err() != nil {
				break
			}
		}
		err := rd.Next(&rec)
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
		add(&rec)
		n++
		if n&1023 == 0 {
			count.Add(1024)
		}
	}
	count.Add(n & 1023)
	if cerr := rd.Close(); cerr != nil && r.Err == nil {
		r.Err = cerr
	}
	r.Frames = uint64(n)
	return n
}

// given turns what a record gives into what flow.Roles.Complete needs.
func given(h input.Has) flow.Given {
	return flow.Given{
		State:    h&input.HasState != 0,
		ALocal:   h&input.HasALocal != 0,
		BLocal:   h&input.HasBLocal != 0,
		Service:  h&input.HasService != 0,
		Users:    h&input.HasUsers != 0,
		TCPFlags: h&input.HasTCPFlags != 0,
	}
}
