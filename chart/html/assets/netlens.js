/*
 * netlens chart runtime: draws the chart specs of a page with ECharts.
 *
 * Each chart is a container div (class netlens-chart, attribute
 * data-chart-id) followed by a JSON script element (attribute
 * data-netlens-chart) that holds {chart, style}. Strings from the spec are never parsed as
 * HTML: ECharts draws titles, labels and names as canvas text, and every
 * tooltip is built here from escaped text.
 *
 * After each chart, window.netlensCharts = {ok: N, errors: [{id, message}],
 * done: true once every chart queued so far is drawn}
 * counts the charts drawn and the errors met, chart by chart.
 */
;(function () {
  'use strict';

  var state = window.netlensCharts = window.netlensCharts || { ok: 0, errors: [], done: true };
  var instances = [];

  // --- text ---------------------------------------------------------------

  var entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return entities[c]; });
  }

  function escLines(s) {
    return esc(s).replace(/\n/g, '<br>');
  }

  function marker(color) {
    return '<span style="display:inline-block;margin-right:4px;border-radius:5px;width:10px;height:10px;background-color:' +
      esc(color) + ';"></span>';
  }

  // --- numbers, as chart/format.go writes them ----------------------------

  function round(v, digits) {
    if (v === 0) return 0;
    var e = digits - 1 - Math.floor(Math.log10(Math.abs(v)));
    if (e >= 0) {
      var p = Math.pow(10, e);
      return Math.round(v * p) / p;
    }
    var q = Math.pow(10, -e);
    return Math.round(v / q) * q;
  }

  function trim(v, digits) {
    var r = round(v, digits);
    if (Math.abs(r) >= Math.pow(10, digits) || (r !== 0 && Math.abs(r) < 1e-4)) {
      return r.toPrecision(digits).replace(/\.?0+(e|$)/, '$1');
    }
    return String(r);
  }

  function scaled(v, sep, units, digits) {
    if (!isFinite(v)) return String(v);
    var a = Math.abs(v);
    var i = 0;
    while (i < units.length - 1 && round(a, digits) >= 1000) {
      a /= 1000;
      i++;
    }
    var s = trim(v < 0 ? -a : a, digits);
    return units[i] === '' ? s : s + sep + units[i];
  }

  function fmtSeconds(v) {
    if (!isFinite(v)) return String(v);
    var a = round(Math.abs(v), 3);
    if (v === 0) return '0 s';
    var steps = [[1e-6, 1e-9, 'ns'], [1e-3, 1e-6, '\u00b5s'], [1, 1e-3, 'ms'], [60, 1, 's'], [3600, 60, 'min'], [86400, 3600, 'h']];
    for (var i = 0; i < steps.length; i++) {
      if (a < steps[i][0]) return trim(v / steps[i][1], 3) + ' ' + steps[i][2];
    }
    return trim(v / 86400, 3) + ' d';
  }

  function pad(n, w) {
    var s = String(n);
    while (s.length < w) s = '0' + s;
    return s;
  }

  // fmtTime writes Unix seconds in UTC: the full timestamp, or only the
  // parts that matter for an axis spanning span seconds.
  function fmtTime(sec, span) {
    if (!isFinite(sec)) return String(sec);
    var d = new Date(Math.round(sec * 1000));
    var date = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1, 2) + '-' + pad(d.getUTCDate(), 2);
    var hm = pad(d.getUTCHours(), 2) + ':' + pad(d.getUTCMinutes(), 2);
    var hms = hm + ':' + pad(d.getUTCSeconds(), 2);
    var ms = hms + '.' + pad(d.getUTCMilliseconds(), 3);
    if (!(span > 0)) return date + ' ' + ms;
    if (span >= 4 * 86400) return date;
    if (span >= 86400) return date.slice(5) + ' ' + hm;
    if (span >= 600) return hm;
    if (span >= 10) return hms;
    return ms;
  }

  function fmt(v, unit) {
    if (v == null || v === '-') return '';
    switch (unit) {
      case 'bytes': return scaled(v, ' ', ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'], 3);
      case 'seconds': return fmtSeconds(v);
      case 'time': return fmtTime(v, 0) + ' UTC';
      case 'share': return trim(v * 100, 3) + '%';
      default: return scaled(v, '', ['', 'k', 'M', 'G', 'T', 'P', 'E'], 4);
    }
  }

  // --- axes ---------------------------------------------------------------

  function isTime(ax) {
    return ax.unit === 'time';
  }

  // toAxis converts a spec value to the axis' value: ECharts time axes take
  // milliseconds.
  function toAxis(ax, v) {
    return isTime(ax) ? v * 1000 : v;
  }

  function fromAxis(ax, v) {
    return isTime(ax) ? v / 1000 : v;
  }

  // drop tells whether a value cannot be placed on the axis (a log axis has
  // no place for zero or less).
  function drop(ax, v) {
    return ax.log && !isTime(ax) && !(v > 0);
  }

  // axisName writes an axis' title as chart.Axis.Label does: a time axis
  // names UTC once, with the date when the whole axis lies in one day.
  function axisName(ax, date) {
    var t = ax.title || '';
    if (!isTime(ax)) return t;
    t = t.split('(UTC)').join('').split(/\s+/).filter(Boolean).join(' ');
    if (t === '' || t === 'UTC') {
      t = 'time';
    } else if (/(^|[^A-Za-z0-9])UTC([^A-Za-z0-9]|$)/.test(t)) {
      return date ? t + ' (' + date + ')' : t;
    }
    return t + (date ? ' (UTC, ' + date + ')' : ' (UTC)');
  }

  // oneDay returns the UTC date (2006-01-02) of every x of a time chart's
  // series and bands when they lie in one day, else ''.
  function oneDay(spec) {
    if (!isTime(spec.x || {})) return '';
    var lo = Infinity, hi = -Infinity;
    (spec.series || []).forEach(function (s) {
      (s.points || []).forEach(function (p) { lo = Math.min(lo, p[0]); hi = Math.max(hi, p[0]); });
    });
    (spec.bands || []).forEach(function (b) { lo = Math.min(lo, b.start); hi = Math.max(hi, b.end); });
    if (!(hi >= lo)) return '';
    var a = fmtTime(lo, 0).slice(0, 10), b = fmtTime(hi, 0).slice(0, 10);
    return a === b ? a : '';
  }

  function numericAxis(ax, where, date) {
    var a = {
      name: axisName(ax, date),
      nameLocation: 'middle',
      nameGap: where === 'x' ? 28 : 52,
      scale: true,
      splitLine: { show: true, lineStyle: { opacity: 0.5 } }
    };
    if (isTime(ax)) {
      a.type = 'time';
    } else if (ax.log) {
      a.type = 'log';
      a.logBase = 10;
      a.axisLabel = { formatter: function (v) { return fmt(v, ax.unit); } };
    } else {
      a.type = 'value';
      a.axisLabel = { formatter: function (v) { return fmt(v, ax.unit); } };
    }
    return a;
  }

  function categoryAxis(ax, names, extra) {
    var a = {
      type: 'category',
      name: ax.title || '',
      data: names.slice(),
      axisLabel: { width: 220, overflow: 'truncate' },
      axisTick: { alignWithLabel: true }
    };
    for (var k in extra) a[k] = extra[k];
    return a;
  }

  // --- common option parts --------------------------------------------------

  function base(spec, style) {
    var o = {
      useUTC: true,
      // A report is read, not watched: every chart appears drawn at once.
      animation: false,
      color: style.palette,
      title: { text: spec.title || '', subtext: spec.subtitle || '', left: 8, top: 4 },
      toolbox: { right: 8, top: 4, feature: { saveAsImage: { title: 'save as image' } } },
      grid: { left: 70, right: 40, top: spec.subtitle ? 80 : 64, bottom: 52 }
    };
    return o;
  }

  // seriesColor is the colour of series i: pairwise distinct, but for a
  // tail (from style.others_from on) drawn in one grey.
  function seriesColor(style, i) {
    return (style.colors || [])[i] || style.palette[i % style.palette.length];
  }

  // legendName is the name of series i in the legend: its own, or the one
  // name of the tail drawn in one colour ("others (3)"). Tooltips name the
  // series itself (realName).
  function legendName(spec, style, i) {
    return style.others && i >= style.others_from ? style.others : spec.series[i].name;
  }

  function realName(spec, p) {
    var s = spec.series[p.seriesIndex];
    return s ? s.name : p.seriesName;
  }

  function legend(o, spec, style) {
    var n = (spec.series || []).length;
    if (n < 2) return;
    var names = [];
    for (var i = 0; i < n; i++) {
      var name = legendName(spec, style, i);
      if (names.indexOf(name) < 0) names.push(name);
    }
    o.legend = { type: 'scroll', top: spec.subtitle ? 50 : 32, left: 8, right: 80, data: names };
  }

  function zoomX(o) {
    o.dataZoom = [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 18, bottom: 6 }
    ];
    o.grid.bottom = 76;
  }

  // minBand is the narrowest band drawn, in pixels: a burst of a few
  // milliseconds on an axis of minutes still shows.
  var minBand = 3;

  // bandsSeries draws the bands of a chart behind its series, each at
  // least minBand pixels wide, with their labels above the plot, where
  // they cover no data; a label that would overlap another is left out.
  // It comes after the chart's own series, so that series indexes stay
  // those of the spec.
  function bandsSeries(spec, style) {
    var bands = spec.bands || [];
    if (!bands.length) return null;
    var x = spec.x || {};
    return {
      type: 'custom',
      name: '',
      silent: true,
      z: 1,
      clip: false,
      tooltip: { show: false },
      encode: { x: [0, 1] },
      data: bands.map(function (b) { return [toAxis(x, b.start), toAxis(x, b.end)]; }),
      labelLayout: { hideOverlap: true },
      renderItem: function (params, api) {
        var cs = params.coordSys;
        var x0 = api.coord([api.value(0), 1])[0], x1 = api.coord([api.value(1), 1])[0];
        var left = cs.x, right = cs.x + cs.width;
        if (!(x1 >= left && x0 <= right)) return null;
        if (x1 - x0 < minBand) {
          var mid = (x0 + x1) / 2;
          x0 = mid - minBand / 2;
          x1 = mid + minBand / 2;
        }
        x0 = Math.max(x0, left);
        x1 = Math.min(x1, right);
        if (x1 - x0 < minBand) {
          if (x0 === left) x1 = x0 + minBand; else x0 = x1 - minBand;
        }
        var el = {
          type: 'rect',
          shape: { x: x0, y: cs.y, width: x1 - x0, height: cs.height },
          style: { fill: style.band }
        };
        var label = bands[params.dataIndex].label;
        if (label) {
          el.textContent = { style: { text: String(label), fill: '#555', fontSize: 11 } };
          el.textConfig = { position: 'top', distance: 4 };
        }
        return el;
      }
    };
  }

  // stemsSeries draws a series of events (packets) as stems: a thin line
  // from the baseline (zero, or the bottom of a log axis) up to a marker
  // at each point. No line joins two points.
  function stemsSeries(spec, data, color, logY) {
    return {
      type: 'custom',
      clip: true,
      encode: { x: 0, y: 1 },
      itemStyle: { color: color },
      data: data,
      renderItem: function (params, api) {
        var cs = params.coordSys;
        var top = api.coord([api.value(0), api.value(1)]);
        var bottom = cs.y + cs.height;
        var zero = logY ? bottom : Math.min(Math.max(api.coord([api.value(0), 0])[1], cs.y), bottom);
        return {
          type: 'group',
          children: [
            { type: 'line', silent: true, shape: { x1: top[0], y1: zero, x2: top[0], y2: top[1] }, style: { stroke: color, lineWidth: 1, opacity: 0.75 } },
            { type: 'circle', shape: { cx: top[0], cy: top[1], r: 2.5 }, style: { fill: color } }
          ]
        };
      }
    };
  }

  function pointsData(spec, s) {
    var x = spec.x || {}, y = spec.y || {};
    var out = [];
    (s.points || []).forEach(function (p) {
      if (drop(x, p[0]) || drop(y, p[1])) return;
      out.push([toAxis(x, p[0]), toAxis(y, p[1])]);
    });
    return out;
  }

  function tipPoints(spec) {
    var x = spec.x || {}, y = spec.y || {};
    return function (params) {
      var ps = (Array.isArray(params) ? params : [params]).filter(function (p) { return p.seriesIndex < spec.series.length; });
      if (!ps.length) return '';
      var html = esc(fmt(fromAxis(x, ps[0].value[0]), x.unit));
      ps.forEach(function (p) {
        html += '<br>' + marker(p.color) + esc(realName(spec, p)) + ': ' + esc(fmt(fromAxis(y, p.value[1]), y.unit));
      });
      return html;
    };
  }

  // --- kinds --------------------------------------------------------------

  function hbar(spec, style) {
    var o = base(spec, style);
    var x = spec.x || {}, cats = spec.categories || [];
    legend(o, spec, style);
    o.grid.left = 16;
    o.xAxis = numericAxis(x, 'x');
    o.xAxis.scale = false;
    o.yAxis = categoryAxis(spec.y || {}, cats, { inverse: true, nameLocation: 'start' });
    o.series = spec.series.map(function (s, i) {
      return {
        type: 'bar',
        name: legendName(spec, style, i),
        itemStyle: { color: seriesColor(style, i) },
        data: (s.values || []).map(function (v) { return drop(x, v) ? '-' : v; })
      };
    });
    o.tooltip = {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: function (params) {
        var ps = Array.isArray(params) ? params : [params];
        if (!ps.length) return '';
        var html = esc(cats[ps[0].dataIndex]);
        ps.forEach(function (p) {
          html += '<br>' + marker(p.color) + esc(realName(spec, p)) + ': ' + esc(fmt(p.value, x.unit));
        });
        return html;
      }
    };
    if (cats.length > 30) {
      o.dataZoom = [
        { type: 'slider', yAxisIndex: 0, startValue: 0, endValue: 29, width: 16, right: 8, filterMode: 'empty' },
        { type: 'inside', yAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true }
      ];
      o.grid.right = 40;
    }
    return o;
  }

  function xy(spec, style, kind) {
    var o = base(spec, style);
    legend(o, spec, style);
    var y = spec.y || {};
    if (kind === 'stacked_area') {
      // Stacks start at zero: their y axis is linear.
      y = { title: y.title, unit: y.unit };
      spec = Object.assign({}, spec, { y: y });
    }
    o.xAxis = numericAxis(spec.x || {}, 'x', oneDay(spec));
    o.yAxis = numericAxis(y, 'y');
    var logY = o.yAxis.type === 'log';
    o.series = spec.series.map(function (s, i) {
      var data = pointsData(spec, s);
      var color = seriesColor(style, i);
      var ser;
      if (kind === 'stems') {
        ser = stemsSeries(spec, data, color, logY);
      } else if (kind === 'scatter') {
        ser = { type: 'scatter', symbolSize: 4, large: data.length > 2000, data: data };
      } else {
        ser = { type: 'line', showSymbol: data.length <= 60, symbolSize: 4, lineStyle: { width: 1.5 }, data: data };
        if (kind === 'stacked_area') {
          ser.stack = 'total';
          ser.areaStyle = { opacity: 0.85 };
          ser.lineStyle = { width: 0.5 };
        }
        if (kind === 'ecdf') ser.step = 'end';
      }
      ser.name = legendName(spec, style, i);
      ser.itemStyle = { color: color };
      if (ser.lineStyle) ser.lineStyle.color = color;
      if (ser.areaStyle) ser.areaStyle.color = color;
      return ser;
    });
    var bands = bandsSeries(spec, style);
    if (bands) {
      o.series.push(bands);
      // A lane above the plot for the bands' labels.
      if ((spec.bands || []).some(function (b) { return b.label; })) o.grid.top += 16;
    }
    if (kind === 'ecdf') {
      o.yAxis.min = 0;
      o.yAxis.max = 1;
      o.yAxis.scale = false;
    }
    // Stacks and stems stand on zero.
    if (kind === 'stacked_area' || (kind === 'stems' && !logY)) o.yAxis.scale = false;
    o.tooltip = kind === 'scatter' || kind === 'stems'
      ? { trigger: 'item', formatter: tipPoints(spec) }
      : { trigger: 'axis', formatter: tipPoints(spec) };
    if (kind !== 'ecdf') zoomX(o);
    return o;
  }

  // jitter spreads the j-th dot of a row over [-0.3, 0.3] of its height,
  // the same way on every drawing.
  function jitter(j) {
    var h = Math.imul(j + 1, 2654435761) >>> 0;
    return ((h % 1000) / 1000 - 0.5) * 0.6;
  }

  function strip(spec, style) {
    var o = base(spec, style);
    var x = spec.x || {};
    var names = spec.series.map(function (s) { return s.name; });
    o.grid.left = 16;
    o.xAxis = numericAxis(x, 'x');
    o.xAxis.axisLine = { onZero: false };
    // Rows sit at 0 .. n-1; ticks run from -1 to n so that each row gets one.
    o.yAxis = {
      type: 'value',
      name: (spec.y || {}).title || '',
      nameLocation: 'start',
      inverse: true,
      min: -1,
      max: names.length,
      interval: 1,
      axisTick: { show: false },
      splitLine: { show: false },
      axisLabel: {
        width: 220,
        overflow: 'truncate',
        formatter: function (v) {
          var i = Math.round(v);
          return Math.abs(v - i) < 1e-6 && i >= 0 && i < names.length ? names[i] : '';
        }
      }
    };
    o.series = spec.series.map(function (s, i) {
      var data = [];
      (s.values || []).forEach(function (v, j) {
        if (!drop(x, v)) data.push([v, i + jitter(j)]);
      });
      return { type: 'scatter', name: s.name, symbolSize: 5, itemStyle: { color: seriesColor(style, i), opacity: 0.7 }, data: data, large: data.length > 2000 };
    });
    o.tooltip = {
      trigger: 'item',
      formatter: function (p) {
        return marker(p.color) + esc(p.seriesName) + ': ' + esc(fmt(p.value[0], x.unit));
      }
    };
    return o;
  }

  function heatmap(spec, style) {
    var o = base(spec, style);
    var h = spec.heatmap || { columns: [], rows: [], cells: [] };
    var val = h.value || {};
    var cols = h.columns || [], rows = h.rows || [];
    var tf = function (v) { return v; }, inv = function (v) { return v; };
    if (val.log) {
      tf = function (v) { return Math.log10(v); };
      inv = function (v) { return Math.pow(10, v); };
    }
    var data = [], lo = Infinity, hi = -Infinity;
    (h.cells || []).forEach(function (c) {
      if (val.log && !(c.value > 0)) return;
      var t = tf(c.value);
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
      data.push([c.col, c.row, t, c.value]);
    });
    if (!data.length) { lo = 0; hi = 1; }
    if (lo === hi) { hi = lo + 1; }
    o.grid.left = 16;
    o.grid.right = 110;
    o.xAxis = categoryAxis(spec.x || {}, cols, {
      nameLocation: 'middle', nameGap: 28, splitArea: { show: true },
      axisLabel: { width: 140, overflow: 'truncate', rotate: cols.length > 8 ? 40 : 0, interval: 0 }
    });
    o.yAxis = categoryAxis(spec.y || {}, rows, { inverse: true, nameLocation: 'start', splitArea: { show: true } });
    o.visualMap = {
      type: 'continuous',
      min: lo,
      max: hi,
      dimension: 2,
      calculable: true,
      orient: 'vertical',
      right: 8,
      top: 'middle',
      text: [val.title || '', ''],
      inRange: { color: style.ramp },
      formatter: function (v) { return fmt(inv(v), val.unit); }
    };
    o.series = [{
      type: 'heatmap',
      name: val.title || '',
      data: data,
      emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } }
    }];
    o.tooltip = {
      trigger: 'item',
      formatter: function (p) {
        var d = p.data;
        return esc(rows[d[1]]) + '<br>' + esc(cols[d[0]]) + ': ' + esc(fmt(d[3], val.unit));
      }
    };
    return o;
  }

  // graph draws a force-directed graph; inst, the chart it is drawn in
  // (when known), keeps labels from running off its right edge.
  function graph(spec, style, inst) {
    var o = base(spec, style);
    var g = spec.graph || { nodes: [], edges: [] };
    var nodes = g.nodes || [], edges = g.edges || [];
    var index = {};
    nodes.forEach(function (n, i) { index['k' + n.id] = i; });
    var maxV = 0, maxW = 0;
    nodes.forEach(function (n) { maxV = Math.max(maxV, n.value || 0); });
    edges.forEach(function (e) { maxW = Math.max(maxW, e.weight || 0); });
    // Label every node of a small graph, only the largest of a big one.
    var labelled = {};
    nodes.map(function (n, i) { return [n.value || 0, i]; })
      .sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; })
      .slice(0, nodes.length <= 60 ? nodes.length : 30)
      .forEach(function (vi) { labelled[vi[1]] = true; });
    var data = nodes.map(function (n, i) {
      return {
        id: String(i),
        name: n.label || n.id,
        value: n.value || 0,
        symbolSize: 8 + 30 * Math.sqrt(maxV > 0 ? (n.value || 0) / maxV : 0),
        label: { show: !!labelled[i] },
        itemStyle: { color: style.palette[0] }
      };
    });
    var links = [];
    edges.forEach(function (e) {
      var s = index['k' + e.source], t = index['k' + e.target];
      if (s === undefined || t === undefined) return;
      links.push({
        source: s,
        target: t,
        value: e.weight || 0,
        nlLabel: e.label || '',
        lineStyle: { width: 0.5 + 7.5 * Math.sqrt(maxW > 0 ? (e.weight || 0) / maxW : 0) }
      });
    });
    o.series = [{
      type: 'graph',
      layout: 'force',
      roam: true,
      draggable: true,
      data: data,
      links: links,
      edgeSymbol: ['none', 'arrow'],
      edgeSymbolSize: 8,
      autoCurveness: true,
      label: { position: 'right', fontSize: 11 },
      // Labels that would overlap others are left out; one that would run
      // off the right edge goes left of its node.
      labelLayout: function (p) {
        var out = { hideOverlap: true };
        var width = inst ? inst.getWidth() : Infinity;
        if (p.labelRect.x + p.labelRect.width > width - 4) {
          out.x = p.rect.x - 3;
          out.align = 'right';
        }
        return out;
      },
      lineStyle: { color: '#888', opacity: 0.7 },
      edgeLabel: { show: false, fontSize: 10, formatter: function (p) { return p.data.nlLabel; } },
      emphasis: { focus: 'adjacency', label: { show: true }, edgeLabel: { show: true } },
      force: {
        repulsion: nodes.length > 200 ? 80 : 400,
        edgeLength: [90, 220],
        gravity: 0.06,
        // Laid out before it is drawn, so that labels are placed (and
        // those that would overlap left out) where the nodes stay.
        layoutAnimation: false
      }
    }];
    o.tooltip = {
      trigger: 'item',
      formatter: function (p) {
        if (p.dataType === 'edge') {
          var src = nodes[p.data.source], dst = nodes[p.data.target];
          var html = esc(src.label || src.id) + ' \u2192 ' + esc(dst.label || dst.id) + '<br>weight: ' + esc(fmt(p.data.value, ''));
          if (p.data.nlLabel) html += '<br>' + esc(p.data.nlLabel);
          return html;
        }
        var n = nodes[Number(p.data.id)];
        var t = esc(n.label || n.id);
        if (n.tooltip) t += '<br>' + escLines(n.tooltip);
        return t + '<br>value: ' + esc(fmt(n.value || 0, ''));
      }
    };
    return o;
  }

  // empty draws a chart without data: its title, and in the middle the
  // message that says why there is nothing to draw, as canvas text.
  function empty(spec, style) {
    var o = base(spec, style);
    delete o.toolbox;
    o.series = [];
    o.graphic = [{
      type: 'text',
      left: 'center',
      top: 'middle',
      silent: true,
      style: { text: String(spec.empty), fill: '#666', fontSize: 14 }
    }];
    return o;
  }

  // option turns one spec into the ECharts option that draws it in the
  // chart inst (optional: it lets labels keep inside its edges).
  function option(spec, style, inst) {
    if (spec.empty) return empty(spec, style);
    switch (spec.kind) {
      case 'hbar': return hbar(spec, style);
      case 'lines': case 'scatter': case 'stems': case 'stacked_area': case 'ecdf': return xy(spec, style, spec.kind);
      case 'strip': return strip(spec, style);
      case 'heatmap': return heatmap(spec, style);
      case 'graph': return graph(spec, style, inst);
      default: throw new Error('unknown chart kind ' + JSON.stringify(spec.kind));
    }
  }

  // --- drawing ------------------------------------------------------------

  function drawOne(el) {
    var box = el.previousElementSibling;
    var id = box ? box.getAttribute('data-chart-id') : null;
    try {
      if (!box || !box.classList.contains('netlens-chart')) throw new Error('chart container missing before its spec');
      if (typeof echarts === 'undefined') throw new Error('ECharts is not loaded');
      var env = JSON.parse(el.textContent);
      var chart = echarts.init(box, null, { renderer: 'canvas' });
      chart.setOption(option(env.chart, env.style, chart));
      instances.push(chart);
      state.ok++;
    } catch (e) {
      state.errors.push({ id: id, message: String((e && e.message) || e) });
    }
  }

  // Charts are drawn after the page has loaded, a few at a time, so the text
  // of a long report is readable at once and the browser stays responsive.
  var queue = [];
  var pumping = false;

  function pump() {
    var start = Date.now();
    while (queue.length && Date.now() - start < 40) drawOne(queue.shift());
    if (queue.length) {
      setTimeout(pump, 0);
    } else {
      pumping = false;
      state.done = true;
    }
  }

  function schedule() {
    if (pumping || !queue.length) return;
    pumping = true;
    state.done = false;
    if (typeof document === 'undefined' || document.readyState === 'complete' || typeof window.addEventListener !== 'function') {
      setTimeout(pump, 0);
    } else {
      window.addEventListener('load', function () { setTimeout(pump, 0); });
    }
  }

  // draw queues every chart of root (default: the document) not drawn yet.
  function draw(root) {
    var specs = (root || document).querySelectorAll('script[type="application/json"][data-netlens-chart]');
    for (var i = 0; i < specs.length; i++) {
      if (specs[i].hasAttribute('data-drawn')) continue;
      specs[i].setAttribute('data-drawn', '');
      queue.push(specs[i]);
    }
    schedule();
  }

  window.netlensDraw = draw;
  window.netlensOption = option;
  if (typeof window.addEventListener === 'function') {
    window.addEventListener('resize', function () {
      instances.forEach(function (c) { c.resize(); });
    });
  }
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function () { draw(); });
    } else {
      draw();
    }
  }
})();
