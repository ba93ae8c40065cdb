// Package flowcsv reads tables of flow records, CSV or Parquet, whose
// columns a header names, into rows of the flows table. It knows, by the
// names in the header:
//
//   - netlens' own flows columns (a CSV or Parquet export of the flows
//     table, or any file that uses its names: start, a, b, proto, ...);
//   - the three layouts of flow records of the community-network study of
//     seed 001: typical flows (start, end, user, dest_ip, user_port,
//     dest_port, bytes_up, bytes_down, protocol, and fqdn, org, category,
//     local where present), user-to-user flows (start, end, user_a,
//     user_b, a_port, b_port, bytes_a_to_b, bytes_b_to_a, protocol) and
//     no-user flows (start, end, ip_a, ip_b, a_port, b_port,
//     bytes_a_to_b, bytes_b_to_a, protocol).
//
// Any other layout loads with a mapping from flows columns to the file's
// (ingest --columns start=first_seen,a=src,b=dst,...), which may also
// change what a known layout takes. The columns a mapping can name are
// those of the flows table but flow_id, ip_version and answered, which are
// derived; see Targets. A column the mapping does not name is taken from
// the file's column of the same name, when there is one.
//
// A user-to-user or typical flow names a user by its id (user, user_a,
// user_b), not by an address: that end's address is empty, it is local,
// and the flow's kind is the layout's (typical, p2p, nouser). Of a typical
// flow, user is the initiator a, dest_ip the responder b, bytes_up go
// from a to b, fqdn is the name, local says that b is a local server; org
// and category have no column in flows: load them as labels (netlens
// label --kind org).
//
// Values: times as "2006-01-02 15:04:05[.fraction][zone]" (no zone: UTC)
// or epoch numbers (seconds with a fraction; integers by their length:
// seconds, milliseconds, microseconds or nanoseconds); Parquet timestamps
// and dates as they are typed. Protocols as numbers or names (tcp, udp,
// icmp, ...). Counts as integers (1.0 is 1). Booleans as true/false, T/F,
// 1/0, yes/no. An empty value is 0, false or empty, except where a value
// is needed (start, the ends).
//
// CSV: RFC 4180 quotes, the delimiter (comma, semicolon or tab) that
// splits the header best, an optional byte-order mark. Parquet: flat
// schemas; the file must not be compressed as a whole (its pages may be);
// decimals are read with their scale. Every page header is checked
// against the file before the Parquet library reads it, so that a corrupt
// length is an error rather than an allocation of that length.
//
// flowcsv imports input/internal packages, schema, parquet-go and the
// standard library only.
package flowcsv
