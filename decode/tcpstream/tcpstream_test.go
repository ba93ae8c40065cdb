package tcpstream

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:8333")
)

// recorder writes what each stream receives as text: data as is, gaps as
// [gap N], acks as [ack], the end as [end REASON].
type recorder struct {
	out map[string]*strings.Builder
}

func (r *recorder) w(s *Stream) *strings.Builder {
	k := fmt.Sprintf("%d %s>%s", s.Conn.ID, s.Src(), s.Dst())
	if r.out[k] == nil {
		r.out[k] = &strings.Builder{}
	}
	return r.out[k]
}

func (r *recorder) Data(s *Stream, b []byte, c Chunk) { r.w(s).Write(b) }
func (r *recorder) Gap(s *Stream, n int)              { fmt.Fprintf(r.w(s), "[gap %d]", n) }
func (r *recorder) Ack(s *Stream, ts int64, n int)    { r.w(s).WriteString("[ack]") }
func (r *recorder) End(s *Stream, e EndReason)        { fmt.Fprintf(r.w(s), "[end %s]", e) }

var _ Handler = (*recorder)(nil)

// seg is a short form of a segment: from the client or not, relative
// sequence number (ISN 1000 for the client, 5000 for the server), flags, data.
type seg struct {
	fromClient bool
	seq        uint32
	flags      uint16
	data       string
	len        int
}

func run(t *testing.T, cfg Config, segs []seg) (map[string]string, Stats) {
	t.Helper()
	r := &recorder{out: map[string]*strings.Builder{}}
	a, err := New(cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range segs {
		g := Segment{Ts: int64(i), Flags: s.flags, Payload: []byte(s.data), Len: s.len, IPBytes: 40 + len(s.data)}
		if s.fromClient {
			g.Src, g.Dst, g.Seq = cli, srv, 1000+s.seq
		} else {
			g.Src, g.Dst, g.Seq = srv, cli, 5000+s.seq
		}
		a.Add(&g)
	}
	a.Flush()
	if a.Buffered() != 0 {
		t.Errorf("buffered after flush: %d", a.Buffered())
	}
	got := map[string]string{}
	for k, b := range r.out {
		got[k] = b.String()
	}
	return got, a.Stats()
}

const (
	c2s = "1 10.0.0.1:40000>10.0.0.2:8333"
	s2c = "1 10.0.0.2:8333>10.0.0.1:40000"
)

func TestStreams(t *testing.T) {
	syn := []seg{{true, 0, FlagSYN, "", 0}, {false, 0, FlagSYN | FlagACK, "", 0}}
	small := Config{MaxBufferedPerStream: 8, MaxBufferedTotal: 1 << 20, MaxConns: 10}
	tests := []struct {
		name string
		cfg  Config
		segs []seg
		want map[string]string
	}{
		{
			name: "in order, both ways, FIN",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "hello", 0},
				seg{false, 1, FlagACK, "", 0},
				seg{false, 1, FlagACK, "world", 0},
				seg{true, 6, FlagACK | FlagFIN, "", 0},
				seg{false, 6, FlagACK | FlagFIN, "", 0}),
			want: map[string]string{c2s: "hello[ack][end fin]", s2c: "world[end fin]"},
		},
		{
			name: "retransmission and overlap",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "abc", 0},
				seg{true, 1, FlagACK, "abc", 0},
				seg{true, 2, FlagACK, "bcdef", 0},
				seg{true, 7, FlagACK | FlagFIN, "", 0}),
			want: map[string]string{c2s: "abcdef[end fin]", s2c: "[end flush]"},
		},
		{
			name: "reordering",
			segs: append(syn[:2:2],
				seg{true, 4, FlagACK, "def", 0},
				seg{true, 7, FlagACK, "ghi", 0},
				seg{true, 1, FlagACK, "abc", 0}),
			want: map[string]string{c2s: "abcdefghi[end flush]", s2c: "[end flush]"},
		},
		{
			name: "loss reported at the end",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "abc", 0},
				seg{true, 7, FlagACK, "ghi", 0}),
			want: map[string]string{c2s: "abc[gap 3]ghi[end flush]", s2c: "[end flush]"},
		},
		{
			name: "loss when the buffer is full",
			cfg:  small,
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "abc", 0},
				seg{true, 7, FlagACK, "ghi", 0},
				seg{true, 10, FlagACK, "jkl", 0},
				seg{true, 13, FlagACK, "mno", 0},
				seg{true, 4, FlagACK, "def", 0}),
			want: map[string]string{c2s: "abc[gap 3]ghijklmno[end flush]", s2c: "[end flush]"},
		},
		{
			name: "no SYN: starts mid-stream",
			segs: []seg{{true, 50, FlagACK, "xyz", 0}, {false, 9, FlagACK, "uvw", 0}, {true, 53, FlagACK, "123", 0}},
			want: map[string]string{c2s: "xyz123[end flush]", s2c: "uvw[end flush]"},
		},
		{
			name: "RST flushes with gaps",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "abc", 0},
				seg{true, 7, FlagACK, "ghi", 0},
				seg{false, 1, FlagRST, "", 0}),
			want: map[string]string{c2s: "abc[gap 3]ghi[end rst]", s2c: "[end rst]"},
		},
		{
			name: "segment cut by the snap length",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK, "ab", 5},
				seg{true, 6, FlagACK, "fgh", 0}),
			want: map[string]string{c2s: "ab[gap 3]fgh[end flush]", s2c: "[end flush]"},
		},
		{
			name: "data after FIN is dropped",
			segs: append(syn[:2:2],
				seg{true, 1, FlagACK | FlagFIN, "ab", 0},
				seg{true, 1, FlagACK, "ab", 0}),
			want: map[string]string{c2s: "ab[end fin]", s2c: "[end flush]"},
		},
		{
			name: "sequence numbers wrap",
			segs: []seg{{true, 0xfffffffe - 1000, FlagACK, "ab", 0}, {true, 0xffffffff - 999 + 1, FlagACK, "dc", 0}, {true, 0, FlagACK, "x", 0}},
			want: map[string]string{c2s: "ab[gap 1]dc[gap 997]x[end flush]", s2c: "[end flush]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.MaxConns == 0 {
				cfg = DefaultConfig()
			}
			got, _ := run(t, cfg, tt.segs)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("streams (-want +got):\n%s", d)
			}
		})
	}
}

func TestStats(t *testing.T) {
	_, st := run(t, DefaultConfig(), []seg{
		{true, 0, FlagSYN, "", 0},
		{true, 1, FlagACK, "abc", 0},
		{true, 1, FlagACK, "abc", 0},
		{true, 7, FlagACK, "ghi", 0},
	})
	want := Stats{Segments: 4, Conns: 1, Delivered: 6, Duplicate: 3, OutOfOrder: 1, Gaps: 1, GapBytes: 3}
	if d := cmp.Diff(want, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
}

func TestTotalBound(t *testing.T) {
	cfg := Config{MaxBufferedPerStream: 1 << 20, MaxBufferedTotal: 100, MaxConns: 1000}
	r := &recorder{out: map[string]*strings.Builder{}}
	a, _ := New(cfg, r)
	payload := make([]byte, 30)
	for i := range 50 {
		src := netip.AddrPortFrom(cli.Addr(), uint16(1000+i))
		a.Add(&Segment{Src: src, Dst: srv, Seq: 100, Flags: FlagSYN})
		a.Add(&Segment{Src: src, Dst: srv, Seq: 200, Flags: FlagACK, Payload: payload})
		if a.Buffered() > cfg.MaxBufferedTotal {
			t.Fatalf("buffered %d > %d", a.Buffered(), cfg.MaxBufferedTotal)
		}
	}
	a.Flush()
	if st := a.Stats(); st.Delivered != 50*30 {
		t.Errorf("delivered %d, want %d", st.Delivered, 50*30)
	}
}

func TestMaxConns(t *testing.T) {
	a, _ := New(Config{MaxBufferedPerStream: 10, MaxBufferedTotal: 10, MaxConns: 2}, &recorder{out: map[string]*strings.Builder{}})
	for i := range 5 {
		a.Add(&Segment{Src: netip.AddrPortFrom(cli.Addr(), uint16(i+1)), Dst: srv, Flags: FlagSYN})
	}
	if st := a.Stats(); st.Conns != 2 || st.ConnsDropped != 3 {
		t.Errorf("conns %d dropped %d, want 2 and 3", st.Conns, st.ConnsDropped)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New with an empty Config: no error")
	}
}

// nop is a handler that keeps nothing.
type nop struct{}

func (nop) Data(*Stream, []byte, Chunk) {}
func (nop) Gap(*Stream, int)            {}
func (nop) Ack(*Stream, int64, int)     {}
func (nop) End(*Stream, EndReason)      {}

func BenchmarkInOrder(b *testing.B) {
	a, _ := New(DefaultConfig(), nop{})
	payload := make([]byte, 1448)
	g := Segment{Src: cli, Dst: srv, Flags: FlagACK, Payload: payload, IPBytes: 1500}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		a.Add(&g)
		g.Seq += uint32(len(payload))
	}
}

func BenchmarkReordered(b *testing.B) {
	a, _ := New(DefaultConfig(), nop{})
	payload := make([]byte, 1448)
	g := Segment{Src: cli, Dst: srv, Flags: FlagACK, Payload: payload, IPBytes: 1500}
	a.Add(&g)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	seq := uint32(len(payload))
	for b.Loop() {
		g.Seq = seq + uint32(len(payload))
		a.Add(&g)
		g.Seq = seq
		a.Add(&g)
		seq += 2 * uint32(len(payload))
	}
}
