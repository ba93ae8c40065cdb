package services

import (
	"strconv"
	"strings"
	"testing"
)

// getServices is DarkVec's get_services (notebooks/src/corpus.py) read
// line by line: the pair's entry in the table, else the range of its port,
// else (port "-") icmp.
func getServices(languages map[string]string, x string) string {
	if s, ok := languages[x]; ok {
		return s
	}
	p := strings.Split(x, "/")[0]
	if p != "-" {
		n, _ := strconv.Atoi(p)
		switch {
		case n >= 0 && n <= 1023:
			return "unk_sys"
		case n >= 1024 && n <= 49151:
			return "unk_usr"
		case n >= 49152 && n <= 65535:
			return "unk_eph"
		}
		return ""
	}
	return "icmp"
}

// seedPP is the seed's pp column: get_data writes port + "/" + proto with
// proto 6 tcp, 17 udp, 1 icmp, else oth, and DarkVec's traces write the
// port of a packet without one as "-".
func seedPP(port uint16, proto uint8) string {
	name := map[uint8]string{6: "tcp", 17: "udp", 1: "icmp"}[proto]
	if name == "" {
		name = "oth"
	}
	if proto != 6 && proto != 17 {
		return "-/" + name
	}
	return strconv.Itoa(int(port)) + "/" + name
}

func TestDarkVecEveryPort(t *testing.T) {
	languages := map[string]string{}
	for _, e := range darkvecList {
		languages[e.pp] = e.service
	}
	for _, proto := range []uint8{6, 17, 1, 47, 58, 0} {
		for p := 0; p <= 65535; p++ {
			port := uint16(p)
			pp := seedPP(port, proto)
			if got := PortProto(port, proto); got != pp {
				t.Fatalf("PortProto(%d, %d) = %q, want %q", port, proto, got, pp)
			}
			if got, want := DarkVec(port, proto), getServices(languages, pp); got != want {
				t.Fatalf("DarkVec(%d, %d) = %q, want %q", port, proto, got, want)
			}
		}
	}
}

func TestDarkVec(t *testing.T) {
	tests := []struct {
		port  uint16
		proto uint8
		want  string
	}{
		{445, 6, "netbios-smb"},
		{445, 17, "unk_sys"},
		{23, 6, "telnet"},
		{2323, 6, "telnet"},
		{22, 6, "ssh"},
		{80, 6, "http"},
		{53, 17, "dns"},
		{137, 17, "netbios"},
		{3306, 6, "dbs"},
		{1080, 6, "proxy"},
		{0, 6, "unk_sys"},
		{1023, 17, "unk_sys"},
		{1024, 6, "unk_usr"},
		{49151, 6, "unk_usr"},
		{49152, 17, "unk_eph"},
		{65535, 6, "unk_eph"},
		{8, 1, "icmp"},
		{0, 47, "icmp"}, // GRE: "-/oth", and get_services names every "-" pair icmp
		{80, 58, "icmp"},
	}
	for _, tt := range tests {
		if got := DarkVec(tt.port, tt.proto); got != tt.want {
			t.Errorf("DarkVec(%d, %d) = %q, want %q", tt.port, tt.proto, got, tt.want)
		}
	}
}

func TestMapLoad(t *testing.T) {
	tests := []struct {
		name, file string
		port       uint16
		proto      uint8
		want       string
		err        string
	}{
		{name: "override", file: "pp,service\n445/tcp,smb\n", port: 445, proto: 6, want: "smb"},
		{name: "new pair", file: "5555/TCP,adb\n", port: 5555, proto: 6, want: "adb"},
		{name: "keeps the rest", file: "5555/tcp,adb\n", port: 23, proto: 6, want: "telnet"},
		{name: "icmp named", file: "-/icmp,ping\n", port: 8, proto: 1, want: "ping"},
		{name: "leading zeros", file: "0080/tcp,web\n", port: 80, proto: 6, want: "web"},
		{name: "oth named", file: "-/oth,gre\n", port: 0, proto: 47, want: "gre"},
		{name: "bad port", file: "pp,service\n70000/tcp,x\n", err: "s.csv:2: column 1: \"70000/tcp\": port \"70000\" is not 0-65535"},
		{name: "bad proto", file: "80/sctp,x\n", err: "s.csv:1: column 1: \"80/sctp\": protocol \"sctp\" is not tcp, udp, icmp or oth"},
		{name: "icmp port", file: "8/icmp,x\n", err: "s.csv:1: column 1: \"8/icmp\": icmp has no port, write -/icmp"},
		{name: "columns", file: "80/tcp\n", err: "s.csv:1: want 2 columns (port/proto,service), got 1"},
		{name: "bad name", file: "80/tcp,a'b\n", err: "s.csv:1: column 2: service \"a'b\": want 1 to 64 letters, digits or _.-+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DarkVecMap()
			err := m.Load(strings.NewReader(tt.file), "s.csv")
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Load: %v, want %q", err, tt.err)
				}
				if got := m.Service(445, 6); got != "netbios-smb" {
					t.Errorf("a refused file changed the map: 445/tcp is %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Service(tt.port, tt.proto); got != tt.want {
				t.Errorf("Service(%d, %d) = %q, want %q", tt.port, tt.proto, got, tt.want)
			}
			if got := DarkVec(445, 6); got != "netbios-smb" {
				t.Errorf("Load changed the built-in table: 445/tcp is %q", got)
			}
		})
	}
}

func TestServices(t *testing.T) {
	got := strings.Join(DarkVecMap().Services(), ",")
	want := "dbs,dns,ftp,http,icmp,kerberos,mail,netbios,netbios-smb,p2p,proxy,ssh,telnet,unk_eph,unk_sys,unk_usr"
	if got != want {
		t.Errorf("Services() = %s, want %s", got, want)
	}
}
