package input

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/netlens/netlens/input/flowcsv"
	"github.com/netlens/netlens/input/internal/record"
)

// The types below are defined in internal/record so that the readers of
// flow records beneath input (input/zeek, ...) can produce them while input
// opens those readers; they are the same types, use them through these
// names.

// FlowRecord is one flow record read from a file: the columns of the flows
// table the file gives (schema.Flow, embedded), the parsed addresses AAddr
// and BAddr (invalid for an end named by its user id only), the Line where
// the record starts, and Has, which says which columns the record gives
// itself (see the Has constants).
type FlowRecord = record.Flow

// FlowReader reads flow records.
//
// Next(r *FlowRecord) error reads the next record into r. It returns io.EOF
// at the end of the input; a *RowError for a bad row, after which the
// reader can go on (the next call reads the row after it) unless the
// RowError says Fatal; other errors when the input cannot be read on.
// Records returned before an error are valid. Close() error releases the
// file.
type FlowReader = record.Reader

// RowError reports a row of a flow-record file that cannot be read: its
// File, Line (Parquet: row), Column and Reason; Fatal when the reader
// cannot go on after it.
type RowError = record.RowError

// Has says which columns a FlowRecord gives itself, and how to read some of
// them.
type Has = record.Has

// The bits of Has.
const (
	HasState     = record.HasState     // state is the source's (Zeek's conn_state); else derived from the flags
	HasALocal    = record.HasALocal    // a_local is the source's
	HasBLocal    = record.HasBLocal    // b_local is the source's
	HasService   = record.HasService   // service is the source's
	HasUsers     = record.HasUsers     // user_a, user_b and kind are the source's
	HasTCPFlags  = record.HasTCPFlags  // tcp_flags_a and tcp_flags_b are known
	HasPackets   = record.HasPackets   // the packet counts are known
	OneWay       = record.OneWay       // a unidirectional record: the traffic back is a record of its own
	ICMPTypeCode = record.ICMPTypeCode // ICMP: a_port is the type and b_port the code, not yet in Zeek's convention
)

// FlowOptions are the options of the readers of flow records.
type FlowOptions struct {
	// BytesRead, when not nil, is added the bytes read from the file
	// (compressed sizes) as they are read.
	BytesRead *atomic.Int64
	// Columns maps columns of the flows table to a CSV's or Parquet
	// file's columns, for layouts netlens does not know (see
	// input/flowcsv and ParseColumns); nil for none.
	Columns map[string]string
}

// ParseColumns parses a mapping of flows columns to the columns of a CSV
// or Parquet file of flow records: "start=first_seen,a=src,b=dst".
func ParseColumns(s string) (map[string]string, error) { return flowcsv.ParseMapping(s) }

// ColumnTargets lists the flows columns that ParseColumns takes.
func ColumnTargets() []string { return flowcsv.Targets() }

// OpenFlows opens the file of flow records at path, naming it name in
// errors. Compression (gzip, bzip2, zstd, xz) and format are recognised
// from the content: Zeek's conn.log as TSV or JSON lines, nfdump's CSV,
// and CSV and Parquet files of flow records (their columns mapped by
// opt.Columns when netlens does not know their layout). Closing the
// reader closes the file. A capture gives a *FormatError that wraps
// ErrNotFlows, a file in no known format one that wraps ErrUnknownFormat,
// an empty one one that wraps ErrEmpty.
func OpenFlows(ctx context.Context, path, name string, opt FlowOptions) (FlowReader, error) {
	s, fm, err := openSniffed(ctx, path, name, opt)
	if err != nil {
		return nil, err
	}
	if fm.openFile != nil {
		return openRandom(fm, s, path, name, opt)
	}
	if fm.openFlows == nil {
		return nil, errors.Join(&FormatError{File: name, Reason: fm.what + ": a capture, not flow records", Err: ErrNotFlows}, s.Close())
	}
	r, err := fm.openFlows(s, name, opt)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return r, nil
}

// openRandom opens the file of format fm that s began to read, at path, for
// a reader that reads it at random: it must be a regular file, not
// compressed.
func openRandom(fm *format, s *stream, path, name string, opt FlowOptions) (FlowReader, error) {
	compressed := s.compression
	if err := s.Close(); err != nil {
		return nil, err
	}
	if compressed != "" {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("%s compressed with %s: netlens reads it only uncompressed (its own pages may be)", fm.what, compressed), Err: ErrUnknownFormat}
	}
	if IsStream(path) {
		return nil, &FormatError{File: name, Reason: fm.what + " on a stream: netlens reads it only from a file", Err: ErrUnknownFormat}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", name, err), f.Close())
	}
	if opt.BytesRead != nil {
		opt.BytesRead.Add(st.Size())
	}
	r, err := fm.openFile(f, st.Size(), name, opt)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return r, nil
}
