// Package flow assembles decoded packets into bidirectional flows: a
// direction-independent 5-tuple key, the initiator and responder roles, idle,
// active and TCP close timeouts in packet time, Zeek's conn_state, and the
// locality, users and service of each flow. ICMP messages make flows as in
// Zeek, keyed by type and answer type (see ICMPPorts). The later fragments
// of an IP datagram, which carry no ports, join the flow of its first
// fragment.
//
// Memory is bounded by the number of live flows (and of fragmented
// datagrams, at most 65,536 at a time). Output is deterministic:
// flows end in the order of their deadlines, and Flush emits the rest in
// flow id order.
//
// flow imports schema, decode and internal/hugepages only; it must not
// import dataset, engine or anything downstream.
package flow
