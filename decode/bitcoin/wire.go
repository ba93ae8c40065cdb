package bitcoin

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// Network is the magic that starts every message of a Bitcoin network, read
// as a little-endian uint32 (btcd's wire.BitcoinNet): mainnet's bytes on the
// wire are f9 be b4 d9.
type Network uint32

// The networks recognised, with the values of btcd's wire/protocol.go.
const (
	MainNet  Network = 0xd9b4bef9
	TestNet3 Network = 0x0709110b
	TestNet4 Network = 0x283f161c
	SigNet   Network = 0x40cf030a
	RegTest  Network = 0xdab5bffa
)

// Networks lists the recognised networks.
var Networks = [...]Network{MainNet, TestNet3, TestNet4, SigNet, RegTest}

// String returns the network's name.
func (n Network) String() string {
	switch n {
	case MainNet:
		return "mainnet"
	case TestNet3:
		return "testnet3"
	case TestNet4:
		return "testnet4"
	case SigNet:
		return "signet"
	case RegTest:
		return "regtest"
	}
	return "unknown"
}

// Known reports whether n is one of Networks.
func (n Network) Known() bool { return n.String() != "unknown" }

// Sizes of the message header.
const (
	HeaderLen  = 24 // magic 4, command 12, length 4, checksum 4
	CommandLen = 12
	// MaxPayload is the largest payload accepted: btcd's
	// wire.MaxMessagePayload (32 MiB). Bitcoin Core's limit is lower (4 MB).
	MaxPayload = 32 << 20
)

// Errors of ParseHeader and ParseVersion.
var (
	ErrShort   = errors.New("bitcoin: too short")
	ErrMagic   = errors.New("bitcoin: unknown network magic")
	ErrCommand = errors.New("bitcoin: command is not NUL-padded printable ASCII")
	ErrLength  = errors.New("bitcoin: payload length over the limit")
)

// Header is a message header.
type Header struct {
	Net      Network
	Command  [CommandLen]byte // NUL-padded
	Length   uint32           // payload bytes
	Checksum [4]byte          // first 4 bytes of the double SHA-256 of the payload
}

// CommandName returns the command without its NUL padding.
func (h *Header) CommandName() []byte {
	n := 0
	for n < CommandLen && h.Command[n] != 0 {
		n++
	}
	return h.Command[:n]
}

// ParseHeader reads the header at the start of b and checks it: a known
// magic, a command of printable ASCII followed only by NULs, a length within
// MaxPayload.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, ErrShort
	}
	h.Net = Network(binary.LittleEndian.Uint32(b))
	if !h.Net.Known() {
		return h, ErrMagic
	}
	copy(h.Command[:], b[4:16])
	if !validCommand(b[4:16], true) {
		return h, ErrCommand
	}
	h.Length = binary.LittleEndian.Uint32(b[16:20])
	if h.Length > MaxPayload {
		return h, ErrLength
	}
	copy(h.Checksum[:], b[20:24])
	return h, nil
}

// validCommand reports whether c (a prefix of the 12 command bytes when
// complete is false) is printable ASCII followed only by NULs, and not
// empty when complete.
func validCommand(c []byte, complete bool) bool {
	if len(c) > 0 && c[0] == 0 {
		return false
	}
	nul := false
	for _, x := range c {
		switch {
		case x == 0:
			nul = true
		case nul || x < 0x20 || x > 0x7e:
			return false
		}
	}
	return !complete || len(c) == CommandLen
}

// Checksum returns the first 4 bytes of the double SHA-256 of payload.
func Checksum(payload []byte) [4]byte {
	first := sha256.Sum256(payload)
	second := sha256.Sum256(first[:])
	return [4]byte(second[:4])
}

// Version is what netlens reads of a version message.
type Version struct {
	Protocol    int32
	Services    uint64
	UserAgent   string
	StartHeight int32
	// Relay is the BIP37 relay flag: false when the sender asks for no
	// transactions (a block-relay-only connection or a blocks-only node).
	// A version without the flag relays.
	Relay bool
}

// MaxUserAgent is the longest user agent accepted (btcd's MaxUserAgentLen).
const MaxUserAgent = 256

// ParseVersion reads the payload of a version message.
func ParseVersion(p []byte) (Version, error) {
	v := Version{Relay: true}
	if len(p) < 20 {
		return v, ErrShort
	}
	v.Protocol = int32(binary.LittleEndian.Uint32(p))
	v.Services = binary.LittleEndian.Uint64(p[4:])
	// timestamp 8, addr_recv 26, addr_from 26, nonce 8
	const uaAt = 4 + 8 + 8 + 26 + 26 + 8
	if len(p) == 46 { // before protocol 106: nothing after addr_recv
		return v, nil
	}
	if len(p) < uaAt+1 {
		return v, ErrShort
	}
	n, w := varInt(p[uaAt:])
	if w == 0 {
		return v, ErrShort
	}
	if n > MaxUserAgent {
		return v, ErrLength
	}
	at := uaAt + w
	if uint64(len(p)-at) < n {
		return v, ErrShort
	}
	v.UserAgent = string(p[at : at+int(n)])
	at += int(n)
	if len(p) < at+4 {
		return v, ErrShort
	}
	v.StartHeight = int32(binary.LittleEndian.Uint32(p[at:]))
	at += 4
	if len(p) > at {
		v.Relay = p[at] != 0
	}
	return v, nil
}

// varInt reads a CompactSize integer; w is 0 when b is too short.
func varInt(b []byte) (n uint64, w int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] {
	case 0xfd:
		if len(b) < 3 {
			return 0, 0
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), 3
	case 0xfe:
		if len(b) < 5 {
			return 0, 0
		}
		return uint64(binary.LittleEndian.Uint32(b[1:])), 5
	case 0xff:
		if len(b) < 9 {
			return 0, 0
		}
		return binary.LittleEndian.Uint64(b[1:]), 9
	}
	return uint64(b[0]), 1
}
