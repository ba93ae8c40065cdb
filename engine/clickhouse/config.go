package clickhouse

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config says which ClickHouse server or cluster to use and how to load it.
type Config struct {
	Addr     string // host:port of the native protocol (default port 9000)
	Database string // database holding the netlens tables (default "default")
	User     string // default "default"
	Password string
	// Cluster, when set, names a cluster of the server's remote_servers: the
	// tables are created on every shard as <name>_local, with a Distributed
	// table <name> over them on every shard, so any node answers queries.
	Cluster string
	// Inserts is the number of inserts running at once (default 2).
	Inserts int
	// BatchRows is the number of rows per insert (default 65 536).
	BatchRows int
	// DialTimeout bounds connecting to a server (default 10 s).
	DialTimeout time.Duration
}

// DefaultConfig returns the defaults for the server at addr.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:9000", Database: "default", User: "default", Inserts: 2, BatchRows: 64 << 10, DialTimeout: 10 * time.Second}
}

// identRE matches the identifiers netlens accepts for databases and
// clusters. ClickHouse 18.16 cannot bind identifiers as query parameters, so
// they are checked against it and back-quoted instead.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// ParseDSN reads clickhouse://[user[:password]@]host[:port]/[database] into a
// Config with defaults for what it leaves out. The query parameter cluster=NAME
// sets Config.Cluster.
func ParseDSN(dsn string) (Config, error) {
	c := DefaultConfig()
	u, err := url.Parse(dsn)
	if err != nil {
		return c, fmt.Errorf("engine %q: %w", redact(dsn), err)
	}
	if u.Scheme != "clickhouse" {
		return c, fmt.Errorf("engine %q: want clickhouse://[user[:password]@]host:port/database", redact(dsn))
	}
	if u.Host == "" {
		return c, fmt.Errorf("engine %q: no host", redact(dsn))
	}
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = net.JoinHostPort(u.Hostname(), "9000")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		c.Database = db
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("engine %q: %w", redact(dsn), err)
	}
	c.Cluster = q.Get("cluster")
	for k := range q {
		if k != "cluster" {
			return c, fmt.Errorf("engine %q: unknown parameter %q (known: cluster)", redact(dsn), k)
		}
	}
	return c, c.Validate()
}

// Validate checks c.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("clickhouse address %q: %w", c.Addr, err))
	}
	if !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("clickhouse database %q: use letters, digits and _", c.Database))
	}
	if c.Cluster != "" && !identRE.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("clickhouse cluster %q: use letters, digits and _", c.Cluster))
	}
	if c.Inserts < 1 || c.Inserts > 64 {
		errs = append(errs, fmt.Errorf("clickhouse inserts %d: want 1 to 64", c.Inserts))
	}
	if c.BatchRows < 1000 {
		errs = append(errs, fmt.Errorf("clickhouse batch rows %d: want at least 1000", c.BatchRows))
	}
	return errors.Join(errs...)
}

// String returns c's address as a DSN without its password.
func (c Config) String() string {
	s := "clickhouse://" + c.Addr + "/" + c.Database
	if c.Cluster != "" {
		s += "?cluster=" + c.Cluster
	}
	return s
}

// redact hides the password of a DSN for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// quote back-quotes an identifier that identRE accepted, or a catalogue name.
func quote(name string) string { return "`" + name + "`" }
