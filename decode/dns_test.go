package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// dnsCmp compares DNSMessages without their scratch space.
var dnsCmp = []cmp.Option{cmpopts.IgnoreUnexported(DNSMessage{}), cmpopts.EquateEmpty()}

// payloadOf returns the transport payload and application of frame number
// n (from 1) of testdata/name.
func payloadOf(tb testing.TB, name string, n int) ([]byte, string, uint8) {
	tb.Helper()
	frames := readFrames(tb, name)
	if n < 1 || n > len(frames) {
		tb.Fatalf("%s has %d frames, no frame %d", name, len(frames), n)
	}
	p, m := decodeFrame(New(), frames[n-1], n-1)
	return m.Payload, p.App, p.Proto
}

func rr(name string, typ uint16, ttl uint32, data string, sec DNSSection) DNSAnswer {
	return DNSAnswer{Name: name, Type: typ, TTL: ttl, Data: data, Section: sec}
}

const (
	ansSec = DNSAnswerSection
	autSec = DNSAuthoritySection
	addSec = DNSAdditionalSection
)

func TestParseDNSCorpus(t *testing.T) {
	const (
		johanna = "johanna-qemu-virtual-machine.local"
		ptr6a   = "4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa"
		ptr6b   = "f.2.8.f.3.6.5.1.6.c.b.5.8.6.9.5.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa"
		addr6a  = "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4"
		addr6b  = "fd52:429e:c03c:8235:5968:5bc6:1563:f82f"
		cam     = `\032[74:da:38:80:7a:08]._http._tcp.local`
		dlinkH  = `d-link\032hnap\032service._dhnap._tcp.local`
		dlinkU  = `d-link\032dcs-935l\032configuration\032utility\032\(2\)._http._tcp.local`
		usv27   = "us.v27.distributed.net"
		v27     = "v27.distributed.net"
		signal  = "signal.auto.mydlink.com"
		sigTTL  = 36
	)
	signalAs := []string{
		"54.194.162.25", "54.194.162.61", "54.229.64.81", "54.238.186.67", "54.238.198.198",
		"52.8.35.241", "52.8.79.180", "52.8.86.161", "52.8.178.58", "52.8.232.208", "52.9.16.35",
		"52.17.177.126", "52.17.248.50", "52.18.83.30", "54.193.40.55", "54.193.40.248",
		"54.193.41.31", "54.193.108.172",
	}
	signalAnswers := []DNSAnswer{rr("signal.mydlink.com", 5, 336, signal, ansSec)}
	for _, a := range signalAs {
		signalAnswers = append(signalAnswers, rr(signal, 1, sigTTL, a, ansSec))
	}
	for _, ns := range []string{"ns-1264.awsdns-30.org", "ns-83.awsdns-10.com", "ns-856.awsdns-43.net", "ns-2011.awsdns-59.co.uk"} {
		signalAnswers = append(signalAnswers, rr("auto.mydlink.com", 2, 336, ns, autSec))
	}
	signalAnswers = append(signalAnswers, rr("ns-83.awsdns-10.com", 1, 10235, "205.251.192.83", addSec))

	tests := []struct {
		file    string
		frame   int
		app     string
		want    DNSMessage
		wantErr string
	}{
		{file: "dns53.pcap", frame: 1, app: AppDNS, want: DNSMessage{
			ID: 0x6465, Response: true, Question: DNSQuestion{usv27, 1},
			Answers: []DNSAnswer{
				rr(usv27, 1, 900, "206.109.64.186", ansSec),
				rr(usv27, 1, 900, "216.1.205.81", ansSec),
				rr(usv27, 1, 900, "205.149.163.211", ansSec),
				rr(usv27, 1, 900, "134.53.131.135", ansSec),
				rr(usv27, 1, 900, "134.53.131.192", ansSec),
				rr(usv27, 1, 900, "128.104.18.148", ansSec),
				rr(usv27, 1, 900, "204.152.186.139", ansSec),
				rr(usv27, 1, 900, "63.77.33.226", ansSec),
				rr(v27, 2, 900, "ns1.distributed.net", autSec),
				rr(v27, 2, 900, "ns2.distributed.net", autSec),
				rr(v27, 2, 900, "ns3.distributed.net", autSec),
				rr(v27, 2, 900, "ns6.distributed.net", autSec),
				rr(v27, 2, 900, "ns1.best.com", autSec),
				rr(v27, 2, 900, "ns2.best.com", autSec),
				rr(v27, 2, 900, "ns3.best.com", autSec),
				rr("ns1.distributed.net", 1, 14400, "209.98.32.14", addSec),
				rr("ns2.distributed.net", 1, 14400, "64.9.167.166", addSec),
				rr("ns3.distributed.net", 1, 14400, "216.1.205.81", addSec),
				rr("ns6.distributed.net", 1, 14400, "205.149.163.211", addSec),
				rr("ns1.best.com", 1, 191660, "209.24.149.41", addSec),
				rr("ns2.best.com", 1, 113908, "209.157.102.11", addSec),
				rr("ns3.best.com", 1, 113908, "209.24.149.42", addSec),
			},
		}},
		{file: "dns_mdns.pcap", frame: 1, app: AppMDNS, want: DNSMessage{
			Question: DNSQuestion{"_ipp._tcp.local", 12},
		}},
		{file: "dns_mdns.pcap", frame: 4, app: AppMDNS, want: DNSMessage{
			Response: true,
			Answers: []DNSAnswer{
				rr(johanna, 28, 0, addr6a, ansSec),
				rr(ptr6a, 12, 0, johanna, ansSec),
				rr(johanna, 28, 0, addr6b, ansSec),
				rr(ptr6b, 12, 0, johanna, ansSec),
				rr(johanna, 1, 0, "10.0.2.7", ansSec),
				rr("7.2.0.10.in-addr.arpa", 12, 0, johanna, ansSec),
			},
		}},
		// A query with known answers: records in the authority section.
		{file: "dns_mdns.pcap", frame: 12, app: AppMDNS, want: DNSMessage{
			Question: DNSQuestion{ptr6a, 255},
			Answers: []DNSAnswer{
				rr(johanna, 1, 120, "10.0.2.7", autSec),
				rr("7.2.0.10.in-addr.arpa", 12, 120, johanna, autSec),
				rr(johanna, 28, 120, addr6b, autSec),
				rr(ptr6b, 12, 120, johanna, autSec),
				rr(johanna, 28, 120, addr6a, autSec),
				rr(ptr6a, 12, 120, johanna, autSec),
			},
		}},
		{file: "iot_edimaxcam1_setup-a-3.pcap", frame: 4, app: AppMDNS, want: DNSMessage{
			Response: true,
			Answers: []DNSAnswer{
				rr("localcam.local", 1, 120, "192.168.4.3", ansSec),
				rr("3.4.168.192.in-addr.arpa", 12, 120, "localcam.local", ansSec),
				rr(cam, 33, 120, "localcam.local", ansSec),
				rr(cam, 16, 4500, "", ansSec),
				rr("_services._dns-sd._udp.local", 12, 4500, "_http._tcp.local", ansSec),
				rr("_http._tcp.local", 12, 4500, cam, ansSec),
			},
		}},
		{file: "iot_dlinkcam_setup-a-2.pcap", frame: 5, app: AppMDNS, want: DNSMessage{
			Response: true,
			Answers: []DNSAnswer{
				rr("dcs-935l-b0c554255b0e.local", 1, 120, "192.168.0.20", ansSec),
				rr("20.0.168.192.in-addr.arpa", 12, 120, "dcs-935l-b0c554255b0e.local", ansSec),
				rr(dlinkH, 33, 120, "dcs-935l-b0c554255b0e.local", ansSec),
				rr(dlinkH, 16, 4500, "", ansSec),
				rr("_services._dns-sd._udp.local", 12, 4500, "_dhnap._tcp.local", ansSec),
				rr("_dhnap._tcp.local", 12, 4500, dlinkH, ansSec),
			},
		}},
		{file: "iot_dlinkcam_setup-a-2.pcap", frame: 9, app: AppMDNS, want: DNSMessage{
			Response: true,
			Answers: []DNSAnswer{
				rr("dcs-935l.local", 1, 120, "192.168.0.20", ansSec),
				rr(dlinkU, 33, 120, "dcs-935l.local", ansSec),
				rr(dlinkU, 16, 4500, "", ansSec),
				rr("_services._dns-sd._udp.local", 12, 4500, "_http._tcp.local", ansSec),
				rr("_http._tcp.local", 12, 4500, dlinkU, ansSec),
			},
		}},
		{file: "iot_dlinkcam_setup-a-2.pcap", frame: 117, app: AppDNS, want: DNSMessage{
			ID: 2, Response: true, Question: DNSQuestion{"ntp1.dlink.com", 1},
			Answers: []DNSAnswer{
				rr("ntp1.dlink.com", 1, 1088, "54.186.215.173", ansSec),
				rr("ntp1.dlink.com", 1, 1088, "54.86.11.193", ansSec),
			},
		}},
		{file: "iot_dlinkcam_setup-a-2.pcap", frame: 187, app: AppDNS, want: DNSMessage{
			ID: 2, Response: true, Question: DNSQuestion{"signal.mydlink.com", 1},
			Answers: signalAnswers,
		}},
		{file: "tcpdump_nflog.pcap", frame: 2, app: AppDNS, want: DNSMessage{
			ID: 0xceda, Response: true, Question: DNSQuestion{"example.com", 28},
			Answers: []DNSAnswer{rr("example.com", 28, 74527, "2606:2800:220:6d:26bf:1447:1097:aa7", ansSec)},
		}},
		{file: "test_dns.pcap", frame: 1, app: AppDNS, want: DNSMessage{
			ID: 0xf618, Question: DNSQuestion{"picslife.ru", 1},
			Answers: []DNSAnswer{rr("", 41, 32768, "", addSec)},
		}},
		{file: "ipv6-fragmented-dns.pcap", frame: 2, app: AppDNS, want: DNSMessage{
			ID: 0xf3f, Response: true, Question: DNSQuestion{"txtpadding_323.n1.netalyzr.icsi.berkeley.edu", 16},
			Answers: []DNSAnswer{
				rr("txtpadding_323.n1.netalyzr.icsi.berkeley.edu", 16, 1, "", ansSec),
				rr("n1.netalyzr.icsi.berkeley.edu", 2, 100, "roland.icir.org", autSec),
				rr("", 41, 32768, "", addSec),
				rr("roland.icir.org", 1, 100, "192.150.187.31", addSec),
			},
		}},
		// The first fragment of a response too big for one IPv6 packet:
		// the TXT record runs past the captured data.
		{file: "ipv6-fragmented-dns.pcap", frame: 6, app: AppDNS, want: DNSMessage{
			ID: 0x9f91, Response: true, Question: DNSQuestion{"txtpadding_3230.n1.netalyzr.icsi.berkeley.edu", 16},
		}, wantErr: "dns answer record 1: dns message cut short"},
	}
	var m DNSMessage
	for _, tt := range tests {
		payload, app, proto := payloadOf(t, tt.file, tt.frame)
		if app != tt.app {
			t.Errorf("%s frame %d: app %q, want %q", tt.file, tt.frame, app, tt.app)
		}
		err := ParseDNS(payload, proto == protoTCP, &m)
		if got := errText(err); got != tt.wantErr {
			t.Errorf("%s frame %d: error %q, want %q", tt.file, tt.frame, got, tt.wantErr)
		}
		if diff := cmp.Diff(tt.want, m, dnsCmp...); diff != "" {
			t.Errorf("%s frame %d (-want +got):\n%s", tt.file, tt.frame, diff)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// tcpDNS prefixes msg with the 2-byte length of DNS over TCP.
func tcpDNS(msg []byte, length int) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(length)), msg...)
}

func TestParseDNSOverTCP(t *testing.T) {
	msg, _, _ := payloadOf(t, "dns53.pcap", 1)
	var udp DNSMessage
	if err := ParseDNS(msg, false, &udp); err != nil {
		t.Fatal(err)
	}
	full := tcpDNS(msg, len(msg))
	// parsed: 0 nothing, 1 the header, 2 the question too.
	tests := []struct {
		name        string
		payload     []byte
		parsed      int
		wantAnswers int
		wantErr     string
	}{
		{"whole message", full, 2, 22, ""},
		{"two messages in one segment", append(bytes.Clone(full), full...), 2, 22, ""},
		{"length prefix only", full[:2], 0, 0, "dns header: dns message cut short"},
		{"cut length prefix", full[:1], 0, 0, "dns length prefix: dns message cut short"},
		{"cut in the header", full[:2+11], 0, 0, "dns header: dns message cut short"},
		{"cut in the question", full[:2+20], 1, 0, "dns question 1: dns message cut short"},
		// 12-byte header, 28-byte question, 16 bytes per compressed A record.
		{"cut after three answers", full[:2+12+28+3*16], 2, 3, "dns answer record 4: dns message cut short"},
		{"cut inside the fourth answer's data", full[:2+12+28+3*16+14], 2, 3, "dns answer record 4: dns message cut short"},
		{"cut in the additional section", full[:len(full)-1], 2, 21, "dns additional record 7: dns message cut short"},
	}
	var m DNSMessage
	for _, tt := range tests {
		err := ParseDNS(tt.payload, true, &m)
		if got := errText(err); got != tt.wantErr {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.wantErr)
		}
		if tt.wantErr != "" && !errors.Is(err, ErrDNSShort) {
			t.Errorf("%s: %v is not ErrDNSShort", tt.name, err)
		}
		var want DNSMessage
		if tt.parsed >= 1 {
			want.ID, want.Response, want.Opcode, want.RCode = udp.ID, udp.Response, udp.Opcode, udp.RCode
		}
		if tt.parsed >= 2 {
			want.Question = udp.Question
		}
		want.Answers = udp.Answers[:tt.wantAnswers]
		if diff := cmp.Diff(want, m, dnsCmp...); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// dnsBuilder writes DNS messages for tests.
type dnsBuilder struct{ b []byte }

func newDNS(id, flags, qd, an, ns, ar uint16) *dnsBuilder {
	var b []byte
	for _, v := range []uint16{id, flags, qd, an, ns, ar} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return &dnsBuilder{b}
}

// name writes labels and a final zero; a label "^N" writes a pointer to
// offset N instead and ends the name.
func (d *dnsBuilder) name(labels ...string) *dnsBuilder {
	for _, l := range labels {
		if strings.HasPrefix(l, "^") {
			n := 0
			for _, c := range l[1:] {
				n = n*10 + int(c-'0')
			}
			d.b = binary.BigEndian.AppendUint16(d.b, 0xc000|uint16(n))
			return d
		}
		d.b = append(d.b, byte(len(l)))
		d.b = append(d.b, l...)
	}
	d.b = append(d.b, 0)
	return d
}

func (d *dnsBuilder) raw(b ...byte) *dnsBuilder { d.b = append(d.b, b...); return d }

func (d *dnsBuilder) u16(v uint16) *dnsBuilder {
	d.b = binary.BigEndian.AppendUint16(d.b, v)
	return d
}

func (d *dnsBuilder) u32(v uint32) *dnsBuilder {
	d.b = binary.BigEndian.AppendUint32(d.b, v)
	return d
}

// question writes type and class after a name.
func (d *dnsBuilder) question(typ uint16) *dnsBuilder { return d.u16(typ).u16(1) }

// record writes type, class, TTL and data after a name.
func (d *dnsBuilder) record(typ uint16, ttl uint32, data []byte) *dnsBuilder {
	d.u16(typ).u16(0x8001).u32(ttl).u16(uint16(len(data)))
	d.b = append(d.b, data...)
	return d
}

func (d *dnsBuilder) off() int { return len(d.b) }

func labels(n, size int) []string {
	l := make([]string, n)
	for i := range l {
		l[i] = strings.Repeat(string(rune('a'+i)), size)
	}
	return l
}

func TestParseDNSHostile(t *testing.T) {
	long255 := append(labels(3, 63), strings.Repeat("z", 61)) // 3*64 + 62 + 1 = 255 bytes
	long257 := labels(4, 63)                                  // 4*64 + 1 = 257 bytes

	// A name made of n pointers: the answer's name points to the last of
	// n-1 pointers in the data of a first record, each pointing to the one
	// before, and the first to the name "x" at offset 12.
	chain := func(n int) []byte {
		d := newDNS(7, 0x8400, 1, 2, 0, 0).name("x").question(1)
		start := d.off() + 1 + 10 // after the first record's root name and header
		var data []byte
		for i := range n - 1 {
			to := 12
			if i > 0 {
				to = start + 2*(i-1)
			}
			data = binary.BigEndian.AppendUint16(data, 0xc000|uint16(to))
		}
		d.raw(0).record(0xff00, 0, data)
		return d.u16(0xc000|uint16(start+2*(n-2))).record(1, 5, []byte{192, 0, 2, 1}).b
	}
	// A question name of 3*64+1 = 193 bytes, then an answer name of a
	// label of tail bytes and a pointer to it: 194+tail bytes in all.
	compressedLong := func(tail int) []byte {
		d := newDNS(1, 0x8000, 1, 1, 0, 0).name(labels(3, 63)...).question(1)
		l := strings.Repeat("t", tail)
		return d.raw(byte(len(l))).raw([]byte(l)...).u16(0xc000|12).record(1, 1, []byte{10, 0, 0, 1}).b
	}

	tests := []struct {
		name     string
		msg      []byte
		want     DNSMessage
		wantErr  string
		sentinel error
	}{
		{
			name: "labels with dots, NULs, markup, upper case and high bytes",
			msg: newDNS(1, 0x8180, 1, 1, 0, 0).name("A.b", "\x00\x01 \x7f", "<script>", "\xc3\x84\\\"$();@", "COM").question(1).
				u16(0xc000|12).record(1, 60, []byte{192, 0, 2, 7}).b,
			want: DNSMessage{ID: 1, Response: true, Opcode: 0, RCode: 0,
				Question: DNSQuestion{`a\.b.\000\001\032\127.<script>.\195\132\\\"\$\(\)\;\@.com`, 1},
				Answers:  []DNSAnswer{rr(`a\.b.\000\001\032\127.<script>.\195\132\\\"\$\(\)\;\@.com`, 1, 60, "192.0.2.7", ansSec)},
			},
		},
		{
			name: "root name, opcode and rcode",
			msg:  newDNS(0xbeef, 0x8000|2<<11|3, 1, 0, 0, 0).name().question(2).b,
			want: DNSMessage{ID: 0xbeef, Response: true, Opcode: 2, RCode: 3, Question: DNSQuestion{"", 2}},
		},
		{
			name: "name of 255 bytes",
			msg:  newDNS(1, 0, 1, 0, 0, 0).name(long255...).question(1).b,
			want: DNSMessage{ID: 1, Question: DNSQuestion{strings.Join(long255, "."), 1}},
		},
		{
			name:     "name of 257 bytes",
			msg:      newDNS(1, 0, 1, 0, 0, 0).name(long257...).question(1).b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: name longer than 255 bytes: malformed dns message",
			sentinel: ErrDNSNameTooLong, // counted by ingest
		},
		{
			name: "compressed name of 255 bytes",
			msg:  compressedLong(61),
			want: DNSMessage{ID: 1, Response: true,
				Question: DNSQuestion{strings.Join(labels(3, 63), "."), 1},
				Answers:  []DNSAnswer{rr(strings.Repeat("t", 61)+"."+strings.Join(labels(3, 63), "."), 1, 1, "10.0.0.1", ansSec)},
			},
		},
		{
			name: "compressed name of 256 bytes",
			msg:  compressedLong(62),
			want: DNSMessage{ID: 1, Response: true,
				Question: DNSQuestion{strings.Join(labels(3, 63), "."), 1},
			},
			wantErr:  "dns answer record 1: name longer than 255 bytes: malformed dns message",
			sentinel: ErrDNSNameTooLong, // counted by ingest
		},
		{
			name:     "pointer to itself",
			msg:      newDNS(1, 0, 1, 0, 0, 0).name("^12").question(1).b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: compression pointer 12 at 12: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name:     "label then pointer back to its start",
			msg:      newDNS(1, 0, 1, 0, 0, 0).name("a", "^12").question(1).b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: compression pointer 12 at 14: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name:     "pointer forward",
			msg:      newDNS(1, 0, 1, 0, 0, 0).name("^18").question(1).name("a").b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: compression pointer 18 at 12: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			// Record 1's name points back to the question name, which
			// goes on to a pointer at 14 to offset 19: forward of 12.
			name: "two names pointing at each other",
			msg: newDNS(1, 0x8000, 1, 1, 0, 0).name("a", "^19").question(1).
				name("b", "^12").record(1, 1, []byte{1, 2, 3, 4}).b,
			want:     DNSMessage{ID: 1, Response: true},
			wantErr:  "dns question 1: compression pointer 19 at 14: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name:     "pointer into the header",
			msg:      newDNS(1, 0, 1, 0, 0, 0).name("^4").question(1).b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: compression pointer 4 at 12: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name: "name of 127 pointers",
			msg:  chain(127),
			want: DNSMessage{ID: 7, Response: true, Question: DNSQuestion{"x", 1},
				Answers: []DNSAnswer{rr("", 0xff00, 0, "", ansSec), rr("x", 1, 5, "192.0.2.1", ansSec)},
			},
		},
		{
			name: "name of 128 pointers",
			msg:  chain(128),
			want: DNSMessage{ID: 7, Response: true, Question: DNSQuestion{"x", 1},
				Answers: []DNSAnswer{rr("", 0xff00, 0, "", ansSec)},
			},
			wantErr:  "dns answer record 2: more than 127 compression pointers: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name:     "extended label type",
			msg:      newDNS(1, 0, 1, 0, 0, 0).raw(0x41, 'a', 0).question(1).b,
			want:     DNSMessage{ID: 1},
			wantErr:  "dns question 1: label type 0x40 at 12: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name:     "65535 of everything in 20 bytes",
			msg:      newDNS(1, 0x8000, 0xffff, 0xffff, 0xffff, 0xffff).raw(1, 'a', 0, 0, 1, 0, 1, 0).b,
			want:     DNSMessage{ID: 1, Response: true, Question: DNSQuestion{"a", 1}},
			wantErr:  "dns question 2: dns message cut short",
			sentinel: ErrDNSShort,
		},
		{
			name: "65535 answers, two present",
			msg: newDNS(1, 0x8000, 0, 0xffff, 0, 0).
				name("a").record(1, 1, []byte{10, 0, 0, 1}).u16(0xc000|12).record(1, 2, []byte{10, 0, 0, 2}).b,
			want: DNSMessage{ID: 1, Response: true, Answers: []DNSAnswer{
				rr("a", 1, 1, "10.0.0.1", ansSec), rr("a", 1, 2, "10.0.0.2", ansSec),
			}},
			wantErr:  "dns answer record 3: dns message cut short",
			sentinel: ErrDNSShort,
		},
		{
			name: "data name running past its record",
			msg: newDNS(1, 0x8000, 0, 2, 0, 0).
				name("a").record(5, 1, []byte{1, 'b'}).raw(0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0).b,
			want:     DNSMessage{ID: 1, Response: true},
			wantErr:  "dns answer record 1: data name: name runs past its record: malformed dns message",
			sentinel: ErrDNSMalformed,
		},
		{
			name: "record data of the wrong size, MX, SRV, DNAME",
			msg: newDNS(1, 0x8000, 0, 6, 0, 0).
				name("a").record(1, 1, []byte{10, 0, 0}).
				u16(0xc000|12).record(28, 1, []byte{1, 2, 3, 4}).
				u16(0xc000|12).record(15, 1, []byte{0, 10, 2, 'm', 'x', 0xc0, 12}).
				u16(0xc000|12).record(33, 1, []byte{0, 1, 0, 2, 0, 80, 0}).
				u16(0xc000|12).record(39, 1, []byte{1, 'D', 0xc0, 12}).
				u16(0xc000|12).record(15, 1, []byte{0, 10}).b,
			want: DNSMessage{ID: 1, Response: true, Answers: []DNSAnswer{
				rr("a", 1, 1, "", ansSec),
				rr("a", 28, 1, "", ansSec),
				rr("a", 15, 1, "mx.a", ansSec),
				rr("a", 33, 1, "", ansSec),
				rr("a", 39, 1, "d.a", ansSec),
				rr("a", 15, 1, "", ansSec),
			}},
		},
		{
			name:     "empty",
			msg:      nil,
			wantErr:  "dns header: dns message cut short",
			sentinel: ErrDNSShort,
		},
	}
	var m DNSMessage
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseDNS(tt.msg, false, &m)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error %q, want %q", got, tt.wantErr)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("%v is not %v", err, tt.sentinel)
			}
			if diff := cmp.Diff(tt.want, m, dnsCmp...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseDNSBoundedAllocation parses a message claiming 65535 records of
// each kind in 20 bytes: the answer slice must not grow.
func TestParseDNSBoundedAllocation(t *testing.T) {
	msg := newDNS(1, 0x8000, 0, 0xffff, 0xffff, 0xffff).raw(0, 0, 1, 0, 1, 0, 0, 0).b
	if len(msg) != 20 {
		t.Fatalf("message of %d bytes", len(msg))
	}
	var m DNSMessage
	allocs := testing.AllocsPerRun(100, func() {
		if err := ParseDNS(msg, false, &m); !errors.Is(err, ErrDNSShort) {
			t.Fatalf("error %v", err)
		}
	})
	if cap(m.Answers) != 0 {
		t.Errorf("answers capacity %d", cap(m.Answers))
	}
	if allocs > 2 { // the wrapped error
		t.Errorf("%v allocations", allocs)
	}
}

// TestParseDNSReuse parses a large message then a small one into the same
// DNSMessage: nothing of the first may remain.
func TestParseDNSReuse(t *testing.T) {
	big, _, _ := payloadOf(t, "dns53.pcap", 1)
	small, _, _ := payloadOf(t, "tcpdump_nflog.pcap", 1)
	var m DNSMessage
	if err := ParseDNS(big, false, &m); err != nil {
		t.Fatal(err)
	}
	if err := ParseDNS(small, false, &m); err != nil {
		t.Fatal(err)
	}
	want := DNSMessage{ID: 0x4371, Response: true, Question: DNSQuestion{"example.com", 1},
		Answers: []DNSAnswer{rr("example.com", 1, 12182, "93.184.216.119", ansSec)}}
	if diff := cmp.Diff(want, m, dnsCmp...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDNSTypeName(t *testing.T) {
	tests := []struct {
		t    uint16
		want string
	}{
		{1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {15, "MX"}, {16, "TXT"},
		{28, "AAAA"}, {33, "SRV"}, {41, "OPT"}, {64, "SVCB"}, {65, "HTTPS"}, {255, "ANY"},
		{0, "TYPE0"}, {0xff00, "TYPE65280"},
	}
	for _, tt := range tests {
		if got := DNSTypeName(tt.t); got != tt.want {
			t.Errorf("DNSTypeName(%d) = %q, want %q", tt.t, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = DNSTypeName(65) }); n != 0 {
		t.Errorf("DNSTypeName of a known type: %v allocations", n)
	}
}

func TestDNSRCodeName(t *testing.T) {
	tests := []struct {
		r    uint8
		want string
	}{
		{0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"}, {4, "NOTIMP"},
		{5, "REFUSED"}, {9, "NOTAUTH"}, {12, "RCODE12"}, {255, "RCODE255"},
	}
	for _, tt := range tests {
		if got := DNSRCodeName(tt.r); got != tt.want {
			t.Errorf("DNSRCodeName(%d) = %q, want %q", tt.r, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = DNSRCodeName(3) }); n != 0 {
		t.Errorf("DNSRCodeName of a known code: %v allocations", n)
	}
}

func TestDNSSectionString(t *testing.T) {
	got := []string{DNSAnswerSection.String(), DNSAuthoritySection.String(), DNSAdditionalSection.String(), DNSSection(0).String()}
	want := []string{"answer", "authority", "additional", "section0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func BenchmarkParseDNS(b *testing.B) {
	for _, bc := range []struct{ name, file string }{
		{"response-22-records", "dns53.pcap"},
		{"mdns-announcement", "iot_edimaxcam1_setup-a-3.pcap"},
		{"response-1-record", "tcpdump_nflog.pcap"},
	} {
		frame := 1
		if bc.file == "iot_edimaxcam1_setup-a-3.pcap" {
			frame = 4
		}
		payload, _, _ := payloadOf(b, bc.file, frame)
		b.Run(bc.name, func(b *testing.B) {
			var m DNSMessage
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := ParseDNS(payload, false, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDNSNameTooLong: a name too long is a malformed message, told apart so
// that ingest counts it.
func TestDNSNameTooLong(t *testing.T) {
	if !errors.Is(ErrDNSNameTooLong, ErrDNSMalformed) {
		t.Error("ErrDNSNameTooLong does not wrap ErrDNSMalformed")
	}
}
