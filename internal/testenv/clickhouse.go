package testenv

// ClickHouse servers for tests: each test process starts its own
// clickhouse-server processes on free loopback ports, with generated
// configuration and data under a temporary directory, and stops them when the
// tests end (Main). The configuration is written for the server Debian ships
// (18.16: root element <yandex>, settings profiles in users.xml) and works
// without ZooKeeper, so there is no replication and no ON CLUSTER DDL.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"
)

const (
	// clickhouseClusterName is the cluster of ClickHouseCluster, as it appears
	// in remote_servers and system.clusters on both nodes.
	clickhouseClusterName = "netlens_two_shards"

	chStartTimeout = 60 * time.Second // until a server answers /ping
	chStopTimeout  = 15 * time.Second // after SIGTERM, before SIGKILL
	chQueryTimeout = 30 * time.Second // one HTTP query of the helpers
	chStartTries   = 3                // starts on fresh ports when one was taken meanwhile
	chDirPrefix    = "netlens-clickhouse-"
)

// ClickHouse returns a DSN "clickhouse://127.0.0.1:PORT/DB" (native TCP port)
// for a fresh, empty database DB on a single ClickHouse server started for
// this test process. The server starts on the first call and is stopped by
// Main, which the package's TestMain must call. It skips when
// clickhouse-server is not installed, and fails instead when CI is set.
func ClickHouse(t testing.TB) string {
	t.Helper()
	servers := chSingle.servers(t, 1)
	db := chCreateDatabase(t, servers)
	return servers[0].dsn(db)
}

// ClickHouseCluster returns a DSN to a fresh, empty database on node 1 of a
// two-shard cluster of two ClickHouse server processes on 127.0.0.1
// (different ports, own data directories), and the cluster's name as
// configured in both servers' remote_servers (shard 1 = node 1, shard 2 =
// node 2, one replica each). The database is created on both nodes. The
// servers start on the first call and are stopped by Main; the skip and fail
// rules are those of ClickHouse.
func ClickHouseCluster(t testing.TB) (dsn, cluster string) {
	t.Helper()
	servers := chCluster.servers(t, 2)
	db := chCreateDatabase(t, servers)
	return servers[0].dsn(db), clickhouseClusterName
}

// Main runs the tests of a package that uses ClickHouse servers and stops the
// servers and removes their directories afterwards; call it from TestMain:
// os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	chMainRunning.Store(true)
	code := m.Run()
	if err := chStopAll(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
	}
	return code
}

var (
	chMainRunning atomic.Bool
	chSingle      chGroup // the server of ClickHouse
	chCluster     chGroup // the two nodes of ClickHouseCluster
	chDBSeq       atomic.Int64

	// chHTTP carries the helpers' HTTP requests; Main closes its idle
	// connections first, since a server waits for open connections when it
	// shuts down.
	chHTTP = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

	chMu      sync.Mutex
	chStopped bool // Main has stopped everything; no more starts
	chRunning []*chServer
	chDirs    []string   // temporary directories to remove
	chLocks   []*os.File // held while chDirs are in use
)

// chGroup is a set of servers started together, once per test process.
type chGroup struct {
	once sync.Once
	srv  []*chServer
	err  error
}

// servers starts the group's n servers on the first call and returns them,
// or skips or fails t.
func (g *chGroup) servers(t testing.TB, n int) []*chServer {
	t.Helper()
	bin := clickhouseServerPath()
	Require(t, bin != "", "clickhouse-server not installed")
	if !chMainRunning.Load() {
		t.Fatal("testenv: ClickHouse servers need TestMain to call os.Exit(testenv.Main(m))")
	}
	g.once.Do(func() { g.srv, g.err = chStartGroup(bin, n) })
	if g.err != nil {
		t.Fatalf("start ClickHouse: %v", g.err)
	}
	return g.srv
}

// clickhouseServerPath returns the clickhouse-server executable, or "". Debian
// installs it in /usr/sbin, which is not on every user's PATH.
func clickhouseServerPath() string {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// chStartGroup starts n servers that know each other as the shards of
// clickhouseClusterName when n > 1, and waits until all of them answer.
func chStartGroup(bin string, n int) ([]*chServer, error) {
	chRemoveStaleDirs()
	chMu.Lock()
	if chStopped {
		chMu.Unlock()
		return nil, errors.New("servers already stopped by Main")
	}
	root, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", chDirPrefix, os.Getpid()))
	if err == nil {
		chDirs = append(chDirs, root)
		var lock *os.File
		if lock, err = holdLock(filepath.Join(root, "lock")); err == nil {
			chLocks = append(chLocks, lock)
		}
	}
	chMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("make server directory: %w", err)
	}

	for try := 1; ; try++ {
		servers, err := chTryStart(bin, root, n)
		if err == nil {
			return servers, nil
		}
		if !errors.Is(err, errPortTaken) || try == chStartTries {
			return nil, err
		}
	}
}

// errPortTaken marks a start that failed because another process took one of
// the chosen ports between choosing and binding it.
var errPortTaken = errors.New("port taken")

// chTryStart makes, starts and waits for n servers on fresh ports in fresh
// directories under root; on failure it stops those it started.
func chTryStart(bin, root string, n int) ([]*chServer, error) {
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	servers := make([]*chServer, n)
	for i := range servers {
		name := "server"
		if n > 1 {
			name = fmt.Sprintf("node%d", i+1)
		}
		servers[i] = &chServer{
			name:      name,
			dir:       filepath.Join(root, name),
			tcpPort:   ports[3*i],
			httpPort:  ports[3*i+1],
			interPort: ports[3*i+2],
		}
	}
	var shards []int
	if n > 1 {
		for _, s := range servers {
			shards = append(shards, s.tcpPort)
		}
	}
	var started []*chServer
	err = func() error {
		for _, s := range servers {
			if err := os.RemoveAll(s.dir); err != nil {
				return fmt.Errorf("clean %s: %w", s.dir, err)
			}
			if err := s.writeConfig(shards); err != nil {
				return err
			}
			if err := s.start(bin); err != nil {
				return err
			}
			started = append(started, s)
		}
		errs := make([]error, len(servers))
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Go(func() { errs[i] = s.waitReady(chStartTimeout) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}()
	if err != nil {
		for _, s := range started {
			s.stop()
		}
		return nil, err
	}
	return servers, nil
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close() // held until all are chosen, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// chStopAll stops every server and removes the directories.
func chStopAll() error {
	chMu.Lock()
	chStopped = true
	servers, dirs, locks := chRunning, chDirs, chLocks
	chRunning, chDirs, chLocks = nil, nil, nil
	chMu.Unlock()
	chHTTP.CloseIdleConnections()

	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.stop() })
	}
	wg.Wait()
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("remove ClickHouse directory: %w", err))
		}
	}
	for _, l := range locks {
		l.Close()
	}
	return errors.Join(errs...)
}

// chRemoveStaleDirs removes the directories left behind by test processes
// that died before their Main could clean up (their servers died with them):
// those whose lock no process holds.
func chRemoveStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), chDirPrefix+"*"))
	for _, d := range dirs {
		if abandoned(filepath.Join(d, "lock")) {
			os.RemoveAll(d)
		}
	}
}

// chServer is one clickhouse-server process.
type chServer struct {
	name      string // "server", or "node1" and "node2" of the cluster
	dir       string // config.xml, users.xml, data/, tmp/, log/ ...
	tcpPort   int    // native protocol
	httpPort  int
	interPort int // interserver HTTP (replication; unused without ZooKeeper)

	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // the process's exit, once exited is closed
}

func (s *chServer) dsn(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s", s.tcpPort, db)
}

func (s *chServer) httpURL() string { return fmt.Sprintf("http://127.0.0.1:%d/", s.httpPort) }

func (s *chServer) errorLog() string { return filepath.Join(s.dir, "log", "clickhouse-server.err.log") }

func (s *chServer) consoleLog() string { return filepath.Join(s.dir, "log", "console.log") }

// writeConfig writes the server's config.xml and users.xml and makes its
// directories. shards lists the native ports of the cluster's nodes in shard
// order; none means no cluster.
func (s *chServer) writeConfig(shards []int) error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o755); err != nil {
			return fmt.Errorf("make %s directory: %w", s.name, err)
		}
	}
	data := struct {
		Dir                          string
		TCPPort, HTTPPort, InterPort int
		Cluster                      string
		Shards                       []int
	}{s.dir, s.tcpPort, s.httpPort, s.interPort, clickhouseClusterName, shards}
	for name, tmpl := range map[string]*template.Template{"config.xml": chConfigXML, "users.xml": chUsersXML} {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, data); err != nil {
			return fmt.Errorf("generate %s %s: %w", s.name, name, err)
		}
		if err := os.WriteFile(filepath.Join(s.dir, name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s %s: %w", s.name, name, err)
		}
	}
	return nil
}

// chTemplate parses a configuration template whose xml function escapes text.
func chTemplate(text string) *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"xml": func(s string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(s))
			return b.String()
		},
	}).Parse(text))
}

// chConfigXML is the server configuration: loopback only, small caches (three
// servers share the machine), logs and data in the server's directory, UTC,
// no query_log, no ZooKeeper, and with shards the two-shard cluster. On
// SIGTERM a server waits at most shutdown_wait_unfinished seconds for clients
// to close their connections.
var chConfigXML = chTemplate(`<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>{{xml .Dir}}/log/clickhouse-server.log</log>
        <errorlog>{{xml .Dir}}/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{{.TCPPort}}</tcp_port>
    <http_port>{{.HTTPPort}}</http_port>
    <interserver_http_port>{{.InterPort}}</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <shutdown_wait_unfinished>2</shutdown_wait_unfinished>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>{{xml .Dir}}/data/</path>
    <tmp_path>{{xml .Dir}}/tmp/</tmp_path>
    <user_files_path>{{xml .Dir}}/user_files/</user_files_path>
    <format_schema_path>{{xml .Dir}}/format_schemas/</format_schema_path>
    <users_config>{{xml .Dir}}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
{{- if .Shards}}
    <remote_servers>
        <{{.Cluster}}>
{{- range .Shards}}
            <shard>
                <replica>
                    <host>127.0.0.1</host>
                    <port>{{.}}</port>
                </replica>
            </shard>
{{- end}}
        </{{.Cluster}}>
    </remote_servers>
{{- end}}
</yandex>
`)

// chUsersXML has the default user without password, reachable from loopback
// only, with a profile sized for a 2-core test machine.
var chUsersXML = chTemplate(`<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <max_threads>2</max_threads>
            <background_pool_size>4</background_pool_size>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>in_order</load_balancing>
            <log_queries>0</log_queries>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`)

// start starts the server process, which dies with this process (on Linux)
// if Main cannot stop it. The server runs as the
// user running the tests, root included: 18.16 neither refuses root nor
// switches user, and its directories belong to that user anyway.
func (s *chServer) start(bin string) error {
	console, err := os.Create(s.consoleLog())
	if err != nil {
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	defer console.Close()
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	cmd.Stdout = console
	cmd.Stderr = console
	chMu.Lock()
	defer chMu.Unlock()
	if chStopped {
		return errors.New("servers already stopped by Main")
	}
	if err := startTied(cmd); err != nil {
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	chRunning = append(chRunning, s)
	return nil
}

// waitReady waits until the server answers GET /ping with "Ok.".
func (s *chServer) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if s.ping() {
			return nil
		}
		select {
		case <-s.exited:
			tail := s.logTail()
			err := fmt.Errorf("clickhouse-server %s (%s) exited before it answered: %v%s", s.name, s.dir, s.waitErr, tail)
			if strings.Contains(tail, "Address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clickhouse-server %s (%s) did not answer on %s within %s%s",
				s.name, s.dir, s.httpURL(), timeout, s.logTail())
		}
	}
}

// ping reports whether the server answers GET /ping with "Ok.".
func (s *chServer) ping() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.httpURL()+"ping", nil)
	if err != nil {
		return false
	}
	resp, err := chHTTP.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return err == nil && resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok."
}

// logTail returns the last lines of the server's error log and console
// output, for error messages.
func (s *chServer) logTail() string {
	var b strings.Builder
	for _, path := range []string{s.errorLog(), s.consoleLog()} {
		lines := tailLines(path, 20)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s:\n%s", path, strings.Join(lines, "\n"))
	}
	return b.String()
}

// tailLines returns the last n lines of the file at path.
func tailLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

// stop ends the server: SIGTERM, then SIGKILL when it has not exited after
// chStopTimeout.
func (s *chServer) stop() error {
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(chStopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("clickhouse-server %s ignored SIGTERM for %s and was killed", s.name, chStopTimeout)
	}
}

// query runs sql on the server through its HTTP interface and returns the
// result in the server's default format (TabSeparated).
func (s *chServer) query(sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), chQueryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.httpURL(), strings.NewReader(sql))
	if err != nil {
		return "", fmt.Errorf("query %s: %w", s.name, err)
	}
	resp, err := chHTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", s.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("query %s: read result: %w", s.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("query %s: %s: %s", s.name, sql, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// chCreateDatabase creates a database with a name unique in this process on
// every server and returns the name.
func chCreateDatabase(t testing.TB, servers []*chServer) string {
	t.Helper()
	db := clickhouseDBName(t.Name(), chDBSeq.Add(1))
	for _, s := range servers {
		if _, err := s.query("CREATE DATABASE `" + db + "`"); err != nil {
			t.Fatalf("create ClickHouse database: %v", err)
		}
	}
	return db
}

// clickhouseDBName makes a database name from a test name and a sequence
// number: "t_", the name's letters, digits and underscores (others become
// underscores, at most 40), "_", the number.
func clickhouseDBName(test string, seq int64) string {
	const max = 40
	b := []byte("t_")
	for i := 0; i < len(test) && i < max; i++ {
		c := test[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	return string(b) + "_" + strconv.FormatInt(seq, 10)
}
