// Package static draws chart specs as publication figures through
// gonum.org/v1/plot: PNG at 300 dpi, SVG and PDF (fonts embedded), sized by
// default for one column of a paper.
//
// Every chart kind is drawn: horizontal bars, lines and scatter with shaded
// bands, strips with deterministic jitter, stacked areas, ECDF steps,
// heatmaps with a colour bar, and directed graphs with a deterministic
// force-directed layout computed here. Tick labels follow the axis unit: SI
// byte sizes, durations, UTC times, percentages. Values that a log axis
// cannot show (zero or less) are left out.
//
// static must not import chart/html, analysis, engine or anything upstream
// of chart.
package static
