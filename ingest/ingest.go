// Package ingest runs the hot path: it reads captures, decodes every frame,
// assembles flows, learns names, and writes the packets, flows and dns tables
// into one dataset transaction.
//
// Reading, decoding and flow assembly run on one goroutine, the hot one.
// Writing packets runs on another; making the rows of finished flows (the
// hot goroutine hands over their counters only), naming them from DNS
// answers, TLS SNI and HTTP Host, and writing flows and dns, on a third
// (with dns rows encoded on a fourth). Inputs that cannot be duplicates of others are hashed while
// they are read; no row waits for that hash, since the capture id is a
// fingerprint of the file known before (see dataset.Fingerprint). Memory is
// bounded by the batches in flight, the live flows and the name tables.
//
// ingest must not import engine, analysis, chart, report or cli.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// Config holds the parameters of an ingest.
type Config struct {
	Flow    flow.Config
	Force   bool   // ingest inputs again that the dataset already holds
	Version string // netlens version recorded in the manifest
	// NoCopy reads streams as they come instead of copying them first (see
	// spool): no disk for a copy, a stream- capture id, and a stream whose
	// bytes the dataset holds already found at its end, failing the ingest.
	NoCopy bool
	// Progress, when set, is called about five times a second and once at the end.
	Progress func(Progress)
	// FileDone, when set, is called once per input when it is finished or skipped.
	FileDone func(FileResult)
	// Ignored lists the entries of input directories that are not read
	// (see input.ExpandAll); Run passes them on in Stats.Ignored.
	Ignored []input.Skipped
	// SkipBad goes on after a bad row of a file of flow records (counted
	// in FileResult.BadRows) instead of ending the file there.
	SkipBad bool
	// Pair merges each unidirectional flow record (NetFlow) with its
	// reverse when they lie within PairWindow of each other (default
	// DefaultPairWindow); see flow.Pairer.
	Pair       bool
	PairWindow time.Duration
	// Columns maps flows columns to the columns of CSV and Parquet files
	// of flow records in layouts netlens does not know (see
	// input.ParseColumns).
	Columns map[string]string
	// BeforeCommit, when set, is called within the ingest's transaction
	// once the inputs are read, to write more with them in the same
	// commit: the users given at ingest time, say. An error aborts the
	// ingest.
	BeforeCommit func(*dataset.Txn) error
	// Node is the Bitcoin node whose P2P messages are decoded from the
	// captures into peer_messages: its address, and with a port (the one it
	// listens on) one node among several on that address, which is also
	// the name of that node's dialling endpoints when no listener there
	// announced their user agent. When invalid, every endpoint of a
	// Bitcoin connection that is local (not globally routable, or in
	// Flow.LocalNets) is a node, and both are when neither is (a capture
	// at a router).
	Node netip.AddrPort
}

// DefaultConfig returns the default ingest parameters.
func DefaultConfig() Config { return Config{Flow: flow.DefaultConfig()} }

// Progress is a snapshot of a running ingest: of its captures, then of its
// files of flow records.
type Progress struct {
	BytesRead, TotalBytes int64
	Packets               int64
	Records               int64 // flow records read
	Elapsed               time.Duration
}

// FileResult is the outcome for one input.
type FileResult struct {
	Path    string
	ID      string // capture id (see dataset.Fingerprint); for a skipped input, the id it already has
	SHA256  string
	Size    int64
	Format  string // pcap, pcapng, zeek-tsv, ... (see input.Sniff); "" when not recognised or not read
	Table   string // the table its rows go to (see input.Sniff); "" when not recognised or not read
	Frames  uint64 // frames of a capture, records of a file of flow records
	Skipped bool   // already in the dataset
	// Replaces is set when the dataset held an earlier, shorter state of
	// this file (it grew since: a capture still being written): that
	// input's rows are replaced by the whole file's in the same commit.
	Replaces *dataset.Input
	Err      error // why reading stopped early, if it did
	// BadRows counts the rows of a file of flow records skipped as bad
	// (Config.SkipBad); BadReasons says why, for the first MaxBadReasons.
	BadRows    int64
	BadReasons []string
}

// Records reports whether r is a file of flow records.
func (r FileResult) Records() bool { return r.Table == schema.Flows.Name }

// Stats summarises an ingest.
type Stats struct {
	Files       []FileResult
	Packets     int64 // rows written to packets
	Records     int64 // flow records read from files of flow records
	Flows       int64 // rows written to flows: assembled from packets, and from records
	DNS         int64 // rows written to dns
	UnknownLink int64 // frames of link types netlens does not decode (kept as rows, without IP fields)
	Malformed   int64 // frames with a cut or inconsistent header (kept with the fields before the fault)
	// DNSLongNames counts the DNS messages with a name longer than 255
	// bytes: the records from that name on are not in dns.
	DNSLongNames int64
	// FlowsEvicted counts the flows ended early, before their timeouts,
	// because the live flows filled their memory budget (flow.Config.Memory).
	FlowsEvicted int64
	LinkTypes    map[uint16]int64
	Ignored      []input.Skipped // entries of input directories not read, and why
	Elapsed      time.Duration
	// PeerMessages and PeerConns count the rows written to peer_messages
	// and peer_conns, from Bitcoin node logs.
	PeerMessages, PeerConns int64
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
// in ds (same sha256) are skipped unless cfg.Force. A stream (standard input
// "-", a FIFO, a device: see input.IsStream) is copied into the dataset
// directory as it comes, then read like a file, or with cfg.NoCopy read
// as it comes (see spool). Inputs that turn out to be corrupt or cut keep
// the frames read before the fault; their errors are in Stats.Files and the
// returned Stats is complete. Run returns an error only when nothing could
// be committed.
func Run(ctx context.Context, ds *dataset.Dataset, paths []string, cfg Config) (*Stats, error) {
	if err := cfg.Flow.Validate(); err != nil {
		return nil, err
	}
	if cfg.PairWindow <= 0 {
		cfg.PairWindow = DefaultPairWindow
	}
	start := time.Now()
	st := &Stats{LinkTypes: map[uint16]int64{}, Ignored: cfg.Ignored}

	// The lock first: a stream is read once, and must not be used up by an
	// ingest that then finds the dataset locked.
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

	// Streams are read once, into copies in the ingest's own temporary
	// directory (removed with it, even after a crash): see spool.
	sp, err := spoolStreams(ctx, tx.TempDir(), paths, cfg.NoCopy)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, err
	}
	defer sp.remove()

	// Only inputs that may be duplicates are hashed now; the others are
	// hashed while the pipeline reads them.
	results, fps, err := statInputs(ctx, ds, paths, sp)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, err
	}

	taken := map[string]bool{} // capture ids held by inputs
	for _, in := range ds.Manifest().Inputs {
		taken[in.ID] = true
	}
	var todo []int            // indexes into results of the inputs to read
	first := map[string]int{} // sha256 -> index of the input of this run with that content
	for i := range results {
		r := &results[i]
		if r.SHA256 == "" { // not hashed: no other input has its size
			todo = append(todo, i)
			continue
		}
		if _, ok := first[r.SHA256]; ok { // given twice: read once
			r.Skipped = true
			continue
		}
		in, ok := ds.HasInput(r.SHA256)
		if ok && !cfg.Force {
			r.Skipped, r.ID = true, in.ID
			continue
		}
		if ok {
			if err := tx.RemoveInput(in.ID); err != nil {
				return nil, fmt.Errorf("replace %s: %w", r.Path, err)
			}
			delete(taken, in.ID)
		}
		first[r.SHA256] = i
		todo = append(todo, i)
	}
	// A file that grew since an earlier ingest replaces its earlier state.
	inputs := ds.Manifest().Inputs
	for _, i := range todo {
		if _, stream := sp.sums[i]; stream {
			continue // read once: not a file that grows
		}
		old, ok, err := earlierState(ctx, inputs, &results[i])
		if err != nil {
			if ctx.Err() != nil {
				return nil, ErrInterrupted
			}
			return nil, err
		}
		if !ok || !taken[old.ID] {
			continue
		}
		if err := tx.RemoveInput(old.ID); err != nil {
			return nil, fmt.Errorf("replace %s: %w", results[i].Path, err)
		}
		delete(taken, old.ID)
		results[i].Replaces = &old
	}
	if err := assignIDs(ctx, results, fps, todo, taken); err != nil {
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, err
	}
	for i := range results {
		if r := &results[i]; r.Skipped && r.ID == "" {
			r.ID = results[first[r.SHA256]].ID
		}
	}

	if len(todo) > 0 {
		if err := runAll(ctx, tx, results, sp.read, todo, cfg, st); err != nil {
			if ctx.Err() != nil {
				return nil, ErrInterrupted
			}
			return nil, err
		}
	}
	if err := sp.finishStreams(ds, tx, results, cfg.Force); err != nil {
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, err
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
	if cfg.BeforeCommit != nil {
		if err := cfg.BeforeCommit(tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed = true
	st.Elapsed = time.Since(start)
	return st, nil
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
		"flow_memory": strconv.FormatInt(c.Memory, 10),
		"force":       strconv.FormatBool(cfg.Force),
	}
	if cfg.SkipBad {
		m["skip_bad"] = "true"
	}
	if cfg.Pair {
		m["pair_window"] = cfg.PairWindow.String()
	}
	for to, from := range cfg.Columns {
		m["columns."+to] = from
	}
	if cfg.Node.IsValid() {
		m["node"] = NodeString(cfg.Node)
	}
	for i, p := range c.LocalNets {
		m["local_net."+strconv.Itoa(i)] = p.String()
	}
	if len(c.Users) > 0 {
		m["users"] = strconv.Itoa(len(c.Users))
	}
	return m
}

// NodeString returns n as --node takes it: the address alone when the port
// is 0, else address:port.
func NodeString(n netip.AddrPort) string {
	if n.Port() == 0 {
		return n.Addr().String()
	}
	return n.String()
}

// ParseNode reads --node: an IP address, or address:port.
func ParseNode(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 0), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("node %q: not an IP address or address:port", s)
	}
	return ap, nil
}

// skipped tells whether err, the error of a row of r's file, is a bad row
// that skip lets the ingest pass over; it counts the row and keeps the
// first reasons.
func (r *FileResult) skipped(err error, skip bool) bool {
	var re *input.RowError
	if !skip || !errors.As(err, &re) || re.Fatal {
		return false
	}
	r.BadRows++
	if len(r.BadReasons) < MaxBadReasons {
		r.BadReasons = append(r.BadReasons, err.Error())
	}
	return true
}

// sizeOf is the total size of the files read[i] for i in todo, for the
// progress of reading them; a file that cannot be stat'ed counts 0.
func sizeOf(read []string, todo []int) int64 {
	var total int64
	for _, i := range todo {
		if fi, err := os.Stat(read[i]); err == nil {
			total += fi.Size()
		}
	}
	return total
}
