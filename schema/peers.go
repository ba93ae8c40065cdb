package schema

// PeerMessage is one row of the peer_messages table: one Bitcoin P2P
// message that a node sent or received, or, for the aggregated layouts, the
// messages of one period (an hour, a day) summed.
//
// Columns that an input does not give are NULL: an aggregate per message
// type has no peer, the node's IP accounting no message type. Sizes are
// bytes; tcpip_size is measured (from the packets that carried the
// messages, or the node's IP accounting) when tcpip_measured is true, else
// estimated from the message sizes.
type PeerMessage struct {
	Ts            int64   `parquet:"ts,timestamp(nanosecond:local)" doc:"time the message was sent or received, UTC; for an aggregate, the start of its period"`
	Capture       string  `parquet:"capture,dict" doc:"input file id (see packets.capture)"`
	Layout        string  `parquet:"layout,dict" doc:"what the row was read from: tracepoint (a node's per-message log), peer (per-peer aggregates), conn_type (per connection type), msg_type (per message type), direction (per direction), accounting (the node's IP accounting), node (per-node exports), p2p (messages decoded from packet captures)"`
	Period        uint32  `parquet:"period_s" doc:"seconds the row sums: 0 for one message, 3600 for an hourly aggregate, 86400 for a daily one"`
	Node          string  `parquet:"node,optional,dict" doc:"the node that sent or received the message: the capture's address of the node, or a name given by the input; NULL when the input names none"`
	PeerID        *int64  `parquet:"peer_id,optional" doc:"the node's id of the connection (Bitcoin Core's peer id; from captures, connections numbered per node in order of start)"`
	PeerAddr      string  `parquet:"peer_addr,optional,dict" doc:"the peer's address and port as the node writes it: 192.0.2.1:8333, [2001:db8::1]:8333, or an onion/I2P/CJDNS name"`
	ConnType      string  `parquet:"conn_type,optional,dict" doc:"connection type: inbound, outbound-full-relay, block-relay-only, feeler, addr-fetch, manual"`
	Direction     string  `parquet:"direction,optional,dict" doc:"in: received by the node; out: sent by the node"`
	MsgType       string  `parquet:"msg_type,optional,dict" doc:"P2P command (version, verack, inv, tx, block, ping, pong, ...)"`
	Messages      *uint64 `parquet:"messages,optional" doc:"number of messages the row stands for: 1 for one message"`
	PayloadSize   *uint64 `parquet:"payload_size,optional" doc:"payload bytes (the length field of the message header)"`
	MessageSize   *uint64 `parquet:"message_size,optional" doc:"message bytes: payload and the 24-byte header"`
	TCPIPSize     *uint64 `parquet:"tcpip_size,optional" doc:"IP bytes the message took on the wire: measured from packets when tcpip_measured, else estimated from the message size"`
	TCPIPMeasured bool    `parquet:"tcpip_measured" doc:"true when tcpip_size was measured (captures, IP accounting), false when estimated"`
}

// PeerConn is one row of the peer_conns table: what is known of one
// connection of a node to a peer, from a connection map (the seed's
// id-addr-mapping) or from packet captures. Analyses join it to
// peer_messages on node, peer_id and peer_addr.
type PeerConn struct {
	Loaded    int64  `parquet:"loaded,timestamp(nanosecond:local)" doc:"time the row was written, UTC"`
	Capture   string `parquet:"capture,dict" doc:"input file id (see packets.capture)"`
	Node      string `parquet:"node,optional,dict" doc:"the node, as in peer_messages"`
	PeerID    int64  `parquet:"peer_id" doc:"the node's id of the connection, as in peer_messages"`
	PeerAddr  string `parquet:"peer_addr,dict" doc:"the peer's address and port, as in peer_messages"`
	ConnType  string `parquet:"conn_type,dict" doc:"connection type, as in peer_messages"`
	Start     *int64 `parquet:"start,optional,timestamp(nanosecond:local)" doc:"time the connection started (its SYN, else its first packet), UTC; NULL when unknown"`
	End       *int64 `parquet:"end,optional,timestamp(nanosecond:local)" doc:"time of the connection's last packet, UTC; NULL when unknown"`
	Duration  *int64 `parquet:"duration_ns,optional" doc:"how long the connection lasted, nanoseconds; NULL when unknown"`
	Messages  uint64 `parquet:"messages" doc:"P2P messages decoded on the connection (captures); 0 when unknown"`
	Undecoded uint64 `parquet:"undecoded_bytes" doc:"bytes of the connection's TCP streams that could not be decoded as P2P messages (gaps, cut or corrupt messages); 0 when unknown"`
}

// The tables of Bitcoin node traffic.
var (
	PeerMessages = tableOf[PeerMessage]("peer_messages", "ts", "Bitcoin P2P messages a node sent and received: from its message logs, their aggregates, or decoded from captures")
	PeerConns    = tableOf[PeerConn]("peer_conns", "loaded", "connections of Bitcoin nodes to their peers: type, start, end")
)
