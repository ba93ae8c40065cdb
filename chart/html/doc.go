// Package html draws chart specs interactively: Render writes a chart as an
// HTML fragment that ECharts draws in the browser, Page writes a complete
// standalone page, and Script gives the JavaScript (ECharts and the netlens
// runtime) that a page inlines once. Pages open offline, from a file: nothing
// is fetched from the network.
//
// ECharts is the npm package pinned in package.json and package-lock.json;
// gen.sh (run by make) installs it and copies its minified build to
// assets/echarts.min.js, which is embedded and not committed.
//
// The interactive chart says what the publication figure says: each series
// in the colour package chart gives it (pairwise distinct, a long tail in
// one grey named once in the legend as "others", each by its own name in
// tooltips), packets as stems with a marker each, bands at least 3 pixels
// wide with their labels above the plot (a label that would overlap
// another is left out), and a time axis that names UTC once.
//
// Every string of a chart may come from hostile data. It reaches the page
// only as HTML-escaped JSON and is drawn by ECharts as text; tooltips are
// built from escaped text.
//
// html must not import chart/static, analysis, engine or anything upstream
// of chart.
package html
