package decode

const (
	tlsRecordHandshake = 0x16
	tlsClientHello     = 1
	tlsExtServerName   = 0
	tlsSNIHostName     = 0

	maxHostName = 253 // longest DNS name in text, without the final dot
)

// TLSServerName returns the host name a client asks for in the server_name
// extension (RFC 6066) of a TLS ClientHello at the start of payload, lower
// case and without a final dot.
//
// payload is the first TCP payload of a connection. A ClientHello cut by
// the end of the segment still gives its name when the server_name
// extension is complete. ok is false when payload is not a ClientHello,
// has no server_name, or the name is not a host name (letters, digits,
// '-', '_' and '.', at most 253 characters).
func TLSServerName(payload []byte) (name string, ok bool) {
	if len(payload) < 5 || payload[0] != tlsRecordHandshake || payload[1] != 3 {
		return "", false
	}
	rec := payload[5:]
	if n := int(be16(payload[3:])); n < len(rec) {
		rec = rec[:n]
	}
	if len(rec) < 4 || rec[0] != tlsClientHello {
		return "", false
	}
	hello := rec[4:]
	if n := int(rec[1])<<16 | int(be16(rec[2:])); n < len(hello) {
		hello = hello[:n]
	}
	r := tlsReader(hello)
	if !r.skip(2+32) || // legacy_version, random
		!r.skipVec8() || // legacy_session_id
		!r.skipVec16() || // cipher_suites
		!r.skipVec8() { // legacy_compression_methods
		return "", false
	}
	exts, ok := r.u16()
	if !ok {
		return "", false
	}
	if int(exts) < len(r) {
		r = r[:exts]
	}
	for {
		typ, ok1 := r.u16()
		body, ok2 := r.vec16()
		if !ok1 || !ok2 {
			return "", false
		}
		if typ == tlsExtServerName {
			return sniHostName(body)
		}
	}
}

// sniHostName returns the first host_name of a ServerNameList.
func sniHostName(b []byte) (string, bool) {
	r := tlsReader(b)
	list, ok := r.vec16()
	if !ok {
		return "", false
	}
	for len(list) > 0 {
		typ, ok1 := list.u8()
		name, ok2 := list.vec16()
		if !ok1 || !ok2 {
			return "", false
		}
		if typ == tlsSNIHostName {
			return hostText(name)
		}
	}
	return "", false
}

// tlsReader reads the big-endian fields and length-prefixed vectors of a
// TLS structure from the front of a byte slice.
type tlsReader []byte

func (r *tlsReader) skip(n int) bool {
	if n > len(*r) {
		return false
	}
	*r = (*r)[n:]
	return true
}

func (r *tlsReader) u8() (uint8, bool) {
	if len(*r) < 1 {
		return 0, false
	}
	v := (*r)[0]
	*r = (*r)[1:]
	return v, true
}

func (r *tlsReader) u16() (uint16, bool) {
	if len(*r) < 2 {
		return 0, false
	}
	v := be16(*r)
	*r = (*r)[2:]
	return v, true
}

// vec16 reads a vector with a 2-byte length prefix.
func (r *tlsReader) vec16() (tlsReader, bool) {
	n, ok := r.u16()
	if !ok || int(n) > len(*r) {
		return nil, false
	}
	v := (*r)[:n]
	*r = (*r)[n:]
	return v, true
}

func (r *tlsReader) skipVec8() bool {
	n, ok := r.u8()
	return ok && r.skip(int(n))
}

func (r *tlsReader) skipVec16() bool {
	_, ok := r.vec16()
	return ok
}

// hostText returns a host name lower case and without its final dot, or
// false when it is empty, too long, has an empty label, or holds a byte
// other than letters, digits, '-', '_' and '.'.
func hostText(b []byte) (string, bool) {
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || len(b) > maxHostName {
		return "", false
	}
	var buf [maxHostName]byte
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			if i == 0 || i == len(b)-1 || b[i-1] == '.' {
				return "", false
			}
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			return "", false
		}
		buf[i] = c
	}
	return string(buf[:len(b)]), true
}
