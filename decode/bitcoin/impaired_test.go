package bitcoin

import (
	"errors"
	"io"
	"testing"

	"github.com/netlens/netlens/decode"
	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/input"
	"github.com/netlens/netlens/schema"
)

// readSegments returns the TCP segments of the capture at path, with their
// payloads copied.
func readSegments(t testing.TB, path string) []tcpstream.Segment {
	t.Helper()
	r, err := input.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dec := decode.New()
	var (
		f    input.Frame
		p    schema.Packet
		m    decode.Meta
		segs []tcpstream.Segment
	)
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			return segs
		}
		p = schema.Packet{Ts: f.Ts}
		dec.Decode(f.LinkType, f.Data, &p, &m)
		var s tcpstream.Segment
		if s.FromPacket(&p, &m) {
			s.Payload = append([]byte(nil), s.Payload...)
			segs = append(segs, s)
		}
	}
}

// countSegments decodes segs and counts the messages per sender, receiver
// and command.
func countSegments(segs []tcpstream.Segment) (map[sentKey]count, *tally) {
	c := &bySender{got: map[sentKey]count{}, ports: map[uint16]bool{}}
	st := &tally{}
	a, _ := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(DefaultConfig(), both{c, st}))
	for i := range segs {
		a.Add(&segs[i])
	}
	a.Flush()
	return c.got, st
}

// both gives messages to one sink and stream ends to the other.
type both struct {
	msgs *bySender
	ends *tally
}

func (b both) Message(s *tcpstream.Stream, m *Message) { b.msgs.Message(s, m) }
func (b both) StreamEnd(s *tcpstream.Stream, st *StreamStats, r tcpstream.EndReason) {
	b.ends.StreamEnd(s, st, r)
}

// TestCorpusImpaired decodes the btcd capture with its segments reordered,
// duplicated, lost and cut: reordering and duplicates change nothing; loss
// and cuts lose messages, counted, and never add one.
func TestCorpusImpaired(t *testing.T) {
	segs := readSegments(t, corpusPcap(t))
	clean, _ := countSegments(segs)
	total := func(m map[sentKey]count) (n uint64) {
		for _, c := range m {
			n += c.Messages
		}
		return n
	}
	if total(clean) != 12746 {
		t.Fatalf("%d messages in the clean capture, want 12746", total(clean))
	}
	data := func(s tcpstream.Segment) bool { return len(s.Payload) > 0 }
	tests := []struct {
		name  string
		make  func() []tcpstream.Segment
		equal bool
	}{
		{"reordered", func() []tcpstream.Segment {
			out := append([]tcpstream.Segment(nil), segs...)
			for i := 0; i+1 < len(out); i += 5 {
				if data(out[i]) && data(out[i+1]) {
					out[i], out[i+1] = out[i+1], out[i]
				}
			}
			return out
		}, true},
		{"duplicated", func() []tcpstream.Segment {
			var out []tcpstream.Segment
			for i, s := range segs {
				out = append(out, s)
				if data(s) && i%4 == 0 {
					dup := s
					dup.Payload = dup.Payload[:len(dup.Payload)/2+1]
					dup.Len = 0
					out = append(out, dup, s)
				}
			}
			return out
		}, true},
		{"lost", func() []tcpstream.Segment {
			var out []tcpstream.Segment
			for i, s := range segs {
				if !data(s) || i%40 != 0 {
					out = append(out, s)
				}
			}
			return out
		}, false},
		{"cut by the snap length", func() []tcpstream.Segment {
			out := append([]tcpstream.Segment(nil), segs...)
			for i := range out {
				if len(out[i].Payload) > 200 {
					out[i].Len = len(out[i].Payload)
					out[i].Payload = out[i].Payload[:200]
				}
			}
			return out
		}, false},
		{"capture cut in the middle", func() []tcpstream.Segment { return segs[:len(segs)/2] }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := countSegments(tt.make())
			for k, c := range got {
				if w := clean[k]; c.Messages > w.Messages || c.Payload > w.Payload {
					t.Errorf("%v: %+v, more than the clean capture's %+v", k, c, w)
				}
			}
			n := total(got)
			if tt.equal && n != total(clean) {
				t.Errorf("%d messages, want %d", n, total(clean))
			}
			if !tt.equal && (n >= total(clean) || st.stats.Lost+st.stats.Cut+st.stats.GapBytes == 0) {
				t.Errorf("%d messages of %d, undecoded %+v: want fewer, counted", n, total(clean), st.stats)
			}
			t.Logf("%d of %d messages; %+v", n, total(clean), st.stats)
		})
	}
}
