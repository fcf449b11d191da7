/* tracegrad's explorer: one graph drawn once by dot, played forward and backward, explained.
 *
 * The page holds the SVG and a JSON description of the graph (viz/describe.py). Playing and
 * clicking only change classes and text: every node keeps its place. Several explorers may share
 * a page (a notebook): each lives under its own root element, and `tracegrad.explorers[i]` or
 * `tracegrad.get(id)` is its handle; `tracegrad.select/step/mode/state/play/pause` act on the
 * first one.
 */
(function () {
  'use strict';
  if (window.tracegrad && window.tracegrad.mount) { return; }  // loaded once per page

  var SVG_ID = /^n(\d+)(?:_(op|out|in(\d+)))?$/;
  var PLAY_MS = 700;

  function isGradText(t) {
    var fill = (t.getAttribute('fill') || '').toLowerCase();
    return fill === 'red' || fill === '#ff0000';
  }

  function addStyle(id, css) {  // a plugin's CSS, once per page (tracegrad.addStyle)
    if (document.getElementById(id)) { return; }
    var style = document.createElement('style');
    style.id = id;
    style.textContent = css;
    (document.head || document.documentElement).appendChild(style);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function num(x) {  // a number from the JSON: inf and nan travel as strings
    if (typeof x === 'number') { return x; }
    if (x === 'inf') { return Infinity; }
    if (x === '-inf') { return -Infinity; }
    return NaN;
  }

  function fmt(x, digits) {
    // a number exactly as Python's viz.format_number writes it ('%.6g'): 220, 2.2, 1.1e-05,
    // 7.90334e+19, inf, nan; -0 reads 0
    x = num(x); digits = digits || 6;
    if (isNaN(x)) { return 'nan'; }
    if (!isFinite(x)) { return x > 0 ? 'inf' : '-inf'; }
    if (x === 0) { return '0'; }
    var e = x.toExponential(digits - 1), m = /^(-?[\d.]+)e([+-]\d+)$/.exec(e);
    var exp = +m[2], s;
    if (exp < -4 || exp >= digits) {
      var mant = m[1].indexOf('.') >= 0 ? m[1].replace(/0+$/, '').replace(/\.$/, '') : m[1];
      s = mant + 'e' + (exp < 0 ? '-' : '+') + (Math.abs(exp) < 10 ? '0' : '') + Math.abs(exp);
    } else {
      s = x.toFixed(Math.max(0, digits - 1 - exp));
      if (s.indexOf('.') >= 0) { s = s.replace(/0+$/, '').replace(/\.$/, ''); }
    }
    return s === '-0' ? '0' : s;
  }

  // ---- the SVG: which texts are values, which are gradients ------------------------------------
  function splitTexts(g) {
    var value = [], grad = [];
    if (!g) { return { value: value, grad: grad }; }
    var texts = g.querySelectorAll('text');
    for (var i = 0; i < texts.length; i++) {
      var t = texts[i];
      if (isGradText(t)) { grad.push(t); }
      else if (t.getAttribute('font-weight') !== 'bold') { value.push(t); }
    }
    return { value: value, grad: grad };
  }

  function Explorer(root, data) {
    this.root = root;
    this.id = root.id;
    this.data = data;
    this.nodes = data.nodes;
    this.timelineMode = data.mode;
    this.stepIndex = 0;
    this.selected = -1;
    this.selectedUnit = null;
    this.timer = null;
    this.lastCurrent = -1;
    this.modules = data.modules || [];
    this.findElements();
    this.computeConsumers();
    this.buildControls();
    var total = this.total();
    this.stepIndex = data.step === null || data.step === undefined ? total : data.step;
    this.setupPanZoom();  // (opens on the view that shows the current node)
    this.bindEvents();
    this.setStep(this.stepIndex);
    hook('mount', this);
  }

  // ---- plugins (whatif.js, practice.js): tracegrad.plugin({mount, render, panel, state, handle}),
  // each an optional function(explorer, arg) called at that point
  var plugins = [];

  function hook(name, ex, arg) {
    for (var i = 0; i < plugins.length; i++) { if (plugins[i][name]) { plugins[i][name](ex, arg); } }
  }

  Explorer.prototype.findElements = function () {
    var prefix = this.data.prefix;
    var n = this.nodes.length;
    this.box = new Array(n); this.op = new Array(n); this.out = new Array(n);
    this.ins = new Array(n);
    this.mod = new Array(this.modules.length);
    for (var k = 0; k < n; k++) { this.ins[k] = []; }
    this.svg = this.root.querySelector('.tg-canvas svg');
    var groups = this.svg ? this.svg.querySelectorAll('g[id]') : [];
    for (var i = 0; i < groups.length; i++) {
      var id = groups[i].id;
      if (id.indexOf(prefix) !== 0) { continue; }
      var mm = /^m(\d+)$/.exec(id.slice(prefix.length));
      if (mm) { if (+mm[1] < this.mod.length) { this.mod[+mm[1]] = { g: groups[i] }; } continue; }
      var m = SVG_ID.exec(id.slice(prefix.length));
      if (!m) { continue; }
      var k2 = +m[1];
      if (k2 >= n) { continue; }
      var part = { g: groups[i], texts: splitTexts(groups[i]) };
      if (!m[2]) { this.box[k2] = part; }
      else if (m[2] === 'op') { this.op[k2] = part; }
      else if (m[2] === 'out') { this.out[k2] = part; }
      else { this.ins[k2][+m[3]] = part; }
    }
  };

  Explorer.prototype.computeConsumers = function () {
    var n = this.nodes.length;
    this.uses = new Array(n);
    for (var k = 0; k < n; k++) { this.uses[k] = 0; }
    for (var c = 0; c < n; c++) {
      var ps = this.nodes[c].parents;
      for (var i = 0; i < ps.length; i++) { this.uses[ps[i]] += 1; }
    }
  };

  // ---- controls ---------------------------------------------------------------------------------
  Explorer.prototype.q = function (sel) { return this.root.querySelector(sel); };

  Explorer.prototype.buildControls = function () {
    this.modeSelect = this.q('.tg-mode');
    this.prevButton = this.q('.tg-prev');
    this.nextButton = this.q('.tg-next');
    this.playButton = this.q('.tg-play');
    this.slider = this.q('.tg-slider');
    this.counter = this.q('.tg-counter');
    this.stepText = this.q('.tg-steptext');
    this.panel = this.q('.tg-panel');
    this.view = this.q('.tg-view');
    this.canvas = this.q('.tg-canvas');
    if (!this.data.hasGrad) {
      var opts = this.modeSelect.options;
      for (var i = 0; i < opts.length; i++) { opts[i].disabled = opts[i].value !== 'forward'; }
    }
    this.modeSelect.value = this.timelineMode;
  };

  Explorer.prototype.bindEvents = function () {
    var self = this;
    this.prevButton.addEventListener('click', function () { self.pause(); self.setStep(self.stepIndex - 1); });
    this.nextButton.addEventListener('click', function () { self.pause(); self.setStep(self.stepIndex + 1); });
    this.playButton.addEventListener('click', function () { if (self.timer) { self.pause(); } else { self.play(); } });
    this.slider.addEventListener('input', function () { self.pause(); self.setStep(+self.slider.value); });
    this.modeSelect.addEventListener('change', function () { self.setMode(self.modeSelect.value); });
    this.root.addEventListener('keydown', function (e) { self.onKey(e); });
    if (this.data.documentKeys) {
      document.addEventListener('keydown', function (e) {
        if (e.defaultPrevented || self.root.contains(e.target)) { return; }
        self.onKey(e);
      });
    }
    var down = null;
    this.view.addEventListener('pointerdown', function (e) { down = [e.clientX, e.clientY]; }, true);
    this.svg && this.svg.addEventListener('click', function (e) {
      if (down && Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 5) { return; }
      var g = e.target.closest ? e.target.closest('g.node[data-node], g.node[data-module]') : null;
      if (!g) { return; }
      if (g.hasAttribute('data-module')) { self.selectUnit({ module: +g.getAttribute('data-module') }); }
      else { self.selectUnit({ node: +g.getAttribute('data-node') }); }
    });
    this.q('.tg-zoom-in').addEventListener('click', function () { self.pz && self.pz.zoomIn({ animate: false }); });
    this.q('.tg-zoom-out').addEventListener('click', function () { self.pz && self.pz.zoomOut({ animate: false }); });
    this.q('.tg-fit').addEventListener('click', function () { self.fit(); });
  };

  Explorer.prototype.onKey = function (e) {
    var tag = (e.target && e.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') { return; }
    if (e.key === 'ArrowRight') { this.pause(); this.setStep(this.stepIndex + 1); }
    else if (e.key === 'ArrowLeft') { this.pause(); this.setStep(this.stepIndex - 1); }
    else if (e.key === 'Home') { this.pause(); this.setStep(0); }
    else if (e.key === 'End') { this.pause(); this.setStep(this.total()); }
    else { return; }
    e.preventDefault();
  };

  // ---- zoom and pan (the vendored Panzoom; transform = scale(s) translate(x, y), origin 50% 50%)
  Explorer.prototype.setupPanZoom = function () {
    var svg = this.svg;
    if (!svg) { return; }
    this.width = svg.width.baseVal.value;
    this.height = svg.height.baseVal.value;
    this.canvas.style.width = this.width + 'px';
    this.canvas.style.height = this.height + 'px';
    var natural = this.height + 16;
    if (natural < this.view.clientHeight) { this.view.style.height = Math.max(natural, 200) + 'px'; }
    if (typeof window.Panzoom !== 'function') { return; }
    var self = this, start = this.startValues();
    // Panzoom pans to startX/startY once it has started (a timeout): start where "fit" puts it
    this.pz = window.Panzoom(this.canvas, { canvas: true, maxScale: 12, minScale: 0.01, step: 0.25,
      cursor: 'grab', animate: false, startScale: start.scale, startX: start.x, startY: start.y });
    this.view.addEventListener('wheel', function (e) { self.pz.zoomWithWheel(e, { animate: false }); });
    // Panzoom pans to its start in a timeout of its own, after any reveal() made before it: reveal
    // the current node once more after that one
    window.setTimeout(function () { self.lastCurrent = null; self.reveal(self.current()); }, 0);
  };

  Explorer.prototype.panFor = function (scale, px, py) {
    // the pan that puts canvas point (px, py) at the view's centre at this scale
    var vw = this.view.clientWidth || 800, vh = this.view.clientHeight || 400;
    var cx = this.width / 2, cy = this.height / 2;
    return { scale: scale, x: (vw / 2 - cx) / scale - px + cx, y: (vh / 2 - cy) / scale - py + cy };
  };

  Explorer.prototype.placeAt = function (scale, px, py) {
    var t = this.panFor(scale, px, py);
    this.pz.zoom(t.scale, { animate: false });
    this.pz.pan(t.x, t.y, { animate: false, force: true });
  };

  Explorer.prototype.fitValues = function () {
    // the whole graph, centred, at most 1.5 times its natural size
    var vw = this.view.clientWidth || 800, vh = this.view.clientHeight || 400;
    var s = Math.min(1.5, 0.96 * Math.min(vw / this.width, vh / this.height));
    return this.panFor(s, this.width / 2, this.height / 2);
  };

  Explorer.prototype.startValues = function () {
    // "fit" when the graph stays readable there; else a readable scale around the node the page
    // opens on (the current one; the output before any step)
    var cur = this.current(), t = this.fitValues();
    var p = this.unitCenter(cur || { node: this.data.output });
    if (t.scale >= 0.6 || !p) { return t; }
    var vh = this.view.clientHeight || 400;
    return this.panFor(Math.max(0.6, Math.min(1, 0.96 * vh / this.height)), p.x, p.y);
  };

  Explorer.prototype.fit = function () {
    if (!this.pz) { return; }
    var t = this.fitValues();
    this.pz.setOptions({ startScale: t.scale, startX: t.x, startY: t.y });
    this.pz.reset({ animate: false });
  };

  Explorer.prototype.part = function (unit) {
    // the drawn element of a unit ({node: k} or {module: j}); a node hidden in a collapsed module:
    // the module's box
    if (!unit) { return null; }
    if (unit.module !== undefined) { return this.mod[unit.module] || null; }
    var k = unit.node, part = this.box[k] || this.op[k];
    if (!part && this.nodes[k] && this.nodes[k].module !== undefined) { return this.mod[this.nodes[k].module] || null; }
    return part || null;
  };

  Explorer.prototype.unitCenter = function (unit) {
    var part = this.part(unit);
    if (!part) { return null; }
    var bb = part.g.getBBox();
    var graph = this.svg.querySelector('g.graph');
    var t = graph && graph.transform.baseVal.consolidate();
    var mx = t ? t.matrix : { a: 1, d: 1, e: 0, f: 0 };
    var vb = this.svg.viewBox.baseVal;
    var r = vb && vb.width ? this.width / vb.width : 1;
    return { x: (mx.a * (bb.x + bb.width / 2) + mx.e) * r, y: (mx.d * (bb.y + bb.height / 2) + mx.f) * r };
  };

  Explorer.prototype.reveal = function (unit) {
    // pan (never zoom) so that the unit's box is inside the view
    if (!this.pz || !unit) { return; }
    var p = this.unitCenter(unit);
    if (!p) { return; }
    var s = this.pz.getScale(), pan = this.pz.getPan();
    var cx = this.width / 2, cy = this.height / 2;
    var x = cx + s * (p.x - cx + pan.x), y = cy + s * (p.y - cy + pan.y);
    var vw = this.view.clientWidth, vh = this.view.clientHeight, margin = 40;
    if (x < margin || y < margin || x > vw - margin || y > vh - margin) { this.placeAt(s, p.x, p.y); }
  };

  // ---- the timeline -----------------------------------------------------------------------------
  Explorer.prototype.total = function () {
    var n = this.data.forward.length, b = this.data.hasGrad ? 1 + this.data.backward.length : 0;
    if (this.timelineMode === 'forward') { return n; }
    if (this.timelineMode === 'backward') { return b; }
    return n + b;
  };

  Explorer.prototype.phase = function () {
    // how far each pass has gone: forward = steps computed, backward = 0 none, 1 seed, 1 + j steps
    var n = this.data.forward.length, s = this.stepIndex;
    if (this.timelineMode === 'forward') { return { forward: s, backward: 0, inBackward: false }; }
    if (this.timelineMode === 'backward') { return { forward: n, backward: s, inBackward: true }; }
    return s <= n ? { forward: s, backward: 0, inBackward: false }
      : { forward: n, backward: s - n, inBackward: true };
  };

  Explorer.prototype.setMode = function (mode) {
    if (mode !== 'forward' && mode !== 'backward' && mode !== 'both') {
      throw new Error('tracegrad.mode: use "forward", "backward" or "both", got ' + mode);
    }
    if (mode !== 'forward' && !this.data.hasGrad) {
      throw new Error('tracegrad.mode("' + mode + '"): this graph has no gradients; call backward() before exploring');
    }
    this.pause();
    this.timelineMode = mode;
    this.modeSelect.value = mode;
    this.setStep(0);
  };

  Explorer.prototype.checkStep = function (k) {
    // the script API's step(k): an integer from 0 to the last step, else an error
    var total = this.total();
    if (typeof k !== 'number' || !isFinite(k) || Math.floor(k) !== k) {
      throw new Error('tracegrad.step: the step must be an integer from 0 to ' + total + ', got ' +
        (typeof k === 'string' ? JSON.stringify(k) : String(k)));
    }
    if (k < 0 || k > total) {
      throw new Error('tracegrad.step(' + k + '): out of range: the ' + this.timelineMode +
        ' playback has steps 0 to ' + total);
    }
    return k;
  };

  Explorer.prototype.setStep = function (k) {
    var total = this.total();
    k = Math.max(0, Math.min(total, Math.round(+k || 0)));
    this.stepIndex = k;
    this.slider.max = String(total);
    this.slider.value = String(k);
    this.counter.textContent = 'step ' + k + ' / ' + total;
    this.prevButton.disabled = k === 0;
    this.nextButton.disabled = k === total;
    this.render();
  };

  Explorer.prototype.play = function () {
    var self = this;
    if (this.stepIndex >= this.total()) { this.setStep(0); }
    this.playButton.textContent = 'Pause';
    this.timer = window.setInterval(function () {
      if (self.stepIndex >= self.total()) { self.pause(); return; }
      self.setStep(self.stepIndex + 1);
    }, this.data.playMs || PLAY_MS);
  };

  Explorer.prototype.pause = function () {
    if (this.timer) { window.clearInterval(this.timer); this.timer = null; }
    this.playButton.textContent = 'Play';
  };

  function show(list, visible) {
    for (var i = 0; i < list.length; i++) { list[i].classList.toggle('tg-hide', !visible); }
  }

  function unitKey(unit) {
    return !unit ? '' : unit.module !== undefined ? 'm' + unit.module : 'n' + unit.node;
  }

  Explorer.prototype.current = function () {
    // the unit ({node: k} or {module: j}) the playback is at, or null before its first step
    var ph = this.phase(), data = this.data;
    if (ph.inBackward && ph.backward >= 1) {
      return ph.backward === 1 ? data.seedUnit : data.backward[ph.backward - 2];
    }
    if (!ph.inBackward && ph.forward >= 1) { return data.forward[ph.forward - 1]; }
    return null;
  };

  Explorer.prototype.render = function () {
    var n = this.nodes.length, ph = this.phase(), data = this.data;
    var computed = new Array(n), visited = new Array(n), pending = this.uses.slice();
    var modDone = new Array(this.modules.length), k, i, j;
    for (i = 0; i < ph.forward; i++) {
      var fs = data.forward[i];
      for (j = 0; j < fs.nodes.length; j++) { computed[fs.nodes[j]] = true; }
      if (fs.module !== undefined) { modDone[fs.module] = true; }
    }
    if (ph.forward === data.forward.length) {  // (folded constants have no step of their own)
      for (k = 0; k < n; k++) { computed[k] = true; }
      for (j = 0; j < modDone.length; j++) { modDone[j] = true; }
    }
    var done = Math.max(0, ph.backward - 1);
    for (i = 0; i < done; i++) {
      var vs = data.backward[i].nodes;
      for (j = 0; j < vs.length; j++) {
        visited[vs[j]] = true;
        var ps = this.nodes[vs[j]].parents;
        for (var q = 0; q < ps.length; q++) { pending[ps[q]] -= 1; }
      }
    }
    var current = this.current(), curKey = unitKey(current);
    var curNode = current && current.node !== undefined ? current.node : -1;
    for (k = 0; k < n; k++) {
      var known = ph.backward >= 1 && pending[k] === 0;
      var box = this.box[k], op = this.op[k], out = this.out[k];
      if (box) {
        show(box.texts.value, !!computed[k]);
        show(box.texts.grad, known);
        box.g.classList.toggle('tg-dim', !computed[k]);
        box.g.classList.toggle('tg-current', k === curNode);
      }
      if (op) {
        op.g.classList.toggle('tg-dim', !computed[k]);
        op.g.classList.toggle('tg-current', k === curNode);
      }
      if (out) {
        show(out.texts.value, !!computed[k]);
        show(out.texts.grad, known);
        out.g.classList.toggle('tg-back', known);
      }
      var ins = this.ins[k], parents = this.nodes[k].parents;
      var isCurrent = curKey !== '' && unitKey(this.unitOf(k)) === curKey;
      for (i = 0; i < ins.length; i++) {
        var e = ins[i];
        if (!e) { continue; }
        show(e.texts.value, !!computed[parents[i]]);
        show(e.texts.grad, !!visited[k]);
        e.g.classList.toggle('tg-back', !!visited[k]);
        e.g.classList.toggle('tg-hot', ph.inBackward && isCurrent && !!visited[k]);
        e.g.classList.toggle('tg-flow', !ph.inBackward && isCurrent);
      }
    }
    for (j = 0; j < this.mod.length; j++) {
      var m = this.mod[j];
      if (!m) { continue; }
      m.g.classList.toggle('tg-dim', !modDone[j]);
      m.g.classList.toggle('tg-current', curKey === 'm' + j);
    }
    this.stepText.textContent = this.describeStep(ph, current);
    if (curKey !== this.lastCurrent) { this.reveal(current); this.lastCurrent = curKey; }
    hook('render', this);
  };

  Explorer.prototype.unitOf = function (k) {
    var m = this.nodes[k].module;
    return m === undefined ? { node: k } : { module: m };
  };

  Explorer.prototype.describeStep = function (ph, current) {
    // (describe.step_text writes the same in Python, for the page before this script runs)
    var data = this.data, b = 1 + data.backward.length;
    if (!current) {
      return ph.inBackward || this.timelineMode === 'backward'
        ? 'Backward pass: press Next or Play. It starts with the seed ∂' + data.root + '/∂' + data.root +
          ' = 1, then visits each node in the engine\'s order; gradients flow back to the inputs (red).'
        : 'Forward pass: press Next or Play. Values appear in the order the graph computes them.';
    }
    if (!ph.inBackward) { return 'Forward ' + ph.forward + '/' + data.forward.length + ': ' + current.text; }
    if (ph.backward === 1) { return 'Backward 1/' + b + ': ' + data.seed; }
    return 'Backward ' + ph.backward + '/' + b + ': ' + current.text;
  };

  // ---- the panel --------------------------------------------------------------------------------
  Explorer.prototype.find = function (name) {
    // a unit by its name: a node's unique name (also its whole scope path), a collapsed module's
    // scope, or a label that one node alone carries; an ambiguous label is an error naming them
    var k;
    if (typeof name === 'number') {
      return Math.floor(name) === name && name >= 0 && name < this.nodes.length ? { node: name } : null;
    }
    if (typeof name !== 'string') { return null; }
    for (k = 0; k < this.nodes.length; k++) { if (this.nodes[k].name === name) { return { node: k }; } }
    for (k = 0; k < this.modules.length; k++) { if (this.modules[k].name === name) { return { module: k }; } }
    var found = [];
    for (k = 0; k < this.nodes.length; k++) {
      var nd = this.nodes[k];
      if (nd.alias === name || nd.label === name || nd.shown === name) { found.push(k); }
    }
    if (found.length === 1) { return { node: found[0] }; }
    if (found.length > 1) {
      var self = this;
      throw new Error('tracegrad.select: ' + found.length + ' nodes are named ' + JSON.stringify(name) +
        '; name one of them: ' + found.map(function (i) { return JSON.stringify(self.nodes[i].name); }).join(', '));
    }
    return null;
  };

  Explorer.prototype.select = function (name) {
    var unit = this.find(name);
    if (!unit) { throw new Error('tracegrad.select: no node named ' + JSON.stringify(name)); }
    return this.selectUnit(unit);
  };

  Explorer.prototype.selectUnit = function (unit) {
    var old = this.part(this.selectedUnit);
    if (old) { old.g.classList.remove('tg-selected'); }
    this.selectedUnit = unit;
    this.selected = unit.node !== undefined ? unit.node : -1;
    var part = this.part(unit);
    if (part) { part.g.classList.add('tg-selected'); }
    if (unit.module !== undefined) { this.renderModule(unit.module); } else { this.renderPanel(unit.node); }
    hook('panel', this, unit);
    return this.state();
  };

  Explorer.prototype.renderModule = function (j) {
    var m = this.modules[j], panel = this.panel;
    panel.textContent = '';
    var title = el('h3', 'tg-title', m.name);
    title.appendChild(el('span', 'tg-opname', '  collapsed module'));
    panel.appendChild(title);
    for (var i = 0; i < m.sections.length; i++) { this.section(m.sections[i][0], m.sections[i][1]); }
  };

  Explorer.prototype.renderPanel = function (k) {
    var node = this.nodes[k], panel = this.panel;
    panel.textContent = '';
    var title = el('h3', 'tg-title', node.name);
    if (node.title) { title.appendChild(el('span', 'tg-opname', '  ' + node.title)); }
    panel.appendChild(title);
    for (var i = 0; i < node.sections.length; i++) {
      this.section(node.sections[i][0], node.sections[i][1]);
    }
    if (node.paths) { this.section('Why this number', this.pathLines(k)); }
  };

  Explorer.prototype.section = function (title, lines) {
    this.panel.appendChild(el('h4', null, title));
    this.panel.appendChild(el('pre', 'tg-lines', lines.join('\n')));
  };

  Explorer.prototype.chain = function (k, rank) {
    // path number `rank` of node k, from the output down to k: [[node, local into it], ...]
    var steps = [];
    for (var guard = 0; guard <= this.nodes.length; guard++) {
      var link = this.nodes[k].paths.top[rank];
      if (link[1] < 0) { steps.push([k, null]); return steps.reverse(); }
      var local = this.nodes[link[1]].locals[link[2]].number;
      steps.push([k, local === undefined ? null : local]);
      k = link[1]; rank = link[3];
    }
    return steps.reverse();
  };

  Explorer.prototype.pathLines = function (k) {
    var data = this.data, node = this.nodes[k], paths = node.paths, root = data.root;
    var count = paths.count, shown = paths.top.length, lines = [];
    if (k === data.output) { return ['This is the output: its gradient is the seed, 1.']; }
    var many = String(count) !== String(shown);
    lines.push(count + (String(count) === '1' ? ' path leads' : ' paths lead') + ' from ' + root +
      ' to ' + node.name + (many ? '; the ' + shown + (data.tensor ? ' first' : ' largest') + ' are listed' : '') + '.');
    if (data.tensor) {
      lines.push('Tensor gradients are arrays: a path has no single product. Along a path each ' +
        'operation applies its matrix rule (see the local derivatives), and the gradient is the sum ' +
        'over the paths.');
    } else {
      lines.push('Each path multiplies the local derivatives along it; the products add up to the gradient.');
    }
    var sum = 0;
    for (var r = 0; r < shown; r++) {
      var steps = this.chain(k, r), names = [], factors = [];
      for (var i = 0; i < steps.length; i++) {
        var s = this.nodes[steps[i][0]];
        // Tensor paths name the operation between two nodes: "loss ⟵[cross_entropy] v5"
        names.push(i > 0 && data.tensor ? '⟵[' + this.nodes[steps[i - 1][0]].op + '] ' + s.name : s.name);
        if (steps[i][1] !== null) { factors.push(fmt(steps[i][1])); }
      }
      var joiner = data.tensor ? ' ' : ' → ';
      var text = names.length > 12 ? names.slice(0, 5).join(joiner) + joiner + '… (' + (names.length - 10) +
        ' more)' + joiner + names.slice(-5).join(joiner) : names.join(joiner);
      if (!data.tensor) {
        var product = paths.top[r][0];
        sum += num(product);
        var fs = factors.length > 12 ? factors.slice(0, 5).join(' × ') + ' × … × ' + factors.slice(-5).join(' × ') : factors.join(' × ');
        text += ': ' + fs + ' = ' + fmt(product);
      }
      lines.push((r + 1) + '. ' + text);
    }
    if (!data.tensor) {
      var what = '∂' + root + '/∂' + node.name;
      if (node.passes > 1) {
        what += ' in this pass (.grad = ' + fmt(node.gradNum) + ' holds ' + node.passes + ' backward passes)';
      }
      if (many) {
        lines.push('These ' + shown + ' add up to ' + fmt(sum) + '; all ' + count + ' paths add up to ' + fmt(paths.sum) +
          ' = ' + what + '.');
      } else {
        lines.push('Sum of the products: ' + fmt(paths.sum) + ' = ' + what + '.');
      }
    }
    return lines;
  };

  Explorer.prototype.unitName = function (unit) {
    if (!unit) { return null; }
    return unit.module !== undefined ? this.modules[unit.module].name : this.nodes[unit.node].name;
  };

  Explorer.prototype.state = function () {
    var st = {
      id: this.id, mode: this.timelineMode, step: this.stepIndex, total: this.total(),
      current: this.unitName(this.current()),
      selected: this.unitName(this.selectedUnit),
      panel: this.panel.innerText, stepText: this.stepText.textContent,
      scale: this.pz ? this.pz.getScale() : 1
    };
    hook('state', this, st);
    return st;
  };

  // ---- the page's handle --------------------------------------------------------------------------
  var explorers = [];
  var byId = {};

  function first() {
    if (!explorers.length) { throw new Error('tracegrad: no explorer on this page'); }
    return explorers[0];
  }

  function handle(ex) {
    var h = {
      id: ex.id,
      select: function (name) { return ex.select(name); },
      step: function (k) { if (k !== undefined) { ex.setStep(ex.checkStep(k)); ex.pause(); } return ex.state(); },
      mode: function (m) { if (m !== undefined) { ex.setMode(m); } return ex.state(); },
      state: function () { return ex.state(); },
      play: function () { ex.play(); }, pause: function () { ex.pause(); },
      fit: function () { ex.fit(); },
      explorer: ex
    };
    hook('handle', ex, h);
    return h;
  }

  window.tracegrad = {
    explorers: [],
    get: function (id) { return byId[id] || null; },
    mount: function (id) {
      if (byId[id]) { return byId[id]; }
      var root = document.getElementById(id);
      var source = root && root.querySelector('script.tg-data');
      if (!source) { throw new Error('tracegrad.mount: no explorer with id ' + id); }
      var h = handle(new Explorer(root, JSON.parse(source.textContent)));
      explorers.push(h.explorer);
      window.tracegrad.explorers.push(h);
      byId[id] = h;
      return h;
    },
    select: function (name) { return handle(first()).select(name); },
    step: function (k) { return handle(first()).step(k); },
    mode: function (m) { return handle(first()).mode(m); },
    state: function () { return first().state(); },
    formatNumber: function (x) { return fmt(x); },  // as Python's viz.format_number writes it
    play: function () { first().play(); },
    pause: function () { first().pause(); },
    first: first,
    addStyle: addStyle,
    plugin: function (p) { plugins.push(p); }
  };
})();
