package schema

// Label is one row of the labels table: a label given to an address, a
// prefix or (for kinds org and category) a domain, as loaded from a label
// file with netlens label. Analyses do not join this table directly but
// label_spans, which netlens derives from it.
type Label struct {
	Loaded    int64  `parquet:"loaded,timestamp(nanosecond:local)" doc:"time the label file was loaded, UTC"`
	File      string `parquet:"file,dict" doc:"id of the label file in the manifest's labels (label-KIND-HASH)"`
	Line      uint32 `parquet:"line" doc:"line of the label in its file"`
	Kind      string `parquet:"kind,dict" doc:"what the label says of the address: user (a subscriber's id), class (ground truth of a sender), org (organisation) or category"`
	Address   string `parquet:"address,dict" doc:"an address or CIDR prefix in canonical form (192.0.2.0/24, 2001:db8::/32; a single address without /len), or for org and category a domain name, which matches its subdomains too"`
	Label     string `parquet:"label,dict" doc:"the label: user id, class, organisation or category name"`
	ValidFrom *int64 `parquet:"valid_from,optional,timestamp(nanosecond:local)" doc:"first time the label applies, UTC; NULL: since ever"`
	ValidTo   *int64 `parquet:"valid_to,optional,timestamp(nanosecond:local)" doc:"time the label stops applying (exclusive), UTC; NULL: for ever"`
}

// LabelSpan is one row of the label_spans table: the labels of one kind
// resolved into disjoint address blocks, each with a time line of labels,
// in the form that every engine joins on with equalities only.
//
// For an address A at time T, the label of a kind is that of the row whose
// block equals the first block_len hex digits of A's 128-bit form (IPv4 as
// ::ffff:a.b.c.d), whose bucket equals T - T % bucket_width clamped to
// [bucket_first, bucket_last], and with span_from <= T < span_to: blocks are
// disjoint and the spans of a block's bucket cover all its time, so at
// most one row matches, found with equality joins and no range join.
type LabelSpan struct {
	Loaded      int64  `parquet:"loaded,timestamp(nanosecond:local)" doc:"time the spans were derived, UTC"`
	Kind        string `parquet:"kind,dict" doc:"label kind, as in labels"`
	Block       string `parquet:"block,dict" doc:"the address block: the first block_len lower-case hex digits of its addresses' 128-bit form (IPv4 as ::ffff:a.b.c.d)"`
	BlockLen    uint8  `parquet:"block_len" doc:"number of hex digits of block, 0 to 32"`
	BucketWidth int64  `parquet:"bucket_width" doc:"width of the block's time buckets, nanoseconds"`
	BucketFirst int64  `parquet:"bucket_first" doc:"first time bucket of the block (nanoseconds since the epoch, a multiple of bucket_width); earlier times fall into it"`
	BucketLast  int64  `parquet:"bucket_last" doc:"last time bucket of the block; later times fall into it"`
	Bucket      int64  `parquet:"bucket" doc:"the time bucket of this span"`
	SpanFrom    int64  `parquet:"span_from" doc:"first nanosecond of the span (-2^63: since ever)"`
	SpanTo      int64  `parquet:"span_to" doc:"nanosecond the span ends, exclusive (2^63-1: for ever)"`
	Label       string `parquet:"label,dict" doc:"the label of the block during the span; empty: none"`
}
