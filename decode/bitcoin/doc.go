// Package bitcoin decodes Bitcoin P2P messages from the reassembled TCP
// streams of decode/tcpstream, on any port: a stream is recognised by the
// network magic that starts every message (mainnet, testnet3, testnet4,
// signet, regtest).
//
// A message is reported only when its whole header and payload were seen and
// its checksum (the first four bytes of the double SHA-256 of the payload)
// matches; everything else is counted as undecoded bytes, never guessed. A
// stream that starts in the middle of a message, or resumes after a gap, is
// resynchronised on the next header: the magic, a command of printable ASCII
// padded with NULs, and a length within MaxPayload. Payloads are hashed as
// they arrive, not kept, except the small version message, whose relay flag,
// user agent and start height are read.
//
// Each message carries the IP bytes of the segments that carried it, shared
// by bytes when a segment carries several messages, and of the pure ACKs that
// acknowledged it (an ACK goes to the latest message the stream had received
// when the ACK was captured). A message is reported when the next one of its
// stream is complete, or the stream ends, so that the ACKs after it count;
// a version message is reported at once, since what it says (the relay
// flag) may concern the messages of the other direction.
//
// bitcoin imports decode/tcpstream only; it must not import flow, dataset or
// anything downstream.
package bitcoin
