package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/flow"
	"github.com/netlens/netlens/ingest"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/labels"
)

// IngestOptions are the options of netlens ingest.
type IngestOptions struct {
	IO        *IO
	Inputs    []string
	Dataset   string
	Force     bool
	NoCopy    bool
	Quiet     bool
	Flow      flow.Config
	LocalNets []string
	UsersFile string
	Engine    EngineOptions
	// SkipBad, Pair, PairWindow and Columns are for files of flow records.
	SkipBad    bool
	Pair       bool
	PairWindow time.Duration
	Columns    []string
	// Node is the Bitcoin node whose P2P messages are decoded from the
	// captures: an address or address:port ("" for every local endpoint).
	Node string
}

// NewCmdIngest builds `netlens ingest`. runF replaces the work in tests.
func NewCmdIngest(ios *IO, runF func(*cobra.Command, *IngestOptions) error) *cobra.Command {
	opts := &IngestOptions{IO: ios, Flow: flow.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "ingest INPUT... -d DATASET | --engine clickhouse://...",
		Short: "Read captures into a dataset or a ClickHouse database",
		Long: `Read packet captures into a dataset: one row per packet in the table
'packets', one row per bidirectional flow in 'flows', as Parquet files
partitioned by day, with a manifest of every input's sha256.

INPUT is a file, a directory (every file below it) or a glob, or a stream:
'-' for standard input (tcpdump -w - | netlens ingest - -d ds), a FIFO, a
device or a shell's <(...). A stream is read once, as it comes, into a
temporary copy in the dataset directory (as much disk as the stream, removed
at the end), and then ingested like a file: its capture id, size and sha256
are those of the bytes it held. With --no-copy a stream is read as it
comes, with no copy (a month of telescope logs piped in needs no disk but
the dataset's): its capture id is then 'stream-' and 16 hex digits of the
hash of the ingest's start time and the stream's first 64 KiB, and its
size and sha256, recorded at its end, are compared there with the
dataset's inputs: bytes the dataset holds already fail the ingest, which
commits nothing (--force replaces the earlier input instead). FIFOs,
sockets, devices and dangling links inside a directory are not read; the
summary names each. Formats are recognised from their content, not their
names: pcap (micro- and nanosecond, either byte order) and pcapng (several
interfaces and link types), each plain or compressed with gzip, bzip2, zstd
or xz. Several inputs are read as one
stream in time order, so flows continue across rotated files.

Files of flow records go into 'flows' as they are, one row per record,
with what they lack derived as for captures (locality, service, state):
Zeek's conn.log, as TSV or JSON lines, several logs or rotated ones
alike; nfdump's CSV (nfdump -o csv, both the layout before 1.7.5 and the
one since; run nfdump with TZ=UTC); CSV and Parquet files of flow records
with a header: netlens' own flows columns, the typical, user-to-user and
no-user flows of the community-network study, or any layout with
--columns naming the file's column of each flows column (start, end,
duration, proto, a, a_port, b, b_port, pkts_a_to_b, pkts_b_to_a,
bytes_a_to_b, bytes_b_to_a, payload_a_to_b, payload_b_to_a, tcp_flags_a,
tcp_flags_b, state, a_local, b_local, service, name, user_a, user_b,
kind). They are recognised from their content too, and may be compressed
(Parquet aside). NetFlow records go one way each:
--pair merges each with its reverse (same ends and ports the other way)
when their times lie within --pair-window. A bad row stops its file,
naming the file, line and column, and keeps the records before it;
--skip-bad skips bad rows instead and counts them.

An input already in the dataset (same sha256) is skipped; --force reads it
again and replaces its rows. A corrupt or cut input keeps every packet read
before the fault: netlens names the file, byte offset, record and reason,
commits what it read, and exits with status 3. Interrupting an ingest
(Ctrl-C) leaves the dataset exactly as it was.

Flows end when idle longer than their protocol's idle timeout, when older
than the active timeout, or a close delay after a TCP FIN exchange or RST.
A timeout of 0 never ends a flow.

With --engine clickhouse://host:port/db (or $NETLENS_ENGINE), the captures
go on into that ClickHouse database, or with --cluster into the shards of a
cluster: they are read into the dataset of -d (or a temporary one), then
loaded as by 'netlens push'. Inputs the database holds already are skipped
there; an interrupted load is cleaned up and done again by the next one.`,
		Example: `  # a dataset from one capture
  netlens ingest camera.pcap -d ds

  # a directory of rotated, compressed captures, with the site's networks
  netlens ingest /data/pcaps/ -d ds --local-net 10.0.0.0/8 --local-net 2001:db8::/32

  # Zeek's logs of a day, and NetFlow records with each direction paired
  netlens ingest /var/log/zeek/2024-03-01/conn.*.log.gz -d ds
  TZ=UTC nfdump -R /var/cache/nfdump -o csv > flows.csv && netlens ingest flows.csv -d ds --pair

  # flow records in a CSV of one's own
  netlens ingest export.csv -d ds --columns start=first_seen,end=last_seen,a=src,b=dst,a_port=sport,b_port=dport,proto=protocol

  # longer UDP flows, as a NetFlow exporter would cut them
  netlens ingest 'trace-*.pcapng' -d ds --idle-udp 2m --active-timeout 30m

  # straight into ClickHouse, spread over a cluster's shards
  netlens ingest /data/telescope/ --engine clickhouse://ch1:9000/telescope --cluster telescope`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("ingest needs at least one INPUT (file, directory or glob)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			ch, err := opts.Engine.clickhouse()
			if err != nil {
				return err
			}
			if opts.Dataset == "" && ch == nil {
				return usageError("ingest needs -d DATASET: the directory of the dataset to create or extend (or --engine clickhouse://...)")
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runIngest(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dataset, "dataset", "d", "", "dataset directory (created if missing)")
	f.BoolVar(&opts.Force, "force", false, "ingest inputs again that the dataset already holds, replacing their rows")
	f.BoolVar(&opts.NoCopy, "no-copy", false, "read streams as they come, without a copy on disk: a stream- capture id, and bytes the dataset holds already found at the stream's end, failing the ingest")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	f.DurationVar(&opts.Flow.IdleTCP, "idle-tcp", opts.Flow.IdleTCP, "end a TCP flow idle this long")
	f.DurationVar(&opts.Flow.IdleUDP, "idle-udp", opts.Flow.IdleUDP, "end a UDP flow idle this long")
	f.DurationVar(&opts.Flow.IdleOther, "idle-other", opts.Flow.IdleOther, "end an ICMP or other flow idle this long")
	f.DurationVar(&opts.Flow.Active, "active-timeout", opts.Flow.Active, "end a flow this long after its first packet (a new one continues it)")
	f.DurationVar(&opts.Flow.CloseDelay, "close-delay", opts.Flow.CloseDelay, "keep a closed TCP flow this long for late packets")
	f.Var(byteSize{&opts.Flow.Memory}, "flow-memory", "memory for live flows, e.g. 512MB or 1GiB (0: no limit); past it, the flow idle the longest ends early, its row as its idle timeout would write it then")
	f.StringArrayVar(&opts.LocalNets, "local-net", nil, "the site's own prefix, repeatable (default: every address that is not globally routable)")
	f.StringVar(&opts.UsersFile, "users", "", "CSV of 'address_or_prefix,user[,from,to]' lines: the site's users, loaded as 'netlens label --kind user' does, in the same commit")
	f.BoolVar(&opts.SkipBad, "skip-bad", false, "flow records: skip bad rows (say how many, and why the first few) instead of stopping the file at the first")
	f.BoolVar(&opts.Pair, "pair", false, "flow records: merge each unidirectional record (NetFlow) with its reverse within --pair-window")
	f.DurationVar(&opts.PairWindow, "pair-window", ingest.DefaultPairWindow, "with --pair: how far apart a record and its reverse may lie (0: the default)")
	f.StringArrayVar(&opts.Columns, "columns", nil, "flow records in CSV or Parquet: which file column fills which flows column, 'start=first_seen,a=src,b=dst,...' (repeatable)")
	f.StringVar(&opts.Node, "node", "", "captures of a Bitcoin node: its address, or address:listening-port among several nodes on one address, whose P2P messages become peer_messages rows (default: every local endpoint of a Bitcoin connection)")
	opts.Engine.addFlags(f)
	return cmd
}

// runIngest reads the inputs into the dataset and, when the engine is
// ClickHouse, loads the dataset into it. A corrupt input is reported with
// ExitBadInput after what was read is stored.
func runIngest(cmd *cobra.Command, opts *IngestOptions) error {
	defer limitMemory()()
	ch, err := opts.Engine.clickhouse()
	if err != nil || ch == nil {
		return errors.Join(err, ingestDataset(cmd, opts))
	}
	ctx := cmd.Context()
	eng, err := clickhouse.Open(ctx, *ch) // before reading: a server that is not there fails fast
	if err != nil {
		return err
	}
	defer eng.Close()
	if opts.Dataset == "" {
		dir, err := os.MkdirTemp("", "netlens-staging-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opts.Dataset = dir
	}
	inputErr := ingestDataset(cmd, opts)
	var ee *exitError
	if inputErr != nil && (!errors.As(inputErr, &ee) || ee.code != ExitBadInput) {
		return inputErr
	}
	ds, err := dataset.Open(opts.Dataset)
	if err != nil {
		return err
	}
	defer ds.Close()
	if _, err := load(ctx, opts.IO, eng, ds, opts.Quiet); err != nil {
		if ctx.Err() != nil {
			return &exitError{code: ExitInterrupt, err: fmt.Errorf("%w; the next load cleans up and loads again", err)}
		}
		return err
	}
	return inputErr
}

// ingestDataset reads the inputs into the dataset of opts.
func ingestDataset(cmd *cobra.Command, opts *IngestOptions) error {
	ios := opts.IO
	paths, ignored, err := input.ExpandAll(opts.Inputs)
	if err != nil {
		return usageError("%v", err)
	}
	for _, s := range opts.LocalNets {
		p, err := parsePrefix(s)
		if err != nil {
			return usageError("--local-net %q: %v", s, err)
		}
		opts.Flow.LocalNets = append(opts.Flow.LocalNets, p)
	}
	var users *labels.File
	if opts.UsersFile != "" {
		// Read before the captures: a bad line fails at once.
		if users, err = labels.Read(opts.UsersFile, labels.User); err != nil {
			return usageError("--users: %v", err)
		}
	}
	if err := opts.Flow.Validate(); err != nil {
		return usageError("%v", err)
	}
	ds, err := dataset.OpenWrite(opts.Dataset)
	if err != nil {
		return err
	}
	if opts.PairWindow < 0 {
		return usageError("--pair-window %v: must not be negative", opts.PairWindow)
	}
	columns, err := parseColumns(opts.Columns)
	if err != nil {
		return err
	}
	var node netip.AddrPort
	if opts.Node != "" {
		if node, err = ingest.ParseNode(opts.Node); err != nil {
			return usageError("--node %q: not an IP address or address:port", opts.Node)
		}
	}
	cfg := ingest.Config{Flow: opts.Flow, Force: opts.Force, NoCopy: opts.NoCopy, Version: Version(), Ignored: ignored,
		SkipBad: opts.SkipBad, Pair: opts.Pair, PairWindow: opts.PairWindow, Columns: columns, Node: node}
	var userRes *labels.Result
	if users != nil {
		// The users become labels of kind user in the ingest's own
		// commit, as 'netlens label --kind user' would load them.
		cfg.BeforeCommit = func(tx *dataset.Txn) error {
			userRes, err = labels.Apply(tx, ds, labels.User, []*labels.File{users}, false, time.Now())
			return err
		}
	}
	var bar *progressBar
	if !opts.Quiet {
		if ios.ErrTTY {
			bar = newProgressBar(ios.ErrOut, false)
			cfg.Progress = bar.update
		} else {
			cfg.FileDone = func(r ingest.FileResult) { fmt.Fprintln(ios.ErrOut, fileLine(r)) }
		}
	}
	st, err := ingest.Run(cmd.Context(), ds, paths, cfg)
	if bar != nil {
		bar.finish()
	}
	if errors.Is(err, ingest.ErrInterrupted) {
		return &exitError{code: ExitInterrupt, err: err}
	}
	if err != nil {
		return err
	}
	if !opts.Quiet {
		if bar != nil {
			for _, r := range st.Files {
				if r.Err != nil || r.Skipped || r.Replaces != nil || r.BadRows > 0 {
					fmt.Fprintln(ios.ErrOut, fileLine(r))
				}
			}
		}
		fmt.Fprintln(ios.ErrOut, summaryLine(st, opts.Dataset))
		if userRes != nil {
			printLabelResult(ios.ErrOut, userRes, opts.Dataset)
		}
		for _, s := range st.Ignored {
			fmt.Fprintf(ios.ErrOut, "warning: %s not read: %s\n", s.Path, s.Reason)
		}
	}
	if failed := st.Failed(); len(failed) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d inputs were %s; the packets and records read before each fault are in the dataset:", len(failed), len(st.Files), failedWhat(failed))
		for _, r := range failed {
			fmt.Fprintf(&b, "\n  %v (%d %s kept)", r.Err, r.Frames, unit(r))
			if r.Records() && !opts.SkipBad {
				var re *input.RowError
				if errors.As(r.Err, &re) && !re.Fatal {
					b.WriteString("; --skip-bad skips bad rows and reads on")
				}
			}
		}
		return &exitError{code: ExitBadInput, err: errors.New(b.String())}
	}
	return nil
}

// failedWhat says what went wrong with the inputs of failed: empty, or
// corrupt or cut, or with bad rows.
func failedWhat(failed []ingest.FileResult) string {
	empty, bad := 0, 0
	for _, r := range failed {
		var re *input.RowError
		switch {
		case errors.Is(r.Err, input.ErrEmpty):
			empty++
		case errors.As(r.Err, &re) && !re.Fatal:
			bad++
		}
	}
	switch {
	case empty == len(failed):
		return "empty"
	case bad == len(failed):
		return "stopped at a bad row"
	case empty == 0 && bad == 0:
		return "corrupt or cut"
	case bad == 0:
		return "corrupt, cut or empty"
	}
	return "corrupt, cut, empty or stopped at a bad row"
}

// unit names what an input holds: packets or flow records.
func unit(r ingest.FileResult) string {
	if strings.HasPrefix(r.Format, "btclog") {
		return "rows"
	}
	if r.Records() {
		return "flow records"
	}
	return "packets"
}

func fileLine(r ingest.FileResult) string {
	switch {
	case r.Skipped:
		return fmt.Sprintf("%s: already in the dataset (sha256 %.16s…), skipped; --force reads it again", r.Path, r.SHA256)
	}
	what := unit(r)
	if r.Records() {
		what += " (" + r.Format + ")"
	}
	s := fmt.Sprintf("%s: %d %s", r.Path, r.Frames, what)
	if r.BadRows > 0 {
		s += fmt.Sprintf("; %d bad rows skipped:", r.BadRows)
		for _, why := range r.BadReasons {
			s += "\n  " + why
		}
		if int64(len(r.BadReasons)) < r.BadRows {
			s += fmt.Sprintf("\n  and %d more", r.BadRows-int64(len(r.BadReasons)))
		}
	}
	if r.Err != nil {
		s += fmt.Sprintf("; then: %v", r.Err)
	}
	if old := r.Replaces; old != nil {
		s += fmt.Sprintf(" (the file grew from %d to %d bytes since ingest %d: these replace the %d %s read then)", old.Size, r.Size, old.Ingest, old.Frames, unit(r))
	}
	return s
}

func summaryLine(st *ingest.Stats, dir string) string {
	secs := st.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(st.Packets) / secs
	}
	s := fmt.Sprintf("ingested %d packets, %d flows into %s in %s (%s packets/s)",
		st.Packets, st.Flows, dir, st.Elapsed.Round(time.Millisecond), siCount(rate))
	if st.Records > 0 {
		rrate := 0.0
		if secs > 0 {
			rrate = float64(st.Records) / secs
		}
		s = fmt.Sprintf("ingested %d packets and %d flow records, %d flows into %s in %s (%s records/s)",
			st.Packets, st.Records, st.Flows, dir, st.Elapsed.Round(time.Millisecond), siCount(rrate))
	}
	if st.PeerMessages > 0 || st.PeerConns > 0 {
		s += fmt.Sprintf("; %d rows of Bitcoin peer messages and %d of peer connections", st.PeerMessages, st.PeerConns)
	}
	if st.UnknownLink > 0 || st.Malformed > 0 {
		s += fmt.Sprintf("; %d frames of unknown link types and %d malformed frames kept without the fields they lack", st.UnknownLink, st.Malformed)
	}
	if st.FlowsEvicted > 0 {
		s += fmt.Sprintf("; %d flows ended before their timeouts to keep the live flows within --flow-memory", st.FlowsEvicted)
	}
	if st.DNSLongNames > 0 {
		s += fmt.Sprintf("; %d DNS messages read only up to a name longer than 255 bytes", st.DNSLongNames)
	}
	return s
}

// parseColumns joins the --columns flags into one mapping.
func parseColumns(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m, err := input.ParseColumns(strings.Join(flags, ","))
	if err != nil {
		return nil, usageError("--columns %v", err)
	}
	return m, nil
}

// parsePrefix accepts a prefix or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
