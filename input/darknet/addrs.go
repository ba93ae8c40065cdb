package darknet

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/netlens/netlens/internal/ipv4"
)

// MaxAddrs bounds the addresses an Addrs holds; a full table starts over,
// with new ids (see Addrs.Generation).
const MaxAddrs = 1 << 22

// Addrs numbers the addresses of darknet logs and keeps one text per
// address, so that an address is parsed and allocated once however many
// packets name it, and the readers of one ingest's files can share it:
// a telescope's senders come back day after day. Hits allocate nothing.
// The ids of an Addrs are dense, from 0; an Addrs is not safe for
// concurrent use.
type Addrs struct {
	slots []v4slot // open addressing over the IPv4 addresses, a power of two
	other map[string]int32
	texts []string
	vers  []uint8
	gen   int
}

// v4slot holds an IPv4 address, its id plus 1 (0: an empty slot) and its
// text, so that a hit reads one slot and nothing else.
type v4slot struct {
	v    uint32
	id1  uint32
	text string
}

// NewAddrs returns an empty table.
func NewAddrs() *Addrs { return &Addrs{} }

// Len returns the number of addresses held, one more than the highest id.
func (a *Addrs) Len() int { return len(a.texts) }

// Generation counts the times the table started over: ids given before a
// change of generation name other addresses after it.
func (a *Addrs) Generation() int { return a.gen }

// reset empties the table when it is full.
func (a *Addrs) reset() {
	a.slots, a.other, a.texts, a.vers = nil, nil, a.texts[:0], a.vers[:0]
	a.gen++
}

// get returns the id and text of the address in b and its IP version, 0
// when b is no IP address (the text as it is).
func (a *Addrs) get(b []byte) (int32, string, uint8) {
	v, ok := ipv4.Parse(b)
	return a.getParsed(b, v, ok)
}

// getParsed is get for an address b that ipv4.Parse has read already: v,
// when is4.
func (a *Addrs) getParsed(b []byte, v uint32, is4 bool) (int32, string, uint8) {
	if is4 {
		h := (v * 0x9e3779b1) >> 7
		mask := uint32(len(a.slots) - 1)
		for i := h & mask; len(a.slots) > 0; i = (i + 1) & mask {
			s := &a.slots[i]
			if s.id1 == 0 {
				break
			}
			if s.v == v {
				return int32(s.id1 - 1), s.text, 4
			}
		}
		return a.add4(v, b)
	}
	if id, ok := a.other[string(b)]; ok {
		return id, a.texts[id], a.vers[id]
	}
	if len(a.texts) >= MaxAddrs {
		a.reset()
	}
	if a.other == nil {
		a.other = make(map[string]int32, 64)
	}
	raw := string(b)
	text, ver := raw, uint8(0)
	if ip, err := netip.ParseAddr(raw); err == nil && ip.Zone() == "" {
		text, ver = ip.String(), 4
		if ip.Is6() && !ip.Is4In6() {
			ver = 6
		}
	} else if !utf8.ValidString(raw) {
		text = strings.ToValidUTF8(raw, "\uFFFD")
	}
	id := int32(len(a.texts))
	a.texts, a.vers = append(a.texts, text), append(a.vers, ver)
	a.other[raw] = id
	return id, text, ver
}

// add4 adds an IPv4 address not in the table.
func (a *Addrs) add4(v uint32, b []byte) (int32, string, uint8) {
	if len(a.texts) >= MaxAddrs {
		a.reset()
	}
	if 2*(len(a.texts)+1) > len(a.slots) {
		a.grow()
	}
	id := int32(len(a.texts))
	text := string(b) // canonical: ipv4.Parse takes no leading zeros
	a.texts, a.vers = append(a.texts, text), append(a.vers, 4)
	a.put(v4slot{v: v, id1: uint32(id) + 1, text: text})
	return id, text, 4
}

// grow doubles the slots and puts the IPv4 addresses back.
func (a *Addrs) grow() {
	old := a.slots
	a.slots = make([]v4slot, max(1<<12, 2*len(old)))
	for _, s := range old {
		if s.id1 != 0 {
			a.put(s)
		}
	}
}

// put puts s in its slot or the first empty one after it.
func (a *Addrs) put(s v4slot) {
	mask := uint32(len(a.slots) - 1)
	for i := (s.v * 0x9e3779b1) >> 7 & mask; ; i = (i + 1) & mask {
		if a.slots[i].id1 == 0 {
			a.slots[i] = s
			return
		}
	}
}
