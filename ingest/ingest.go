// Package ingest runs the hot path: it reads captures, decodes every frame,
// assembles flows and writes both tables into one dataset transaction.
//
// Reading, decoding and flow assembly run on one goroutine; Parquet writing of
// packets and of flows run on two more, so a two-core machine is kept busy.
// Memory is bounded by the batches in flight and the live flows.
//
// ingest must not import engine, analysis, chart, report or cli.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// batchRows is the number of rows handed to a writer at once.
const batchRows = 16 << 10

// Config holds the parameters of an ingest.
type Config struct {
	Flow    flow.Config
	Force   bool   // ingest inputs again that the dataset already holds
	Version string // netlens version recorded in the manifest
	// Progress, when set, is called about five times a second and once at the end.
	Progress func(Progress)
	// FileDone, when set, is called once per input when it is finished or skipped.
	FileDone func(FileResult)
}

// DefaultConfig returns the default ingest parameters.
func DefaultConfig() Config { return Config{Flow: flow.DefaultConfig()} }

// Progress is a snapshot of a running ingest.
type Progress struct {
	BytesRead, TotalBytes int64
	Packets               int64
	Elapsed               time.Duration
}

// FileResult is the outcome for one input.
type FileResult struct {
	Path    string
	ID      string // capture id: first 16 hex digits of the sha256
	SHA256  string
	Size    int64
	Frames  uint64
	Skipped bool  // already in the dataset
	Err     error // why reading stopped early, if it did
}

// Stats summarises an ingest.
type Stats struct {
	Files       []FileResult
	Packets     int64 // rows written to packets
	Flows       int64 // rows written to flows
	DNS         int64 // rows written to dns
	UnknownLink int64 // frames of link types netlens does not decode (kept as rows, without IP fields)
	Malformed   int64 // frames with a cut or inconsistent header (kept with the fields before the fault)
	LinkTypes   map[uint16]int64
	Elapsed     time.Duration
}

// Failed returns the inputs whose reading stopped early.
func (s *Stats) Failed() []FileResult {
	var out []FileResult
	for _, f := range s.Files {
		if f.Err != nil {
			out = append(out, f)
		}
	}
	return out
}

// ErrInterrupted is returned when the context is cancelled: nothing is committed.
var ErrInterrupted = errors.New("ingest interrupted: dataset left unchanged")

// Run ingests the captures at paths into ds in one transaction. Inputs already
// in ds (same sha256) are skipped unless cfg.Force. Inputs that turn out to be
// corrupt or cut keep the frames read before the fault; their errors are in
// Stats.Files and the returned Stats is complete. Run returns an error only
// when nothing could be committed.
func Run(ctx context.Context, ds *dataset.Dataset, paths []string, cfg Config) (*Stats, error) {
	if err := cfg.Flow.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	st := &Stats{LinkTypes: map[uint16]int64{}}

	results, err := hashAll(ctx, paths)
	if err != nil {
		return nil, err
	}
	tx, err := ds.Begin(cfg.Version, params(cfg))
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Abort()
		}
	}()

	var todo []int // indexes into results of the inputs to read
	seen := map[string]bool{}
	for i := range results {
		r := &results[i]
		if _, ok := ds.HasInput(r.SHA256); (ok && !cfg.Force) || seen[r.SHA256] {
			r.Skipped = true
			continue
		} else if ok {
			if err := tx.RemoveInput(r.ID); err != nil {
				return nil, fmt.Errorf("replace %s: %w", r.Path, err)
			}
		}
		seen[r.SHA256] = true
		todo = append(todo, i)
	}

	if len(todo) > 0 {
		if err := run(ctx, tx, results, todo, cfg, st); err != nil {
			return nil, err
		}
	}
	for _, r := range results {
		if r.Skipped {
			if cfg.FileDone != nil {
				cfg.FileDone(r)
			}
			continue
		}
		in := dataset.Input{ID: r.ID, Name: filepath.Base(r.Path), Path: r.Path, SHA256: r.SHA256, Size: r.Size, Frames: r.Frames}
		if r.Err != nil {
			in.Error = r.Err.Error()
		}
		tx.AddInput(in)
	}
	st.Files = results
	if err := ctx.Err(); err != nil {
		return nil, ErrInterrupted
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed = true
	st.Elapsed = time.Since(start)
	return st, nil
}

// run is the pipeline over the inputs in todo.
func run(ctx context.Context, tx *dataset.Txn, results []FileResult, todo []int, cfg Config, st *Stats) error {
	paths := make([]string, len(todo))
	ids := make([]string, len(todo))
	for k, i := range todo {
		paths[k], ids[k] = results[i].Path, results[i].ID
	}
	src, err := input.NewSource(paths)
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

	// Batches travel decode -> writer -> free list, so at most a few exist.
	packetsQ := make(chan []schema.Packet, 2)
	flowsQ := make(chan []schema.Flow, 2)
	dnsQ := make(chan []schema.DNS, 2)
	freePackets := make(chan []schema.Packet, 4)
	for range cap(freePackets) {
		freePackets <- make([]schema.Packet, 0, batchRows)
	}

	var werr [3]error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for b := range packetsQ {
			if werr[0] == nil {
				werr[0] = pw.Write(b)
			}
			freePackets <- b[:0]
		}
		if err := pw.Close(); werr[0] == nil {
			werr[0] = err
		}
	}()
	go func() {
		defer wg.Done()
		for b := range flowsQ {
			if werr[1] == nil {
				werr[1] = fw.Write(b)
			}
		}
		if err := fw.Close(); werr[1] == nil {
			werr[1] = err
		}
	}()
	go func() {
		defer wg.Done()
		for b := range dnsQ {
			if werr[2] == nil {
				werr[2] = dw.Write(b)
			}
		}
		if err := dw.Close(); werr[2] == nil {
			werr[2] = err
		}
	}()

	var packets atomic.Int64
	stopProgress := startProgress(cfg.Progress, src, &packets)

	names := newNamer()
	dnsRows := make([]schema.DNS, 0, 1024)
	flows := make([]schema.Flow, 0, batchRows)
	var nflows int64
	asm := flow.New(cfg.Flow, int64(tx.ID())<<40+1, func(f *schema.Flow) {
		flows = append(flows, *f)
		flows[len(flows)-1].Name = names.flowName(f)
		if len(flows) == cap(flows) {
			flowsQ <- flows
			flows = make([]schema.Flow, 0, batchRows)
		}
		nflows++
	})
	dec := decode.New()
	var (
		frame input.Frame
		meta  decode.Meta
		batch = <-freePackets
		n     int64
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
			return err // Source reports per-file faults through Files; this is fatal
		}
		batch = append(batch, schema.Packet{})
		p := &batch[len(batch)-1]
		p.Ts, p.Capture, p.Frame, p.LinkType = frame.Ts, ids[file], frame.Index, frame.LinkType
		p.WireLen, p.CapLen = frame.WireLen, frame.CapLen
		dec.Decode(frame.LinkType, frame.Data, p, &meta)
		switch meta.Status {
		case decode.UnknownLink:
			st.UnknownLink++
		case decode.Malformed:
			st.Malformed++
		}
		st.LinkTypes[frame.LinkType]++
		asm.Add(p, &meta)
		if dnsRows = names.packet(p, &meta, dnsRows); len(dnsRows) >= cap(dnsRows) {
			st.DNS += int64(len(dnsRows))
			dnsQ <- dnsRows
			dnsRows = make([]schema.DNS, 0, 1024)
		}
		n++
		if len(batch) == cap(batch) {
			packets.Store(n)
			packetsQ <- batch
			batch = <-freePackets
		}
	}
	asm.Flush()
	if len(batch) > 0 {
		packetsQ <- batch
	}
	if len(flows) > 0 {
		flowsQ <- flows
	}
	if len(dnsRows) > 0 {
		st.DNS += int64(len(dnsRows))
		dnsQ <- dnsRows
	}
	close(packetsQ)
	close(flowsQ)
	close(dnsQ)
	wg.Wait()
	packets.Store(n)
	stopProgress()

	for k, fs := range src.Files() {
		r := &results[todo[k]]
		r.Frames, r.Err = fs.Frames, fs.Err
		if cfg.FileDone != nil {
			cfg.FileDone(*r)
		}
	}
	st.Packets, st.Flows = n, nflows
	return errors.Join(werr[:]...)
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

// hashAll computes the sha256 and size of every input, two at a time.
func hashAll(ctx context.Context, paths []string) ([]FileResult, error) {
	res := make([]FileResult, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, max(1, min(2, runtime.NumCPU())))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sum, size, err := hashFile(ctx, p)
			res[i] = FileResult{Path: p, SHA256: sum, Size: size}
			if len(sum) >= 16 {
				res[i].ID = sum[:16]
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var size int64
	for {
		if ctx.Err() != nil {
			return "", 0, ErrInterrupted
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("hash %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// params records the ingest parameters in the manifest.
func params(cfg Config) map[string]string {
	c := cfg.Flow
	m := map[string]string{
		"idle_tcp":    c.IdleTCP.String(),
		"idle_udp":    c.IdleUDP.String(),
		"idle_other":  c.IdleOther.String(),
		"active":      c.Active.String(),
		"close_delay": c.CloseDelay.String(),
		"force":       strconv.FormatBool(cfg.Force),
	}
	for i, p := range c.LocalNets {
		m["local_net."+strconv.Itoa(i)] = p.String()
	}
	if len(c.Users) > 0 {
		m["users"] = strconv.Itoa(len(c.Users))
	}
	return m
}
