// Package record defines the types shared by package input and the readers
// of flow records beneath it (input/zeek, input/nfdump, input/flowcsv). It
// exists only to break the import cycle between input, which opens the
// readers, and the readers, which produce input's types; every other
// package uses the aliases in input.
//
// record imports schema and the standard library only.
package record

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/netlens/netlens/schema"
)

// Flow is one flow record read from a file: the columns of the flows table
// that the file gives, with what a reader knows about them. Columns a file
// does not give are zero; Has says which of those a reader sets only when
// the file gives them are set.
type Flow struct {
	schema.Flow
	// AAddr and BAddr are A and B parsed; an end that a file names by its
	// user id only (UserA, UserB) has an empty address and an invalid Addr.
	AAddr, BAddr netip.Addr
	// Line is where the record starts in its file: the 1-based line of a
	// text file (after decompression), the 1-based row of a Parquet file.
	Line int64
	Has  Has
}

// Has says which columns a record gives itself, and how to read some of
// them. The columns not listed are always set from the file (times,
// addresses, ports, protocol, counts: zero when the file lacks them).
type Has uint32

const (
	HasState    Has = 1 << iota // State is the source's (Zeek's conn_state); else derived from flags
	HasALocal                   // ALocal is the source's (Zeek's local_orig, a CSV's column)
	HasBLocal                   // BLocal is the source's (Zeek's local_resp, a CSV's local)
	HasService                  // Service is the source's
	HasUsers                    // UserA, UserB and Kind are the source's
	HasTCPFlags                 // TCPFlagsA and TCPFlagsB are known (from Zeek's history, NetFlow's flags)
	HasPackets                  // the packet counts are known (a CSV may give only bytes)
	// OneWay marks a unidirectional record (NetFlow, IPFIX): the traffic
	// from B to A, if any, is a record of its own, so the zero counts from
	// B say nothing (ingest --pair merges the two).
	OneWay
	// ICMPTypeCode marks an ICMP record whose APort is the message type
	// and BPort its code, as NetFlow exports them, not yet in Zeek's
	// convention (see flow.ICMPPorts).
	ICMPTypeCode
)

// Reader reads flow records.
type Reader interface {
	// Next reads the next record into f. It returns io.EOF at the end of
	// the input; a *RowError for a bad row, after which the reader can go
	// on (the next call reads the row after it); and any other error
	// (a *FormatError, a *RowError that says it cannot go on) when the
	// input cannot be read further. Records returned before an error are
	// valid.
	Next(f *Flow) error
	// Close releases the file.
	Close() error
}

// RowError reports a row of a flow-record file that cannot be read: where
// it is and why.
type RowError struct {
	File   string
	Line   int64  // 1-based line (Parquet: row) of the row
	Column string // the column at fault, "" when it is the row itself
	Reason string
	// Fatal is set when the reader cannot go on after this row: a line
	// too long to hold, a header it cannot use, a file cut or corrupt.
	Fatal bool
	Err   error // underlying error, if any (a *CompressionError of a cut file)
}

// Error returns "FILE:LINE: column COL: REASON".
func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: column %s: %s", e.File, e.Line, e.Column, e.Reason)
}

// Unwrap returns the underlying error, if any.
func (e *RowError) Unwrap() error { return e.Err }

// Ends reports whether err, returned by Next, ends the input: any error
// but a *RowError that is not Fatal. Readers keep such an error and
// return it again.
func Ends(err error) bool {
	if err == nil {
		return false
	}
	var re *RowError
	return !errors.As(err, &re) || re.Fatal
}
