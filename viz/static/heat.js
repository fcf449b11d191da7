/* tracegrad's heat view: every edge and box coloured and thickened by the magnitude of its
 * gradient, on a log scale, with a legend, so that vanishing and exploding gradients show where
 * they happen.
 *
 * Magnitudes: |∂L/∂node| for a Value (read live from the explorer's nodes, so a what-if edit
 * recolours the graph), the L2 norm for a Tensor (computed in Python, viz/health.py). The scale
 * (decades lo to hi) and the colour ramp come from Python too, so that pages and the static
 * figures of viz.health.heat_graph use the same colours. An edge n{k}_in{i} carries what node k
 * sent back to input i, n{k}_out and box n{k} the gradient of node k. Zero: grey, dashed;
 * inf or nan: magenta.
 *
 * API: handle.view('heat' | 'plain'); state().view; tracegrad.view(v) acts on the first explorer.
 */
(function () {
  'use strict';
  var TG = window.tracegrad;
  if (!TG || !TG.plugin || TG.heat) { return; }
  var VIEWS = ['plain', 'heat'];

  function num(x) {
    if (typeof x === 'number') { return x; }
    if (x === 'inf') { return Infinity; }
    if (x === '-inf') { return -Infinity; }
    return x === null || x === undefined ? null : NaN;
  }

  function rgb(hex) {
    return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
  }

  function rampColor(ramp, t) {
    // the ramp's colour at t in [0, 1], interpolated in RGB (as viz/health.py's color)
    for (var i = 1; i < ramp.length; i++) {
      if (t <= ramp[i][0]) {
        var t0 = ramp[i - 1][0], t1 = ramp[i][0], f = t1 === t0 ? 0 : (t - t0) / (t1 - t0);
        var a = rgb(ramp[i - 1][1]), b = rgb(ramp[i][1]);
        return '#' + a.map(function (v, j) {
          var c = Math.round(v + f * (b[j] - v));
          return (c < 16 ? '0' : '') + c.toString(16);
        }).join('');
      }
    }
    return ramp[ramp.length - 1][1];
  }

  function Heat(ex) {
    this.ex = ex;
    this.cfg = ex.data.heat;
    this.view = 'plain';
    this.marked = [];
    if (!this.cfg) { return; }
    this.buildControls();
    this.setView(ex.data.view === 'heat' ? 'heat' : 'plain');
  }

  Heat.prototype.buildControls = function () {
    var ex = this.ex, self = this, bar = ex.root.querySelector('.tg-toolbar');
    var select = document.createElement('select');
    select.className = 'tg-view-select';
    select.title = 'how the graph is coloured';
    VIEWS.forEach(function (v) {
      var o = document.createElement('option');
      o.value = v;
      o.textContent = v === 'heat' ? 'view: gradient heat' : 'view: plain';
      select.appendChild(o);
    });
    if (!ex.data.hasGrad) { select.options[1].disabled = true; }
    select.addEventListener('change', function () { self.setView(select.value); });
    var sep = bar && bar.querySelector('.tg-sep');
    if (bar) { bar.insertBefore(select, sep || null); }
    this.select = select;
    this.legend = this.buildLegend();
    ex.view.appendChild(this.legend);
  };

  Heat.prototype.buildLegend = function () {
    var cfg = this.cfg, box = document.createElement('div');
    box.className = 'tg-heat-legend';
    var stops = cfg.ramp.map(function (s) { return s[1] + ' ' + (100 * s[0]) + '%'; }).join(', ');
    var title = document.createElement('div');
    title.textContent = '|gradient|' + (this.ex.data.tensor ? ' (Tensors: norm)' : '') +
      ', log scale: thicker and redder is larger';
    box.appendChild(title);
    var bar = document.createElement('div');
    bar.className = 'tg-heat-bar';
    bar.style.background = 'linear-gradient(to right, ' + stops + ')';
    box.appendChild(bar);
    var ticks = document.createElement('div');
    ticks.className = 'tg-heat-ticks';
    var span = cfg.hi - cfg.lo, step = Math.max(1, Math.ceil(span / 6));
    for (var e = cfg.lo; e <= cfg.hi; e += step) {
      var t = document.createElement('span');
      t.textContent = '1e' + e;
      t.style.left = (100 * (e - cfg.lo) / span) + '%';
      ticks.appendChild(t);
    }
    box.appendChild(ticks);
    var keys = document.createElement('div');
    keys.className = 'tg-heat-keys';
    keys.innerHTML = '<span class="tg-heat-key" style="border-top: 2px dashed ' + cfg.zero +
      '"></span> 0 (no gradient flows) <span class="tg-heat-key" style="border-top: 4px solid ' +
      cfg.bad + '"></span> inf or nan';
    box.appendChild(keys);
    return box;
  };

  Heat.prototype.magnitudes = function () {
    // {nodes: [|g| or null], ins: [[|sent| or null]]}: live from the nodes for a Value graph
    var ex = this.ex, cfg = this.cfg;
    if (ex.data.tensor) {
      return { nodes: cfg.nodes.map(num), ins: cfg.ins.map(function (r) { return r.map(num); }) };
    }
    var nodes = [], ins = [];
    for (var k = 0; k < ex.nodes.length; k++) {
      var nd = ex.nodes[k];
      nodes.push(!nd.const && nd.grad && nd.grad.length ? Math.abs(num(nd.gradNum)) : null);
      ins.push(nd.parents.map(function (p, i) {
        if (ex.nodes[p].const || !nd.sent || nd.sent[i] === null || nd.sent[i] === undefined) { return null; }
        return Math.abs(num(nd.sent[i]));
      }));
    }
    return { nodes: nodes, ins: ins };
  };

  Heat.prototype.position = function (m) {
    var cfg = this.cfg;
    return Math.min(1, Math.max(0, (Math.log(m) / Math.LN10 - cfg.lo) / (cfg.hi - cfg.lo)));
  };

  Heat.prototype.mark = function (part, m, node) {
    // set the colour and width of one drawn element for magnitude m
    if (!part) { return; }
    var g = part.g, cfg = this.cfg, kind, color, width;
    if (m === null || m === undefined) { kind = 'none'; }
    else if (!isFinite(m)) { kind = 'bad'; color = cfg.bad; width = cfg.width[1]; }
    else if (m === 0) { kind = 'zero'; color = cfg.zero; width = cfg.width[0]; }
    else {
      var t = this.position(m);
      kind = t.toFixed(4);
      color = rampColor(cfg.ramp, t);
      width = cfg.width[0] + t * (cfg.width[1] - cfg.width[0]);
    }
    if (node && width !== undefined) { width = Math.min(4, width + 0.6); }
    g.setAttribute('data-heat', kind);
    g.setAttribute('data-heat-magnitude', m === null || m === undefined ? '' : String(m));
    if (color) {
      g.style.setProperty('--tg-heat', color);
      g.style.setProperty('--tg-heat-w', width.toFixed(2) + 'px');
    }
    this.marked.push(g);
  };

  Heat.prototype.apply = function () {
    var ex = this.ex, mags = this.magnitudes();
    this.marked = [];
    for (var k = 0; k < ex.nodes.length; k++) {
      this.mark(ex.box[k], mags.nodes[k], true);
      this.mark(ex.out[k], mags.nodes[k], false);
      var ins = ex.ins[k];
      for (var i = 0; i < ins.length; i++) { this.mark(ins[i], mags.ins[k][i], false); }
    }
  };

  Heat.prototype.setView = function (v) {
    if (VIEWS.indexOf(v) < 0) {
      throw new Error('tracegrad.view: use ' + VIEWS.map(function (x) { return '"' + x + '"'; }).join(' or ') +
        ', got ' + JSON.stringify(v));
    }
    if (v === 'heat' && !this.ex.data.hasGrad) {
      throw new Error('tracegrad.view("heat"): this graph has no gradients; call backward() before exploring');
    }
    this.view = v;
    if (this.select) { this.select.value = v; }
    if (v === 'heat') { this.apply(); }
    this.ex.root.classList.toggle('tg-heat-on', v === 'heat');
  };

  Heat.prototype.render = function () {
    if (this.view === 'heat' && !this.ex.data.tensor) { this.apply(); }  // (what-if may have changed them)
  };

  var CSS = [
    '.tg-explorer.tg-heat-on g.tg-edge[data-heat] > path { stroke: var(--tg-heat, #999); stroke-width: var(--tg-heat-w, 1px); }',
    '.tg-explorer.tg-heat-on g.tg-edge[data-heat] > polygon { fill: var(--tg-heat, #999); stroke: var(--tg-heat, #999); }',
    '.tg-explorer.tg-heat-on g.tg-edge[data-heat="none"] > path { stroke: #ccc; stroke-width: 1px; }',
    '.tg-explorer.tg-heat-on g.tg-edge[data-heat="zero"] > path { stroke-dasharray: 4 3; }',
    '.tg-explorer.tg-heat-on g.node[data-heat] > path, .tg-explorer.tg-heat-on g.node[data-heat] > polygon,',
    '.tg-explorer.tg-heat-on g.node[data-heat] > g > a > path, .tg-explorer.tg-heat-on g.node[data-heat] > g > a > polygon',
    '  { stroke: var(--tg-heat, #999); stroke-width: var(--tg-heat-w, 1px); }',
    '.tg-explorer.tg-heat-on g.node[data-heat="none"] > path { stroke: #bbb; }',
    '.tg-explorer.tg-heat-on g.node[data-heat="zero"] > path { stroke-dasharray: 4 3; }',
    '.tg-explorer .tg-heat-legend { display: none; position: absolute; left: 8px; bottom: 8px; z-index: 2;',
    '  background: rgba(255,255,255,.92); border: 1px solid #d0d7de; border-radius: 4px; padding: 4px 14px 4px 8px;',
    '  font-size: 11px; color: #333; width: 23em; pointer-events: none; }',
    '.tg-explorer.tg-heat-on .tg-heat-legend { display: block; }',
    '.tg-explorer .tg-heat-bar { height: 10px; margin: 3px 0 1px; border-radius: 2px; }',
    '.tg-explorer .tg-heat-ticks { position: relative; height: 1.2em; }',
    '.tg-explorer .tg-heat-ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }',
    '.tg-explorer .tg-heat-key { display: inline-block; width: 2em; vertical-align: middle; margin-left: .5em; }'
  ].join('\n');

  TG.addStyle('tg-heat-style', CSS);
  TG.heat = { rampColor: rampColor };
  TG.plugin({
    mount: function (ex) { ex.heat = new Heat(ex); },
    render: function (ex) { if (ex.heat) { ex.heat.render(); } },
    state: function (ex, st) { st.view = ex.heat ? ex.heat.view : 'plain'; },
    handle: function (ex, h) {
      h.view = function (v) { if (v !== undefined) { ex.heat.setView(v); } return ex.state(); };
    }
  });
  TG.view = function (v) { var ex = TG.first(); if (v !== undefined) { ex.heat.setView(v); } return ex.state(); };
})();
