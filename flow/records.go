package flow

import (
	"net/netip"

	"github.com/netlens/netlens/schema"
	"github.com/netlens/netlens/services"
)

// Roles derives what depends on which end of a flow is which: whether each
// end is local, the users of the ends and the flow's kind, from the local
// networks and users of a Config. The Assembler uses it for the flows it
// assembles, and the ingest of flow records for the flows it reads.
type Roles struct {
	local    prefixSet
	anyLocal bool
	users    prefixSet
	userIDs  []string
	hasUsers bool
}

// NewRoles returns the Roles of cfg's LocalNets and Users.
func NewRoles(cfg Config) *Roles {
	r := &Roles{
		local:    newPrefixSet(cfg.LocalNets),
		anyLocal: len(cfg.LocalNets) > 0,
		hasUsers: len(cfg.Users) > 0,
	}
	prefixes := make([]netip.Prefix, len(cfg.Users))
	r.userIDs = make([]string, len(cfg.Users))
	for i, u := range cfg.Users {
		prefixes[i], r.userIDs[i] = u.Prefix, u.ID
	}
	r.users = newPrefixSet(prefixes)
	return r
}

// Local reports whether addr is inside the local networks, or, when none
// are configured, not globally routable.
func (r *Roles) Local(addr netip.Addr) bool {
	if !r.anyLocal {
		return notGlobal(addr)
	}
	_, ok := r.local.lookup(addr)
	return ok
}

// User returns the user id of addr, whose text is text, or "" when addr is
// no user's: the configured id, or text when the user has none.
func (r *Roles) User(addr netip.Addr, text string) string {
	i, ok := r.users.lookup(addr)
	if !ok {
		return ""
	}
	if id := r.userIDs[i]; id != "" {
		return id
	}
	return text
}

// Kind returns the kind of a flow between the users userA and userB ("" for
// no user): typical, p2p or nouser.
func Kind(userA, userB string) string {
	switch {
	case userA != "" && userB != "":
		return KindP2P
	case userA != "" || userB != "":
		return KindTypical
	}
	return KindNoUser
}

// Given says which columns of a flow record its source gave itself, and how
// to read some; Complete derives the others.
type Given struct {
	State    bool // state (Zeek's conn_state)
	ALocal   bool // a_local
	BLocal   bool // b_local
	Service  bool // service
	Users    bool // user_a, user_b and kind
	TCPFlags bool // tcp_flags_a and tcp_flags_b
}

// Complete derives the columns of f, a flow read from a record, that its
// source did not give, the way the Assembler derives them for flows
// assembled from packets: a_local and b_local (configured local networks take
// precedence over what a source says), user ids and kind when users are
// configured, the service of b's port, the state from the TCP flags (see
// StateFromFlags), answered and ip_version. a and b are f.A and f.B
// parsed; an invalid one (an end a source names by its user only) is left
// as the source has it.
func (r *Roles) Complete(f *schema.Flow, a, b netip.Addr, g Given) {
	if a.IsValid() && (r.anyLocal || !g.ALocal) {
		f.ALocal = r.Local(a)
	}
	if b.IsValid() && (r.anyLocal || !g.BLocal) {
		f.BLocal = r.Local(b)
	}
	if r.hasUsers && !g.Users {
		f.UserA, f.UserB = "", ""
		if a.IsValid() {
			f.UserA = r.User(a, f.A)
		}
		if b.IsValid() {
			f.UserB = r.User(b, f.B)
		}
		f.Kind = Kind(f.UserA, f.UserB)
	}
	if !g.Service {
		f.Service = ""
		if f.Proto == protoTCP || f.Proto == protoUDP {
			f.Service = services.Lookup(f.Proto, f.BPort)
		}
	}
	if !g.State {
		f.State = StateFromFlags(f.Proto, g.TCPFlags, sent(f.PktsAToB, f.BytesAToB, f.PayloadAToB), sent(f.PktsBToA, f.BytesBToA, f.PayloadBToA), f.TCPFlagsA, f.TCPFlagsB)
	}
	f.Answered = sent(f.PktsBToA, f.BytesBToA, f.PayloadBToA)
	if f.IPVersion == 0 {
		switch {
		case a.Is4() || b.Is4():
			f.IPVersion = 4
		case a.Is6() || b.Is6():
			f.IPVersion = 6
		}
	}
}

// sent reports whether a side sent anything, by any count a record gives.
func sent(pkts, bytes, payload uint64) bool { return pkts > 0 || bytes > 0 || payload > 0 }

// StateFromFlags returns Zeek's conn_state for a flow known only by its
// totals: whether each side sent anything, and, for TCP, the OR of the
// flags each sent when flags is true. The order of the packets is unknown,
// so the state is the likeliest one:
//
//   - UDP: SF when both sides sent, S0 when only a did, SHR when only b;
//   - TCP without flags: S0 when b sent nothing, else OTH;
//   - TCP with flags: S0 (a SYN, nothing back), SH (a SYN and FIN, nothing
//     back), RSTOS0 (a SYN and RST, nothing back), REJ (a SYN, b RST without
//     SYN), then, once both sent a SYN: RSTO or RSTR (a or b reset), SF
//     (both sent a FIN), S2 (a FIN only), S3 (b FIN only), else S1; OTH
//     when a sent no SYN;
//   - other protocols: OTH, as Zeek.
func StateFromFlags(proto uint8, flags, aSent, bSent bool, flagsA, flagsB uint16) string {
	switch proto {
	case protoUDP:
		switch {
		case aSent && bSent:
			return "SF"
		case aSent:
			return "S0"
		case bSent:
			return "SHR"
		}
		return "OTH"
	case protoTCP:
	default:
		return "OTH"
	}
	if !flags {
		if !bSent {
			return "S0"
		}
		return "OTH"
	}
	aSYN, bSYN := flagsA&flagSYN != 0, flagsB&flagSYN != 0
	aFIN, bFIN := flagsA&flagFIN != 0, flagsB&flagFIN != 0
	aRST, bRST := flagsA&flagRST != 0, flagsB&flagRST != 0
	switch {
	case !aSYN:
		return "OTH"
	case !bSent && aRST:
		return "RSTOS0"
	case !bSent && aFIN:
		return "SH"
	case !bSent:
		return "S0"
	case !bSYN && bRST:
		return "REJ"
	case !bSYN:
		return "OTH"
	case aRST:
		return "RSTO"
	case bRST:
		return "RSTR"
	case aFIN && bFIN:
		return "SF"
	case aFIN:
		return "S2"
	case bFIN:
		return "S3"
	}
	return "S1"
}
