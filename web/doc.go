// Package web is the local web application of `netlens serve`: the
// catalogue of analyses, each with a form built from its typed parameters,
// its charts drawn by chart/html exactly as in the report, and its tables
// paged and sorted on the server; a histogram of the dataset over time
// whose brushed range becomes the from and to of analyses; a page per host;
// a SQL console; and the dataset's manifest. Long work streams its progress
// as server-sent events (progress.go). It also serves the stable HTTP
// interface the application is built on (GET /api/analyses, GET
// /api/run/NAME, POST /api/query, and the views' own), documented in the
// README.
//
// Like report, web holds no per-analysis code: a new analysis of the
// catalogue appears in it with its form, charts and tables. Which analyses
// apply to the dataset is decided by analysis/suite, as for the report.
//
// The server is safe to leave running: it listens on loopback unless told
// otherwise (and then asks for a token), refuses requests for other host
// names (DNS rebinding) and cross-origin writes, confines SQL to reading the
// dataset within a time limit and a row cap, and treats every string from
// the data as hostile: the page inserts it as text only, and its Content
// Security Policy runs no script but its own.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary
// (assets/), with ECharts and the chart runtime of chart/html: nothing is
// fetched from the network.
//
// web must not import cli or report.
package web
