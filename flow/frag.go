package flow

import (
	"time"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/schema"
)

// Only the first fragment of an IP datagram holds its ports. The Assembler
// remembers which flow each first fragment joined, so that the later
// fragments of the same datagram join that flow too, as they would after
// reassembly. Like Linux (net.ipv4.ipfrag_time), it gives up on a datagram
// 30 seconds of packet time after its first fragment, and it bounds the
// number of datagrams it remembers, forgetting the oldest first.
const (
	fragTimeout = int64(30 * time.Second)
	maxFrags    = 1 << 16
)

// fragKey identifies an IP datagram: addresses and IP id (IPv6: fragment
// identification), and for IPv4 the protocol. An IPv6 later fragment names
// the header after its fragment header, which may not be the transport
// protocol of the first fragment, so IPv6 datagrams are keyed without it.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

// frag is a datagram whose first fragment was seen: the flow it joined and
// the direction of its packets.
type frag struct {
	key        fragKey
	flow       key
	srcIsLo    bool
	at         int64 // time of the first fragment
	prev, next *frag // in order of arrival, oldest first
}

// fragTable holds at most maxFrags datagrams in a map and a list in order
// of arrival, so that the oldest is found without looking through the map.
type fragTable struct {
	m          map[fragKey]*frag
	head, tail *frag
	free       *frag
}

func makeFragKey(p *schema.Packet, m *decode.Meta) fragKey {
	k := fragKey{src: m.Src.As16(), dst: m.Dst.As16(), id: p.IPID, v6: m.Src.Is6()}
	if !k.v6 {
		k.proto = p.Proto
	}
	return k
}

func (t *fragTable) push(f *frag) {
	f.prev, f.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = f
	} else {
		t.head = f
	}
	t.tail = f
}

func (t *fragTable) unlink(f *frag) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		t.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		t.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

// remove forgets f.
func (t *fragTable) remove(f *frag) {
	t.unlink(f)
	delete(t.m, f.key)
	*f = frag{next: t.free}
	t.free = f
}

// expire forgets the datagrams whose first fragment is older than the
// timeout at now.
func (t *fragTable) expire(now int64) {
	for t.head != nil && now-t.head.at > fragTimeout {
		t.remove(t.head)
	}
}

// put records that the datagram k, whose first fragment came at now, is in
// flow fk. A datagram with the same key (the IP id used again) is replaced.
func (t *fragTable) put(k fragKey, fk key, srcIsLo bool, now int64) {
	if t.m == nil {
		t.m = make(map[fragKey]*frag)
	}
	f := t.m[k]
	switch {
	case f != nil:
		t.unlink(f)
	case len(t.m) >= maxFrags:
		t.remove(t.head)
		fallthrough
	default:
		f = t.free
		if f != nil {
			t.free = f.next
		} else {
			f = new(frag)
		}
		f.key = k
		t.m[k] = f
	}
	f.flow, f.srcIsLo, f.at = fk, srcIsLo, now
	t.push(f)
}

// get returns the datagram k if its first fragment came no longer than the
// timeout before now, else nil.
func (t *fragTable) get(k fragKey, now int64) *frag {
	f := t.m[k]
	if f == nil || now-f.at > fragTimeout {
		return nil
	}
	return f
}

// reset forgets every datagram.
func (t *fragTable) reset() {
	for t.head != nil {
		t.remove(t.head)
	}
}

// len returns the number of datagrams remembered.
func (t *fragTable) len() int { return len(t.m) }
