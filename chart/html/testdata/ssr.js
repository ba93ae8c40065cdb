// Draws chart envelopes (one JSON document per line on stdin, as Render
// embeds them) with ECharts' server-side SVG renderer and the netlens
// runtime, and prints one JSON result per chart: whether it drew, the SVG,
// the text of every tooltip that the runtime's formatters produce for the
// data items of the spec's series, and the layout that was drawn: the axis
// names, each series' type, name and colour, every text shown with its
// box, every rectangle in the band colour, and the circles drawn.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const here = __dirname;
globalThis.echarts = require(path.join(here, '..', 'assets', 'echarts.min.js'));
globalThis.window = globalThis;
vm.runInThisContext(fs.readFileSync(path.join(here, '..', 'assets', 'netlens.js'), 'utf8'), { filename: 'netlens.js' });

const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
for (const line of lines) {
  const env = JSON.parse(line);
  const res = { id: env.chart.id, ok: false, error: '', svg: '', tooltips: [], layout: null };
  try {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 560 });
    const opt = window.netlensOption(env.chart, env.style, chart);
    chart.setOption(opt);
    res.svg = chart.renderToSVGString();
    // Call the tooltip formatter on every data item the chart model holds.
    const model = chart.getModel();
    const fmtr = opt.tooltip && opt.tooltip.formatter;
    const specSeries = (env.chart.series || []).length;
    model.eachSeries((s) => {
      if (s.subType === 'custom' && s.seriesIndex >= specSeries) return; // bands
      const kinds = s.subType === 'graph' ? [['node', s.getData()], ['edge', s.getEdgeData()]] : [['', s.getData()]];
      for (const [dataType, data] of kinds) {
        for (let i = 0; i < data.count(); i++) {
          const p = s.getDataParams(i, dataType || undefined);
          p.color = p.color || '#000';
          if (fmtr) res.tooltips.push(fmtr(opt.tooltip.trigger === 'axis' ? [p] : p));
        }
      }
    });
    res.layout = layout(chart, opt, env.style);
    chart.dispose();
    res.ok = true;
  } catch (e) {
    res.error = String((e && e.stack) || e);
  }
  process.stdout.write(JSON.stringify(res) + '\n');
}

// layout describes what chart drew.
function layout(chart, opt, style) {
  const axisName = (a) => (Array.isArray(a) ? a[0] : a || {}).name || '';
  const out = { x_name: axisName(opt.xAxis), y_name: axisName(opt.yAxis), series: [], texts: [], bands: [], circles: 0 };
  chart.getModel().eachSeries((s) => {
    const st = s.getData().getVisual('style') || {};
    out.series.push({ type: s.subType, name: s.name, color: String(st.fill || st.stroke || ''), items: s.getData().count() });
  });
  const visible = (el) => {
    for (let e = el; e; e = e.parent) {
      if (e.ignore || e.invisible) return false;
    }
    return !(el.style && el.style.opacity === 0);
  };
  for (const el of chart.getZr().storage.getDisplayList(true)) {
    if (!visible(el)) continue;
    const r = el.getBoundingRect().clone();
    if (el.transform) r.applyTransform(el.transform);
    // What clip paths (a scrolled legend's page) cut off is not shown.
    let shown = true;
    for (const cp of el.__clipPaths || []) {
      const c = cp.getBoundingRect().clone();
      if (cp.transform) c.applyTransform(cp.transform);
      const x0 = Math.max(r.x, c.x), y0 = Math.max(r.y, c.y);
      const x1 = Math.min(r.x + r.width, c.x + c.width), y1 = Math.min(r.y + r.height, c.y + c.height);
      if (x1 - x0 < 1 || y1 - y0 < 1) shown = false;
      else Object.assign(r, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
    }
    if (!shown) continue;
    const box = { x: r.x, y: r.y, width: r.width, height: r.height };
    if ((el.type === 'text' || el.type === 'tspan') && el.style && String(el.style.text || '').trim() !== '') {
      out.texts.push(Object.assign({ text: String(el.style.text) }, box));
    } else if ((el.type === 'rect' || el.type === 'polygon') && el.style && el.style.fill === style.band) {
      out.bands.push(box);
    } else if (el.type === 'circle') {
      out.circles++;
    }
  }
  return out;
}
