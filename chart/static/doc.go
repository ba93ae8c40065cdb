// Package static draws chart specs as publication figures through
// gonum.org/v1/plot: PNG at 300 dpi, SVG and PDF (fonts embedded), sized by
// default for one column of a paper.
//
// Every chart kind is drawn: horizontal bars, lines and scatter with shaded
// bands, stems (one per packet, never a line through them), strips with
// deterministic jitter, stacked areas, ECDF steps, heatmaps with a colour
// bar, and directed graphs with a deterministic force-directed layout
// computed here. Tick labels follow the axis unit: SI byte sizes,
// durations, UTC times, percentages; a time axis names UTC once. Values
// that a log axis cannot show (zero or less) are left out.
//
// Figures are laid out for print: no text is smaller than 6 points or cut
// by the figure's edge, and none overlaps another. Long titles wrap; rows
// and columns of categories that cannot all be labelled at that size are
// labelled every second, third, ... one; bands are at least 2 points wide,
// however short, with their labels in up to two rows above the plot; graph
// labels go beside their node where they collide with nothing. A label that
// fits nowhere is left out. The series of a chart are drawn in pairwise
// distinct colours, the tail of a chart with more series than colours in
// one grey that the legend names once ("others (3)").
//
// static must not import chart/html, analysis, engine or anything upstream
// of chart.
package static
