// Package zeek reads Zeek's conn.log, as tab-separated text (Zeek's ASCII
// writer, with its #separator, #fields and #types header lines) or as JSON
// lines (LogAscii::use_json=T), into flow records.
//
// Each connection becomes one record of the flows table:
//
//	ts                            start
//	ts + duration                 end (duration unset: 0, one packet)
//	id.orig_h, id.orig_p          a, a_port
//	id.resp_h, id.resp_p          b, b_port (ICMP: Zeek's convention, the same as netlens')
//	proto                         proto: tcp 6, udp 17, icmp 1 (58 for IPv6 addresses); ip_proto when the log has it
//	orig_pkts, resp_pkts          pkts_a_to_b, pkts_b_to_a
//	orig_ip_bytes, resp_ip_bytes  bytes_a_to_b, bytes_b_to_a
//	orig_bytes, resp_bytes        payload_a_to_b, payload_b_to_a
//	conn_state                    state
//	local_orig, local_resp        a_local, b_local (when set; --local-net overrides them)
//	history                       tcp_flags_a, tcp_flags_b: S, H, A, F, R in upper case (the originator) and lower case (the responder) give SYN, SYN+ACK, ACK, FIN, RST
//	service                       service, as "NAME/PROTO" with the first name Zeek gives (http/tcp, dns/udp, ssl/tcp); unset: the well-known service of b_port, as for captures
//
// The other fields have no column and are dropped: uid, missed_bytes, the
// history string itself (beyond the flags above), tunnel_parents (netlens
// keeps the outer connection of a tunnel), vlan, the layer-2 addresses and
// those added by packages. An unset value ("-") of a count is 0.
//
// Several logs may follow one another in a file (cat of rotated logs):
// each #separator line starts a new header. #path must be conn (or begin
// with conn_, such as conn_long), when present.
//
// zeek imports input/internal packages, schema and the standard library
// only.
package zeek
