// Package tcpstream reassembles TCP connections into in-order byte streams,
// one per direction, for the application decoders that need a byte stream
// (Bitcoin P2P in decode/bitcoin). It is the one reassembly piece: a decoder
// takes its streams from here and never reassembles on its own.
//
// Bytes are delivered in sequence order. A retransmitted range (an overlap
// with bytes already delivered) is dropped; a segment that arrives early is
// kept in a bounded out-of-order buffer until the bytes before it arrive; a
// hole that does not fill before the buffer is full, the connection resets
// or the capture ends is reported as a gap, and delivery resumes after it.
// A stream whose SYN was not captured starts at its first data segment.
//
// Memory is bounded per stream (Config.MaxBufferedPerStream), in total
// (Config.MaxBufferedTotal) and by the number of live connections
// (Config.MaxConns). In-order segments are delivered from the caller's
// buffer without copying; only early segments are copied, into buffers that
// are reused.
//
// tcpstream imports decode and schema only (to take decoded packets); it
// must not import flow, dataset or anything downstream.
package tcpstream
