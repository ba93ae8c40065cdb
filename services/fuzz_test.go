package services

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMapLoad: any file either loads, and then every pair it names has
// its service, or is refused with the map as it was; never a panic.
func FuzzMapLoad(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "services.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("80/tcp,http\n\"443/tcp\",\"https\"\n# comment\n"))
	f.Add([]byte("65536/tcp,x\n"))
	f.Add([]byte("80/tcp,a,b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := DarkVecMap()
		before := m.Entries()
		if err := m.Load(bytes.NewReader(data), "f.csv"); err != nil {
			after := m.Entries()
			if len(after) != len(before) {
				t.Fatalf("a refused file changed the map: %d entries, were %d", len(after), len(before))
			}
			return
		}
		for _, e := range m.Entries() {
			if !validService(e.Service) {
				t.Fatalf("entry %+v has a service Load should refuse", e)
			}
			var proto uint8
			switch e.Proto {
			case "tcp":
				proto = protoTCP
			case "udp":
				proto = protoUDP
			case "icmp":
				proto = protoICMP
			default:
				proto = 47
			}
			if got := m.Service(e.Port, proto); got != e.Service {
				t.Fatalf("Service(%d, %s) = %q, the map says %q", e.Port, e.Proto, got, e.Service)
			}
		}
		_ = m.SQL("dport", "proto")
	})
}
