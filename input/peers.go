package input

import (
	"context"
	"errors"

	"github.com/netlens/netlens/input/btclog"
)

// PeerRow is one row of a Bitcoin node's message log: a row of
// peer_messages, or of peer_conns for a connection map (see
// btclog.Row).
type PeerRow = btclog.Row

// PeerReader reads the rows of a Bitcoin node's message log, its
// aggregates or its connection map (package btclog).
//
// Next(r *PeerRow) error reads the next row; io.EOF at the end; a
// *RowError for a bad line, after which the reader goes on unless the
// error is Fatal. Table names the table of the rows, Layout the layout of
// the file. Close releases the file.
type PeerReader interface {
	Next(r *PeerRow) error
	Table() string
	Layout() string
	Close() error
}

// ErrNotPeers is wrapped by the *FormatError that OpenPeers returns for an
// input that is no Bitcoin node log.
var ErrNotPeers = errors.New("not a Bitcoin node message log")

// OpenPeers opens the Bitcoin node log at path, naming it name in errors.
// Compression and layout are recognised from the content (see btclog).
// Closing the reader closes the file.
func OpenPeers(ctx context.Context, path, name string, opt FlowOptions) (PeerReader, error) {
	s, fm, err := openSniffed(ctx, path, name, opt)
	if err != nil {
		return nil, err
	}
	if fm.openPeers == nil {
		return nil, errors.Join(&FormatError{File: name, Reason: fm.what + ": not a Bitcoin node log", Err: ErrNotPeers}, s.Close())
	}
	r, err := fm.openPeers(s, name)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return peerReader{r, s}, nil
}

// isPeerLog returns the match of the Bitcoin node logs whose rows go to
// table.
func isPeerLog(table string) func(head []byte) bool {
	return func(head []byte) bool {
		_, t, ok := btclog.Sniff(head)
		return ok && t == table
	}
}

// peerReader closes the stream under a btclog.Reader.
type peerReader struct {
	*btclog.Reader
	s *stream
}

func (p peerReader) Close() error { return p.s.Close() }
