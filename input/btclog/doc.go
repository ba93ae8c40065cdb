// Package btclog reads the message logs of Bitcoin nodes and their
// aggregates, CSV files in the layouts of the bitcoind P2P traffic studies
// (virtu/bitcoind-p2p-traffic) and peer-observer's exports, into rows of
// the peer_messages and peer_conns tables. The layout is recognised from
// the header line; Sniff says which.
//
//	layout      header                                                        rows
//	tracepoint  [timestamp],peer_id,peer_addr,peer_conn_type,flow,msg_type,size   one per message (size: payload bytes)
//	peer        [,]timestamp,msg_type,peer_id,peer_addr,flow,payload_size,message_size,tcpip_size   per peer, message type and direction, per period
//	conn_map    [,]peer_id,peer_addr,connection_time,peer_conn_type              peer_conns: one per connection ("D days HH:MM:SS")
//	conn_type   timestamp,peer_conn_type,msg_type,net_size                       per connection type and message type, both directions (net_size: estimated TCP/IP bytes)
//	msg_type    timestamp,msg_type,payload_size,message_size,tcpip_size          per message type, both directions
//	direction   timestamp,msg_type,in,out                                        per message type and direction (estimated TCP/IP bytes)
//	accounting  timestamp,in,out or timestamp,IPIngressBytes,IPEgressBytes       the node's measured IP bytes per direction (validation_data_emp, systemd's IP accounting)
//	node        "Time","NAME inbound",... or "NAME outbound",...                 peer-observer: per node, payload bytes per second received (inbound) or sent (outbound)
//
// The period of an aggregate (period_s) is the smallest step between the
// times of the file; a file with one time only takes it from its name
// (hourly, daily), else a day when the time is midnight and an hour
// otherwise. peer-observer's rates become bytes: rate x step.
//
// Where a row gives no TCP/IP size, none is invented, except for the
// messages of a tracepoint log: their tcpip_size is estimated from the
// message size (payload + 24) with the formula of the seed studies (see
// Estimate), and tcpip_measured is false. Aggregates keep the sizes their
// files give.
//
// Bad lines are input.RowErrors (input/internal/record), as for the
// other readers of rows. btclog imports schema, input/internal/record and
// the standard library only.
package btclog
