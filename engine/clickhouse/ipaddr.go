package clickhouse

// IPHex implements engine.Dialect: IPv6StringToNum reads IPv4 addresses in
// the ::ffff:a.b.c.d form, and gives zeros for text that is no address.
func (Dialect) IPHex(expr string) string {
	return "lower(hex(IPv6StringToNum(if(position(" + expr + ", ':') > 0, " + expr + ", concat('::ffff:', " + expr + ")))))"
}
