// Package dataset stores the netlens tables as a Parquet dataset on disk:
// one directory per table, one sub-directory per UTC day, and a manifest
// that lists every committed file, the inputs read and the ingests run.
//
// Writes happen in a transaction (Begin, NewTableWriter, Commit) that holds
// an exclusive lock on the dataset and makes its files visible all at once
// by replacing the manifest; a process killed at any moment leaves the
// dataset as it was. FORMAT.md beside this file describes the layout for
// readers that do not use netlens.
//
// dataset imports schema only; it must not import engine, analysis, chart,
// report or cli.
package dataset
