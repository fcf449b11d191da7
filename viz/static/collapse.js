/* tracegrad's modules in the page: click a module's cluster (its name, or its dashed border) to
 * collapse it to one box, click the box to expand it again; "collapse modules" collapses every
 * innermost module at once.
 *
 * How: nothing moves. dot laid the graph out once, expanded (viz/build.py; cluster s{j} is scope
 * j of data.scopes). Collapsing a module hides what is inside its cluster and draws one box over
 * the cluster's rectangle; an edge that crosses the border is cut where it meets the box (its
 * curve sampled, its arrowhead moved to the border); an edge inside disappears. So every node
 * outside keeps its place, whatever is collapsed, in any order. Which node is inside which
 * cluster is read from the drawing itself (dot keeps a cluster's nodes inside its rectangle and
 * every other node outside), so the output box that build.py draws outside its module stays.
 *
 * API: handle.collapse(module, on) (module: its scope 'MLP/layers.0', its name if only one
 * module has it 'layers.0', or 'all'; on: true (default) or false), state().collapsed (scopes).
 */
(function () {
  'use strict';
  var TG = window.tracegrad;
  if (!TG || !TG.plugin || TG.collapse) { return; }
  var SVGNS = 'http://www.w3.org/2000/svg';

  function rectOf(el) {
    var b = el.getBBox();
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  }

  function inside(p, r) { return p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h; }

  function contains(outer, inner) {
    return inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 &&
      inner.x + inner.w <= outer.x + outer.w + 0.5 && inner.y + inner.h <= outer.y + outer.h + 0.5;
  }

  function centre(el) {
    var b = el.getBBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  }

  function Collapser(ex) {
    this.ex = ex;
    this.clusters = [];
    this.collapsed = {};
    if (!ex.svg || !ex.data.scopes) { return; }
    this.graph = ex.svg.querySelector('g.graph');
    this.findClusters();
    if (!this.clusters.length) { return; }
    this.findNodes();
    this.findEdges();
    this.buildControls();
    this.bindEvents();
  }

  Collapser.prototype.findClusters = function () {
    var ex = this.ex, prefix = ex.data.prefix, scopes = ex.data.scopes;
    for (var j = 0; j < scopes.length; j++) {
      var g = ex.svg.querySelector('g[id="' + prefix + 's' + j + '"]');
      if (!g) { continue; }
      var path = g.querySelector('path, polygon');
      var label = g.querySelector('text');
      this.clusters.push({ j: j, g: g, name: scopes[j], short: scopes[j].split('/').pop(),
        rect: rectOf(path || g), label: label });
      if (label) { label.classList.add('tg-cluster-label'); }
      g.setAttribute('data-scope', scopes[j]);
    }
    // nesting, from the rectangles: a cluster is innermost when no other lies inside it
    var cs = this.clusters;
    for (var a = 0; a < cs.length; a++) {
      cs[a].innermost = true;
      for (var b = 0; b < cs.length; b++) {
        if (a !== b && contains(cs[a].rect, cs[b].rect)) { cs[a].innermost = false; }
      }
    }
  };

  Collapser.prototype.findNodes = function () {
    // every drawn node (boxes, operations, module boxes) with its centre
    var list = this.ex.svg.querySelectorAll('g.node');
    this.nodes = [];
    for (var i = 0; i < list.length; i++) {
      this.nodes.push({ g: list[i], c: centre(list[i]) });
    }
  };

  Collapser.prototype.endpoint = function (k, head, op) {
    // the drawn element an edge of node k starts or ends at
    var ex = this.ex;
    var part = (op ? ex.op[k] : ex.box[k]) || ex.part({ node: k });
    return part ? part.g : null;
  };

  Collapser.prototype.findEdges = function () {
    var ex = this.ex, n = ex.nodes.length;
    this.edges = [];
    for (var k = 0; k < n; k++) {
      var parents = ex.nodes[k].parents, ins = ex.ins[k];
      for (var i = 0; i < ins.length; i++) {
        if (ins[i]) { this.addEdge(ins[i].g, this.endpoint(parents[i], false, false), this.endpoint(k, true, true)); }
      }
      if (ex.out[k]) { this.addEdge(ex.out[k].g, this.endpoint(k, false, true), this.endpoint(k, true, false)); }
    }
  };

  Collapser.prototype.addEdge = function (g, tail, head) {
    if (!tail || !head) { return; }
    var path = g.querySelector('path'), arrow = g.querySelector('polygon');
    if (!path) { return; }
    this.edges.push({ g: g, path: path, arrow: arrow, d: path.getAttribute('d'),
      points: arrow ? arrow.getAttribute('points') : null, tail: centre(tail), head: centre(head),
      texts: Array.prototype.slice.call(g.querySelectorAll('text')).map(function (t) {
        return { t: t, c: centre(t) };
      }) });
  };

  // ---- controls ----------------------------------------------------------------------------------
  Collapser.prototype.buildControls = function () {
    var ex = this.ex, self = this, bar = ex.root.querySelector('.tg-toolbar');
    var label = document.createElement('label');
    label.className = 'tg-collapse-all-label';
    label.title = 'draw every nn module as one box (click a module\'s name to collapse or expand it alone)';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'tg-collapse-all';
    label.appendChild(box);
    label.appendChild(document.createTextNode(' collapse modules'));
    box.addEventListener('change', function () { self.setAll(box.checked); });
    var sep = bar && bar.querySelector('.tg-sep');
    if (bar) { bar.insertBefore(label, sep || null); }
    this.allBox = box;
  };

  Collapser.prototype.bindEvents = function () {
    var self = this, ex = this.ex, down = null;
    ex.view.addEventListener('pointerdown', function (e) { down = [e.clientX, e.clientY]; }, true);
    ex.svg.addEventListener('click', function (e) {
      if (down && Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 5) { return; }
      var t = e.target, box = t.closest && t.closest('g.tg-cbox');
      if (box) { self.set(+box.getAttribute('data-cluster'), false); return; }
      var g = t.closest && t.closest('g.tg-cluster');
      if (g && !t.closest('g.node')) {
        for (var i = 0; i < self.clusters.length; i++) {
          if (self.clusters[i].g === g) { self.set(i, true); return; }
        }
      }
    });
  };

  // ---- state -------------------------------------------------------------------------------------
  Collapser.prototype.find = function (name) {
    var cs = this.clusters, found = [];
    for (var i = 0; i < cs.length; i++) { if (cs[i].name === name) { return i; } }
    for (i = 0; i < cs.length; i++) { if (cs[i].short === name) { found.push(i); } }
    if (found.length === 1) { return found[0]; }
    if (found.length > 1) {
      throw new Error('tracegrad.collapse: ' + found.length + ' modules are named ' + JSON.stringify(name) +
        '; name one of them: ' + found.map(function (i) { return JSON.stringify(cs[i].name); }).join(', '));
    }
    throw new Error('tracegrad.collapse: no module named ' + JSON.stringify(name) +
      (cs.length ? '; the modules: ' + cs.map(function (c) { return JSON.stringify(c.name); }).join(', ')
        : ' (this drawing has no nn modules, or was drawn with collapse=True)'));
  };

  Collapser.prototype.set = function (i, on) {
    if (on) { this.collapsed[i] = true; } else { delete this.collapsed[i]; }
    this.update();
  };

  Collapser.prototype.setAll = function (on) {
    this.collapsed = {};
    if (on) {
      for (var i = 0; i < this.clusters.length; i++) { if (this.clusters[i].innermost) { this.collapsed[i] = true; } }
    }
    this.update();
  };

  Collapser.prototype.api = function (name, on) {
    on = on === undefined ? true : !!on;
    if (!this.clusters.length) { this.find(name); }
    if (name === 'all') { this.setAll(on); } else { this.set(this.find(name), on); }
    return this.ex.state();
  };

  Collapser.prototype.shown = function () {
    // the collapsed clusters drawn as boxes: those not inside another collapsed one
    var out = [], cs = this.clusters;
    for (var i in this.collapsed) {
      var hidden = false;
      for (var o in this.collapsed) {
        if (o !== i && contains(cs[+o].rect, cs[+i].rect)) { hidden = true; }
      }
      if (!hidden) { out.push(+i); }
    }
    return out;
  };

  Collapser.prototype.boxAt = function (p, shown) {
    for (var i = 0; i < shown.length; i++) {
      if (inside(p, this.clusters[shown[i]].rect)) { return shown[i]; }
    }
    return -1;
  };

  Collapser.prototype.box = function (i) {
    // the box drawn over cluster i (made once)
    var c = this.clusters[i];
    if (c.box) { return c.box; }
    var g = document.createElementNS(SVGNS, 'g'), r = c.rect;
    g.setAttribute('class', 'tg-cbox');
    g.setAttribute('data-cluster', String(i));
    g.setAttribute('data-name', c.name);
    var title = document.createElementNS(SVGNS, 'title');
    title.textContent = c.name + ': click to expand';
    var rect = document.createElementNS(SVGNS, 'rect');
    var attrs = { x: r.x, y: r.y, width: r.w, height: r.h, rx: 8, ry: 8 };
    for (var a in attrs) { rect.setAttribute(a, String(attrs[a])); }
    var count = 0;
    for (var n = 0; n < this.nodes.length; n++) {
      if (inside(this.nodes[n].c, r) && this.nodes[n].g.classList.contains('tg-var')) { count++; }
    }
    var name = document.createElementNS(SVGNS, 'text');
    name.setAttribute('x', String(r.x + r.w / 2));
    name.setAttribute('y', String(r.y + r.h / 2 - 2));
    name.setAttribute('class', 'tg-cbox-name');
    name.textContent = c.short;
    var note = document.createElementNS(SVGNS, 'text');
    note.setAttribute('x', String(r.x + r.w / 2));
    note.setAttribute('y', String(r.y + r.h / 2 + 13));
    note.setAttribute('class', 'tg-cbox-note');
    note.textContent = count + (count === 1 ? ' value' : ' values') + ' inside · click to expand';
    g.appendChild(title); g.appendChild(rect); g.appendChild(name); g.appendChild(note);
    this.graph.appendChild(g);
    c.box = g;
    return g;
  };

  Collapser.prototype.update = function () {
    var shown = this.shown(), cs = this.clusters, i, set = {};
    for (i = 0; i < shown.length; i++) { set[shown[i]] = true; }
    for (i = 0; i < cs.length; i++) {
      var gone = false;  // its border and name: inside a box (its own, or an enclosing one)
      for (var s = 0; s < shown.length; s++) { gone = gone || contains(cs[shown[s]].rect, cs[i].rect); }
      cs[i].g.classList.toggle('tg-gone', gone);
      if (set[i]) { this.box(i).classList.remove('tg-gone'); } else if (cs[i].box) { cs[i].box.classList.add('tg-gone'); }
    }
    for (i = 0; i < this.nodes.length; i++) {
      this.nodes[i].g.classList.toggle('tg-gone', this.boxAt(this.nodes[i].c, shown) >= 0);
    }
    for (i = 0; i < this.edges.length; i++) { this.route(this.edges[i], shown); }
    if (this.allBox) {
      var all = true, any = false;
      for (i = 0; i < cs.length; i++) { if (cs[i].innermost) { all = all && !!this.collapsed[i]; any = true; } }
      this.allBox.checked = any && all;
    }
    this.mark();
  };

  Collapser.prototype.route = function (e, shown) {
    var from = this.boxAt(e.tail, shown), to = this.boxAt(e.head, shown);
    var gone = from >= 0 && from === to;
    e.g.classList.toggle('tg-gone', gone);
    e.path.setAttribute('d', e.d);
    if (e.arrow) { e.arrow.setAttribute('points', e.points); e.arrow.classList.remove('tg-gone'); }
    for (var t = 0; t < e.texts.length; t++) {
      e.texts[t].t.classList.toggle('tg-gone-text', !gone && this.boxAt(e.texts[t].c, shown) >= 0);
    }
    if (gone || (from < 0 && to < 0)) { return; }
    // cut the curve where it leaves the tail's box and where it enters the head's box
    var path = e.path, len = path.getTotalLength(), steps = Math.max(16, Math.min(200, Math.ceil(len / 6)));
    var a = from >= 0 ? this.clusters[from].rect : null, b = to >= 0 ? this.clusters[to].rect : null;
    var pts = [];
    for (var s = 0; s <= steps; s++) {
      var p = path.getPointAtLength(len * s / steps);
      if ((a && inside(p, a)) || (b && inside(p, b))) { continue; }
      pts.push([p.x, p.y]);
    }
    if (pts.length < 2) { e.g.classList.add('tg-gone'); return; }
    e.path.setAttribute('d', 'M' + pts.map(function (q) { return q[0].toFixed(2) + ',' + q[1].toFixed(2); }).join('L'));
    if (e.arrow && b) {
      // the arrowhead at the box's border, along the curve's last direction
      var q1 = pts[pts.length - 1], q0 = pts[Math.max(0, pts.length - 3)];
      var dx = q1[0] - q0[0], dy = q1[1] - q0[1], n = Math.sqrt(dx * dx + dy * dy) || 1;
      dx /= n; dy /= n;
      var tip = [q1[0] + dx * 1, q1[1] + dy * 1], base = [q1[0] - dx * 9, q1[1] - dy * 9];
      e.arrow.setAttribute('points', [[base[0] - dy * 3.5, base[1] + dx * 3.5], tip,
        [base[0] + dy * 3.5, base[1] - dx * 3.5]].map(function (q) { return q[0].toFixed(2) + ',' + q[1].toFixed(2); }).join(' '));
    }
  };

  Collapser.prototype.mark = function () {
    // a collapsed box shows the playback's current node and the selected one when they are inside
    var ex = this.ex, shown = this.shown(), cur = ex.part(ex.current()), sel = ex.part(ex.selectedUnit);
    var curAt = cur ? this.boxAt(centre(cur.g), shown) : -1, selAt = sel ? this.boxAt(centre(sel.g), shown) : -1;
    for (var i = 0; i < this.clusters.length; i++) {
      var box = this.clusters[i].box;
      if (!box) { continue; }
      box.classList.toggle('tg-current', i === curAt);
      box.classList.toggle('tg-selected', i === selAt);
    }
  };

  Collapser.prototype.state = function (st) {
    var cs = this.clusters, names = [];
    for (var i in this.collapsed) { names.push(cs[+i].name); }
    st.collapsed = names.sort();
  };

  var CSS = [
    '.tg-explorer .tg-gone, .tg-explorer .tg-gone-text { visibility: hidden; pointer-events: none; }',
    '.tg-explorer g.tg-cluster text.tg-cluster-label { cursor: pointer; }',
    '.tg-explorer g.tg-cluster text.tg-cluster-label:hover { text-decoration: underline; fill: #1f6feb; }',
    '.tg-explorer g.tg-cluster > g > a > path { pointer-events: stroke; cursor: pointer; }',
    '.tg-explorer g.tg-cbox { cursor: pointer; }',
    '.tg-explorer g.tg-cbox rect { fill: #e6f4ea; stroke: #2f7d46; stroke-width: 2px; }',
    '.tg-explorer g.tg-cbox:hover rect { fill: #d3eedb; }',
    '.tg-explorer g.tg-cbox.tg-current rect { stroke: #1f6feb; stroke-width: 3px; fill: #fff3b0; }',
    '.tg-explorer g.tg-cbox.tg-selected rect { stroke: #8250df; stroke-width: 3px; stroke-dasharray: 5 2; }',
    '.tg-explorer g.tg-cbox text { text-anchor: middle; font-family: Times, serif; }',
    '.tg-explorer g.tg-cbox .tg-cbox-name { font-weight: bold; font-size: 14px; }',
    '.tg-explorer g.tg-cbox .tg-cbox-note { font-size: 10px; fill: #555; }',
    '.tg-explorer .tg-collapse-all-label { font-size: .9em; white-space: nowrap; }'
  ].join('\n');

  TG.addStyle('tg-collapse-style', CSS);
  TG.collapse = function (name, on) { return TG.first().collapser.api(name, on); };
  TG.plugin({
    mount: function (ex) { ex.collapser = new Collapser(ex); },
    render: function (ex) { if (ex.collapser && ex.collapser.clusters.length) { ex.collapser.mark(); } },
    state: function (ex, st) { if (ex.collapser) { ex.collapser.state(st); } },
    handle: function (ex, h) { h.collapse = function (name, on) { return ex.collapser.api(name, on); }; }
  });
})();
