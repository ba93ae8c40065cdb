package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Config is the configuration of a Server.
type Config struct {
	// Addr is the address to listen on, host:port; "" means DefaultAddr.
	Addr string
	// AllowRemote lets Addr name an interface other than loopback. Every
	// request must then carry Token.
	AllowRemote bool
	// Token is the secret that requests must carry when AllowRemote is set:
	// in the header X-Netlens-Token, as "Authorization: Bearer TOKEN", or in
	// the cookie the page sets when it is opened with ?token=TOKEN. ""
	// makes New generate one.
	Token string
	// QueryTimeout bounds the time of each SQL query of the console.
	QueryTimeout time.Duration
	// QueryRows is the most rows a SQL query of the console returns; the
	// rest are left out, and the answer says so.
	QueryRows int
	// PageRows is the most rows of a table one request returns as JSON.
	PageRows int
	// CacheEntries is the number of analysis results and query answers
	// kept, the least recently used dropped first.
	CacheEntries int
	// ProgressInterval is the time between the progress events of a
	// request that asks for them (see the progress key of the HTTP
	// interface).
	ProgressInterval time.Duration
	// CacheCells bounds the memory of the kept results and answers: the
	// cells of their tables (and the points of their charts), each of
	// results and answers, add up to at most this many.
	CacheCells int64
}

// DefaultAddr is where serve listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// DefaultConfig returns the configuration of `netlens serve`.
func DefaultConfig() Config {
	return Config{
		Addr:         DefaultAddr,
		QueryTimeout: 30 * time.Second,
		QueryRows:    100_000,
		PageRows:     10_000,
		CacheEntries: 64,
		CacheCells:   5_000_000,

		ProgressInterval: 500 * time.Millisecond,
	}
}

// ErrRemote is wrapped by the error of a configuration that would listen
// beyond loopback without AllowRemote.
var ErrRemote = errors.New("not a loopback address")

// Validate checks c and fills in what is left to defaults: a token when
// AllowRemote is set.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = d.QueryTimeout
	}
	if c.QueryRows <= 0 {
		c.QueryRows = d.QueryRows
	}
	if c.PageRows <= 0 {
		c.PageRows = d.PageRows
	}
	if c.CacheEntries <= 0 {
		c.CacheEntries = d.CacheEntries
	}
	if c.CacheCells <= 0 {
		c.CacheCells = d.CacheCells
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = d.ProgressInterval
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("address %q: want host:port, e.g. %s", c.Addr, DefaultAddr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("address %q: bad port %q", c.Addr, port)
	}
	if !c.AllowRemote && !IsLoopback(host) {
		return fmt.Errorf("address %q: %w: serving beyond this machine needs --allow-remote (every request then needs the token printed at start)", c.Addr, ErrRemote)
	}
	if c.AllowRemote && c.Token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("make token: %w", err)
		}
		c.Token = hex.EncodeToString(b)
	}
	return nil
}

// IsLoopback reports whether host, a name or an address, is this machine's
// loopback: "localhost", 127.0.0.0/8 or ::1. An empty host (every
// interface) is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
