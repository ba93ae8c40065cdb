// Package input reads captures and files of flow records: it sniffs
// compression and format from their content (magic bytes, first lines),
// opens the right reader from the one list of formats (open.go), and
// merges several captures in time order.
//
// A capture's reader yields frames; a flow-record reader (Zeek's conn.log
// beneath, in input/zeek) yields rows of the flows table as the file gives
// them, and says which columns it gave: what a record lacks is derived
// downstream, as for flows assembled from packets.
//
// input knows nothing of protocols above the link layer; it must not import
// decode, flow, dataset or anything downstream (schema, the column
// catalogue, it may).
package input

import "github.com/netlens/netlens/input/internal/capture"

// The types below are defined in internal/capture so that the format readers
// beneath input (input/pcap, input/pcapng) can produce them while input opens
// those readers; they are the same types, use them through these names.

// Frame is one captured frame. Data is owned by the reader and is valid only
// until the next call to Next.
//
//	Ts       int64  // capture time, nanoseconds since the Unix epoch, UTC
//	LinkType uint16 // LINKTYPE_ value of this frame (pcapng: of its interface)
//	WireLen  uint32 // original length on the wire
//	CapLen   uint32 // bytes captured, len(Data)
//	Index    uint32 // 1-based index of the frame in its file
//	Data     []byte
type Frame = capture.Frame

// Reader reads the frames of one capture.
//
// Next(f *Frame) error reads the next frame into f. It returns io.EOF at the
// clean end of the input and a *FormatError when the input is corrupt or cut;
// frames returned before an error are valid. Close() error releases the file.
type Reader = capture.Reader

// FormatError reports corrupt or truncated input: where it is and what is
// wrong.
//
//	File   string // path of the input
//	Offset int64  // byte offset in the (decompressed) capture where the bad record starts
//	Record uint64 // 1-based number of the record (pcapng: block) that is bad
//	Reason string
//	Err    error  // underlying error, if any (e.g. io.ErrUnexpectedEOF)
type FormatError = capture.FormatError
