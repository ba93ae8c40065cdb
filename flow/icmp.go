package flow

// ICMP flows follow Zeek's convention, so that flows assembled from a
// capture and the connections of a Zeek conn.log of the same traffic have
// the same key: the initiator's port is the ICMP type of the flow's first
// message, the responder's port the type of the message that answers it
// (echo request 8 -> echo reply 0; ICMPv6 128 -> 129, router solicitation
// 133 -> 134), or, for a message that nothing answers (destination
// unreachable, time exceeded, ...), its code. Messages of a request type
// and of its answer type between the same two hosts make one flow, in
// either direction; a message without an answer type makes a flow of its
// own per direction.

// icmpv4Answers maps each ICMPv4 type that has an answer type to it
// (RFC 792, RFC 950, RFC 1256), as Zeek's ICMP4_counterpart.
var icmpv4Answers = answerTable(map[uint8]uint8{
	8: 0, 0: 8, // echo request, echo reply
	13: 14, 14: 13, // timestamp request, reply
	15: 16, 16: 15, // information request, reply
	10: 9, 9: 10, // router solicitation, advertisement
	17: 18, 18: 17, // address mask request, reply
})

// icmpv6Answers maps each ICMPv6 type that has an answer type to it
// (RFC 4443, RFC 4861, RFC 2710, RFC 4620, RFC 6275), as Zeek's
// ICMP6_counterpart.
var icmpv6Answers = answerTable(map[uint8]uint8{
	128: 129, 129: 128, // echo request, echo reply
	133: 134, 134: 133, // router solicitation, advertisement
	135: 136, 136: 135, // neighbour solicitation, advertisement
	130: 131, 131: 130, // multicast listener query, report
	139: 140, 140: 139, // node information query, response
	144: 145, 145: 144, // home agent address discovery request, reply
})

// answers is a table, by ICMP type, of the answer type, if there is one.
type answers [256]struct {
	typ uint8
	ok  bool
}

func answerTable(m map[uint8]uint8) *answers {
	var t answers
	for q, a := range m {
		t[q].typ, t[q].ok = a, true
	}
	return &t
}

// ICMPPorts returns the ports of a flow whose first message is of ICMP
// type typ and code code, for proto 1 (ICMP) or 58 (ICMPv6): the type, and
// the type that answers it or, when none does (oneWay), the code. See the
// convention above.
func ICMPPorts(proto, typ, code uint8) (aPort, bPort uint16, oneWay bool) {
	t := icmpv4Answers
	if proto == protoICMPv6 {
		t = icmpv6Answers
	}
	if a := t[typ]; a.ok {
		return uint16(typ), uint16(a.typ), false
	}
	return uint16(typ), uint16(code), true
}
