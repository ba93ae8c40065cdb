// Package engine defines how netlens runs SQL over a dataset: the Engine
// interface, implemented once per database beneath this package
// (engine/duckdb embedded, others on a server), and Collect, which
// materialises a small result for analyses.
//
// engine imports schema and dataset only; it must not import analysis,
// chart, report, web or cli.
package engine
