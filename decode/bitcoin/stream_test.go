package bitcoin

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/decode/tcpstream"
	"github.com/netlens/netlens/internal/testenv"
)

// msg builds a message of net with command and payload.
func msg(net Network, command string, payload []byte) []byte {
	b := make([]byte, HeaderLen, HeaderLen+len(payload))
	binary.LittleEndian.PutUint32(b, uint32(net))
	copy(b[4:16], command)
	binary.LittleEndian.PutUint32(b[16:], uint32(len(payload)))
	sum := Checksum(payload)
	copy(b[20:], sum[:])
	return append(b, payload...)
}

// versionPayload builds a version payload.
func versionPayload(ua string, height int32, relay bool) []byte {
	p := make([]byte, 80)
	binary.LittleEndian.PutUint32(p, 70016)
	binary.LittleEndian.PutUint64(p[4:], 0x44d)
	p = append(p, byte(len(ua)))
	p = append(p, ua...)
	p = binary.LittleEndian.AppendUint32(p, uint32(height))
	if relay {
		return append(p, 1)
	}
	return append(p, 0)
}

// collect records messages and stream ends as text.
type collect struct {
	msgs []string
	ends []StreamStats
	ip   float64
	acks int
}

func (c *collect) Message(s *tcpstream.Stream, m *Message) {
	t := fmt.Sprintf("%s %s %d", m.Net, m.Command, m.Length)
	if m.Version != nil {
		t += fmt.Sprintf(" ua=%s h=%d relay=%v", m.Version.UserAgent, m.Version.StartHeight, m.Version.Relay)
	}
	c.msgs = append(c.msgs, t)
	c.ip += m.IPBytes
	c.acks += m.AckBytes
}

func (c *collect) StreamEnd(s *tcpstream.Stream, st *StreamStats, r tcpstream.EndReason) {
	if s.Dir == tcpstream.ClientToServer {
		c.ends = append(c.ends, *st)
	}
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:18444")
)

// piece is a segment of the client's stream: bytes at an offset, or a
// flag-only segment.
type piece struct {
	off   int
	data  []byte
	flags uint16
}

// decodeStream runs pieces of the client's stream through the Assembler and
// a Decoder; syn says whether the stream starts with a SYN.
func decodeStream(t *testing.T, syn bool, pieces []piece) *collect {
	t.Helper()
	c := &collect{}
	a, err := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(DefaultConfig(), c))
	if err != nil {
		t.Fatal(err)
	}
	const isn = 7000
	if syn {
		a.Add(&tcpstream.Segment{Src: cli, Dst: srv, Seq: isn, Flags: tcpstream.FlagSYN})
	}
	for _, p := range pieces {
		a.Add(&tcpstream.Segment{Src: cli, Dst: srv, Seq: isn + 1 + uint32(p.off), Flags: tcpstream.FlagACK | p.flags,
			Payload: p.data, IPBytes: 52 + len(p.data)})
	}
	a.Flush()
	return c
}

// split cuts b into pieces of at most n bytes.
func split(b []byte, n int) []piece {
	var ps []piece
	for off := 0; off < len(b); off += n {
		ps = append(ps, piece{off: off, data: b[off:min(off+n, len(b))]})
	}
	return ps
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestDecode(t *testing.T) {
	ver := msg(RegTest, "version", versionPayload("/btcd:0.24.2/", 446, false))
	verack := msg(RegTest, "verack", nil)
	ping := msg(RegTest, "ping", []byte{1, 2, 3, 4, 5, 6, 7, 8})
	inv := msg(RegTest, "inv", make([]byte, 3000))
	odd := msg(RegTest, "sendtxrcncl", []byte{0})
	bad := msg(RegTest, "pong", []byte{1, 2, 3, 4, 5, 6, 7, 8})
	bad[20] ^= 0xff
	stream := cat(ver, verack, ping, inv, odd)
	verDesc := "regtest version 99 ua=/btcd:0.24.2/ h=446 relay=false"
	all := []string{verDesc, "regtest verack 0", "regtest ping 8", "regtest inv 3000", "regtest sendtxrcncl 1"}
	reverse := func(ps []piece) []piece {
		out := make([]piece, len(ps))
		for i, p := range ps {
			out[len(ps)-1-i] = p
		}
		return out
	}
	tests := []struct {
		name   string
		syn    bool
		pieces []piece
		want   []string
		stats  StreamStats
	}{
		{name: "whole", syn: true, pieces: []piece{{0, stream, 0}}, want: all,
			stats: StreamStats{Net: RegTest, Messages: 5}},
		{name: "one byte a segment", syn: true, pieces: split(stream, 1), want: all,
			stats: StreamStats{Net: RegTest, Messages: 5}},
		{name: "reordered and retransmitted", syn: true, pieces: append(reverse(split(stream, 100)), split(stream, 77)...), want: all,
			stats: StreamStats{Net: RegTest, Messages: 5}},
		{name: "mainnet", syn: true, pieces: []piece{{0, msg(MainNet, "ping", make([]byte, 8)), 0}},
			want: []string{"mainnet ping 8"}, stats: StreamStats{Net: MainNet, Messages: 1}},
		{name: "testnet3", pieces: []piece{{0, msg(TestNet3, "verack", nil), 0}},
			want: []string{"testnet3 verack 0"}, stats: StreamStats{Net: TestNet3, Messages: 1}},
		{name: "testnet4", pieces: []piece{{0, msg(TestNet4, "verack", nil), 0}},
			want: []string{"testnet4 verack 0"}, stats: StreamStats{Net: TestNet4, Messages: 1}},
		{name: "signet", pieces: []piece{{0, msg(SigNet, "verack", nil), 0}},
			want: []string{"signet verack 0"}, stats: StreamStats{Net: SigNet, Messages: 1}},
		{name: "the network is kept: another magic is not a message", syn: true,
			pieces: []piece{{0, cat(msg(MainNet, "verack", nil), msg(TestNet3, "verack", nil), msg(MainNet, "verack", nil)), 0}},
			want:   []string{"mainnet verack 0", "mainnet verack 0"}, stats: StreamStats{Net: MainNet, Messages: 2, Undecoded: 24}},
		{name: "starts mid-message", pieces: []piece{{0, stream[50:], 0}}, want: all[1:],
			stats: StreamStats{Net: RegTest, Messages: 4, Undecoded: uint64(len(ver) - 50), Resyncs: 0}},
		{name: "bad checksum", syn: true, pieces: []piece{{0, cat(verack, bad, ping), 0}},
			want:  []string{"regtest verack 0", "regtest ping 8"},
			stats: StreamStats{Net: RegTest, Messages: 2, BadChecksum: 1, Undecoded: uint64(len(bad))}},
		{name: "gap in a payload: the next header is where the length says", syn: true,
			pieces: []piece{{0, stream[:len(ver)+len(verack)+len(ping)+100], 0}, {len(ver) + len(verack) + len(ping) + 200, stream[len(ver)+len(verack)+len(ping)+200:], 0}},
			want:   []string{verDesc, "regtest verack 0", "regtest ping 8", "regtest sendtxrcncl 1"},
			stats:  StreamStats{Net: RegTest, Messages: 4, Lost: 1, GapBytes: 100, Undecoded: uint64(len(inv) - 100)}},
		{name: "gap over headers", syn: true,
			pieces: []piece{{0, stream[:10], 0}, {len(ver) + 5, stream[len(ver)+5:], 0}},
			want:   all[2:],
			stats:  StreamStats{Net: RegTest, Messages: 3, Lost: 1, GapBytes: uint64(len(ver) - 5), Undecoded: 10 + 24 - 5, Resyncs: 0}},
		{name: "cut at the end", syn: true, pieces: []piece{{0, stream[:len(stream)-1], 0}}, want: all[:4],
			stats: StreamStats{Net: RegTest, Messages: 4, Cut: 1, Undecoded: uint64(len(odd) - 1)}},
		{name: "garbage between messages", syn: true, pieces: []piece{{0, cat(verack, []byte("\xfa\xbf\xb5\xdaxx\x00\x01garbage"), ping), 0}},
			want:  []string{"regtest verack 0", "regtest ping 8"},
			stats: StreamStats{Net: RegTest, Messages: 2, Undecoded: 15, Resyncs: 2}},
		{name: "not bitcoin", syn: true, pieces: []piece{{0, []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), 0}},
			stats: StreamStats{Undecoded: 37}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeStream(t, tt.syn, tt.pieces)
			if d := cmp.Diff(tt.want, c.msgs); d != "" {
				t.Errorf("messages (-want +got):\n%s", d)
			}
			if len(c.ends) != 1 {
				t.Fatalf("%d stream ends, want 1", len(c.ends))
			}
			got := c.ends[0]
			got.Resyncs = tt.stats.Resyncs // how often it searches is not the point
			if d := cmp.Diff(tt.stats, got); d != "" {
				t.Errorf("stats (-want +got):\n%s", d)
			}
		})
	}
}

func TestIPBytes(t *testing.T) {
	// Two messages in one segment of 52 + 32 bytes, then one in two
	// segments: the IP bytes are shared by bytes, none lost.
	verack, ping := msg(RegTest, "verack", nil), msg(RegTest, "ping", make([]byte, 8))
	inv := msg(RegTest, "inv", make([]byte, 100))
	c := decodeStream(t, true, []piece{{0, cat(verack, ping), 0}, {56, inv[:24], 0}, {80, inv[24:], 0}})
	want := float64(3*52 + len(verack) + len(ping) + len(inv))
	if d := c.ip - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("IP bytes %v, want %v", c.ip, want)
	}
}

func TestParseHeader(t *testing.T) {
	good := msg(MainNet, "tx", []byte{1})
	if h, err := ParseHeader(good); err != nil || string(h.CommandName()) != "tx" || h.Length != 1 || h.Net != MainNet {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
	for name, mutate := range map[string]func(b []byte){
		"magic":          func(b []byte) { b[0] = 0 },
		"command empty":  func(b []byte) { copy(b[4:16], make([]byte, 12)) },
		"command binary": func(b []byte) { b[5] = 0x01 },
		"text after nul": func(b []byte) { b[10] = 'x' },
		"length":         func(b []byte) { binary.LittleEndian.PutUint32(b[16:], MaxPayload+1) },
	} {
		b := append([]byte(nil), good...)
		mutate(b)
		if _, err := ParseHeader(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseHeader(good[:23]); err != ErrShort {
		t.Errorf("short: %v", err)
	}
	// The magic bytes on the wire, as in btcd's wire/protocol.go.
	for net, wire := range map[Network]string{MainNet: "f9beb4d9", TestNet3: "0b110907", TestNet4: "1c163f28", SigNet: "0a03cf40", RegTest: "fabfb5da"} {
		if got := fmt.Sprintf("%x", binary.LittleEndian.AppendUint32(nil, uint32(net))); got != wire {
			t.Errorf("%s: magic %s, want %s", net, got, wire)
		}
	}
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion(versionPayload("/Satoshi:27.0.0/", 850000, true))
	want := Version{Protocol: 70016, Services: 0x44d, UserAgent: "/Satoshi:27.0.0/", StartHeight: 850000, Relay: true}
	if err != nil || v != want {
		t.Errorf("ParseVersion = %+v, %v; want %+v", v, err, want)
	}
	p := versionPayload("x", 1, false)
	if v, err := ParseVersion(p[:len(p)-1]); err != nil || !v.Relay {
		t.Errorf("without the relay flag: %+v, %v; want relay", v, err)
	}
	if _, err := ParseVersion(p[:83]); err == nil {
		t.Error("cut in the user agent: no error")
	}
	long := versionPayload(strings.Repeat("a", 250), 1, true)
	long[80], long = 0xfd, append(long[:81], append([]byte{0x01, 0x01}, long[81:]...)...)
	if _, err := ParseVersion(long); err == nil {
		t.Error("user agent over 256 bytes: no error")
	}
}

// discard keeps nothing.
type discard struct{}

func (discard) Message(*tcpstream.Stream, *Message)                            {}
func (discard) StreamEnd(*tcpstream.Stream, *StreamStats, tcpstream.EndReason) {}

func BenchmarkDecode(b *testing.B) {
	for _, size := range []int{36, 1000, 100000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			var stream []byte
			for len(stream) < 1<<20 {
				stream = append(stream, msg(MainNet, "inv", make([]byte, size))...)
			}
			a, _ := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(DefaultConfig(), discard{}))
			seg := tcpstream.Segment{Src: cli, Dst: srv, Flags: tcpstream.FlagACK, IPBytes: 1500}
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				for off := 0; off < len(stream); off += 1448 {
					seg.Payload = stream[off:min(off+1448, len(stream))]
					a.Add(&seg)
					seg.Seq += uint32(len(seg.Payload))
				}
			}
		})
	}
}

// BenchmarkCapture reassembles and decodes the TCP segments of the btcd
// capture of the corpus, read from it beforehand: the bytes per second
// are those of the capture file, per core with -cpu 1; MB/cpu-s divides
// them by the processor time the process used instead (all threads, the
// collector's too), which a machine busy with other work does not change.
func BenchmarkCapture(b *testing.B) {
	path := filepath.Join(testenv.Corpus(b), "bitcoin", "pcap", "btcd-regtest-a.pcap")
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	segs := readSegments(b, path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var msgs uint64
	cpu0 := cpuTime()
	for b.Loop() {
		var c counter
		a, _ := tcpstream.New(tcpstream.DefaultConfig(), NewDecoder(DefaultConfig(), &c))
		for i := range segs {
			a.Add(&segs[i])
		}
		a.Flush()
		msgs = c.n
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(fi.Size())/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	if msgs != 12746 {
		b.Fatalf("%d messages, want tshark's 12746", msgs)
	}
}

// counter counts messages.
type counter struct{ n uint64 }

func (c *counter) Message(*tcpstream.Stream, *Message)                            { c.n++ }
func (c *counter) StreamEnd(*tcpstream.Stream, *StreamStats, tcpstream.EndReason) {}
