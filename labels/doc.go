// Package labels gives names to addresses: users (subscribers of a
// community network), classes (ground truth of darknet senders),
// organisations and categories. Labels come from CSV files, one kind per
// file, and live in the dataset's own tables, apart from the captures:
// loading, replacing or listing them never reads a capture, and analyses
// join them at query time, so new labels change answers without a new
// ingest.
//
// A label names an address, a CIDR prefix or (for org and category) a
// domain, optionally for a time span only (a subscriber's address changes
// with DHCP leases). Of the labels of a kind that apply to an address at a
// time, the one of the longest prefix wins; of those of one prefix, the
// one loaded last. The package resolves them, when they are loaded, into
// disjoint address blocks with a time line each (the label_spans table),
// so that every engine finds the label of an address with equality joins
// only: ClickHouse 18.16 has no range join and DuckDB's inet extension
// cannot be installed offline. Attach writes that join.
//
// labels imports schema, dataset and engine; it must not import analysis,
// chart, report, web or cli.
package labels
