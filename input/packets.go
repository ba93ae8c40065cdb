package input

import (
	"context"
	"errors"

	"github.com/netlens/netlens/input/darknet"
	"github.com/netlens/netlens/schema"
)

// PacketReader reads a log of packets, a network telescope's (package
// darknet), into rows of packets.
//
// Next(p *schema.Packet) error sets every column of p but capture and the
// gaps; io.EOF at the end; a *RowError for a bad row, after which the
// reader goes on unless the error is Fatal. AddrIDs() (src, dst int32)
// numbers the addresses of the last row in the reader's AddrTable (dst -1
// for none). Layout names the layout of the file. Close releases the file.
type PacketReader interface {
	Next(p *schema.Packet) error
	AddrIDs() (src, dst int32)
	Layout() string
	Close() error
}

// AddrTable numbers the addresses of logs of packets; the readers of one
// ingest share one, so that its ids hold from file to file (see
// darknet.Addrs).
type AddrTable = darknet.Addrs

// NewAddrTable returns an empty AddrTable.
func NewAddrTable() *AddrTable { return darknet.NewAddrs() }

// ErrNotPacketLog is wrapped by the *FormatError that OpenPackets returns
// for an input that is no log of packets.
var ErrNotPacketLog = errors.New("not a log of packets")

// OpenPackets opens the log of packets at path, naming it name in errors.
// Compression and layout are recognised from the content (see darknet).
// Closing the reader closes the file. addrs numbers the addresses; nil
// for a table of the reader's own.
func OpenPackets(ctx context.Context, path, name string, opt FlowOptions, addrs *AddrTable) (PacketReader, error) {
	if addrs == nil {
		addrs = NewAddrTable()
	}
	s, fm, err := openSniffed(ctx, path, name, opt)
	if err != nil {
		return nil, err
	}
	if fm.openPackets == nil {
		return nil, errors.Join(&FormatError{File: name, Reason: fm.what + ": not a log of packets", Err: ErrNotPacketLog}, s.Close())
	}
	r, err := fm.openPackets(s, name, addrs)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return packetReader{r, s}, nil
}

// packetReader closes the stream under a darknet.Reader.
type packetReader struct {
	*darknet.Reader
	s *stream
}

// Close closes the stream and the file.
func (p packetReader) Close() error { return p.s.Close() }
