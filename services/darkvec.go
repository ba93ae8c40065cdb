package services

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

const protoICMP = 1

// The fallback services of DarkVec's get_services (notebooks/src/corpus.py
// in SmartData-Polito/darkvec): a port/proto pair its services.json does not
// name is classed by the IANA range of its port, and a pair without a port
// ("-/icmp", "-/oth") is "icmp".
const (
	UnknownSystem    = "unk_sys" // ports 0-1023
	UnknownUser      = "unk_usr" // ports 1024-49151
	UnknownEphemeral = "unk_eph" // ports 49152-65535
	ICMP             = "icmp"    // no port: ICMP and every protocol but TCP and UDP
)

// darkvecList is the built-in port/proto -> service table, in DarkVec's
// service names (the languages of its corpus: ftp, telnet, p2p, netbios-smb,
// mail, dbs, http, ssh, netbios, proxy, dns, kerberos). DarkVec reads the
// ports of each service from a services.json that ships with its traces,
// not with its code; these are the well-known ports of each of them, and
// Map.Load replaces or extends them from a file.
var darkvecList = []struct {
	pp      string
	service string
}{
	{"20/tcp", "ftp"}, {"21/tcp", "ftp"}, {"69/udp", "ftp"}, {"989/tcp", "ftp"}, {"990/tcp", "ftp"},
	{"22/tcp", "ssh"}, {"2222/tcp", "ssh"},
	{"23/tcp", "telnet"}, {"992/tcp", "telnet"}, {"2323/tcp", "telnet"},
	{"25/tcp", "mail"}, {"110/tcp", "mail"}, {"143/tcp", "mail"}, {"465/tcp", "mail"},
	{"587/tcp", "mail"}, {"993/tcp", "mail"}, {"995/tcp", "mail"},
	{"53/tcp", "dns"}, {"53/udp", "dns"}, {"5353/udp", "dns"},
	{"80/tcp", "http"}, {"81/tcp", "http"}, {"443/tcp", "http"}, {"8000/tcp", "http"},
	{"8008/tcp", "http"}, {"8080/tcp", "http"}, {"8081/tcp", "http"}, {"8443/tcp", "http"},
	{"8888/tcp", "http"},
	{"88/tcp", "kerberos"}, {"88/udp", "kerberos"}, {"464/tcp", "kerberos"}, {"464/udp", "kerberos"},
	{"749/tcp", "kerberos"},
	{"137/udp", "netbios"}, {"138/udp", "netbios"}, {"139/tcp", "netbios"},
	{"445/tcp", "netbios-smb"},
	{"1080/tcp", "proxy"}, {"3128/tcp", "proxy"}, {"8118/tcp", "proxy"}, {"9050/tcp", "proxy"},
	{"1433/tcp", "dbs"}, {"1434/udp", "dbs"}, {"1521/tcp", "dbs"}, {"3306/tcp", "dbs"},
	{"5432/tcp", "dbs"}, {"5984/tcp", "dbs"}, {"6379/tcp", "dbs"}, {"9200/tcp", "dbs"},
	{"11211/tcp", "dbs"}, {"11211/udp", "dbs"}, {"27017/tcp", "dbs"},
	{"4662/tcp", "p2p"}, {"4672/udp", "p2p"}, {"6346/tcp", "p2p"}, {"6881/tcp", "p2p"},
	{"6881/udp", "p2p"}, {"6882/tcp", "p2p"}, {"6889/tcp", "p2p"}, {"51413/tcp", "p2p"},
	{"51413/udp", "p2p"},
}

// Map is a port/proto -> service table in DarkVec's way: pairs named as in
// the seed ("445/tcp", "53/udp", "-/icmp"), with the fallbacks of
// get_services for the pairs it does not name. The zero value names none.
type Map struct {
	named map[string]string
}

// Entry is one named pair of a Map.
type Entry struct {
	Port    uint16 // 0 when the pair has no port
	Proto   string // "tcp", "udp", "icmp" or "oth"
	HasPort bool   // false for "-/icmp" and "-/oth"
	Service string
}

// DarkVecMap returns a new copy of the built-in table.
func DarkVecMap() *Map {
	m := &Map{named: make(map[string]string, len(darkvecList))}
	for _, e := range darkvecList {
		m.named[e.pp] = e.service
	}
	return m
}

var darkvecDefault = DarkVecMap()

// DarkVec names the service of a packet to port with IP protocol proto as
// DarkVec's get_services does, from the built-in table: the named service
// of its port/proto pair, else unk_sys, unk_usr or unk_eph by the port's
// range, and icmp for every protocol but TCP and UDP (their pairs carry no
// port: "-/icmp", "-/oth").
func DarkVec(port uint16, proto uint8) string {
	return darkvecDefault.Service(port, proto)
}

// ProtoName is DarkVec's name of an IP protocol: tcp (6), udp (17), icmp
// (1), oth for every other.
func ProtoName(proto uint8) string {
	switch proto {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP:
		return "icmp"
	}
	return "oth"
}

// PortProto is the port/proto pair of a packet as DarkVec writes it:
// "445/tcp", "53/udp", and "-/icmp" or "-/oth" for the protocols without
// ports.
func PortProto(port uint16, proto uint8) string {
	if proto != protoTCP && proto != protoUDP {
		return "-/" + ProtoName(proto)
	}
	return strconv.Itoa(int(port)) + "/" + ProtoName(proto)
}

// Fallback is get_services' class of a pair it does not name: by the
// port's range for TCP and UDP, icmp for the rest.
func Fallback(port uint16, proto uint8) string {
	switch {
	case proto != protoTCP && proto != protoUDP:
		return ICMP
	case port <= 1023:
		return UnknownSystem
	case port <= 49151:
		return UnknownUser
	}
	return UnknownEphemeral
}

// Service names the service of a packet to port with IP protocol proto.
func (m *Map) Service(port uint16, proto uint8) string {
	if s, ok := m.named[PortProto(port, proto)]; ok {
		return s
	}
	return Fallback(port, proto)
}

// Entries lists the named pairs, sorted by protocol then port.
func (m *Map) Entries() []Entry {
	out := make([]Entry, 0, len(m.named))
	for pp, s := range m.named {
		port, proto, hasPort, err := parsePortProto(pp)
		if err != nil {
			continue // Load and DarkVecMap only store valid pairs
		}
		out = append(out, Entry{Port: port, Proto: proto, HasPort: hasPort, Service: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		return out[i].Port < out[j].Port
	})
	return out
}

// Services lists the distinct service names the map can give, fallbacks
// included, sorted.
func (m *Map) Services() []string {
	seen := map[string]bool{UnknownSystem: true, UnknownUser: true, UnknownEphemeral: true, ICMP: true}
	for _, s := range m.named {
		seen[s] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Load reads a CSV file of "port/proto,service" lines (an optional header
// "pp,service" or "port/proto,service") over the map: a pair it names takes
// the file's service. name is the file's name for errors. Service names
// are letters, digits and "_.-+", at most 64 of them, so that they go into
// SQL and charts as they are.
func (m *Map) Load(r io.Reader, name string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	add := map[string]string{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return fmt.Errorf("%s:%d: want 2 columns (port/proto,service), got %d", name, line, len(rec))
		}
		pp, svc := strings.ToLower(strings.TrimSpace(rec[0])), strings.TrimSpace(rec[1])
		if first && (pp == "pp" || pp == "port/proto") {
			continue
		}
		port, proto, hasPort, err := parsePortProto(pp)
		if err != nil {
			return fmt.Errorf("%s:%d: column 1: %w", name, line, err)
		}
		// The pair as PortProto writes it: "0080/tcp" is "80/tcp".
		pp = "-/" + proto
		if hasPort {
			pp = strconv.Itoa(int(port)) + "/" + proto
		}
		if !validService(svc) {
			return fmt.Errorf("%s:%d: column 2: service %q: want 1 to 64 letters, digits or _.-+", name, line, svc)
		}
		add[pp] = svc
	}
	if m.named == nil {
		m.named = make(map[string]string, len(add))
	}
	for pp, s := range add {
		m.named[pp] = s
	}
	return nil
}

func validService(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-' || c == '+'
		if !ok {
			return false
		}
	}
	return true
}

// parsePortProto reads "445/tcp", "53/udp", "-/icmp" or "-/oth".
func parsePortProto(pp string) (port uint16, proto string, hasPort bool, err error) {
	p, pr, ok := strings.Cut(pp, "/")
	if !ok {
		return 0, "", false, fmt.Errorf("%q is not port/proto", pp)
	}
	switch pr {
	case "tcp", "udp":
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return 0, "", false, fmt.Errorf("%q: port %q is not 0-65535", pp, p)
		}
		return uint16(n), pr, true, nil
	case "icmp", "oth":
		if p != "-" {
			return 0, "", false, fmt.Errorf("%q: %s has no port, write -/%s", pp, pr, pr)
		}
		return 0, pr, false, nil
	}
	return 0, "", false, fmt.Errorf("%q: protocol %q is not tcp, udp, icmp or oth", pp, pr)
}

// SQL is a SQL expression of the service of the packet whose destination
// port and IP protocol are the SQL expressions port and proto: a CASE over
// the map's named pairs, then the fallbacks. It uses only comparisons and
// IN lists, so DuckDB and ClickHouse (18.16 included) read it alike.
func (m *Map) SQL(port, proto string) string {
	type key struct {
		proto   string
		service string
	}
	var order []key
	ports := map[key][]string{}
	for _, e := range m.Entries() {
		k := key{e.Proto, e.Service}
		if _, ok := ports[k]; !ok {
			order = append(order, k)
		}
		ports[k] = append(ports[k], strconv.Itoa(int(e.Port)))
	}
	var b strings.Builder
	b.WriteString("CASE")
	for _, k := range order {
		switch k.proto {
		case "tcp", "udp":
			num := protoTCP
			if k.proto == "udp" {
				num = protoUDP
			}
			fmt.Fprintf(&b, " WHEN %s = %d AND %s IN (%s) THEN '%s'", proto, num, port, strings.Join(ports[k], ", "), k.service)
		case "icmp":
			fmt.Fprintf(&b, " WHEN %s = %d THEN '%s'", proto, protoICMP, k.service)
		case "oth":
			fmt.Fprintf(&b, " WHEN %s NOT IN (%d, %d, %d) THEN '%s'", proto, protoICMP, protoTCP, protoUDP, k.service)
		}
	}
	fmt.Fprintf(&b, " WHEN %s NOT IN (%d, %d) THEN '%s'", proto, protoTCP, protoUDP, ICMP)
	fmt.Fprintf(&b, " WHEN %s <= 1023 THEN '%s' WHEN %s <= 49151 THEN '%s' ELSE '%s' END",
		port, UnknownSystem, port, UnknownUser, UnknownEphemeral)
	return b.String()
}
