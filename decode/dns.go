package decode

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"strconv"
)

// Errors returned by ParseDNS, wrapped with where in the message they
// happened. Records parsed before the error stay in DNSMessage.Answers.
var (
	// ErrDNSShort means the message ends before its header, counts or
	// record lengths say it should: a cut capture or a TCP segment that
	// holds only part of the message.
	ErrDNSShort = errors.New("dns message cut short")
	// ErrDNSMalformed means the message is inconsistent: a bad label type,
	// a compression pointer that does not point backwards, too many
	// pointers, a name longer than 255 bytes, or a record name running past
	// its data.
	ErrDNSMalformed = errors.New("malformed dns message")
	// ErrDNSNameTooLong means a name is longer than 255 bytes on the wire:
	// the message is read up to it, and callers count such names. It wraps
	// ErrDNSMalformed.
	ErrDNSNameTooLong = fmt.Errorf("name longer than %d bytes: %w", dnsMaxName, ErrDNSMalformed)
)

const (
	dnsHeaderLen = 12
	dnsMaxName   = 255     // wire length of a name, length bytes and root included
	dnsMaxJumps  = 127     // a 255-byte name holds at most 127 labels
	dnsTexts     = 1 << 10 // texts remembered to share strings between records, a power of two
)

// DNS record types that ParseDNS renders into DNSAnswer.Data.
const (
	dnsTypeA     = 1
	dnsTypeNS    = 2
	dnsTypeCNAME = 5
	dnsTypePTR   = 12
	dnsTypeMX    = 15
	dnsTypeAAAA  = 28
	dnsTypeSRV   = 33
	dnsTypeDNAME = 39
)

// DNSSection names the section of a message a record came from.
type DNSSection uint8

// Message sections that hold records.
const (
	DNSAnswerSection     DNSSection = 1
	DNSAuthoritySection  DNSSection = 2
	DNSAdditionalSection DNSSection = 3
)

// DNSQuestion is the first question of a DNS message.
type DNSQuestion struct {
	Name string // presentation text, see ParseDNS
	Type uint16
}

// DNSAnswer is one resource record of a DNS message.
type DNSAnswer struct {
	Name string // presentation text, see ParseDNS
	Type uint16
	TTL  uint32
	// Data is the address text for A and AAAA, the target name for CNAME,
	// PTR, NS and DNAME, the exchange for MX, the target for SRV, and empty
	// for the other types or when the record data does not have the size
	// its type needs.
	Data    string
	Section DNSSection
}

// DNSMessage is what ParseDNS keeps of a DNS or mDNS message. Reusing one
// DNSMessage for many calls reuses its slices.
type DNSMessage struct {
	ID       uint16
	Response bool
	Opcode   uint8
	RCode    uint8 // the 4-bit header RCODE, without the EDNS extension
	Question DNSQuestion
	// Answers holds the records of the answer, authority and additional
	// sections, in message order, OPT pseudo-records included; Section
	// tells them apart. mDNS announcements carry their addresses in any of
	// them.
	Answers []DNSAnswer

	text  []byte   // scratch for the text of one name
	texts []string // texts made, direct-mapped by a hash of their bytes (see str)
}

// ParseDNS parses a DNS or mDNS message into m.
//
// With overTCP the payload starts with the 2-byte length prefix of DNS over
// TCP; only the first message of the payload is read, and a message longer
// than the payload is parsed as far as it goes before ErrDNSShort.
//
// Names are lower case, without the final dot, and the root is "". They are
// made unambiguous the way dig prints them: bytes outside printable ASCII
// and spaces become \DDD (decimal), and the characters . " $ ( ) ; @ \
// inside a label get a backslash. Only the first question is kept; a
// message without questions (an mDNS announcement) leaves m.Question zero.
// Record classes are not kept, so the mDNS cache-flush bit does not matter.
//
// On error m holds what was parsed before the fault.
func ParseDNS(payload []byte, overTCP bool, m *DNSMessage) error {
	m.ID, m.Response, m.Opcode, m.RCode = 0, false, 0, 0
	m.Question = DNSQuestion{}
	m.Answers = m.Answers[:0]
	msg := payload
	if overTCP {
		if len(msg) < 2 {
			return fmt.Errorf("dns length prefix: %w", ErrDNSShort)
		}
		n := int(be16(msg))
		msg = msg[2:]
		if n < len(msg) {
			msg = msg[:n]
		}
	}
	if len(msg) < dnsHeaderLen {
		return fmt.Errorf("dns header: %w", ErrDNSShort)
	}
	m.ID = be16(msg)
	m.Response = msg[2]&0x80 != 0
	m.Opcode = msg[2] >> 3 & 0x0f
	m.RCode = msg[3] & 0x0f
	qd := int(be16(msg[4:]))
	off := dnsHeaderLen
	for i := range qd {
		text, next, err := m.name(msg, off)
		if err != nil {
			return fmt.Errorf("dns question %d: %w", i+1, err)
		}
		if next+4 > len(msg) {
			return fmt.Errorf("dns question %d: %w", i+1, ErrDNSShort)
		}
		if i == 0 {
			m.Question = DNSQuestion{Name: m.str(text), Type: be16(msg[next:])}
		}
		off = next + 4
	}
	counts := [3]int{int(be16(msg[6:])), int(be16(msg[8:])), int(be16(msg[10:]))}
	for s, n := range counts {
		sec := DNSSection(s + 1)
		for i := range n {
			var err error
			if off, err = m.record(msg, off, sec); err != nil {
				return fmt.Errorf("dns %s record %d: %w", sec, i+1, err)
			}
		}
	}
	return nil
}

// String returns the lower-case name of the section.
func (s DNSSection) String() string {
	switch s {
	case DNSAnswerSection:
		return "answer"
	case DNSAuthoritySection:
		return "authority"
	case DNSAdditionalSection:
		return "additional"
	}
	return "section" + strconv.Itoa(int(s))
}

// record parses the resource record at off, appends it to m.Answers and
// returns the offset after it.
func (m *DNSMessage) record(msg []byte, off int, sec DNSSection) (int, error) {
	text, next, err := m.name(msg, off)
	if err != nil {
		return 0, err
	}
	if next+10 > len(msg) {
		return 0, ErrDNSShort
	}
	a := DNSAnswer{
		Name:    m.str(text),
		Type:    be16(msg[next:]),
		TTL:     be32(msg[next+4:]),
		Section: sec,
	}
	start := next + 10
	end := start + int(be16(msg[next+8:]))
	if end > len(msg) {
		return 0, ErrDNSShort
	}
	if a.Data, err = m.data(msg, a.Type, start, end); err != nil {
		return 0, err
	}
	m.Answers = append(m.Answers, a)
	return end, nil
}

// data renders the record data msg[start:end] of a record of type typ.
func (m *DNSMessage) data(msg []byte, typ uint16, start, end int) (string, error) {
	rd := msg[start:end]
	switch typ {
	case dnsTypeA:
		if len(rd) != 4 {
			return "", nil
		}
		m.text = netip.AddrFrom4([4]byte(rd)).AppendTo(m.text[:0])
		return m.str(m.text), nil
	case dnsTypeAAAA:
		if len(rd) != 16 {
			return "", nil
		}
		m.text = netip.AddrFrom16([16]byte(rd)).AppendTo(m.text[:0])
		return m.str(m.text), nil
	case dnsTypeNS, dnsTypeCNAME, dnsTypePTR, dnsTypeDNAME:
		return m.dataName(msg, start, end)
	case dnsTypeMX:
		if len(rd) < 3 {
			return "", nil
		}
		return m.dataName(msg, start+2, end)
	case dnsTypeSRV:
		if len(rd) < 7 {
			return "", nil
		}
		return m.dataName(msg, start+6, end)
	}
	return "", nil
}

// dataName reads a name that must end within the record data, which ends
// at end (compression pointers may reach earlier parts of the message).
func (m *DNSMessage) dataName(msg []byte, off, end int) (string, error) {
	text, _, err := m.name(msg[:end], off)
	if errors.Is(err, ErrDNSShort) {
		err = fmt.Errorf("name runs past its record: %w", ErrDNSMalformed)
	}
	if err != nil {
		return "", fmt.Errorf("data name: %w", err)
	}
	return m.str(text), nil
}

// name reads the possibly compressed name at off into m.text and returns
// its text (aliasing m.text) and the offset after the name where it was
// written. Every pointer must point before all bytes the name was read from
// so far, so a name is read in bounded time whatever the message holds.
func (m *DNSMessage) name(msg []byte, off int) ([]byte, int, error) {
	text := m.text[:0]
	next := -1
	low := off // lowest offset read; the next pointer must go below it
	wire := 1  // wire length, counting the final zero
	jumps := 0
	pos := off
	for {
		if pos >= len(msg) {
			return nil, 0, ErrDNSShort
		}
		c := msg[pos]
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if next < 0 {
					next = pos + 1
				}
				m.text = text
				return text, next, nil
			}
			n := int(c)
			wire += 1 + n
			if wire > dnsMaxName {
				return nil, 0, ErrDNSNameTooLong
			}
			if pos+1+n > len(msg) {
				return nil, 0, ErrDNSShort
			}
			if len(text) > 0 {
				text = append(text, '.')
			}
			text = appendLabel(text, msg[pos+1:pos+1+n])
			pos += 1 + n
		case 0xc0:
			if pos+2 > len(msg) {
				return nil, 0, ErrDNSShort
			}
			ptr := int(be16(msg[pos:]) & 0x3fff)
			if ptr >= low || ptr < dnsHeaderLen {
				return nil, 0, fmt.Errorf("compression pointer %d at %d: %w", ptr, pos, ErrDNSMalformed)
			}
			if jumps++; jumps > dnsMaxJumps {
				return nil, 0, fmt.Errorf("more than %d compression pointers: %w", dnsMaxJumps, ErrDNSMalformed)
			}
			if next < 0 {
				next = pos + 2
			}
			low, pos = ptr, ptr
		default:
			return nil, 0, fmt.Errorf("label type %#x at %d: %w", c&0xc0, pos, ErrDNSMalformed)
		}
	}
}

// appendLabel appends the presentation text of one label to b, lower case.
func appendLabel(b, label []byte) []byte {
	plain := true
	for _, c := range label {
		if labelClass[c] != labelPlain {
			plain = false
			break
		}
	}
	if plain { // the common case: copied as it is
		return append(b, label...)
	}
	for _, c := range label {
		switch labelClass[c] {
		case labelUpper:
			b = append(b, c+'a'-'A')
		case labelDecimal:
			b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		case labelEscaped:
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return b
}

// How appendLabel writes a byte of a label.
const (
	labelPlain   = iota // as it is
	labelUpper          // lower case
	labelDecimal        // \DDD: control characters, space, DEL and non-ASCII
	labelEscaped        // \c: characters special in zone files
)

// labelClass tells how appendLabel writes each byte.
var labelClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case 'A' <= c && c <= 'Z':
			t[c] = labelUpper
		case c <= ' ' || c >= 0x7f:
			t[c] = labelDecimal
		case c == '.' || c == '"' || c == '$' || c == '(' || c == ')' || c == ';' || c == '@' || c == '\\':
			t[c] = labelEscaped
		}
	}
	return t
}()

// str returns b as a string, sharing the string made for an equal text
// before so that names repeated across records and messages cost no
// allocation. The texts are remembered in a direct-mapped table: a text
// has one slot, found by a hash of its bytes, and a new text takes it over.
func (m *DNSMessage) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if m.texts == nil {
		m.texts = make([]string, dnsTexts)
	}
	e := &m.texts[maphash.Bytes(dnsSeed, b)&(dnsTexts-1)]
	if *e != string(b) {
		*e = string(b)
	}
	return *e
}

// dnsSeed is the seed of the hashes of str's table.
var dnsSeed = maphash.MakeSeed()

// DNSTypeName returns the mnemonic of a DNS record type, or TYPE<n> as in
// RFC 3597 for a type it does not know. Known types cost no allocation.
func DNSTypeName(t uint16) string {
	switch t {
	case 1:
		return "A"
	case 2:
		return "NS"
	case 5:
		return "CNAME"
	case 6:
		return "SOA"
	case 12:
		return "PTR"
	case 13:
		return "HINFO"
	case 15:
		return "MX"
	case 16:
		return "TXT"
	case 17:
		return "RP"
	case 18:
		return "AFSDB"
	case 24:
		return "SIG"
	case 25:
		return "KEY"
	case 28:
		return "AAAA"
	case 29:
		return "LOC"
	case 33:
		return "SRV"
	case 35:
		return "NAPTR"
	case 36:
		return "KX"
	case 37:
		return "CERT"
	case 39:
		return "DNAME"
	case 41:
		return "OPT"
	case 42:
		return "APL"
	case 43:
		return "DS"
	case 44:
		return "SSHFP"
	case 45:
		return "IPSECKEY"
	case 46:
		return "RRSIG"
	case 47:
		return "NSEC"
	case 48:
		return "DNSKEY"
	case 49:
		return "DHCID"
	case 50:
		return "NSEC3"
	case 51:
		return "NSEC3PARAM"
	case 52:
		return "TLSA"
	case 53:
		return "SMIMEA"
	case 55:
		return "HIP"
	case 59:
		return "CDS"
	case 60:
		return "CDNSKEY"
	case 61:
		return "OPENPGPKEY"
	case 62:
		return "CSYNC"
	case 63:
		return "ZONEMD"
	case 64:
		return "SVCB"
	case 65:
		return "HTTPS"
	case 99:
		return "SPF"
	case 108:
		return "EUI48"
	case 109:
		return "EUI64"
	case 249:
		return "TKEY"
	case 250:
		return "TSIG"
	case 251:
		return "IXFR"
	case 252:
		return "AXFR"
	case 255:
		return "ANY"
	case 256:
		return "URI"
	case 257:
		return "CAA"
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// DNSRCodeName returns the mnemonic of a DNS response code (RFC 6895), or
// RCODE<n> for one it does not know. Known codes cost no allocation.
func DNSRCodeName(r uint8) string {
	switch r {
	case 0:
		return "NOERROR"
	case 1:
		return "FORMERR"
	case 2:
		return "SERVFAIL"
	case 3:
		return "NXDOMAIN"
	case 4:
		return "NOTIMP"
	case 5:
		return "REFUSED"
	case 6:
		return "YXDOMAIN"
	case 7:
		return "YXRRSET"
	case 8:
		return "NXRRSET"
	case 9:
		return "NOTAUTH"
	case 10:
		return "NOTZONE"
	case 11:
		return "DSOTYPENI"
	case 16:
		return "BADVERS"
	case 17:
		return "BADKEY"
	case 18:
		return "BADTIME"
	case 19:
		return "BADMODE"
	case 20:
		return "BADNAME"
	case 21:
		return "BADALG"
	case 22:
		return "BADTRUNC"
	case 23:
		return "BADCOOKIE"
	}
	return "RCODE" + strconv.Itoa(int(r))
}
