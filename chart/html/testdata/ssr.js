// Draws chart envelopes (one JSON document per line on stdin, as Render
// embeds them) with ECharts' server-side SVG renderer and the netlens
// runtime, and prints one JSON result per chart: whether it drew, the SVG,
// and the text of every tooltip that the runtime's formatters produce for
// the chart's first data items.
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
  const res = { id: env.chart.id, ok: false, error: '', svg: '', tooltips: [] };
  try {
    const opt = window.netlensOption(env.chart, env.style);
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 560 });
    chart.setOption(opt);
    res.svg = chart.renderToSVGString();
    // Call the tooltip formatter on every data item the chart model holds.
    const model = chart.getModel();
    const fmtr = opt.tooltip && opt.tooltip.formatter;
    model.eachSeries((s) => {
      const kinds = s.subType === 'graph' ? [['node', s.getData()], ['edge', s.getEdgeData()]] : [['', s.getData()]];
      for (const [dataType, data] of kinds) {
        for (let i = 0; i < data.count(); i++) {
          const p = s.getDataParams(i, dataType || undefined);
          p.color = p.color || '#000';
          if (fmtr) res.tooltips.push(fmtr(opt.tooltip.trigger === 'axis' ? [p] : p));
        }
      }
    });
    chart.dispose();
    res.ok = true;
  } catch (e) {
    res.error = String((e && e.stack) || e);
  }
  process.stdout.write(JSON.stringify(res) + '\n');
}
