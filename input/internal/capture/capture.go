// Package capture defines the types shared by package input and the format
// readers beneath it (input/pcap, input/pcapng). It exists only to break the
// import cycle between input, which opens the readers, and the readers, which
// produce input's types; every other package uses the aliases in input.
//
// capture must not import anything but the standard library.
package capture

import "fmt"

// Frame is one captured frame. Data is owned by the reader and is valid only
// until the next call to Next.
type Frame struct {
	Ts       int64  // capture time, nanoseconds since the Unix epoch, UTC
	LinkType uint16 // LINKTYPE_ value of this frame (pcapng: of its interface)
	WireLen  uint32 // original length on the wire
	CapLen   uint32 // bytes captured, len(Data)
	Index    uint32 // 1-based index of the frame in its file
	Data     []byte
}

// Reader reads the frames of one capture.
type Reader interface {
	// Next reads the next frame into f. It returns io.EOF at the clean end of
	// the input and a *FormatError when the input is corrupt or cut; frames
	// returned before an error are valid.
	Next(f *Frame) error
	// Close releases the file.
	Close() error
}

// FormatError reports corrupt or truncated input: where it is and what is wrong.
type FormatError struct {
	File   string // path of the input
	Offset int64  // byte offset in the (decompressed) capture where the bad record starts
	Record uint64 // 1-based number of the record (pcapng: block) that is bad
	Reason string
	Err    error // underlying error, if any (e.g. io.ErrUnexpectedEOF)
}

// Error returns "FILE: offset N, record N: REASON".
func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d, record %d: %s", e.File, e.Offset, e.Record, e.Reason)
}

// Unwrap returns the underlying error, if any.
func (e *FormatError) Unwrap() error { return e.Err }
