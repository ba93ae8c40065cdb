// Package schema is the one column catalogue of the netlens dataset.
//
// Every table is a Go record type whose struct tags name its Parquet columns
// and document them. The Parquet files, the DuckDB views and the ClickHouse
// DDL are all derived from these types, so a column is defined exactly once.
//
// schema imports nothing from netlens; every other package may import it.
package schema

// Packet is one row of the packets table: one captured packet, or one
// packet of a network telescope's log (input/darknet), which fills the
// columns the log has and leaves the others 0 or NULL (dataset/FORMAT.md
// says which).
//
// Numeric fields that do not apply to a packet (ports of an ICMP packet, TCP
// fields of a UDP packet) are 0; text fields that do not apply are NULL.
type Packet struct {
	Ts         int64  `parquet:"ts,timestamp(nanosecond:local)" doc:"capture time, UTC, nanosecond resolution"`
	Capture    string `parquet:"capture,dict" doc:"input file id, from a fingerprint of the file's size and content (see the manifest's inputs and dataset/FORMAT.md)"`
	Frame      uint32 `parquet:"frame" doc:"1-based index of the packet in its file"`
	LinkType   uint16 `parquet:"link_type" doc:"pcap LINKTYPE_ of the frame"`
	WireLen    uint32 `parquet:"wire_len" doc:"length of the frame on the wire, bytes"`
	CapLen     uint32 `parquet:"cap_len" doc:"bytes captured (less than wire_len when cut by the snap length)"`
	EthType    uint16 `parquet:"eth_type" doc:"EtherType of the network layer after VLAN/MPLS headers (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP)"`
	VLAN       uint16 `parquet:"vlan" doc:"outermost 802.1Q/802.1ad VLAN id, 0 if untagged"`
	IPVersion  uint8  `parquet:"ip_version" doc:"4, 6, or 0 for non-IP packets"`
	Src        string `parquet:"src,optional,dict" doc:"source IP address as text (ARP: sender protocol address)"`
	Dst        string `parquet:"dst,optional,dict" doc:"destination IP address as text (ARP: target protocol address)"`
	IPLen      uint32 `parquet:"ip_len" doc:"IP packet length from the IP header (IPv4 total length, IPv6 40 + payload length), bytes"`
	IPID       uint32 `parquet:"ip_id" doc:"IPv4 identification, or IPv6 fragment identification"`
	IPFlags    uint8  `parquet:"ip_flags" doc:"IPv4 flags (0x2 DF, 0x1 MF)"`
	Frag       bool   `parquet:"frag" doc:"true for an IP fragment (more-fragments set or non-zero offset)"`
	TTL        uint8  `parquet:"ttl" doc:"IPv4 TTL or IPv6 hop limit"`
	Proto      uint8  `parquet:"proto" doc:"IP protocol of the transport layer after IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)"`
	IPChksum   uint16 `parquet:"ip_chksum" doc:"IPv4 header checksum as captured"`
	Sport      uint16 `parquet:"sport" doc:"TCP/UDP source port; ICMP type"`
	Dport      uint16 `parquet:"dport" doc:"TCP/UDP destination port; ICMP code"`
	TCPSeq     uint32 `parquet:"tcp_seq" doc:"TCP sequence number"`
	TCPAck     uint32 `parquet:"tcp_ack" doc:"TCP acknowledgement number"`
	TCPFlags   uint16 `parquet:"tcp_flags" doc:"TCP flags (0x01 FIN, 0x02 SYN, 0x04 RST, 0x08 PSH, 0x10 ACK, 0x20 URG, 0x40 ECE, 0x80 CWR, 0x100 NS)"`
	TCPWindow  uint16 `parquet:"tcp_window" doc:"TCP window (unscaled)"`
	UDPLen     uint16 `parquet:"udp_len" doc:"UDP length field"`
	PayloadLen uint32 `parquet:"payload_len" doc:"transport payload length from the headers (correct also when the capture cut the packet), 0 when there is none"`
	App        string `parquet:"app,optional,dict" doc:"application protocol guessed from ports and first payload bytes (dns, dhcp, ntp, ssdp, mdns, tls, http, quic, ...)"`
	FlowID     int64  `parquet:"flow_id" doc:"id of the packet's row in flows; 0 for packets outside any flow (non-IP)"`
	SrcGap     *int64 `parquet:"src_gap_ns,optional" doc:"nanoseconds since the previous IP packet from the same source address (inter-departure time); NULL for the first one of an ingest, negative where the capture's clock went back"`
	DstGap     *int64 `parquet:"dst_gap_ns,optional" doc:"nanoseconds since the previous IP packet to the same destination address (inter-arrival time); NULL for the first one of an ingest"`
}

// Flow is one row of the flows table: a bidirectional transport conversation.
//
// The initiator a is the sender of the first SYN, else of the first packet.
type Flow struct {
	FlowID      int64   `parquet:"flow_id" doc:"flow id, unique in the dataset"`
	Start       int64   `parquet:"start,timestamp(nanosecond:local)" doc:"time of the first packet, UTC"`
	End         int64   `parquet:"end,timestamp(nanosecond:local)" doc:"time of the last packet, UTC"`
	Duration    float64 `parquet:"duration" doc:"end - start, seconds"`
	Proto       uint8   `parquet:"proto" doc:"IP protocol (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)"`
	IPVersion   uint8   `parquet:"ip_version" doc:"4 or 6"`
	A           string  `parquet:"a,dict" doc:"initiator address"`
	APort       uint16  `parquet:"a_port" doc:"initiator port (ICMP: type of the first message, as Zeek's id.orig_p)"`
	B           string  `parquet:"b,dict" doc:"responder address"`
	BPort       uint16  `parquet:"b_port" doc:"responder port (ICMP, as Zeek's id.resp_p: the type that answers the first message, e.g. echo request 8 -> 0, or its code when no type answers it)"`
	PktsAToB    uint64  `parquet:"pkts_a_to_b" doc:"packets from a to b"`
	PktsBToA    uint64  `parquet:"pkts_b_to_a" doc:"packets from b to a"`
	BytesAToB   uint64  `parquet:"bytes_a_to_b" doc:"IP bytes from a to b (sum of ip_len)"`
	BytesBToA   uint64  `parquet:"bytes_b_to_a" doc:"IP bytes from b to a (sum of ip_len)"`
	PayloadAToB uint64  `parquet:"payload_a_to_b" doc:"transport payload bytes from a to b"`
	PayloadBToA uint64  `parquet:"payload_b_to_a" doc:"transport payload bytes from b to a"`
	TCPFlagsA   uint16  `parquet:"tcp_flags_a" doc:"OR of the TCP flags sent by a"`
	TCPFlagsB   uint16  `parquet:"tcp_flags_b" doc:"OR of the TCP flags sent by b"`
	State       string  `parquet:"state,dict" doc:"connection state in Zeek's conn_state vocabulary (S0 S1 SF REJ RSTO RSTR RSTOS0 RSTRH SH SHR OTH); UDP: SF when both sides sent, else S0; ICMP and other protocols: OTH, as in Zeek"`
	Answered    bool    `parquet:"answered" doc:"true when b sent at least one packet"`
	ALocal      bool    `parquet:"a_local" doc:"a is inside the local networks (default: not globally routable)"`
	BLocal      bool    `parquet:"b_local" doc:"b is inside the local networks (default: not globally routable)"`
	Kind        string  `parquet:"kind,optional,dict" doc:"typical, p2p or nouser as the flow records say, else NULL; analyses find kinds from the labels of kind user when they run (see package labels)"`
	Service     string  `parquet:"service,optional,dict" doc:"well-known service of b's port and the protocol, e.g. dns/udp, https/tcp"`
	Name        string  `parquet:"name,optional,dict" doc:"server name of b seen in DNS answers or TLS SNI"`
	UserA       string  `parquet:"user_a,optional,dict" doc:"user id of a as the flow records name it, else NULL; labels of kind user take precedence at query time"`
	UserB       string  `parquet:"user_b,optional,dict" doc:"user id of b as the flow records name it, else NULL; labels of kind user take precedence at query time"`
}

// DNS is one row of the dns table: one answer record of a DNS or mDNS response
// seen in the capture (a response without answers gives one row with a NULL
// answer). It is the passive-DNS source of the names shown on addresses.
type DNS struct {
	Ts         int64  `parquet:"ts,timestamp(nanosecond:local)" doc:"time of the response, UTC"`
	Capture    string `parquet:"capture,dict" doc:"input file id (see packets.capture)"`
	FlowID     int64  `parquet:"flow_id" doc:"flow of the response packet"`
	Client     string `parquet:"client,dict" doc:"address the response went to"`
	Server     string `parquet:"server,dict" doc:"address that answered"`
	ID         uint16 `parquet:"id" doc:"DNS transaction id"`
	Query      string `parquet:"query,optional,dict" doc:"queried name, lower case, without the final dot; NULL when the response has no question (mDNS announcements)"`
	QType      string `parquet:"qtype,optional,dict" doc:"query type: A, AAAA, PTR, ... or TYPEn; NULL without a question"`
	RCode      string `parquet:"rcode,dict" doc:"response code: NOERROR, NXDOMAIN, SERVFAIL, ... or RCODEn"`
	Answer     string `parquet:"answer,optional,dict" doc:"answer data: an address for A/AAAA, a name for CNAME/PTR/NS, else text; NULL when there is none"`
	AnswerName string `parquet:"answer_name,optional,dict" doc:"owner name of the answer record (differs from query after a CNAME)"`
	AnswerType string `parquet:"answer_type,optional,dict" doc:"type of the answer record"`
	Section    string `parquet:"section,optional,dict" doc:"section of the record: answer, authority or additional"`
	TTL        uint32 `parquet:"ttl" doc:"time to live of the answer record, seconds"`
}
