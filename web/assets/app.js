/*
 * netlens serve: the application. Plain JavaScript, no build step, nothing
 * fetched but this server's own API.
 *
 * Every string that comes from the server (names, labels, values, SQL
 * errors) is untrusted: it reaches the page only through textContent,
 * attribute values set with setAttribute on known-safe attributes, or chart
 * fragments that chart/html rendered with HTML-escaped JSON. Nothing here
 * builds HTML from strings.
 *
 * window.netlensApp = {views, busy, error} tells tests where the page is:
 * views counts the views rendered, busy is true while one loads.
 *
 * Long work shows its progress: requests for views ask for it
 * (progress=1) and read the server-sent events of the answer; leaving a
 * view aborts its requests, and the server stops their work.
 */
;(function () {
  'use strict';

  var app = window.netlensApp = { views: 0, busy: false, error: null };
  var main = document.getElementById('main');
  var catalogue = null; // the answer of /api/analyses, once fetched
  var PAGE = 100;

  // --- DOM ----------------------------------------------------------------

  // el builds an element: attrs are set as properties for className and
  // as attributes otherwise; children are nodes or text.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v == null || v === false) return;
        if (k === 'className') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }

  function append(e, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(e, x); }); return; }
    e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }

  // link is an in-application link: followed without reloading the page.
  function link(href, text, cls) {
    return el('a', { href: href, 'data-nav': true, className: cls }, text);
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  // --- HTTP ---------------------------------------------------------------

  // routeAbort aborts the requests of the view shown, when another is.
  var routeAbort = null;

  // readEvents reads an answer of server-sent events: onProgress gets
  // each progress event; the promise, the result event's {status, answer}.
  function readEvents(r, onProgress) {
    var reader = r.body.getReader();
    var dec = new TextDecoder();
    var buf = '';
    var result = null;
    function pump() {
      return reader.read().then(function (x) {
        if (x.done) {
          if (!result) throw new Error('the server ended its answer before the result');
          return result;
        }
        buf += dec.decode(x.value, { stream: true });
        var i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          var block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          var ev = 'message', data = '';
          block.split('\n').forEach(function (line) {
            if (line.indexOf('event: ') === 0) ev = line.slice(7);
            else if (line.indexOf('data: ') === 0) data += line.slice(6);
          });
          if (ev === 'progress' && onProgress) onProgress(JSON.parse(data));
          else if (ev === 'result') result = JSON.parse(data);
        }
        return pump();
      });
    }
    return pump();
  }

  // api fetches JSON from the server; errors carry the server's message.
  // opts.progress, a function, asks for progress events and gets them.
  function api(url, opts) {
    opts = opts || {};
    var init = { credentials: 'same-origin', signal: routeAbort ? routeAbort.signal : undefined };
    ['method', 'body', 'headers'].forEach(function (k) { if (opts[k]) init[k] = opts[k]; });
    if (opts.progress) url += (url.indexOf('?') >= 0 ? '&' : '?') + 'progress=1';
    return fetch(url, init).then(function (r) {
      var type = r.headers.get('Content-Type') || '';
      if (r.ok && type.indexOf('text/event-stream') === 0) {
        return readEvents(r, opts.progress).then(function (res) {
          if (res.status >= 400) {
            var err = new Error((res.answer && res.answer.error) || ('error ' + res.status));
            err.status = res.status;
            throw err;
          }
          return res.answer;
        });
      }
      var body = type.indexOf('application/json') === 0 ? r.json() : r.text();
      return body.then(function (b) {
        if (!r.ok) {
          var msg = (b && b.error) || (typeof b === 'string' ? b.trim() : '') || r.statusText;
          var err = new Error(msg);
          err.status = r.status;
          throw err;
        }
        return b;
      });
    });
  }

  // progressBox is the element that shows the progress events of work
  // under way: its step and the seconds it has taken. update(ev) shows an
  // event; done() takes the box away.
  function progressBox() {
    var step = el('span', { className: 'step' });
    var secs = el('span', { className: 'secs' });
    var box = el('div', { className: 'progress', id: 'progress', role: 'status', 'aria-live': 'polite' },
      el('span', { className: 'spinner', 'aria-hidden': 'true' }), step, ' · ', secs);
    box.hidden = true;
    return {
      el: box,
      update: function (ev) {
        box.hidden = false;
        step.textContent = ev.step;
        secs.textContent = ev.elapsed.toFixed(1) + ' s';
      },
      done: function () { box.remove(); }
    };
  }

  function getCatalogue() {
    if (catalogue) return Promise.resolve(catalogue);
    return api('/api/analyses').then(function (c) { catalogue = c; return c; });
  }

  // --- values -------------------------------------------------------------

  var ipv4 = /^(\d{1,3}\.){3}\d{1,3}$/;
  var ipv6 = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/;

  // addressOf returns the address a cell shows ("192.0.2.1" or
  // "192.0.2.1 (name)"), or null.
  function addressOf(v) {
    if (typeof v !== 'string') return null;
    var a = v;
    var i = v.indexOf(' (');
    if (i > 0 && v.charAt(v.length - 1) === ')') a = v.slice(0, i);
    if (ipv4.test(a) || (ipv6.test(a) && a.indexOf('::') >= 0 || (ipv6.test(a) && a.split(':').length >= 3))) return a;
    return null;
  }

  // formatShare writes a share (1 is all of it) as a percentage, as the
  // report and the command line do (output.FormatShare).
  function formatShare(f) {
    if (isNaN(f)) return 'NaN';
    if (f === Infinity) return 'Inf';
    if (f === -Infinity) return '-Inf';
    if (f === 0) return '0 %';
    var p = f * 100, a = Math.abs(p), d = 2;
    if (a < 1) d = Math.max(d, 1 - Math.floor(Math.log10(a)));
    if (d > 12) return p.toPrecision(2) + ' %';
    var s = p.toFixed(d);
    function misleading(s) {
      if (s.replace('.', '').replace(/^[-0]+/, '') === '') return true;
      return p !== 100 && /^100\.0*$/.test(s);
    }
    while (d < 12 && misleading(s)) { d++; s = p.toFixed(d); }
    return s + ' %';
  }

  function cell(v, type, unit) {
    if (v === null || v === undefined) return el('td', { className: 'null' }, 'NULL');
    if (unit === 'share' && typeof v === 'number') return el('td', { className: 'num', title: String(v), 'data-unit': 'share' }, formatShare(v));
    var addr = addressOf(v);
    if (addr) return el('td', null, link('/host/' + encodeURIComponent(addr), v, 'addr'));
    var numeric = typeof v === 'number' || /INT|DOUBLE|FLOAT|DECIMAL|HUGEINT|REAL/i.test(type || '');
    return el('td', { className: numeric ? 'num' : null }, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }

  // --- tables, paged and sorted on the server -----------------------------

  // pagedTable shows the table that load({offset, limit, sort, desc})
  // returns a page of, PAGE rows at a time.
  function pagedTable(load, title) {
    var box = el('div', { className: 'paged' });
    var state = { offset: 0, sort: '', desc: false };
    var seq = 0;
    function show() {
      var mine = ++seq;
      box.setAttribute('data-loading', '');
      load({ offset: state.offset, limit: PAGE, sort: state.sort, desc: state.desc }).then(function (p) {
        if (mine !== seq) return;
        box.removeAttribute('data-loading');
        clear(box);
        var from = p.total ? p.offset + 1 : 0;
        var to = p.offset + p.rows.length;
        var pager = el('div', { className: 'pager' },
          el('button', { type: 'button', 'data-page': 'first', disabled: p.offset === 0, onclick: function () { state.offset = 0; show(); } }, '«'),
          el('button', { type: 'button', 'data-page': 'prev', disabled: p.offset === 0, onclick: function () { state.offset = Math.max(0, state.offset - PAGE); show(); } }, '‹ previous'),
          el('span', { className: 'range' }, 'rows ' + from + '–' + to + ' of ' + p.total + (p.truncated ? ' (cut at the row cap)' : '')),
          el('button', { type: 'button', 'data-page': 'next', disabled: to >= p.total, onclick: function () { state.offset += PAGE; show(); } }, 'next ›'),
          el('button', { type: 'button', 'data-page': 'last', disabled: to >= p.total, onclick: function () { state.offset = Math.max(0, Math.floor((p.total - 1) / PAGE) * PAGE); show(); } }, '»'));
        var head = el('tr', null, p.columns.map(function (c) {
          var mark = state.sort === c ? (state.desc ? ' ▼' : ' ▲') : '';
          return el('th', null, el('button', {
            type: 'button', title: 'sort by ' + c, 'data-sort': c,
            onclick: function () {
              if (state.sort === c) state.desc = !state.desc; else { state.sort = c; state.desc = false; }
              state.offset = 0;
              show();
            }
          }, c + mark));
        }));
        var body = el('tbody', null, p.rows.map(function (r) {
          return el('tr', null, r.map(function (v, i) { return cell(v, p.types[i], p.units && p.units[i]); }));
        }));
        append(box, [pager, el('div', { className: 'table-wrap' }, el('table', { className: 'data', 'data-table': title || '' }, el('thead', null, head), body))]);
      }).catch(function (e) {
        if (mine !== seq) return;
        box.removeAttribute('data-loading');
        clear(box);
        append(box, el('p', { className: 'error' }, e.message));
      });
    }
    show();
    return box;
  }

  // --- charts -------------------------------------------------------------

  // showCharts inserts the chart fragments chart/html rendered (the spec is
  // HTML-escaped JSON, inert) and asks the chart runtime to draw them.
  function disposeCharts(root) {
    if (typeof echarts === 'undefined') return;
    root.querySelectorAll('.netlens-chart').forEach(function (box) {
      var inst = echarts.getInstanceByDom(box);
      if (inst) inst.dispose();
    });
  }

  function chartBlock(c, downloads) {
    var fig = el('div', { className: 'figure', 'data-figure': c.id });
    var holder = el('div');
    holder.innerHTML = c.html; // rendered by chart/html: escaped markup, no live script
    holder.querySelectorAll('script:not([type="application/json"])').forEach(function (s) { s.remove(); });
    append(fig, holder);
    if (downloads) append(fig, el('div', { className: 'downloads' }, 'figure: ', downloads));
    return fig;
  }

  function drawCharts(root) {
    if (window.netlensDraw) window.netlensDraw(root);
    // Graph nodes and bar categories that are addresses lead to their host page.
    var tries = 0;
    (function hook() {
      var st = window.netlensCharts;
      if (st && !st.done && tries++ < 200) { setTimeout(hook, 50); return; }
      root.querySelectorAll('.netlens-chart').forEach(function (box) {
        if (typeof echarts === 'undefined' || box.hasAttribute('data-linked')) return;
        var inst = echarts.getInstanceByDom(box);
        if (!inst) return;
        box.setAttribute('data-linked', '');
        var spec = null;
        try { spec = JSON.parse(box.nextElementSibling.textContent).chart; } catch (e) { return; }
        inst.on('click', function (p) {
          var a = null;
          if (spec.kind === 'graph' && p.dataType === 'node' && spec.graph) {
            var n = spec.graph.nodes[Number(p.data && p.data.id)];
            a = n && addressOf(n.id);
          } else if (typeof p.name === 'string') {
            a = addressOf(p.name);
          }
          if (a) navigate('/host/' + encodeURIComponent(a));
        });
      });
    })();
  }

  // --- navigation ---------------------------------------------------------

  function navigate(url, replace) {
    if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
    route();
  }

  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[data-nav]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  document.getElementById('goto-host').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var v = ev.target.elements.addr.value.trim();
    if (v) navigate('/host/' + encodeURIComponent(v));
  });

  var routeSeq = 0;

  function route() {
    var mine = ++routeSeq;
    if (routeAbort) routeAbort.abort();
    routeAbort = typeof AbortController === 'function' ? new AbortController() : null;
    disposeCharts(main);
    clear(main);
    app.busy = true;
    app.error = null;
    var path = location.pathname;
    var m;
    var p;
    if (path === '/') p = viewCatalogue();
    else if ((m = /^\/analysis\/([^/]+)$/.exec(path))) p = viewAnalysis(decodeURIComponent(m[1]));
    else if ((m = /^\/host\/([^/]+)$/.exec(path))) p = viewHost(decodeURIComponent(m[1]));
    else if (path === '/sql') p = viewSQL();
    else if (path === '/dataset') p = viewDataset();
    else p = Promise.reject(new Error('no page ' + path));
    Promise.resolve(p).catch(function (e) {
      if (mine !== routeSeq) return;
      app.error = e.message;
      append(main, el('p', { className: 'error' }, e.message));
    }).then(function () {
      if (mine !== routeSeq) return;
      app.busy = false;
      app.views++;
    });
  }

  // --- the dataset over time ---------------------------------------------

  var timelineData = null;

  function getTimeline() {
    if (timelineData) return Promise.resolve(timelineData);
    return api('/api/timeline?bins=120').then(function (t) { timelineData = t; return t; });
  }

  var SVG = 'http://www.w3.org/2000/svg';

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  // rangeMs reads the time range of from and to as the analyses do: a
  // date (to: the whole day) or an RFC 3339 time; null when unset or bad.
  function rangeMs(from, to) {
    function ms(s, end) {
      if (!s) return null;
      var day = /^\d{4}-\d{2}-\d{2}$/.test(s);
      var t = Date.parse(day ? s + 'T00:00:00Z' : s);
      if (isNaN(t)) return null;
      return day && end ? t + 86400000 : t;
    }
    return { from: ms(from, false), to: ms(to, true) };
  }

  // withRange adds the time range (from, to) to the parameters q.
  function withRange(q, range) {
    var out = Object.assign({}, q);
    delete out.from;
    delete out.to;
    if (range.from) out.from = range.from;
    if (range.to) out.to = range.to;
    return out;
  }

  // timelineBlock shows the histogram of the dataset over time, with the
  // range {from, to} (texts as in the address, may be empty) marked;
  // dragging across it brushes a range, which onBrush(range) gets as
  // RFC 3339 times ({} to clear it). note is shown under it.
  function timelineBlock(range, onBrush, note) {
    var box = el('div', { className: 'timeline', id: 'timeline', 'data-loading': '' });
    getTimeline().then(function (tl) {
      box.removeAttribute('data-loading');
      if (!tl.total) { box.remove(); return; }
      var W = 1000, H = 70;
      var most = Math.max.apply(null, tl.counts.concat([1]));
      var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', id: 'timeline-svg' });
      var bw = W / tl.counts.length;
      tl.counts.forEach(function (n, i) {
        if (!n) return;
        var h = Math.max(1.5, n / most * (H - 2));
        svg.appendChild(svgEl('rect', { x: i * bw, y: H - h, width: Math.max(bw - 0.6, 0.4), height: h, 'class': 'bar' }));
      });
      var sel = svgEl('rect', { x: 0, y: 0, width: 0, height: H, 'class': 'brush' });
      svg.appendChild(sel);
      var span = tl.to_ms - tl.from_ms;
      function show(a, b) {
        var x0 = Math.max(0, Math.min(a, b)), x1 = Math.min(W, Math.max(a, b));
        sel.setAttribute('x', x0);
        sel.setAttribute('width', Math.max(0, x1 - x0));
      }
      var r = rangeMs(range.from, range.to);
      if (r.from != null || r.to != null) {
        show(r.from == null ? 0 : (r.from - tl.from_ms) / span * W, r.to == null ? W : (r.to - tl.from_ms) / span * W);
      }
      function xOf(ev) {
        var b = svg.getBoundingClientRect();
        return Math.max(0, Math.min(W, (ev.clientX - b.left) / b.width * W));
      }
      var start = null;
      svg.addEventListener('pointerdown', function (ev) {
        start = xOf(ev);
        try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* a synthetic pointer */ }
        show(start, start);
        ev.preventDefault();
      });
      svg.addEventListener('pointermove', function (ev) { if (start != null) show(start, xOf(ev)); });
      svg.addEventListener('pointerup', function (ev) {
        if (start == null) return;
        var a = start, b = xOf(ev);
        start = null;
        if (Math.abs(b - a) < 2) return; // a click, not a drag
        var lo = Math.floor(tl.from_ms + Math.min(a, b) / W * span);
        var hi = Math.ceil(tl.from_ms + Math.max(a, b) / W * span);
        onBrush({ from: new Date(lo).toISOString(), to: new Date(hi).toISOString() });
      });
      var chosen = range.from || range.to;
      append(box, el('div', { className: 'timeline-head' },
        el('span', null, 'The dataset over time: ' + tl.total + ' ' + (tl.table === 'flows' ? 'flows by their start' : 'packets') + ', ' +
          tl.from.replace('T', ' ') + ' to ' + tl.to.replace('T', ' ') + '. Drag across it to choose a time range.'),
        chosen ? el('span', { id: 'timeline-range' }, ' Time range: ' + (range.from || 'the start') + ' to ' + (range.to || 'the end') + ' ') : null,
        chosen ? el('button', { type: 'button', id: 'timeline-clear', onclick: function () { onBrush({}); } }, 'whole dataset') : null));
      append(box, svg);
      if (note) append(box, note);
    }, function (e) {
      box.removeAttribute('data-loading');
      clear(box);
      append(box, el('p', { className: 'error' }, 'the dataset over time: ' + e.message));
    });
    return box;
  }

  // --- catalogue ----------------------------------------------------------

  function viewCatalogue() {
    document.title = 'netlens: analyses';
    var sp = new URLSearchParams(location.search);
    var range = { from: sp.get('from') || '', to: sp.get('to') || '' };
    return getCatalogue().then(function (cat) {
      append(main, el('h1', null, 'Analyses'));
      append(main, timelineBlock(range, function (r) { navigate('/' + query(withRange({}, r))); },
        range.from || range.to ? el('p', { className: 'muted' }, 'The analyses that take a time range (parameters from and to) open with it; the others say it does not apply.') : null));
      var groups = [];
      cat.forEach(function (a) { if (groups.indexOf(a.group) < 0) groups.push(a.group); });
      groups.forEach(function (g) {
        append(main, el('h2', null, g));
        append(main, el('div', { className: 'cards' }, cat.filter(function (a) { return a.group === g; }).map(function (a) {
          return el('div', { className: 'card' + (a.applies ? '' : ' na'), 'data-analysis': a.name },
            el('h3', null, link('/analysis/' + encodeURIComponent(a.name) + query(withRange({}, range)), a.title)),
            (range.from || range.to) && !a.time_range ? el('p', { className: 'muted range-na' }, 'Takes no time range: it covers the whole dataset.') : null,
            el('p', null, el('span', { className: 'tag' }, a.name), a.params.map(function (p) {
              return el('span', { className: 'tag', title: p.doc }, p.name + '=' + (p.default || '∅'));
            })),
            a.applies ? null : el('p', { className: 'muted' }, 'Does not apply: ' + a.reason),
            el('p', { className: 'doc' }, a.doc));
        })));
      });
    });
  }

  // --- analysis -----------------------------------------------------------

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) { q.append(k, params[k]); });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  function viewAnalysis(name) {
    var given = {};
    new URLSearchParams(location.search).forEach(function (v, k) { given[k] = v; });
    return getCatalogue().then(function (cat) {
      var a = cat.filter(function (x) { return x.name === name; })[0];
      if (!a) throw new Error('no analysis ' + JSON.stringify(name) + ' in this version of netlens');
      document.title = 'netlens: ' + a.title;
      append(main, el('p', { className: 'muted' }, link('/' + query(withRange({}, { from: given.from, to: given.to })), 'Analyses'), ' / ' + a.group));
      append(main, el('h1', null, a.title));
      append(main, el('p', { className: 'doc' }, a.doc));
      if (!a.applies) append(main, el('div', { className: 'box warn' }, 'This analysis does not apply to this dataset: ' + a.reason + '.'));

      var form = el('form', { className: 'params', id: 'params', novalidate: true });
      var fields = {};
      a.params.forEach(function (p) {
        var id = 'param-' + p.name;
        var input;
        var val = Object.prototype.hasOwnProperty.call(given, p.name) ? given[p.name] : p.default;
        if (p.choices && p.choices.length) {
          input = el('select', { id: id, name: p.name }, p.choices.map(function (c) { return el('option', { value: c }, c); }));
          input.value = val;
        } else if (p.kind === 'bool') {
          input = el('select', { id: id, name: p.name }, el('option', { value: 'true' }, 'true'), el('option', { value: 'false' }, 'false'));
          input.value = val === 'true' ? 'true' : 'false';
        } else {
          input = el('input', { id: id, name: p.name, type: 'text', placeholder: p.default ? p.default : '(unset)', spellcheck: 'false', autocomplete: 'off' });
          input.value = val;
        }
        var hint = p.kind + (p.default ? ', default ' + p.default : ', unset by default') + (p.min != null ? ', at least ' + p.min : '');
        var err = el('div', { className: 'param-error', id: id + '-error', role: 'alert' });
        var field = el('div', { className: 'field', 'data-param': p.name },
          el('label', { for: id }, p.name), input, el('div', { className: 'help' }, p.doc), el('div', { className: 'help' }, hint), err);
        fields[p.name] = { input: input, err: err, field: field, param: p };
        append(form, field);
      });
      var status = el('span', { className: 'running', id: 'run-status' });
      append(form, el('div', { className: 'actions' },
        el('button', { type: 'submit', className: 'primary', id: 'run' }, 'Run'),
        el('button', { type: 'button', id: 'reset', onclick: function () { navigate('/analysis/' + encodeURIComponent(name) + query(unknownOf())); } }, 'Defaults'),
        status));
      if (a.params.length) append(main, form); else append(main, el('p', { className: 'muted' }, 'This analysis takes no parameters.'));

      var known = {};
      a.params.forEach(function (p) { known[p.name] = true; });
      function unknownOf() {
        var u = {};
        Object.keys(given).forEach(function (k) { if (!known[k]) u[k] = given[k]; });
        return u;
      }
      var unknown = unknownOf();
      var range = { from: given.from || '', to: given.to || '' };
      var note = null;
      if (!a.time_range) {
        delete unknown.from;
        delete unknown.to;
        if (range.from || range.to) {
          note = el('div', { className: 'box warn', id: 'range-na' }, 'The time range of this link (from ' + (range.from || 'the start') + ' to ' +
            (range.to || 'the end') + ') does not apply to ' + a.name + ': it takes no from and to parameters, and covers the whole dataset.');
        }
      }
      append(main, timelineBlock(range, function (r) {
        navigate('/analysis/' + encodeURIComponent(name) + query(withRange(given, r)));
      }, note));
      if (Object.keys(unknown).length) {
        append(main, el('div', { className: 'box warn', id: 'unknown-params' },
          'This link sets parameters that this version of ' + a.name + ' does not know; they are kept in the address and not used: ',
          Object.keys(unknown).map(function (k, i) { return [i ? ', ' : '', el('code', null, k + '=' + unknown[k])]; })));
      }

      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var q = unknownOf();
        a.params.forEach(function (p) {
          var v = fields[p.name].input.value.trim();
          if (v !== p.default && v !== '') q[p.name] = v; // empty: the default
        });
        navigate('/analysis/' + encodeURIComponent(name) + query(q));
      });

      var results = el('div', { id: 'results' });
      append(main, results);
      var prog = progressBox();
      append(results, prog.el);
      status.textContent = 'running…';
      var settings = {};
      Object.keys(given).forEach(function (k) { if (known[k]) settings[k] = given[k]; });
      var qs = query(settings);
      return api('/api/view/' + encodeURIComponent(name) + query(given), { progress: prog.update }).then(function (v) {
        prog.done();
        status.textContent = v.invalid ? '' : 'done in ' + v.elapsed.toFixed(2) + ' s';
        if (v.invalid) {
          v.invalid.forEach(function (e) {
            var f = e.param && fields[e.param];
            if (f) {
              f.err.textContent = e.error;
              f.field.classList.add('invalid');
              f.input.setAttribute('aria-invalid', 'true');
            } else {
              append(results, el('p', { className: 'error' }, e.error));
            }
          });
          return;
        }
        if (v.error) {
          append(results, el('div', { className: 'box bad' }, 'This analysis failed: ' + v.error));
          return;
        }
        if (v.notes.length) append(results, el('ul', { className: 'notes' }, v.notes.map(function (n) { return el('li', null, n); })));
        var base = encodeURIComponent(name);
        v.charts.forEach(function (c) {
          append(results, chartBlock(c, ['png', 'svg', 'pdf'].map(function (f) {
            return el('a', { href: '/api/figure/' + base + '/' + encodeURIComponent(c.id) + '.' + f + qs, download: true }, f.toUpperCase());
          })));
        });
        drawCharts(results);
        v.tables.forEach(function (t) {
          var sep = qs ? '&' : '?';
          var tableURL = '/api/run/' + base + qs + sep + 'table=' + encodeURIComponent(t.name);
          append(results, el('div', { className: 'table-block', 'data-table-block': t.name },
            el('h2', null, t.title),
            el('div', { className: 'downloads' }, el('span', { className: 'tag' }, t.name), t.rows + ' rows · ',
              el('a', { href: tableURL + '&format=csv', download: t.name + '.csv' }, 'CSV'), ' · ',
              el('a', { href: tableURL + '&format=parquet', download: t.name + '.parquet' }, 'Parquet')),
            pagedTable(function (pq) {
              return api(tableURL + '&' + new URLSearchParams({ offset: pq.offset, limit: pq.limit, sort: pq.sort, desc: pq.desc }).toString());
            }, t.name)));
        });
        if (v.files.length) {
          append(results, el('p', null, 'files: ', v.files.map(function (f) {
            return el('a', { href: '/api/file/' + base + '/' + encodeURIComponent(f) + qs, download: f }, f);
          })));
        }
      }, function (e) { prog.done(); status.textContent = ''; throw e; });
    });
  }

  // --- host ---------------------------------------------------------------

  function facts(list, id) {
    return el('div', { className: 'facts', id: id }, (list || []).map(function (f) {
      return el('div', null, el('span', null, f.label), f.value);
    }));
  }

  function viewHost(addr) {
    document.title = 'netlens: ' + addr;
    var prog = progressBox();
    append(main, prog.el);
    return api('/api/host/' + encodeURIComponent(addr), { progress: prog.update }).then(function (h) {
      prog.done();
      append(main, el('p', { className: 'muted' }, 'Host'));
      append(main, el('h1', { id: 'host-label' }, h.label));
      append(main, facts(h.facts, 'host-facts'));
      if (h.labels.length) {
        append(main, el('h2', null, 'Labels'));
        append(main, facts(h.labels, 'host-labels'));
      }
      if (h.links.length) {
        append(main, el('p', null, 'Analyses of this address: ', h.links.map(function (l, i) {
          var q = {};
          q[l.param] = h.address;
          return [i ? ' · ' : '', link('/analysis/' + encodeURIComponent(l.analysis) + query(q), l.title + ' (' + l.param + ')')];
        })));
      }
      var charts = el('div');
      h.charts.forEach(function (c) { append(charts, chartBlock(c)); });
      append(main, charts);
      drawCharts(charts);
      h.tables.forEach(function (t) {
        append(main, el('div', { className: 'table-block', 'data-table-block': t.name },
          el('h2', null, t.title),
          el('div', { className: 'downloads' }, t.rows + ' rows'),
          pagedTable(function (pq) {
            return api('/api/host/' + encodeURIComponent(h.address) + '?' + new URLSearchParams({ table: t.name, offset: pq.offset, limit: pq.limit, sort: pq.sort, desc: pq.desc }).toString());
          }, t.name)));
      });
    });
  }

  // --- SQL console --------------------------------------------------------

  var HISTORY = 'netlens.sql.history';

  function history_() {
    try { return JSON.parse(localStorage.getItem(HISTORY) || '[]').filter(function (s) { return typeof s === 'string'; }); } catch (e) { return []; }
  }

  function remember(sql) {
    var h = history_().filter(function (s) { return s !== sql; });
    h.unshift(sql);
    try { localStorage.setItem(HISTORY, JSON.stringify(h.slice(0, 30))); } catch (e) { /* full or denied: no history */ }
  }

  function viewSQL() {
    document.title = 'netlens: SQL';
    var given = new URLSearchParams(location.search).get('q') || '';
    var schema = el('div', { className: 'schema', id: 'schema' }, el('p', { className: 'muted' }, 'Loading tables…'));
    var ta = el('textarea', { id: 'sql', spellcheck: 'false', 'aria-label': 'SQL' });
    ta.value = given || 'SELECT src, count(*) AS packets FROM packets GROUP BY src ORDER BY packets DESC';
    var out = el('div', { id: 'sql-result' });
    var hist = el('ul', { className: 'history', id: 'sql-history' });
    function showHistory() {
      clear(hist);
      history_().slice(0, 10).forEach(function (s) {
        append(hist, el('li', null, el('button', { type: 'button', onclick: function () { ta.value = s; } }, s)));
      });
    }
    function run() {
      var sql = ta.value.trim();
      if (!sql) return;
      remember(sql);
      showHistory();
      var url = '/sql?' + new URLSearchParams({ q: sql }).toString();
      if (location.pathname + location.search !== url) history.pushState(null, '', url);
      show(sql);
    }
    function show(sql) {
      clear(out);
      function download(format) {
        var b = el('button', { type: 'button', id: 'sql-' + format }, format === 'csv' ? 'CSV' : 'Parquet');
        b.addEventListener('click', function () {
          fetch('/api/query?format=' + format, { method: 'POST', body: sql, credentials: 'same-origin' }).then(function (r) {
            if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
            return r.blob();
          }).then(function (b) {
            var a = el('a', { href: URL.createObjectURL(b), download: 'query.' + format });
            document.body.appendChild(a);
            a.click();
            setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
          }).catch(function (e) { append(out, el('p', { className: 'error' }, e.message)); });
        });
        return b;
      }
      var csv = [download('csv'), download('parquet')];
      var info = el('span', { className: 'muted', id: 'sql-info' });
      append(out, el('div', { className: 'pager' }, csv, info));
      append(out, pagedTable(function (pq) {
        var started = Date.now();
        info.textContent = 'running…';
        return api('/api/query?' + new URLSearchParams({ format: 'json', offset: pq.offset, limit: pq.limit, sort: pq.sort, desc: pq.desc }).toString(),
          { method: 'POST', body: sql, headers: { 'Content-Type': 'text/plain' },
            progress: function (ev) { info.textContent = ev.step + ' · ' + ev.elapsed.toFixed(1) + ' s'; } }).then(function (p) {
          info.textContent = p.total + ' rows' + (p.truncated ? ' (at most ' + p.cap + ')' : '') + ' in ' + p.elapsed.toFixed(3) + ' s';
          return p;
        }, function (e) { info.textContent = ''; throw e; });
      }, 'query'));
    }
    ta.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
    });
    append(main, el('h1', null, 'SQL'));
    append(main, el('p', { className: 'muted' }, 'One statement that reads (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE), over the dataset only; Ctrl-Enter runs it.'));
    append(main, el('div', { className: 'sql-layout' }, schema, el('div', null,
      ta,
      el('div', { className: 'pager' }, el('button', { type: 'button', className: 'primary', id: 'sql-run', onclick: run }, 'Run')),
      out,
      el('h3', null, 'History (this browser)'), hist)));
    showHistory();
    if (given) show(given);
    return api('/api/schema').then(function (tables) {
      clear(schema);
      append(schema, el('h3', null, 'Tables'));
      tables.forEach(function (t) {
        append(schema, el('details', { 'data-schema-table': t.name },
          el('summary', null, t.name, el('span', { className: 'type' }, t.rows + ' rows')),
          el('ul', null, t.columns.map(function (c) {
            return el('li', null, el('button', { type: 'button', title: 'insert', onclick: function () {
              var s = ta.selectionStart, e = ta.selectionEnd;
              ta.value = ta.value.slice(0, s) + c.name + ta.value.slice(e);
              ta.focus();
            } }, c.name), el('span', { className: 'type' }, c.type));
          }))));
      });
    });
  }

  // --- dataset ------------------------------------------------------------

  function simpleTable(columns, rows, name) {
    return el('div', { className: 'table-wrap' }, el('table', { className: 'data', 'data-table': name },
      el('thead', null, el('tr', null, columns.map(function (c) { return el('th', null, c); }))),
      el('tbody', null, rows.map(function (r) { return el('tr', null, r.map(function (v) { return cell(v); })); }))));
  }

  function bytes(n) {
    if (n < 1000) return n + ' B';
    var u = ['kB', 'MB', 'GB', 'TB'], i = -1;
    do { n /= 1000; i++; } while (n >= 1000 && i < u.length - 1);
    return n.toFixed(n < 10 ? 2 : 1) + ' ' + u[i];
  }

  function viewDataset() {
    document.title = 'netlens: dataset';
    var prog = progressBox();
    append(main, prog.el);
    return api('/api/dataset', { progress: prog.update }).then(function (d) {
      prog.done();
      append(main, el('h1', null, 'Dataset'));
      append(main, facts([{ label: 'engine', value: d.engine }, { label: 'netlens', value: d.version || '' }].concat(
        d.manifest ? [{ label: 'written by', value: 'netlens ' + d.manifest.netlens_version }, { label: 'format', value: String(d.manifest.format_version) }] : [])));
      append(main, el('h2', null, 'Tables'));
      append(main, simpleTable(['table', 'rows'], Object.keys(d.rows).sort().map(function (t) { return [t, d.rows[t]]; }), 'rows'));
      append(main, el('h2', null, 'Inputs'));
      append(main, simpleTable(['name', 'path', 'size', 'sha256', 'frames', 'packets', 'first packet', 'last packet', 'error'],
        d.inputs.map(function (i) { return [i.name, i.path, bytes(i.size), i.sha256, i.frames, i.packets, i.first || null, i.last || null, i.error || null]; }), 'inputs'));
      var m = d.manifest;
      if (m && m.ingests && m.ingests.length) {
        append(main, el('h2', null, 'Ingests'));
        append(main, simpleTable(['id', 'started', 'finished', 'netlens', 'parameters', 'inputs'], m.ingests.map(function (g) {
          var ps = Object.keys(g.params || {}).sort().map(function (k) { return k + '=' + g.params[k]; }).join(' ');
          return [g.id, g.started, g.finished, g.netlens_version, ps, (g.inputs || []).length];
        }), 'ingests'));
      }
      if (m && m.labels && m.labels.length) {
        append(main, el('h2', null, 'Labels'));
        append(main, simpleTable(['kind', 'name', 'path', 'size', 'sha256', 'rows'], m.labels.map(function (l) {
          return [l.kind, l.name, l.path, bytes(l.size), l.sha256, l.rows];
        }), 'labels'));
      }
    });
  }

  route();
})();
