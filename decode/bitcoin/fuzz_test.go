package bitcoin

import (
	"testing"

	"github.com/netlens/netlens/decode/tcpstream"
)

// sizes adds up what a Decoder reports.
type sizes struct {
	msgBytes uint64
	msgs     uint64
	st       StreamStats
}

func (s *sizes) Message(_ *tcpstream.Stream, m *Message) {
	s.msgs++
	s.msgBytes += uint64(m.Size())
	if !m.Net.Known() || m.Command == "" || m.Length > MaxPayload {
		panic("message with an impossible header")
	}
}

func (s *sizes) StreamEnd(_ *tcpstream.Stream, st *StreamStats, _ tcpstream.EndReason) {
	s.st.Messages += st.Messages
	s.st.Undecoded += st.Undecoded
	s.st.Skipped += st.Skipped
	s.st.GapBytes += st.GapBytes
}

// FuzzDecoder feeds any bytes, cut into segments at the places the first
// byte chooses: every byte must be in a message or counted as undecoded, and
// every message reported must have been checked.
func FuzzDecoder(f *testing.F) {
	f.Add(byte(7), cat(msg(RegTest, "version", versionPayload("/x/", 1, true)), msg(RegTest, "verack", nil)))
	f.Add(byte(1), cat([]byte{0xfa, 0xbf}, msg(MainNet, "ping", make([]byte, 8)), []byte{0xf9, 0xbe, 0xb4, 0xd9, 'a'}))
	f.Add(byte(30), cat(msg(SigNet, "inv", make([]byte, 37)), msg(SigNet, "tx", []byte{1, 2, 3, 4, 5, 6, 7, 8})[:30]))
	f.Fuzz(func(t *testing.T, cut byte, data []byte) {
		s := &sizes{}
		a, err := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(Config{GiveUp: 1 << 10}, s))
		if err != nil {
			t.Fatal(err)
		}
		n := int(cut%64) + 1
		for off := 0; off < len(data); off += n {
			a.Add(&tcpstream.Segment{Src: cli, Dst: srv, Seq: uint32(off), Flags: tcpstream.FlagACK, Payload: data[off:min(off+n, len(data))]})
		}
		a.Flush()
		if s.msgs != s.st.Messages {
			t.Fatalf("%d messages reported, %d counted", s.msgs, s.st.Messages)
		}
		if got := s.msgBytes + s.st.Undecoded + s.st.Skipped; got != uint64(len(data)) {
			t.Fatalf("messages %d + undecoded %d + skipped %d bytes != %d bytes given", s.msgBytes, s.st.Undecoded, s.st.Skipped, len(data))
		}
	})
}
