// Package darknet reads the packet logs of a network telescope (darknet)
// in the CSV layouts of DarkVec (SmartData-Polito/darkvec) into rows of the
// packets table. The layout is recognised from the header line; Sniff says
// which.
//
//	layout        header
//	raw           [datetime],ts,ethtype,src_ip,src_port,dst_ip,dst_port,proto,pck_len,tcp_flags,mirai,tcp_seq,ttl,t_mss,t_win,t_ts,t_sack,t_sackp
//	preprocessed  [index],ts,ip,port,proto[,pp][,class]
//
// The raw layout needs ts, src_ip, dst_ip, dst_port, proto and one of
// pck_len, ttl, tcp_flags, ethtype (a CSV of flow records may name its
// addresses the same way); the preprocessed one ts, ip, port and proto.
// Columns are found by name, in any order; the separator is a comma, a
// space (DarkVec's packets.log) or a tab, whichever the header uses. "-"
// or an empty field is an unset value: 0 in a numeric column, an error in
// the time and source columns. A raw row fills:
//
//	ts          ts: epoch seconds as decimal text, read exactly to the
//	            nanosecond (no float64 on the way; digits past the 9th are
//	            cut). The unnamed first column, a date and time that pandas
//	            derived from the same float (UTC), is read only when ts is
//	            unset; the two agree within 1 µs.
//	ethtype     eth_type; ip_version 4 for 0x0800 (2048), 6 for 0x86dd
//	src_ip      src    (an IP address in its canonical text, or any other
//	dst_ip      dst     text as it is: the published samples anonymise
//	                    addresses as src_ipaddr0, dst_ipaddr12, ...)
//	src_port    sport
//	dst_port    dport
//	proto       proto
//	pck_len     wire_len (the Ethernet frame length, without FCS)
//	tcp_flags   tcp_flags
//	tcp_seq     tcp_seq
//	ttl         ttl
//
// link_type is 1 (Ethernet, as the frames were), frame the 1-based number of
// the data row in its file, and every other column 0 or NULL: cap_len (no
// byte was captured), ip_len, ip_id, ip_flags, frag, ip_chksum, tcp_ack,
// tcp_window, udp_len, payload_len, app, flow_id. ICMP rows have no type
// or code in these logs: sport and dport are 0. The Mirai fingerprint
// (mirai: tcp_seq equals the destination address) and the TCP options of
// a SYN (t_mss, t_win, t_ts, t_sack, t_sackp) have no column of packets
// and are dropped; for real addresses the fingerprint is
// tcp_seq = the destination address read as a 32-bit number.
//
// A preprocessed row (DarkVec's darknet.csv.gz, made from the raw logs by
// its notebooks) fills ts (a date and time, UTC unless it names its zone,
// or epoch seconds), src from ip, dport from port and proto from proto:
// a number, or tcp, udp, icmp, gre (47) in any case, oth for others (255,
// IANA's reserved number: the log does not say which). ip_version is 6 for
// an IPv6 address, else 4; dst is NULL. pp and class are dropped: pp is
// port/proto again, and ground truth goes into labels (netlens label
// --kind class).
//
// Bad rows are RowErrors (input/internal/record) naming the file, line and
// column, after which the reader goes on. darknet imports schema,
// input/internal packages and the standard library only.
package darknet
