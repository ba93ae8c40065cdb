package flow

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config sets how packets become flows. A zero duration disables the
// corresponding timeout: a zero idle timeout never ends an idle flow, a zero
// Active never splits a long flow, and a zero CloseDelay leaves a closed TCP
// flow to its idle timeout (a new SYN on the same ports still starts a new
// flow).
type Config struct {
	IdleTCP    time.Duration // end a TCP flow idle longer than this
	IdleUDP    time.Duration // end a UDP flow idle longer than this
	IdleOther  time.Duration // end an ICMP or other IP flow idle longer than this
	Active     time.Duration // end a flow older than this when its next packet comes; a new flow with the same roles continues it
	CloseDelay time.Duration // end a TCP flow this long after its FIN exchange or first RST; packets in between still join it

	// Memory bounds the memory of the live flows, in bytes (EntryBytes
	// per flow): when a new flow would exceed it, the flow idle the
	// longest ends first, written as its idle timeout would have written
	// it then. 0 is no limit.
	Memory int64

	// LocalNets are the site's own prefixes, for a_local and b_local. When
	// empty, an address is local when it is not globally routable.
	LocalNets []netip.Prefix
	// Users are the addresses or prefixes of the site's users. When not
	// empty, flows get a kind (typical, p2p, nouser) and user ids.
	Users []User
}

// User is a user of the site: an address or prefix and its id.
type User struct {
	Prefix netip.Prefix
	ID     string // user id; when empty, the address text of the flow's end is used
}

// DefaultMemory is the default memory budget of the live flows: 1.2
// million flows, so that an ingest stays under 1 GB whatever the traffic.
const DefaultMemory = 256 << 20

// DefaultConfig returns Zeek's defaults: TCP idle 5 minutes, UDP and other
// idle 1 minute, close delay 5 seconds (tcp_close_delay), and a 30-minute
// active timeout; and live flows in DefaultMemory.
func DefaultConfig() Config {
	return Config{
		IdleTCP:    5 * time.Minute,
		IdleUDP:    time.Minute,
		IdleOther:  time.Minute,
		Active:     30 * time.Minute,
		CloseDelay: 5 * time.Second,
		Memory:     DefaultMemory,
	}
}

// Validate reports every negative duration, invalid prefix and user prefix
// listed twice.
func (c Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"idle TCP timeout", c.IdleTCP},
		{"idle UDP timeout", c.IdleUDP},
		{"idle other timeout", c.IdleOther},
		{"active timeout", c.Active},
		{"close delay", c.CloseDelay},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", d.name, d.v))
		}
	}
	if c.Memory < 0 {
		errs = append(errs, fmt.Errorf("flow memory %d is negative", c.Memory))
	}
	for i, p := range c.LocalNets {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("local network %d is not a valid prefix", i+1))
		}
	}
	seen := make(map[netip.Prefix]bool, len(c.Users))
	for i, u := range c.Users {
		if !u.Prefix.IsValid() {
			errs = append(errs, fmt.Errorf("user %d (%q) has no valid prefix", i+1, u.ID))
			continue
		}
		m := u.Prefix.Masked()
		if seen[m] {
			errs = append(errs, fmt.Errorf("user prefix %s is listed twice", m))
		}
		seen[m] = true
	}
	return errors.Join(errs...)
}
