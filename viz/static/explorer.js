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

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function fmt(x) {  // a number as the pictures write it: 6 significant digits, no float noise
    if (typeof x !== 'number') { return String(x); }
    var s = Number(x.toPrecision(6)).toString();
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
    this.timer = null;
    this.lastCurrent = -1;
    this.findElements();
    this.computeConsumers();
    this.buildControls();
    this.setupPanZoom();
    this.bindEvents();
    var total = this.total();
    this.setStep(data.step === null || data.step === undefined ? total : data.step);
  }

  Explorer.prototype.findElements = function () {
    var prefix = this.data.prefix;
    var n = this.nodes.length;
    this.box = new Array(n); this.op = new Array(n); this.out = new Array(n);
    this.ins = new Array(n);
    for (var k = 0; k < n; k++) { this.ins[k] = []; }
    this.svg = this.root.querySelector('.tg-canvas svg');
    var groups = this.svg ? this.svg.querySelectorAll('g[id]') : [];
    for (var i = 0; i < groups.length; i++) {
      var id = groups[i].id;
      if (id.indexOf(prefix) !== 0) { continue; }
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
      var g = e.target.closest ? e.target.closest('g[data-node]') : null;
      if (g && g.classList.contains('node')) { self.select(+g.getAttribute('data-node')); }
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
    // "fit" when the graph stays readable there; else a readable scale around the output
    var t = this.fitValues(), p = this.nodeCenter(this.data.output);
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

  Explorer.prototype.nodeCenter = function (k) {
    var part = this.box[k] || this.op[k];
    if (!part) { return null; }
    var bb = part.g.getBBox();
    var graph = this.svg.querySelector('g.graph');
    var t = graph && graph.transform.baseVal.consolidate();
    var mx = t ? t.matrix : { a: 1, d: 1, e: 0, f: 0 };
    var vb = this.svg.viewBox.baseVal;
    var r = vb && vb.width ? this.width / vb.width : 1;
    return { x: (mx.a * (bb.x + bb.width / 2) + mx.e) * r, y: (mx.d * (bb.y + bb.height / 2) + mx.f) * r };
  };

  Explorer.prototype.reveal = function (k) {
    // pan (never zoom) so that node k is inside the view
    if (!this.pz || k < 0) { return; }
    var p = this.nodeCenter(k);
    if (!p) { return; }
    var s = this.pz.getScale(), pan = this.pz.getPan();
    var cx = this.width / 2, cy = this.height / 2;
    var x = cx + s * (p.x - cx + pan.x), y = cy + s * (p.y - cy + pan.y);
    var vw = this.view.clientWidth, vh = this.view.clientHeight, margin = 40;
    if (x < margin || y < margin || x > vw - margin || y > vh - margin) { this.placeAt(s, p.x, p.y); }
  };

  // ---- the timeline -----------------------------------------------------------------------------
  Explorer.prototype.total = function () {
    var n = this.nodes.length, b = this.data.hasGrad ? 1 + this.data.backward.length : 0;
    if (this.timelineMode === 'forward') { return n; }
    if (this.timelineMode === 'backward') { return b; }
    return n + b;
  };

  Explorer.prototype.phase = function () {
    // how far each pass has gone: forward = values computed, backward = 0 none, 1 seed, 1 + j visits
    var n = this.nodes.length, s = this.stepIndex;
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

  Explorer.prototype.render = function () {
    var n = this.nodes.length, ph = this.phase(), data = this.data;
    var order = data.forward, visits = data.backward;
    var computed = new Array(n), visited = new Array(n), pending = this.uses.slice();
    var k, i;
    for (i = 0; i < ph.forward; i++) { computed[order[i]] = true; }
    var done = Math.max(0, ph.backward - 1);
    for (i = 0; i < done; i++) {
      visited[visits[i]] = true;
      var ps = this.nodes[visits[i]].parents;
      for (var j = 0; j < ps.length; j++) { pending[ps[j]] -= 1; }
    }
    var current = -1;
    if (ph.inBackward && ph.backward >= 1) {
      current = ph.backward === 1 ? data.output : visits[ph.backward - 2];
    } else if (!ph.inBackward && ph.forward >= 1) {
      current = order[ph.forward - 1];
    }
    for (k = 0; k < n; k++) {
      var known = ph.backward >= 1 && pending[k] === 0;
      var box = this.box[k], op = this.op[k], out = this.out[k];
      if (box) {
        show(box.texts.value, !!computed[k]);
        show(box.texts.grad, known);
        box.g.classList.toggle('tg-dim', !computed[k]);
        box.g.classList.toggle('tg-current', k === current);
      }
      if (op) {
        op.g.classList.toggle('tg-dim', !computed[k]);
        op.g.classList.toggle('tg-current', k === current);
      }
      if (out) {
        show(out.texts.value, !!computed[k]);
        show(out.texts.grad, known);
        out.g.classList.toggle('tg-back', known);
      }
      var ins = this.ins[k], parents = this.nodes[k].parents;
      for (i = 0; i < ins.length; i++) {
        var e = ins[i];
        if (!e) { continue; }
        show(e.texts.value, !!computed[parents[i]]);
        show(e.texts.grad, !!visited[k]);
        e.g.classList.toggle('tg-back', !!visited[k]);
        e.g.classList.toggle('tg-hot', ph.inBackward && k === current && !!visited[k]);
        e.g.classList.toggle('tg-flow', !ph.inBackward && k === current);
      }
    }
    this.stepText.textContent = this.describeStep(ph, current);
    if (current !== this.lastCurrent) { this.reveal(current); this.lastCurrent = current; }
  };

  Explorer.prototype.describeStep = function (ph, current) {
    // (describe.step_text writes the same in Python, for the page before this script runs)
    var data = this.data;
    if (current < 0) {
      return ph.inBackward || this.timelineMode === 'backward'
        ? 'Backward pass: press Next or Play. It starts with the seed ∂' + data.root + '/∂' + data.root +
          ' = 1, then visits each node in the engine\'s order; gradients flow back to the inputs (red).'
        : 'Forward pass: press Next or Play. Values appear in the order the graph computes them.';
    }
    var node = this.nodes[current];
    if (!ph.inBackward) {
      return 'Forward ' + ph.forward + '/' + this.nodes.length + ': ' + node.fwd;
    }
    if (ph.backward === 1) { return 'Backward 1/' + (1 + data.backward.length) + ': ' + data.seed; }
    return 'Backward ' + ph.backward + '/' + (1 + data.backward.length) + ': ' + (node.bwd || []).join('\n');
  };

  // ---- the panel --------------------------------------------------------------------------------
  Explorer.prototype.find = function (name) {
    if (typeof name === 'number') { return name >= 0 && name < this.nodes.length ? name : -1; }
    for (var k = 0; k < this.nodes.length; k++) { if (this.nodes[k].name === name) { return k; } }
    return -1;
  };

  Explorer.prototype.select = function (name) {
    var k = this.find(name);
    if (k < 0) { throw new Error('tracegrad.select: no node named ' + JSON.stringify(name)); }
    if (this.selected >= 0) {
      var old = this.box[this.selected] || this.op[this.selected];
      if (old) { old.g.classList.remove('tg-selected'); }
    }
    this.selected = k;
    var part = this.box[k] || this.op[k];
    if (part) { part.g.classList.add('tg-selected'); }
    this.renderPanel(k);
    return this.state();
  };

  Explorer.prototype.renderPanel = function (k) {
    var node = this.nodes[k], panel = this.panel;
    panel.textContent = '';
    var title = el('h3', 'tg-title', node.name);
    if (node.op) { title.appendChild(el('span', 'tg-opname', '  ' + node.op + ' (' + node.opName + ')')); }
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
        sum += typeof product === 'number' ? product : NaN;
        var fs = factors.length > 12 ? factors.slice(0, 5).join(' × ') + ' × … × ' + factors.slice(-5).join(' × ') : factors.join(' × ');
        text += ': ' + fs + ' = ' + fmt(product);
      }
      lines.push((r + 1) + '. ' + text);
    }
    if (!data.tensor) {
      if (many) {
        lines.push('These ' + shown + ' add up to ' + fmt(sum) + '; all ' + count + ' paths add up to ' + fmt(paths.sum) +
          ' = ∂' + root + '/∂' + node.name + '.');
      } else {
        lines.push('Sum of the products: ' + fmt(paths.sum) + ' = ∂' + root + '/∂' + node.name + '.');
      }
    }
    return lines;
  };

  Explorer.prototype.state = function () {
    var ph = this.phase(), current = -1, data = this.data;
    if (ph.inBackward && ph.backward >= 1) { current = ph.backward === 1 ? data.output : data.backward[ph.backward - 2]; }
    else if (!ph.inBackward && ph.forward >= 1) { current = data.forward[ph.forward - 1]; }
    return {
      id: this.id, mode: this.timelineMode, step: this.stepIndex, total: this.total(),
      current: current >= 0 ? this.nodes[current].name : null,
      selected: this.selected >= 0 ? this.nodes[this.selected].name : null,
      panel: this.panel.innerText, stepText: this.stepText.textContent,
      scale: this.pz ? this.pz.getScale() : 1
    };
  };

  // ---- the page's handle --------------------------------------------------------------------------
  var explorers = [];
  var byId = {};

  function first() {
    if (!explorers.length) { throw new Error('tracegrad: no explorer on this page'); }
    return explorers[0];
  }

  function handle(ex) {
    return {
      id: ex.id,
      select: function (name) { return ex.select(name); },
      step: function (k) { if (k !== undefined) { ex.pause(); ex.setStep(k); } return ex.state(); },
      mode: function (m) { if (m !== undefined) { ex.setMode(m); } return ex.state(); },
      state: function () { return ex.state(); },
      play: function () { ex.play(); }, pause: function () { ex.pause(); },
      fit: function () { ex.fit(); },
      explorer: ex
    };
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
    play: function () { first().play(); },
    pause: function () { first().pause(); }
  };
})();
