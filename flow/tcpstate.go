package flow

// TCP flag bits of schema.Packet.TCPFlags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

// endpointState is the state of one side of a TCP connection, as Zeek's
// TCP_Endpoint tracks it.
type endpointState uint8

const (
	tcpInactive endpointState = iota
	tcpSynSent
	tcpSynAckSent
	tcpPartial
	tcpEstablished
	tcpClosed
	tcpReset
)

type endpoint struct {
	state, prev endpointState
}

func (e *endpoint) set(s endpointState) {
	if s != e.state {
		e.prev, e.state = e.state, s
	}
}

// rstos0 tracks Zeek's RSTOS0 test on the connection history
// (/^\^?S[^HAFGIQ]*R/): the flow began with the originator's SYN and the
// originator's first RST came before any SYN-ACK, pure ACK, FIN, FIN+RST or
// multi-flag packet of its own.
type rstos0 uint8

const (
	rstos0Open rstos0 = iota // began with S, nothing decided yet
	rstos0No                 // cannot match any more
	rstos0Yes                // matched
)

// tcpState follows both endpoints of a TCP flow through Zeek's state
// machine (TCPSessionAdapter::UpdateStateMachine), without sequence-number
// analysis. ep[0] is the originator a, ep[1] the responder b.
type tcpState struct {
	ep      [2]endpoint
	hist    rstos0
	pureSYN bool // a SYN without ACK was seen
	fin     [2]bool
	rst     bool
}

func (t *tcpState) flip() {
	t.ep[0], t.ep[1] = t.ep[1], t.ep[0]
	t.fin[0], t.fin[1] = t.fin[1], t.fin[0]
	t.hist = rstos0No
}

// update applies one packet; dir is 0 from a, 1 from b.
func (t *tcpState) update(dir int, flags uint16, payload uint32) {
	syn, fin, rst, ack := flags&flagSYN != 0, flags&flagFIN != 0, flags&flagRST != 0, flags&flagACK != 0
	if dir == 0 && t.hist == rstos0Open {
		t.history(syn, fin, rst, ack, payload)
	}
	if fin {
		t.fin[dir] = true
	}
	if rst {
		t.rst = true
	}
	ep, peer := &t.ep[dir], &t.ep[1-dir]
	isOrig := dir == 0
	switch ep.state {
	case tcpInactive:
		if syn {
			switch {
			case isOrig && ack:
				ep.set(tcpSynAckSent)
			case isOrig:
				ep.set(tcpSynSent)
			default:
				if peer.state == tcpSynSent {
					peer.set(tcpEstablished)
				}
				ep.set(tcpEstablished)
			}
		}
		if fin {
			ep.set(tcpClosed)
		}
		if rst {
			ep.set(tcpReset)
		}
		if ep.state == tcpInactive {
			switch {
			case !isOrig && payload == 0 && t.ep[0].state == tcpSynSent:
				// an ACK of the SYN before the SYN-ACK: not yet partial
			case ack && peer.state == tcpEstablished:
				ep.set(tcpEstablished) // the SYN was missed
			default:
				ep.set(tcpPartial)
			}
		}
	case tcpSynSent, tcpSynAckSent:
		if fin {
			ep.set(tcpClosed)
		}
		if rst {
			ep.set(tcpReset)
		}
	case tcpEstablished, tcpPartial:
		if syn && ep.state == tcpPartial && peer.state == tcpInactive && !ack {
			ep.set(tcpSynSent)
		}
		if fin && !rst {
			ep.set(tcpClosed)
			if peer.state == tcpReset && peer.prev == tcpClosed {
				peer.set(tcpClosed) // FIN, RST, then the peer's FIN: a normal close
			}
		}
		if rst {
			ep.set(tcpReset)
		}
	case tcpClosed:
		if rst && peer.state != tcpClosed {
			ep.set(tcpReset)
		}
	}
}

// history follows the originator's letters of Zeek's history for RSTOS0.
func (t *tcpState) history(syn, fin, rst, ack bool, payload uint32) {
	n := 0
	for _, b := range [...]bool{syn, fin, rst} {
		if b {
			n++
		}
	}
	switch {
	case n > 1: // I or Q
		t.hist = rstos0No
	case rst: // R
		t.hist = rstos0Yes
	case fin, syn && ack: // F or H
		t.hist = rstos0No
	case n == 0 && payload == 0 && ack: // A
		t.hist = rstos0No
	}
}

// closed reports whether both sides sent a FIN or either sent a RST.
func (t *tcpState) closed() bool {
	return t.rst || t.fin[0] && t.fin[1]
}

// state returns Zeek's conn_state (base/protocols/conn/main.zeek) from the
// endpoint states and the payload bytes each side sent.
func (t *tcpState) state(sizeA, sizeB uint64) string {
	os, rs := t.ep[0].state, t.ep[1].state
	oInactive := os == tcpInactive || os == tcpPartial
	rInactive := rs == tcpInactive || rs == tcpPartial
	switch {
	case rs == tcpReset:
		if os == tcpSynSent || os == tcpSynAckSent || os == tcpReset && sizeA == 0 && sizeB == 0 {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case os == tcpReset:
		if rInactive {
			if t.hist == rstos0Yes {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == tcpClosed && os == tcpClosed:
		return "SF"
	case os == tcpClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == tcpClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == tcpSynSent && rs == tcpInactive:
		return "S0"
	case os == tcpEstablished && rs == tcpEstablished:
		return "S1"
	}
	return "OTH"
}
