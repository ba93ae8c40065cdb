// Package chart holds the renderer-neutral chart spec that every analysis
// returns: a Chart of one Kind (horizontal bars, lines, scatter, stems,
// strip, stacked area, heatmap, ECDF, directed graph) with its axes, series
// and optional shaded bands. A chart with nothing to draw is still a chart: its
// Empty message says why (e.g. "no TCP packets"), and both renderers draw
// the title and that message. A Chart round-trips through JSON, so it can be stored
// in report.json and drawn again later.
//
// Two packages draw a Chart: chart/html (interactive, ECharts) and
// chart/static (PNG, SVG and PDF through gonum.org/v1/plot). The shared
// look of both (the colours of a chart's series, pairwise distinct, with
// "others" for a long tail; the heatmap ramp; the band fill), the axis
// titles (UTC said once) and the unit formatting of tick labels live here
// so that the two renderings agree.
//
// Strings in a Chart often come from data (host names, DNS names, labels);
// this package stores them as they are and never escapes them: escaping is the
// renderers' job.
//
// chart must not import the renderers, analysis, engine or anything upstream
// of it; it depends on the standard library only.
package chart
