package decode

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tsharkFields are the fields asked from tshark, in column order.
var tsharkFields = []string{
	"frame.number",
	"ip.src", "ip.dst", "ip.proto", "ip.len", "ip.hdr_len", "ip.frag_offset", "ip.flags.mf",
	"ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt",
	"ipv6.hopopts.len_oct", "ipv6.dstopts.len_oct", "ipv6.routing.len_oct",
	"ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
	"tcp.srcport", "tcp.dstport", "tcp.len", "tcp.hdr_len",
	"udp.srcport", "udp.dstport", "udp.length",
	"icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
	"arp.src.proto_ipv4", "arp.dst.proto_ipv4",
}

// crossRow is what both netlens and tshark say about one frame.
type crossRow struct {
	Src, Dst     string
	Proto        uint8
	Sport, Dport uint16
	IPLen        uint32
	PayloadLen   uint32
}

// crossFiles are the captures compared with tshark, each with the frames
// where tshark differs on purpose and why.
var crossFiles = []struct {
	name   string
	differ map[int]string
}{
	{name: "http_get.pcap"},
	{name: "http-qinq-0.pcap"},
	{name: "linux_dlt_sll2.pcap"},
	{name: "q-in-q.pcap"},
	{name: "vntag.pcap"},
	{name: "802.1ad_QinQ.pcap"},
	{name: "mpls-in-vlan.pcap"},
	{name: "mixed-vlan-mpls.pcap"},
	{name: "ipv4_fragmented-1.pcap"},
	{name: "ipv4_fragmented-3.pcap"},
	{name: "ipv4_fragmented-4.pcap"},
	{name: "ipv6-fragmented-dns.pcap"},
	{name: "ftp_ipv6.pcap"},
	{name: "LINKTYPE_RAW_ipv6.pcap"},
	{name: "LINKTYPE_IPV6.pcap"},
	{name: "pppoe.pcap"},
	{name: "linuxsll-arp.pcap"},
	{name: "icmp_icmp-ping.pcap"},
	{name: "icmp_icmp6-ping.pcap"},
	{name: "icmp_icmp6-mldv2.pcap"},
	{name: "dns53.pcap"},
	{name: "ntp.pcap"},
	{name: "dhcp_dhcp.pcap"},
	{name: "dns_mdns.pcap"},
	{name: "test_dns.pcap"},
	{name: "quic_interop_quic-go_quic-go_zerortt.pcap"},
	{name: "quic_handshake_truncated.pcap"},
	{name: "tls_irc-starttls.pcap"},
	{name: "trunc_icmp-payload-trunc.pcap"},
	{name: "trunc_ip4-trunc.pcap"},
	{name: "trunc_ip6-trunc.pcap", differ: map[int]string{
		1: "IPv6 header cut after the source address: netlens leaves a cut header's fields empty",
	}},
	{name: "redis_pubsub.pcap"},
	{name: "tcp-syslog.pcap"},
	{name: "rotation.pcap"},
	{name: "nflog-http.pcap"},
	{name: "tcp-handshake-nano.pcap"},
	{name: "tcp_truncated-header.pcap"},
	{name: "chksums_ip4-tcp-bad-chksum.pcap"},
	{name: "tunnels_vxlan.pcap"},
	{name: "tunnels_6in4.pcap"},
	{name: "tunnels_4in6.pcap", differ: map[int]string{
		1: "IPv4 in IPv6: tshark's first ip.src is the inner IPv4 header",
	}},
	{name: "wlanmon.pcap"},
	{name: "radiotap.pcap"},
	{name: "llc.pcap"},
	{name: "ipoib.pcap"},
	{name: "LINKTYPE_PKTAP.pcap"},
	{name: "arcnet-rfc1201-arp-icmp-http.pcap"},
}

// TestTsharkCrossCheck compares every frame of crossFiles with tshark's
// dissection. The files are concatenated with mergecap so that tshark starts
// once. It skips when tshark is missing, except in CI.
func TestTsharkCrossCheck(t *testing.T) {
	for _, tool := range []string{"tshark", "mergecap"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	merged := filepath.Join(t.TempDir(), "cross.pcapng")
	args := []string{"-a", "-F", "pcapng", "-w", merged}
	for _, cf := range crossFiles {
		args = append(args, filepath.Join("testdata", cf.name))
	}
	if out, err := exec.Command("mergecap", args...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v: %s", err, out)
	}
	want := tsharkRows(t, merged)
	d := New()
	for _, cf := range crossFiles {
		frames := readFrames(t, cf.name)
		if len(frames) > len(want) {
			t.Fatalf("%s: %d frames, tshark has %d left", cf.name, len(frames), len(want))
		}
		for i, f := range frames {
			p, _ := decodeFrame(d, f, i)
			got := crossRow{p.Src, p.Dst, p.Proto, p.Sport, p.Dport, p.IPLen, p.PayloadLen}
			reason, onPurpose := cf.differ[i+1]
			switch {
			case onPurpose && got == want[i]:
				t.Errorf("%s frame %d: listed as differing (%s) but agrees with tshark: %+v", cf.name, i+1, reason, got)
			case !onPurpose && got != want[i]:
				t.Errorf("%s frame %d: netlens %+v, tshark %+v", cf.name, i+1, got, want[i])
			}
		}
		want = want[len(frames):]
	}
	if len(want) != 0 {
		t.Errorf("tshark shows %d frames more than the files hold", len(want))
	}
}

// tsharkRows runs tshark on path, without IP reassembly, and turns its
// fields into the rows netlens should produce.
func tsharkRows(t *testing.T, path string) []crossRow {
	t.Helper()
	args := []string{"-r", path, "-n",
		"-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	var rows []crossRow
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != len(tsharkFields) {
			t.Fatalf("tshark line %q: %d columns, want %d", line, len(cols), len(tsharkFields))
		}
		v := make(map[string]string, len(cols))
		for i, f := range tsharkFields {
			v[f] = cols[i]
		}
		rows = append(rows, tsharkRow(t, v))
	}
	return rows
}

func tsharkRow(t *testing.T, v map[string]string) crossRow {
	num := func(field string) int {
		s := v[field]
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			t.Fatalf("%s = %q: %v", field, s, err)
		}
		return int(n)
	}
	has := func(field string) bool { return v[field] != "" }
	var r crossRow
	switch {
	case has("ip.src"):
		r.Src, r.Dst = v["ip.src"], v["ip.dst"]
		r.Proto = uint8(num("ip.proto"))
		r.IPLen = uint32(num("ip.len"))
		hl := num("ip.hdr_len")
		later := num("ip.frag_offset") > 0
		frag := later || v["ip.flags.mf"] == "1" || v["ip.flags.mf"] == "True"
		transport(&r, num, num("ip.len")-hl, later, frag)
	case has("ipv6.src"):
		r.Src, r.Dst = v["ipv6.src"], v["ipv6.dst"]
		r.IPLen = uint32(40 + num("ipv6.plen"))
		ext := num("ipv6.hopopts.len_oct") + num("ipv6.dstopts.len_oct") + num("ipv6.routing.len_oct")
		r.Proto = uint8(num("ipv6.nxt"))
		later, frag := false, false
		if has("ipv6.fraghdr.nxt") {
			ext += 8
			r.Proto = uint8(num("ipv6.fraghdr.nxt"))
			later = num("ipv6.fraghdr.offset") > 0
			frag = true
		}
		switch {
		case has("icmpv6.type"):
			r.Proto = 58
		case has("tcp.srcport"):
			r.Proto = 6
		case has("udp.srcport"):
			r.Proto = 17
		}
		transport(&r, num, num("ipv6.plen")-ext, later, frag)
	case has("arp.src.proto_ipv4"):
		r.Src, r.Dst = v["arp.src.proto_ipv4"], v["arp.dst.proto_ipv4"]
	}
	return r
}

// transport fills ports and payload length from tshark's transport fields;
// ipPayload is the IP payload length after all IP headers.
func transport(r *crossRow, num func(string) int, ipPayload int, later, frag bool) {
	pl := ipPayload
	if !later {
		switch r.Proto {
		case 6:
			r.Sport, r.Dport = uint16(num("tcp.srcport")), uint16(num("tcp.dstport"))
			pl = num("tcp.len")
			if frag { // tshark gives no tcp.len for a first fragment
				pl = ipPayload - num("tcp.hdr_len")
			}
		case 17:
			r.Sport, r.Dport = uint16(num("udp.srcport")), uint16(num("udp.dstport"))
			pl = num("udp.length") - 8
			if frag { // udp.length covers the whole datagram
				pl = ipPayload - 8
			}
		case 1:
			r.Sport, r.Dport = uint16(num("icmp.type")), uint16(num("icmp.code"))
			pl = ipPayload - 8
		case 58:
			r.Sport, r.Dport = uint16(num("icmpv6.type")), uint16(num("icmpv6.code"))
			pl = ipPayload - 8
		}
	}
	r.PayloadLen = uint32(max(pl, 0))
}
