// Package pcapng reads pcapng capture files in pure Go: several sections in
// either byte order, several interfaces with their own link types and
// timestamp resolutions, and the enhanced, simple and obsolete packet blocks.
// Other blocks are skipped. Frame data is not copied: each frame's Data points
// into the reader's buffer.
//
// pcapng may import input's shared types (through input/internal/capture)
// and the standard library; it must not import input itself, decode or
// anything downstream.
package pcapng
