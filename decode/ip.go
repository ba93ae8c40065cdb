package decode

import (
	"net/netip"

	"github.com/netlens/netlens/schema"
)

// ipv4 decodes an IPv4 header and its transport layer. Lengths come from the
// header, not from the captured bytes: Ethernet padding and snap-length cuts
// do not change ip_len or payload_len.
func (d *Decoder) ipv4(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Malformed
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	p.IPVersion = 4
	m.Src, m.Dst = src, dst
	if !d.NoV4Texts {
		p.Src, p.Dst = d.names.Text4(be32(b[12:])), d.names.Text4(be32(b[16:]))
	}
	ff := be16(b[6:])
	offset := ff & 0x1fff
	p.IPID = uint32(be16(b[4:]))
	p.IPFlags = uint8(ff >> 13)
	p.Frag = ff&0x2000 != 0 || offset != 0
	p.TTL = b[8]
	p.Proto = b[9]
	p.IPChksum = be16(b[10:])

	hl := int(b[0]&0x0f) * 4
	total := int(be16(b[2:]))
	if total == 0 {
		// Captured on the sending host before segmentation offload filled
		// in the length: the captured bytes are all there is.
		total = len(b)
	}
	p.IPLen = uint32(total)
	if hl < 20 || total < hl || len(b) < hl {
		return Malformed
	}
	end := min(total, len(b))
	if offset != 0 { // a later fragment: no transport header
		m.FragOffset = offset << 3
		p.PayloadLen = uint32(total - hl)
		m.Payload = b[hl:end]
		return OK
	}
	return d.transport(b[hl:end], total-hl, p, m)
}

// ipv6 decodes an IPv6 header, its extension headers and its transport layer.
func (d *Decoder) ipv6(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 40 || b[0]>>4 != 6 {
		return Malformed
	}
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	p.IPVersion = 6
	m.Src, m.Dst = src, dst
	p.Src, p.Dst = d.names.Text(src), d.names.Text(dst)
	p.TTL = b[7]
	total := 40 + int(be16(b[4:]))
	if total == 40 && b[6] != 59 {
		// A payload follows but its length is 0: a jumbogram, or a length
		// left for offload to fill in. Use what was captured.
		total = len(b)
	}
	p.IPLen = uint32(total)
	end := min(total, len(b))
	next := b[6]
	off := 40
	for {
		p.Proto = next
		hl := 0
		switch next {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination, mobility, HIP, shim6
			if off+2 > end {
				return Malformed
			}
			hl = (int(b[off+1]) + 1) * 8
		case 51: // authentication header
			if off+2 > end {
				return Malformed
			}
			hl = (int(b[off+1]) + 2) * 4
		case 44: // fragment
			if off+8 > end {
				return Malformed
			}
			fo := be16(b[off+2:])
			p.Frag = fo&1 != 0 || fo>>3 != 0
			p.IPID = be32(b[off+4:])
			if fo>>3 != 0 { // a later fragment: no transport header
				m.FragOffset = fo &^ 7
				p.Proto = b[off]
				off += 8
				p.PayloadLen = uint32(total - off)
				m.Payload = b[off:end]
				return OK
			}
			hl = 8
		default:
			if off > end {
				return Malformed
			}
			return d.transport(b[off:end], total-off, p, m)
		}
		next = b[off]
		off += hl
		if off > total {
			return Malformed
		}
	}
}

// transport decodes the transport header at the start of seg (the captured
// bytes of the IP payload); remaining is the IP payload length from the IP
// header.
func (d *Decoder) transport(seg []byte, remaining int, p *schema.Packet, m *Meta) Status {
	switch p.Proto {
	case protoTCP:
		if len(seg) < 20 {
			return Malformed
		}
		p.Sport = be16(seg)
		p.Dport = be16(seg[2:])
		p.TCPSeq = be32(seg[4:])
		p.TCPAck = be32(seg[8:])
		p.TCPFlags = be16(seg[12:]) & 0x01ff
		p.TCPWindow = be16(seg[14:])
		hl := int(seg[12]>>4) * 4
		if hl < 20 || remaining < hl {
			return Malformed
		}
		p.PayloadLen = uint32(remaining - hl)
		if len(seg) >= hl {
			m.Payload = seg[hl:]
		}
		// else the snap length cut the options: every field is known, only
		// the payload is missing.
		p.App = guessApp(protoTCP, p.Sport, p.Dport, m.Payload)
		return OK
	case protoUDP:
		if len(seg) < 8 {
			return Malformed
		}
		p.Sport = be16(seg)
		p.Dport = be16(seg[2:])
		p.UDPLen = be16(seg[4:])
		if remaining < 8 {
			return Malformed
		}
		p.PayloadLen = uint32(remaining - 8)
		m.Payload = seg[8:]
		p.App = guessApp(protoUDP, p.Sport, p.Dport, m.Payload)
		return OK
	case protoICMP, protoICMPv6:
		if len(seg) < 2 {
			return Malformed
		}
		p.Sport = uint16(seg[0])
		p.Dport = uint16(seg[1])
		if remaining < 8 || len(seg) < 8 {
			return Malformed
		}
		p.PayloadLen = uint32(remaining - 8)
		m.Payload = seg[8:]
		return OK
	}
	p.PayloadLen = uint32(remaining)
	m.Payload = seg
	return OK
}
