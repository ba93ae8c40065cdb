// Package nfdump reads the CSV that nfdump prints (nfdump -o csv, -o
// csv-fast, -o csv:FORMAT) into flow records: the layout of nfdump 1.6 to
// 1.7.4 (ts,te,td,sa,da,sp,dp,pr,flg,...,ipkt,ibyt,opkt,obyt,...) and the
// one from 1.7.5 on (firstSeen,duration,proto,srcAddr,srcPort,dstAddr,
// dstPort,packets,bytes,flows), whose columns it finds by name in the
// header line.
//
// Each record becomes a unidirectional flow, from the source to the
// destination (record.OneWay): NetFlow and IPFIX exporters send a record
// per direction; ingest --pair merges a record with its reverse. A record
// with out counters (opkt, obyt: NSEL, bidirectional IPFIX) is
// bidirectional. Mapped: start (ts, firstSeen), end (te, lastSeen, or
// start + duration), a (sa, srcAddr), a_port, b, b_port, proto (name or
// number), pkts_a_to_b (ipkt, packets), bytes_a_to_b (ibyt, bytes: IP
// bytes), tcp_flags_a (flg, flags); ICMP type and code (dp as
// type*256+code, or type.code) become ports in Zeek's convention
// downstream. NetFlow has no payload bytes: those columns are 0. The other
// columns (interfaces, AS numbers, masks, VLANs, MPLS labels, MAC
// addresses, next hops, latencies, exporter) are dropped.
//
// nfdump prints times in the local time zone of the machine it runs on;
// netlens reads them as UTC: run nfdump with TZ=UTC. The layout of 1.6 to
// 1.7.4 prints whole seconds: the start is the latest one that ts, te and
// the duration td (in milliseconds) allow. The Summary lines at the end
// are checked against the records read: a file whose totals differ (cut,
// or edited) ends in an error.
//
// nfdump imports input/internal packages and the standard library only.
package nfdump
