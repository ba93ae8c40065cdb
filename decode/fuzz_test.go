package decode

import (
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/netlens/netlens/schema"
)

// FuzzDecode decodes arbitrary bytes under any link type: Decode must not
// panic and its row must stay consistent.
func FuzzDecode(f *testing.F) {
	ents, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".pcap") {
			continue
		}
		for i, fr := range readFrames(f, e.Name()) {
			if i >= 8 {
				break
			}
			f.Add(fr.linkType, fr.data)
		}
	}
	apps := map[string]bool{"": true}
	for _, r := range payloadRules {
		apps[r.app] = true
	}
	for _, r := range portRules {
		apps[r.app] = true
	}
	d := New()
	f.Fuzz(func(t *testing.T, linkType uint16, data []byte) {
		p := schema.Packet{Ts: 1, Capture: "x", Frame: 2, LinkType: linkType, WireLen: 3, CapLen: uint32(len(data)), FlowID: 9}
		var m Meta
		d.Decode(linkType, data, &p, &m)
		if p.Ts != 1 || p.Capture != "x" || p.Frame != 2 || p.LinkType != linkType || p.WireLen != 3 || p.CapLen != uint32(len(data)) {
			t.Fatalf("caller fields changed: %+v", p)
		}
		if p.FlowID != 0 {
			t.Fatalf("flow id not reset: %d", p.FlowID)
		}
		if m.Status > Malformed {
			t.Fatalf("status %d", m.Status)
		}
		if m.Status == UnknownLink && p != (schema.Packet{Ts: 1, Capture: "x", Frame: 2, LinkType: linkType, WireLen: 3, CapLen: uint32(len(data))}) {
			t.Fatalf("unknown link with fields set: %+v", p)
		}
		if m.Src.IsValid() != (p.IPVersion != 0) || m.Dst.IsValid() != (p.IPVersion != 0) {
			t.Fatalf("addresses %v %v with ip_version %d", m.Src, m.Dst, p.IPVersion)
		}
		if p.IPVersion != 0 && (p.Src != m.Src.String() || p.Dst != m.Dst.String()) {
			t.Fatalf("row addresses %s %s, meta %v %v", p.Src, p.Dst, m.Src, m.Dst)
		}
		if p.IPVersion == 0 && (p.IPLen != 0 || p.Proto != 0 || p.PayloadLen != 0) {
			t.Fatalf("IP fields without IP: %+v", p)
		}
		if p.IPVersion != 0 && p.IPVersion != 4 && p.IPVersion != 6 {
			t.Fatalf("ip_version %d", p.IPVersion)
		}
		if p.PayloadLen > p.IPLen {
			t.Fatalf("payload_len %d > ip_len %d", p.PayloadLen, p.IPLen)
		}
		if m.Status == OK && p.IPVersion != 0 && uint32(len(m.Payload)) > p.PayloadLen {
			t.Fatalf("%d captured payload bytes > payload_len %d", len(m.Payload), p.PayloadLen)
		}
		if len(m.Payload) > 0 {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
			at := uintptr(unsafe.Pointer(unsafe.SliceData(m.Payload)))
			if at < start || at+uintptr(len(m.Payload)) > start+uintptr(len(data)) {
				t.Fatal("payload does not alias the frame")
			}
		}
		if !apps[p.App] {
			t.Fatalf("app %q not in the rules", p.App)
		}
		if p.Frag && p.IPVersion == 0 {
			t.Fatal("fragment without IP")
		}
	})
}
