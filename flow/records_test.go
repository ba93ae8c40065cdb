package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

func TestStateFromFlags(t *testing.T) {
	const (
		syn, fin, rst, ack = flagSYN, flagFIN, flagRST, flagACK
	)
	for _, tt := range []struct {
		proto        uint8
		flags        bool
		aSent, bSent bool
		fa, fb       uint16
		want         string
	}{
		{protoUDP, false, true, true, 0, 0, "SF"},
		{protoUDP, false, true, false, 0, 0, "S0"},
		{protoUDP, false, false, true, 0, 0, "SHR"},
		{protoICMP, false, true, true, 0, 0, "OTH"},
		{protoTCP, false, true, false, 0, 0, "S0"},
		{protoTCP, false, true, true, 0, 0, "OTH"},
		{protoTCP, true, true, false, syn, 0, "S0"},
		{protoTCP, true, true, false, syn | fin, 0, "SH"},
		{protoTCP, true, true, false, syn | rst, 0, "RSTOS0"},
		{protoTCP, true, true, true, syn, rst | ack, "REJ"},
		{protoTCP, true, true, true, syn | ack | fin, syn | ack | fin, "SF"},
		{protoTCP, true, true, true, syn | ack | rst, syn | ack, "RSTO"},
		{protoTCP, true, true, true, syn | ack, syn | ack | rst, "RSTR"},
		{protoTCP, true, true, true, syn | ack | fin, syn | ack, "S2"},
		{protoTCP, true, true, true, syn | ack, syn | ack | fin, "S3"},
		{protoTCP, true, true, true, syn | ack, syn | ack, "S1"},
		{protoTCP, true, true, true, ack, ack, "OTH"},
	} {
		if got := StateFromFlags(tt.proto, tt.flags, tt.aSent, tt.bSent, tt.fa, tt.fb); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt, got, tt.want)
		}
	}
}

func TestComplete(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.80")
	base := schema.Flow{Proto: protoTCP, A: "10.0.0.1", APort: 40000, B: "192.0.2.80", BPort: 443, PktsAToB: 3, PktsBToA: 2, TCPFlagsA: 0x13, TCPFlagsB: 0x13}
	cfg := DefaultConfig()
	cfg.Users = []User{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), ID: "u1"}}

	f := base
	NewRoles(cfg).Complete(&f, a, b, Given{TCPFlags: true})
	want := base
	want.IPVersion, want.ALocal, want.BLocal, want.Service, want.State, want.Answered = 4, true, false, "https/tcp", "SF", true
	want.UserA, want.Kind = "u1", KindTypical
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("derived (-want +got):\n%s", diff)
	}

	// What a record gives stays, but configured local networks win.
	f = base
	f.State, f.Service, f.ALocal, f.BLocal = "S1", "ssl/tcp", false, true
	cfg.LocalNets = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	NewRoles(cfg).Complete(&f, a, b, Given{State: true, Service: true, ALocal: true, BLocal: true})
	if f.State != "S1" || f.Service != "ssl/tcp" || f.ALocal || !f.BLocal {
		t.Errorf("given columns changed: %+v", f)
	}

	// An end known by its user only keeps what the record says.
	f = schema.Flow{Proto: protoUDP, B: "192.0.2.80", BPort: 53, UserA: "alice", Kind: KindTypical, ALocal: true, BytesAToB: 60}
	NewRoles(cfg).Complete(&f, netip.Addr{}, b, Given{Users: true, ALocal: true})
	if f.UserA != "alice" || f.Kind != KindTypical || !f.ALocal || f.State != "S0" || f.IPVersion != 4 || f.Answered {
		t.Errorf("user-only end: %+v", f)
	}
}

func TestPairer(t *testing.T) {
	const s = int64(time.Second)
	h1, h2, h3 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	rec := func(start, end int64, a netip.Addr, ap uint16, b netip.Addr, bp uint16, pkts uint64, flags uint16) (schema.Flow, netip.Addr, netip.Addr) {
		return schema.Flow{Start: start, End: end, Proto: protoTCP, A: a.String(), APort: ap, B: b.String(), BPort: bp, PktsAToB: pkts, BytesAToB: pkts * 100, TCPFlagsA: flags}, a, b
	}
	var out []schema.Flow
	p := NewPairer(time.Minute, func(f *schema.Flow, _, _ netip.Addr, g Given) {
		if !g.TCPFlags {
			t.Errorf("flow %+v lost its flags", f)
		}
		out = append(out, *f)
	})
	add := func(f schema.Flow, a, b netip.Addr) { p.Add(&f, a, b, Given{TCPFlags: true}) }
	add(rec(10*s, 12*s, h2, 443, h1, 40000, 4, 0x12)) // the answer first, starting later than the request
	add(rec(9*s, 12*s, h1, 40000, h2, 443, 5, 0x02))
	add(rec(20*s, 20*s, h1, 40001, h3, 80, 1, 0x02))   // never answered
	add(rec(200*s, 201*s, h1, 40002, h3, 80, 1, 0x02)) // moves the clock: the one above leaves unpaired
	add(rec(300*s, 301*s, h3, 80, h1, 40002, 1, 0x14)) // too late for its reverse at 200 s: unpaired
	add(rec(400*s, 400*s, h2, 53, h1, 41000, 1, 0x12)) // an answer listed first, starting in the same second
	add(rec(400*s, 400*s, h1, 41000, h2, 53, 1, 0x02)) // as its query: the query to port 53 gives a
	p.Flush()
	want := []schema.Flow{
		{Start: 9 * s, End: 12 * s, Duration: 3, Proto: protoTCP, A: "10.0.0.1", APort: 40000, B: "192.0.2.1", BPort: 443,
			PktsAToB: 5, BytesAToB: 500, PktsBToA: 4, BytesBToA: 400, TCPFlagsA: 0x02, TCPFlagsB: 0x12},
		{Start: 20 * s, End: 20 * s, Proto: protoTCP, A: "10.0.0.1", APort: 40001, B: "192.0.2.2", BPort: 80, PktsAToB: 1, BytesAToB: 100, TCPFlagsA: 0x02},
		{Start: 200 * s, End: 201 * s, Proto: protoTCP, A: "10.0.0.1", APort: 40002, B: "192.0.2.2", BPort: 80, PktsAToB: 1, BytesAToB: 100, TCPFlagsA: 0x02},
		{Start: 300 * s, End: 301 * s, Proto: protoTCP, A: "192.0.2.2", APort: 80, B: "10.0.0.1", BPort: 40002, PktsAToB: 1, BytesAToB: 100, TCPFlagsA: 0x14},
		{Start: 400 * s, End: 400 * s, Proto: protoTCP, A: "10.0.0.1", APort: 41000, B: "192.0.2.1", BPort: 53,
			PktsAToB: 1, BytesAToB: 100, PktsBToA: 1, BytesBToA: 100, TCPFlagsA: 0x02, TCPFlagsB: 0x12},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
