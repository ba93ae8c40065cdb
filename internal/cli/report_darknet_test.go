package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/netlens/netlens/internal/testenv"
)

// darknetAnalyses are the analyses of the darknet group that need no
// class labels.
var darknetAnalyses = []string{"darknet_stats", "port_rank", "activity", "sender_filter", "daily_senders", "embeddings"}

// writeScan writes a capture of n TCP SYNs, each from its own source to
// an address of 198.51.0.0/16 that never answers: a telescope's traffic.
func writeScan(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		src := netip.AddrFrom4([4]byte{45, byte(i >> 16), byte(i >> 8), byte(i)})
		dst := netip.AddrFrom4([4]byte{198, 51, byte(i * 7), byte(i * 13)})
		eth := &layers.Ethernet{SrcMAC: []byte{0, 0x0c, 0x29, 0x5e, 0x7a, 2}, DstMAC: []byte{0, 0x1b, 0x21, 0x3a, 0x4f, 1}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 240, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(40000 + i%20000), DstPort: []layers.TCPPort{22, 23, 80, 443, 445, 3389}[i%6], SYN: true, Seq: uint32(i), Window: 1024}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
			t.Fatal(err)
		}
		ts := start.Add(time.Duration(i) * 50 * time.Millisecond)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// darknetLog is a telescope's log of packets (DarkVec's preprocessed CSV).
var darknetLog = filepath.Join(testenv.RepoRoot(), "input", "darknet", "testdata", "preprocessed.csv")

// TestReportDarknetGroup: a report runs the darknet group on a telescope's
// traffic (a scan that nothing answers, a log of packets), and skips it on a device's
// capture, saying why on the terminal and in the report, unless asked for
// with --group darknet.
func TestReportDarknetGroup(t *testing.T) {
	scan := filepath.Join(t.TempDir(), "scan.pcap")
	writeScan(t, scan, 1500)
	const skipLine = "darknet group skipped (9 analyses): not a telescope's traffic: "
	for _, tc := range []struct {
		name     string
		args     []string
		wantRan  bool
		wantLine string // in the terminal's output and each skip's reason
	}{
		{"scan", []string{scan}, true, ""},
		{"packet logs", []string{darknetLog}, true, ""},
		{"camera", []string{camera}, false, "no class labels, and 32 flows: fewer than the 1000 needed to judge; --group darknet runs it"},
		{"camera asked", []string{camera, "--group", "capture,darknet"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			ios, _, errOut := testIO()
			args := append([]string{"report", "-o", dir, "--no-figures"}, tc.args...)
			if err, code := execute(NewCmdRoot(ios), args...); err != nil {
				t.Fatalf("exit %d: %v", code, err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var js struct {
				Analyses []struct{ Name string }
				Skipped  []struct{ Name, Reason string }
			}
			if err := json.Unmarshal(b, &js); err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, a := range js.Analyses {
				ran[a.Name] = true
			}
			for _, name := range darknetAnalyses {
				if ran[name] != tc.wantRan {
					t.Errorf("%s ran: %v, want %v", name, ran[name], tc.wantRan)
				}
			}
			if !ran["overview"] {
				t.Error("overview did not run")
			}
			gotLine := strings.Contains(errOut.String(), skipLine)
			if gotLine != (tc.wantLine != "") {
				t.Errorf("terminal:\n%s\nwant the line %q: %v", errOut, skipLine, tc.wantLine != "")
			}
			if tc.wantLine == "" {
				return
			}
			if !strings.Contains(errOut.String(), skipLine+tc.wantLine+"\n") {
				t.Errorf("terminal:\n%s\nwant %q", errOut, skipLine+tc.wantLine)
			}
			for _, name := range append(slices.Clone(darknetAnalyses), "classes", "class_activity", "class_services") {
				i := slices.IndexFunc(js.Skipped, func(s struct{ Name, Reason string }) bool { return s.Name == name })
				if want := "not a telescope's traffic: " + tc.wantLine; i < 0 || js.Skipped[i].Reason != want {
					t.Errorf("%s: skipped %v, want the reason %q", name, i >= 0, want)
				}
			}
		})
	}
}

// TestReportPlanGroups: --group picks the analyses of a catalogue group in
// catalogue order, after those --analyses names, each once; an unknown
// group is refused.
func TestReportPlanGroups(t *testing.T) {
	darknet := append(slices.Clone(darknetAnalyses[:5]), "classes", "class_activity", "class_services", "embeddings")
	for _, tc := range []struct {
		name             string
		analyses, groups []string
		want             []string
		wantErr          bool
	}{
		{"group", nil, []string{"darknet"}, darknet, false},
		{"names first", []string{"overview", "embeddings"}, []string{"darknet"},
			append([]string{"overview", "embeddings"}, darknet[:len(darknet)-1]...), false},
		{"unknown group", nil, []string{"telescope"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			picked, _, err := reportPlan(&ReportOptions{Analyses: tc.analyses, Groups: tc.groups})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			var got []string
			for _, a := range picked {
				got = append(got, a.Meta().Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("analyses (-want +got):\n%s", diff)
			}
		})
	}
}
