package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// chServerOf returns the server behind a DSN of ClickHouse or
// ClickHouseCluster, and the DSN's database.
func chServerOf(t *testing.T, dsn string, servers []*chServer) (*chServer, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "clickhouse" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("DSN %q: want clickhouse://127.0.0.1:PORT/DB", dsn)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if !regexp.MustCompile(`^t_[A-Za-z0-9_]+_[0-9]+$`).MatchString(db) {
		t.Fatalf("DSN %q: database %q", dsn, db)
	}
	for _, s := range servers {
		if u.Port() == strconv.Itoa(s.tcpPort) {
			return s, db
		}
	}
	t.Fatalf("DSN %q: no server has that native port", dsn)
	return nil, ""
}

// chQuery runs sql on s and returns its result, failing t on an error.
func chQuery(t *testing.T, s *chServer, sql string) string {
	t.Helper()
	out, err := s.query(sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)?\n$`)

// TestClickHouse starts the single server from parallel tests, which share it
// and each get an empty database of their own.
func TestClickHouse(t *testing.T) {
	dbs := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for i := range cap(dbs) {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				dsn := ClickHouse(t)
				s, db := chServerOf(t, dsn, chSingle.srv)
				if v := chQuery(t, s, "SELECT version()"); !versionRE.MatchString(v) {
					t.Errorf("version() = %q", v)
				}
				got := chQuery(t, s, "SELECT count() FROM system.tables WHERE database = '"+db+"'")
				if got != "0\n" {
					t.Errorf("tables in new database %s: %q, want 0", db, got)
				}
				dbs <- db
			})
		}
	})
	close(dbs)
	seen := map[string]bool{}
	for db := range dbs {
		if seen[db] {
			t.Errorf("database %s returned twice", db)
		}
		seen[db] = true
	}
	if len(chSingle.srv) != 1 || len(seen) != cap(dbs) {
		t.Errorf("%d servers, %d databases; want 1 and %d", len(chSingle.srv), len(seen), cap(dbs))
	}
}

// TestClickHouseCluster proves the cluster: a Distributed table on node 1
// reads the rows inserted into each node's own MergeTree table.
func TestClickHouseCluster(t *testing.T) {
	dsn, cluster := ClickHouseCluster(t)
	if cluster != clickhouseClusterName {
		t.Fatalf("cluster %q, want %q", cluster, clickhouseClusterName)
	}
	nodes := chCluster.srv
	if len(nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(nodes))
	}
	node1, db := chServerOf(t, dsn, nodes)
	if node1 != nodes[0] {
		t.Fatalf("DSN %q is not node 1's (native port %d)", dsn, nodes[0].tcpPort)
	}
	for _, n := range nodes {
		if v := chQuery(t, n, "SELECT version()"); !versionRE.MatchString(v) {
			t.Errorf("%s: version() = %q", n.name, v)
		}
		if got := chQuery(t, n, "SELECT count() FROM system.databases WHERE name = '"+db+"'"); got != "1\n" {
			t.Errorf("%s: database %s: %q, want 1", n.name, db, got)
		}
	}

	got := chQuery(t, node1, "SELECT shard_num, replica_num, host_address, port, is_local FROM system.clusters WHERE cluster = '"+cluster+"' ORDER BY shard_num")
	want := fmt.Sprintf("1\t1\t127.0.0.1\t%d\t1\n2\t1\t127.0.0.1\t%d\t0\n", nodes[0].tcpPort, nodes[1].tcpPort)
	if got != want {
		t.Errorf("system.clusters on node 1:\n%s\nwant:\n%s", got, want)
	}

	for _, n := range nodes {
		chQuery(t, n, "CREATE TABLE `"+db+"`.`pkts` (ts Int64, node String) ENGINE = MergeTree() ORDER BY ts")
	}
	chQuery(t, node1, "CREATE TABLE `"+db+"`.`pkts_all` AS `"+db+"`.`pkts` ENGINE = Distributed("+cluster+", '"+db+"', 'pkts')")
	rows := map[*chServer]int{nodes[0]: 3, nodes[1]: 5}
	for n, count := range rows {
		chQuery(t, n, fmt.Sprintf("INSERT INTO `%s`.`pkts` SELECT toInt64(number), '%s' FROM system.numbers LIMIT %d", db, n.name, count))
	}
	got = chQuery(t, node1, "SELECT node, count() FROM `"+db+"`.`pkts_all` GROUP BY node ORDER BY node")
	if want := "node1\t3\nnode2\t5\n"; got != want {
		t.Errorf("rows through the Distributed table:\n%s\nwant:\n%s", got, want)
	}
	if got := chQuery(t, node1, "SELECT count() FROM `"+db+"`.`pkts_all`"); got != "8\n" {
		t.Errorf("count() through the Distributed table = %q, want 8", got)
	}
}

func TestClickHouseDBName(t *testing.T) {
	for _, tc := range []struct {
		test string
		seq  int64
		want string
	}{
		{"TestX", 1, "t_TestX_1"},
		{"TestEngine/dns top-10", 12, "t_TestEngine_dns_top_10_12"},
		{"TestÜber", 3, "t_Test__ber_3"}, // Ü is two bytes,
		{strings.Repeat("a", 50), 7, "t_" + strings.Repeat("a", 40) + "_7"},
	} {
		if got := clickhouseDBName(tc.test, tc.seq); got != tc.want {
			t.Errorf("clickhouseDBName(%q, %d) = %q, want %q", tc.test, tc.seq, got, tc.want)
		}
	}
}

// TestClickHouseConfig checks the generated configuration of a cluster node:
// ports, directories and both shards.
func TestClickHouseConfig(t *testing.T) {
	s := &chServer{name: "node1", dir: t.TempDir(), tcpPort: 1001, httpPort: 1002, interPort: 1003}
	if err := s.writeConfig([]int{1001, 2001}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.dir + "/config.xml")
	if err != nil {
		t.Fatal(err)
	}
	config := string(b)
	for _, want := range []string{
		"<listen_host>127.0.0.1</listen_host>",
		"<tcp_port>1001</tcp_port>", "<http_port>1002</http_port>", "<interserver_http_port>1003</interserver_http_port>",
		"<path>" + s.dir + "/data/</path>", "<tmp_path>" + s.dir + "/tmp/</tmp_path>",
		"<user_files_path>" + s.dir + "/user_files/</user_files_path>",
		"<format_schema_path>" + s.dir + "/format_schemas/</format_schema_path>",
		"<users_config>" + s.dir + "/users.xml</users_config>",
		"<log>" + s.dir + "/log/clickhouse-server.log</log>",
		"<" + clickhouseClusterName + ">",
		"<port>1001</port>", "<port>2001</port>",
	} {
		if !strings.Contains(config, want) {
			t.Errorf("config.xml lacks %s", want)
		}
	}
	if n := strings.Count(config, "<shard>"); n != 2 {
		t.Errorf("config.xml has %d shards, want 2", n)
	}
	if strings.Contains(config, "zookeeper") {
		t.Error("config.xml names ZooKeeper")
	}
}

// TestClickHouseStartError starts a server on a native port that is taken:
// it exits, and the error says why, with the server's error log.
func TestClickHouseStartError(t *testing.T) {
	bin := clickhouseServerPath()
	Require(t, bin != "", "clickhouse-server not installed")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	s := &chServer{name: "server", dir: t.TempDir(), tcpPort: taken.Addr().(*net.TCPAddr).Port, httpPort: ports[0], interPort: ports[1]}
	if err := s.writeConfig(nil); err != nil {
		t.Fatal(err)
	}
	if err := s.start(bin); err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	err = s.waitReady(chStartTimeout)
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("waitReady: %v, want %v", err, errPortTaken)
	}
	for _, want := range []string{"exited before it answered", s.errorLog(), "Address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
