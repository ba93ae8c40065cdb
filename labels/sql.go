package labels

import (
	"fmt"
	"strings"

	"github.com/netlens/netlens/engine"
)

// Attach returns a query over the relation from (a table name or a
// parenthesised query) that selects its columns cols and, as column as,
// the label of kind of the address in column addr at the time in column
// ts (nanoseconds since the epoch, a 64-bit integer): "" when none applies.
// addr and ts must be among cols. addrs is a query with one column, addr,
// that lists the addresses of from that may carry labels (duplicates are
// fine; an address it lacks gets none).
//
// The query is written for every engine, ClickHouse 18.16 included: one
// join per SELECT, equality joins only, no right-hand join key selected
// (18.16 returns wrong values for them). First the distinct addresses are
// cut to the key lengths of the kind's blocks and joined with the blocks
// (Blocks); then each row of from finds its block by address and the span
// of its time by block and time bucket (see schema.LabelSpan).
func Attach(d engine.Dialect, from string, cols []string, kind, addr, ts, as, addrs string) string {
	return AttachBlocks(from, cols, kind, addr, ts, as, "("+Blocks(d, kind, addrs)+")")
}

// Blocks returns the query of the blocks of kind that hold the addresses
// listed by addrs (a query with one column, addr): one row per address
// inside a block, with the block and its time buckets. Its result depends
// only on the addresses and the labels, so that an engine may keep it as
// a table for every query that attaches labels of kind to those
// addresses (see AttachBlocks).
func Blocks(d engine.Dialect, kind, addrs string) string {
	if !ValidKind(kind) {
		panic("labels.Blocks: unknown kind " + kind)
	}
	return fmt.Sprintf(`SELECT _la AS _lmaddr, _lkey AS _lmblock, _llen AS _lmlen, _lbw AS _lmw, _lbf AS _lmf, _lbl AS _lml, 1 AS _lmhit FROM (
		SELECT _la, _llen, substring(_lhex, 1, _llen) AS _lkey FROM (
			SELECT _la, %[1]s AS _lhex FROM (SELECT DISTINCT addr AS _la FROM (%[2]s) AS _laddrs) AS _ld
		) AS _lh CROSS JOIN (SELECT DISTINCT block_len AS _llen FROM label_spans WHERE kind = %[3]s) AS _ln
	) AS _lc JOIN (
		SELECT DISTINCT block AS _lsblock, block_len AS _lslen, bucket_width AS _lbw, bucket_first AS _lbf, bucket_last AS _lbl
		FROM label_spans WHERE kind = %[3]s
	) AS _lb ON _lkey = _lsblock AND _llen = _lslen`, d.IPHex("_la"), addrs, "'"+kind+"'")
}

// AttachBlocks is Attach with the blocks of the addresses given as
// blocks: a table or a parenthesised query with the columns of the query
// of Blocks for the same kind, over addresses that include those of from
// in column addr.
func AttachBlocks(from string, cols []string, kind, addr, ts, as, blocks string) string {
	if !ValidKind(kind) {
		panic("labels.AttachBlocks: unknown kind " + kind)
	}
	k := "'" + kind + "'"
	list := strings.Join(cols, ", ")
	withBlock := fmt.Sprintf(`SELECT %[1]s, _lmblock AS _lblock, _lmlen AS _llen, _lmhit AS _lhit,
		greatest(coalesce(_lmf, 0), least(coalesce(_lml, 0), %[2]s - %[2]s %% greatest(coalesce(_lmw, 0), 1))) AS _lbucket
		FROM %[3]s AS _lx LEFT JOIN %[4]s AS _lm ON %[5]s = _lmaddr`, list, ts, from, blocks, addr)
	return fmt.Sprintf(`SELECT %[1]s, coalesce(_lplabel, '') AS %[2]s FROM (%[3]s) AS _ly LEFT JOIN (
		SELECT block AS _lpblock, block_len AS _lplen, bucket AS _lpbucket, span_from AS _lpfrom, span_to AS _lpto, label AS _lplabel, 1 AS _lphit
		FROM label_spans WHERE kind = %[4]s
	) AS _lp ON _lblock = _lpblock AND _llen = _lplen AND _lbucket = _lpbucket AND _lhit = _lphit
	WHERE coalesce(_lhit, 0) = 0 OR (_lpfrom <= %[5]s AND %[5]s < _lpto)`, list, as, withBlock, k, ts)
}
