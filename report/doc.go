// Package report writes the offline report of netlens: one directory with
// index.html (a self-contained page: styles and ECharts inlined, nothing
// fetched from the network, so it opens from a file years later),
// figures/ (PNG, SVG and PDF of every chart), tables/ (every result table as
// CSV and Parquet, and the extra files of the analyses) and report.json (what
// was run, with which parameters, and what came out of it).
//
// A Report holds the results; running the analyses is the caller's job.
// Every string in it is treated as hostile data and escaped where it is
// shown. A report is written into a temporary directory beside its
// destination and moved into place piece by piece, index.html last, so an
// interrupted write never leaves a page that looks complete.
//
// A report lists its files in .netlens-report; a later report in the same
// directory replaces exactly those. A file netlens did not write is never
// replaced nor removed: a directory that holds one is refused unless the
// caller forces the report to be written beside it.
//
// report must not import cli or web.
package report
