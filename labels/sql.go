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

// SpanStats returns the query of the number of addresses of blocks (a
// relation of the columns of Blocks for kind) and of the rows of
// label_spans of their blocks, summed over the addresses: what SpanWidth
// needs to know.
func SpanStats(kind, blocks string) string {
	if !ValidKind(kind) {
		panic("labels.SpanStats: unknown kind " + kind)
	}
	return fmt.Sprintf(`SELECT count(DISTINCT _lmaddr), count(*) FROM %s AS _lm JOIN (
		SELECT block AS _lpblock, block_len AS _lplen FROM label_spans WHERE kind = '%s'
	) AS _lp ON _lmblock = _lpblock AND _lmlen = _lplen`, blocks, kind)
}

// SpanWidth returns the width of the time buckets of AddrSpans for the
// times [from, to), for addrs addresses whose blocks have spans rows of
// label_spans in all (see SpanStats): a day, doubled while the buckets of
// every address would make more than twice the rows of their spans, or
// more than 1024 buckets would cover the times. Labels that change daily
// (DHCP leases) get day buckets; labels that never change get one bucket,
// one row per address.
func SpanWidth(from, to, addrs, spans int64) int64 {
	w := day
	for to > from {
		buckets := (to-from)/w + 1
		if buckets <= 1 || (buckets <= maxBuckets && addrs*buckets <= 2*spans) {
			break
		}
		w *= 2
	}
	return w
}

// AddrSpans returns the query of the labels of kind of the addresses of
// blocks (a table or a parenthesised query with the columns of Blocks for
// kind) during the times [from, to), cut into time buckets of width w
// (SpanWidth): one row per address, bucket (t - t % w) and span of the
// address' block that overlaps it, with the columns _lsaddr, _lsbucket,
// _lsfrom, _lsto (the part of the span in its bucket of label_spans, end
// excluded), _lslabel and _lshit (1). A time of [from, to) of an address
// inside a block lies in exactly one span of its bucket, so that
// AttachSpans finds the label with one equality join per address instead
// of two. Its result depends only on
// the addresses, the labels and the times, so that an engine may keep it.
func AddrSpans(d engine.Dialect, kind, blocks string, from, to, w int64) string {
	if !ValidKind(kind) {
		panic("labels.AddrSpans: unknown kind " + kind)
	}
	// Each row of label_spans holds, of its span, the part inside its
	// bucket; the first and last buckets also hold the times before and
	// after them. That part, within [from, to), is cut at the buckets of w
	// and is the span of the row: the parts of a block do not overlap, so
	// one of them holds a time, whatever w and the buckets of the block.
	return fmt.Sprintf(`SELECT _lmaddr AS _lsaddr, _lsb0 + _lsn * %[1]d AS _lsbucket, _llo AS _lsfrom, _lhi AS _lsto, _ll AS _lslabel, 1 AS _lshit FROM (
		SELECT _lmaddr, _llo, _lhi, _ll, _lsb0, %[2]s AS _lsn FROM (
			SELECT _lmaddr, _llo, _lhi, _ll, _llo - _llo %% %[1]d AS _lsb0, (_lhi - 1) - (_lhi - 1) %% %[1]d AS _lsb1 FROM (
				SELECT _lmaddr, _ll,
					greatest(CASE WHEN _lb = _lbf THEN _lf ELSE greatest(_lf, _lb) END, %[3]d) AS _llo,
					least(CASE WHEN _lb = _lbl THEN _lt ELSE least(_lt, _lb + _lbw) END, %[4]d) AS _lhi
				FROM %[5]s AS _lm JOIN (
					SELECT block AS _lpblock, block_len AS _lplen, bucket AS _lb, bucket_first AS _lbf, bucket_last AS _lbl, bucket_width AS _lbw,
						span_from AS _lf, span_to AS _lt, label AS _ll
					FROM label_spans WHERE kind = '%[6]s'
				) AS _lp ON _lmblock = _lpblock AND _lmlen = _lplen
			) AS _lc WHERE _llo < _lhi
		) AS _lr
	) AS _lq`, w, d.Numbers(fmt.Sprintf("(_lsb1 - _lsb0) / %d + 1", w)), from, to, blocks, kind)
}

// AttachSpans is Attach with the labels of the addresses given as spans:
// a table or a parenthesised query of AddrSpans for the same kind, width w
// and times that hold those of from in column ts, over addresses that
// include those of from in column addr. It joins from with spans once.
func AttachSpans(from string, cols []string, addr, ts, as, spans string, w int64) string {
	list := strings.Join(cols, ", ")
	return fmt.Sprintf(`SELECT %[1]s, coalesce(_lslabel, '') AS %[2]s FROM (
		SELECT %[1]s, %[3]s - %[3]s %% %[4]d AS _lxbucket FROM %[5]s AS _lx
	) AS _ly LEFT JOIN %[6]s AS _ls ON %[7]s = _lsaddr AND _lxbucket = _lsbucket
	WHERE coalesce(_lshit, 0) = 0 OR (_lsfrom <= %[3]s AND %[3]s < _lsto)`, list, as, ts, w, from, spans, addr)
}

// JoinSpans is AttachSpans for the rows of from whose address has a label
// at their time, the others left out: an inner join with spans. spans
// stays the right-hand side, the one ClickHouse builds in memory; DuckDB
// builds an inner join on the side it estimates smaller, the spans with
// a label, where it builds AttachSpans' left join on the rows of from
// when it misjudges them after a filter.
func JoinSpans(from string, cols []string, addr, ts, as, spans string, w int64) string {
	list := strings.Join(cols, ", ")
	return fmt.Sprintf(`SELECT %[1]s, _lslabel AS %[2]s FROM (
		SELECT %[1]s, %[3]s - %[3]s %% %[4]d AS _lxbucket FROM %[5]s AS _lx
	) AS _ly JOIN %[6]s AS _ls ON %[7]s = _lsaddr AND _lxbucket = _lsbucket
	WHERE _lsfrom <= %[3]s AND %[3]s < _lsto`, list, as, ts, w, from, spans, addr)
}
