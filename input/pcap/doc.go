// Package pcap reads classic libpcap capture files (microsecond and
// nanosecond variants, either byte order) in pure Go, without copying frame
// data: each frame's Data points into the reader's buffer.
//
// pcap may import input's shared types (through input/internal/capture) and
// the standard library; it must not import input itself, decode or anything
// downstream.
package pcap
