package decode

import "github.com/netlens/netlens/schema"

// IEEE 802.11 frame control, first byte: protocol version (2 bits), type
// (2 bits), subtype (4 bits).
const (
	wlanTypeData    = 2
	wlanSubQoS      = 0x8 // subtype bit: QoS data, a 2-byte QoS control field follows the addresses
	wlanSubNoData   = 0x4 // subtype bit: Null, CF-Ack, CF-Poll: no frame body
	wlanQoSAMSDU    = 0x80
	wlanHeaderLen   = 24 // frame control, duration, three addresses, sequence control
	wlanAddr4Len    = 6
	wlanQoSLen      = 2
	wlanHTCLen      = 4
	wlanAMSDUHdrLen = 14 // destination, source, length
)

// IEEE 802.11 frame control, second byte: flags.
const (
	wlanToDS      = 0x01
	wlanFromDS    = 0x02
	wlanProtected = 0x40
	wlanOrder     = 0x80 // on QoS frames: an HT/VHT/HE control field is present
)

// Radiotap flags (the field of present bit 1).
const (
	radiotapFCS     = 0x10 // the frame ends with a 4-byte FCS
	radiotapDataPad = 0x20 // padding after the 802.11 header, to 32 bits
)

// radiotap skips a radiotap header and decodes the 802.11 frame after it,
// without the FCS when the flags say one is there and the frame was not cut.
func (d *Decoder) radiotap(b []byte, p *schema.Packet, m *Meta) Status {
	if len(b) < 8 || b[0] != 0 {
		return Malformed
	}
	n := int(le16(b[2:]))
	if n < 8 || n > len(b) {
		return Malformed
	}
	flags, ok := radiotapFlags(b[:n])
	if !ok {
		return Malformed
	}
	frame := b[n:]
	if flags&radiotapFCS != 0 && p.WireLen <= uint32(len(b)) && len(frame) >= 4 {
		frame = frame[:len(frame)-4]
	}
	return d.wlan(frame, flags&radiotapDataPad != 0, p, m)
}

// radiotapFlags returns the flags field of a radiotap header (0 when it is
// absent), and false when the presence bitmaps overrun the header. Fields
// are aligned to their size from the start of the header; only TSFT (8
// bytes) can precede the flags.
func radiotapFlags(h []byte) (uint8, bool) {
	present := le32(h[4:])
	i := 8
	for w := present; w&(1<<31) != 0; i += 4 { // extended presence bitmaps
		if i+4 > len(h) {
			return 0, false
		}
		w = le32(h[i:])
	}
	if present&(1<<1) == 0 {
		return 0, true
	}
	if present&(1<<0) != 0 { // TSFT
		i = (i+7)&^7 + 8
	}
	if i >= len(h) {
		return 0, false
	}
	return h[i], true
}

// wlan decodes an IEEE 802.11 frame: unprotected data frames carry LLC/SNAP
// and then IP or ARP. Management, control and protected frames, frames
// without a body and later 802.11 fragments are valid frames without IP.
// pad says that the body starts at the next 4-byte boundary. Of an A-MSDU,
// the first subframe is decoded.
func (d *Decoder) wlan(b []byte, pad bool, p *schema.Packet, m *Meta) Status {
	if len(b) < 2 {
		return Malformed
	}
	fc, flags := b[0], b[1]
	if fc&0x03 != 0 || fc>>2&0x03 != wlanTypeData {
		return NonIP
	}
	sub := fc >> 4
	if sub&wlanSubNoData != 0 || flags&wlanProtected != 0 {
		return NonIP
	}
	hl := wlanHeaderLen
	if flags&(wlanToDS|wlanFromDS) == wlanToDS|wlanFromDS {
		hl += wlanAddr4Len
	}
	amsdu := false
	if sub&wlanSubQoS != 0 {
		if len(b) < hl+wlanQoSLen {
			return Malformed
		}
		amsdu = b[hl]&wlanQoSAMSDU != 0
		hl += wlanQoSLen
		if flags&wlanOrder != 0 {
			hl += wlanHTCLen
		}
	}
	if pad {
		hl = (hl + 3) &^ 3
	}
	if len(b) < hl {
		return Malformed
	}
	if b[22]&0x0f != 0 { // fragment number: a later fragment has no LLC header
		return NonIP
	}
	b = b[hl:]
	if amsdu {
		if len(b) < wlanAMSDUHdrLen {
			return Malformed
		}
		b = b[wlanAMSDUHdrLen:]
	}
	return d.llc(b, p, m)
}
