package tcpstream

import (
	"fmt"
	"testing"
)

// content is the byte at position i of the fuzzed stream.
func content(i int) byte { return byte(i*7 + 3) }

// checker verifies that every delivered byte is the stream's byte at its
// position, and that gaps and data follow each other without a hole.
type checker struct {
	isn   uint32
	pos   int
	conn  uint64
	ended bool
	err   error
}

func (c *checker) Data(s *Stream, b []byte, ch Chunk) {
	if s.Dir != ClientToServer {
		return
	}
	if s.Conn.ID != c.conn { // a new connection begins mid-stream
		c.conn, c.ended, c.pos = s.Conn.ID, false, int(ch.Seq-c.isn-1)
	}
	if p := int(ch.Seq - c.isn - 1); p != c.pos && c.err == nil {
		c.err = fmt.Errorf("data at %d, want %d", p, c.pos)
	}
	for i, x := range b {
		if x != content(c.pos+i) && c.err == nil {
			c.err = fmt.Errorf("byte %d: got %d, want %d", c.pos+i, x, content(c.pos+i))
		}
	}
	if c.ended && c.err == nil {
		c.err = fmt.Errorf("data after the end")
	}
	c.pos += len(b)
}
func (c *checker) Gap(s *Stream, n int) {
	if n <= 0 && c.err == nil {
		c.err = fmt.Errorf("gap of %d bytes", n)
	}
	c.pos += n
}
func (c *checker) Ack(*Stream, int64, int) {}
func (c *checker) End(s *Stream, r EndReason) {
	if s.Dir == ClientToServer && s.Conn.ID == c.conn {
		c.ended = true
	}
}

// FuzzAssembler feeds segments of one stream in any order, with any
// overlaps, cuts and flags: every byte delivered must be the stream's byte
// at its position and the buffers must stay within their bounds.
func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0x10, 0, 20, 10, 0x10, 0, 10, 10, 0x10, 0, 10, 10, 0x10})
	f.Add([]byte{0, 5, 200, 0x10, 0, 0, 5, 0x11, 1, 0, 255, 0x14})
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := Config{MaxBufferedPerStream: 600, MaxBufferedTotal: 1000, MaxConns: 4}
		const isn = 0xffffff00 // sequence numbers wrap inside the stream
		c := &checker{isn: isn, conn: 1}
		a, err := New(cfg, c)
		if err != nil {
			t.Fatal(err)
		}
		a.Add(&Segment{Src: cli, Dst: srv, Seq: isn, Flags: FlagSYN})
		buf := make([]byte, 300)
		for i := 0; i+4 <= len(ops); i += 4 {
			off := int(ops[i])<<8 | int(ops[i+1])
			n := int(ops[i+2])
			flags := uint16(ops[i+3]) & (FlagFIN | FlagRST | FlagACK)
			captured := n
			if ops[i+3]&0x80 != 0 {
				captured = n / 2
			}
			for j := range captured {
				buf[j] = content(off + j)
			}
			a.Add(&Segment{Src: cli, Dst: srv, Seq: isn + 1 + uint32(off), Flags: flags, Payload: buf[:captured], Len: n})
			if a.Buffered() > cfg.MaxBufferedTotal {
				t.Fatalf("buffered %d > %d", a.Buffered(), cfg.MaxBufferedTotal)
			}
		}
		a.Flush()
		if c.err != nil {
			t.Fatal(c.err)
		}
		if a.Buffered() != 0 {
			t.Fatalf("buffered %d after flush", a.Buffered())
		}
	})
}
