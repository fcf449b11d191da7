/* tracegrad's explorer, practice: the gradients are hidden and the learner finds them.
 *
 * The learner fills in ∂L/∂x for each node, in the backward pass's order or any order. An answer
 * is right when it reads as the real gradient does to the 6 digits the page shows, agrees to the
 * digits typed (3 at least), or is within 1e-3 relative. A right answer shows the node's gradient
 * and draws the red arrows from it back to its inputs (the next layer); a wrong one is answered
 * with the node's chain rule in the learner's own upstream numbers. A Tensor node is answered by
 * its shape and one element (the page names which: the entry of largest |gradient|).
 *
 * Script API, on each explorer's handle and on `tracegrad` (the first explorer):
 *   practice(on) -> state()            switch practice mode on or off (a switch in the toolbar)
 *   answer(name, value) -> {right, explanation}
 *                                      value: a number (or 'inf', 'nan'); for a Tensor node
 *                                      {shape: [3, 5], element: x}
 *   resetPractice() -> state()         start again
 *   state().practice, state().score    {right, wrong, found, total, done}
 */
(function () {
  'use strict';
  var TG = window.tracegrad;
  if (!TG || !TG.plugin || TG.practiceMode) { return; }  // loaded once per page
  var fmt = TG.formatNumber;

  function num(x) {  // a number from the JSON: inf and nan travel as strings
    if (typeof x === 'number') { return x; }
    if (x === 'inf') { return Infinity; }
    if (x === '-inf') { return -Infinity; }
    return NaN;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function parseNumber(x) {
    // a number, or the text of one ('2.2', '-1e-3', 'inf', 'nan'); NaN-free null when it is neither
    if (typeof x === 'number') { return x; }
    if (typeof x !== 'string') { return null; }
    var t = x.trim().toLowerCase().replace(/−/g, '-');
    if (t === 'inf' || t === '+inf' || t === 'infinity') { return Infinity; }
    if (t === '-inf' || t === '-infinity') { return -Infinity; }
    if (t === 'nan') { return NaN; }
    if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) { return null; }
    return Number(t);
  }

  function significantDigits(text) {
    // how many significant digits an answer was typed with ('0.333' -> 3, '220' -> 3)
    var m = /^[+-]?(\d*)\.?(\d*)/.exec(String(text).trim().toLowerCase());
    var digits = (m[1] + m[2]).replace(/^0+/, '');
    return digits.length;
  }

  function agrees(answer, text, truth) {
    // right: as shown (6 digits), to the digits typed (3 at least), or within 1e-3 relative
    if (isNaN(truth)) { return isNaN(answer); }
    if (!isFinite(truth)) { return answer === truth; }
    if (!isFinite(answer)) { return false; }
    if (fmt(answer) === fmt(truth)) { return true; }
    var d = typeof text === 'string' ? significantDigits(text) : 0;
    if (d >= 3 && d <= 17 && Number(truth.toPrecision(d)) === Number(answer.toPrecision(d))) { return true; }
    return Math.abs(answer - truth) <= 1e-3 * Math.abs(truth) * (1 + 1e-9);
  }

  function shapeText(shape) {  // as Python writes it: (3, 5), (3,), ()
    return '(' + shape.join(', ') + (shape.length === 1 ? ',' : '') + ')';
  }

  function parseShape(x) {
    if (Array.isArray(x)) { return x.map(Number); }
    if (typeof x !== 'string') { return null; }
    var parts = x.replace(/[()[\]\s]/g, '').split(',').filter(function (p) { return p !== ''; });
    if (parts.some(function (p) { return !/^\d+$/.test(p); })) { return null; }
    return parts.map(Number);
  }

  // ---- one explorer's practice ----------------------------------------------------------------------
  function Practice(ex) {
    this.ex = ex;
    this.on = false;
    this.available = !!ex.data.hasGrad;
    this.uses = [];
    for (var k = 0; k < ex.nodes.length; k++) { this.uses.push([]); }
    for (var c = 0; c < ex.nodes.length; c++) {
      var ps = ex.nodes[c].parents;
      for (var i = 0; i < ps.length; i++) { this.uses[ps[i]].push([c, i]); }
    }
    this.buildControls();
    this.clear();
    var self = this;
    if (ex.whatif) {
      ex.whatif.onChange = function () {
        if (!self.on) { return; }
        self.clear();
        self.notice = 'The values changed, so the gradients did: a new round.';
        ex.render();
        self.updateBar();
      };
    }
  }

  Practice.prototype.clear = function () {
    this.answers = {};  // node -> {shown: what was typed, value, right}
    this.feedback = {};  // node -> {right, explanation}
    this.right = 0;
    this.wrong = 0;
    this.notice = '';
  };

  Practice.prototype.buildControls = function () {
    var ex = this.ex, self = this;
    var label = el('label', 'tg-practice-switch');
    this.checkbox = el('input');
    this.checkbox.type = 'checkbox';
    this.checkbox.disabled = !this.available;
    label.title = this.available ? 'hide the gradients and find them yourself'
      : 'practice needs the gradients to check your answers: call backward() before exploring';
    label.appendChild(this.checkbox);
    label.appendChild(document.createTextNode(' practise'));
    this.checkbox.addEventListener('change', function () { self.set(self.checkbox.checked); });
    ex.root.querySelector('.tg-toolbar').appendChild(label);
    var bar = el('div', 'tg-practice-bar');
    bar.style.display = 'none';
    this.barText = el('span');
    var reset = el('button', null, 'start again');
    reset.type = 'button';
    reset.addEventListener('click', function () { self.reset(); });
    bar.appendChild(this.barText);
    bar.appendChild(reset);
    this.bar = bar;
    var toolbar = ex.root.querySelector('.tg-toolbar');
    toolbar.parentNode.insertBefore(bar, toolbar.nextSibling);
  };

  Practice.prototype.set = function (on) {
    var ex = this.ex;
    if (on && !this.available) {
      throw new Error('tracegrad.practice: this graph has no gradients to check answers against; ' +
        'call backward() before exploring');
    }
    this.on = !!on;
    this.checkbox.checked = this.on;
    this.bar.style.display = this.on ? '' : 'none';
    ex.pause();
    // the values stay (the forward pass, to its end); the backward playback would tell the answers
    ex.setMode(this.on ? 'forward' : (ex.data.hasGrad ? 'both' : 'forward'));
    ex.modeSelect.disabled = this.on;
    ex.setStep(ex.total());
    this.updateBar();
    this.refreshPanel();
  };

  Practice.prototype.reset = function () {
    this.clear();
    this.ex.render();
    this.updateBar();
    this.refreshPanel();
  };

  // ---- what is true, what is known --------------------------------------------------------------------
  Practice.prototype.tensor = function () { return !!this.ex.data.tensor; };

  Practice.prototype.needs = function (k) {
    // whether the learner finds this node's gradient (not the output's seed, not a constant's)
    var ex = this.ex, nd = ex.nodes[k];
    if (k === ex.data.output || nd.const) { return false; }
    return this.tensor() ? !!(ex.data.live && ex.data.live.nodes[k].need) : nd.grad.length > 0;
  };

  Practice.prototype.truth = function (k) {
    var ex = this.ex, w = ex.whatif;
    if (this.tensor()) {
      var lv = ex.data.live.nodes[k];
      return { shape: lv.shape, pick: lv.pick, element: num(lv.element) };
    }
    if (w && w.result && w.result.g) { return w.result.g[k]; }
    return num(ex.nodes[k].gradNum);
  };

  Practice.prototype.local = function (k, i) {
    var w = this.ex.whatif;
    if (w && w.result && w.result.d[k]) { var d = w.result.d[k][i]; return typeof d === 'number' ? d : 0; }
    return num(this.ex.nodes[k].locals[i].number);
  };

  Practice.prototype.known = function (k) {
    // shown to the learner: the output's seed, and every gradient found
    return k === this.ex.data.output || !!(this.answers[k] && this.answers[k].right);
  };

  Practice.prototype.ready = function (k) {
    // every node that uses k has its gradient known: the chain rule can be applied now
    var self = this;
    return this.uses[k].every(function (u) { return self.known(u[0]); });
  };

  Practice.prototype.todo = function () {
    // the nodes left, in the backward pass's order (reversed topological order)
    var out = [];
    for (var k = this.ex.nodes.length - 1; k >= 0; k--) { if (this.needs(k) && !this.known(k)) { out.push(k); } }
    return out;
  };

  Practice.prototype.score = function () {
    var total = 0, found = 0;
    for (var k = 0; k < this.ex.nodes.length; k++) {
      if (this.needs(k)) { total += 1; if (this.known(k)) { found += 1; } }
    }
    return { right: this.right, wrong: this.wrong, found: found, total: total, done: found === total };
  };

  // ---- answers ------------------------------------------------------------------------------------------
  Practice.prototype.answer = function (name, value) {
    var ex = this.ex;
    if (!this.on) { throw new Error('tracegrad.answer: practice mode is off; switch it on with tracegrad.practice(true)'); }
    var unit = ex.find(name);
    if (!unit || unit.node === undefined) { throw new Error('tracegrad.answer: no node named ' + JSON.stringify(name)); }
    var k = unit.node, nd = ex.nodes[k], root = ex.data.root;
    if (k === ex.data.output) {
      throw new Error('tracegrad.answer: ' + nd.name + ' is the output: ∂' + root + '/∂' + root + ' = 1 is the seed, given');
    }
    if (!this.needs(k)) {
      throw new Error('tracegrad.answer: ' + nd.name + ' needs no gradient (' + (nd.const ? 'a constant' : 'requires_grad=False') + ')');
    }
    var before = this.answers[k];
    var result = this.tensor() ? this.checkTensor(k, value) : this.checkScalar(k, value);
    if (before && before.right) {  // found already: each node is scored once, and stays found
      this.answers[k] = before;
      result = { right: result.right, explanation: 'Already found (not scored again). ' + result.explanation };
    } else if (result.right) { this.right += 1; } else { this.wrong += 1; }
    this.feedback[k] = result;
    this.notice = '';
    ex.render();
    this.updateBar();
    this.refreshPanel();
    return { right: result.right, explanation: result.explanation };
  };

  Practice.prototype.checkScalar = function (k, value) {
    var ex = this.ex, nd = ex.nodes[k], root = ex.data.root;
    var x = parseNumber(value);
    if (x === null) {
      throw new Error('tracegrad.answer(' + JSON.stringify(nd.name) + ', ' + JSON.stringify(value) +
        '): the answer must be a number (or inf, nan)');
    }
    var truth = this.truth(k), right = agrees(x, typeof value === 'string' ? value : String(value), truth);
    var what = '∂' + root + '/∂' + nd.name;
    this.answers[k] = { shown: typeof value === 'string' ? value.trim() : fmt(x), value: x, right: right };
    if (right) {
      return { right: true, explanation: 'Right: ' + what + ' = ' + fmt(truth) + '.\n' +
        this.expansion(k, false).join('\n') + '\n' + this.nextText(k) };
    }
    var lines = ['Not quite: ' + what + ' is not ' + fmt(x) + '.'].concat(this.expansion(k, true));
    return { right: false, explanation: lines.join('\n') };
  };

  Practice.prototype.upstream = function (c) {
    // the learner's own number for ∂L/∂c: {value, text, state: 'seed' | 'right' | 'wrong' | 'missing'}
    var ex = this.ex;
    if (c === ex.data.output) { return { value: 1, text: '1', state: 'seed' }; }
    var a = this.answers[c];
    if (!a) { return { value: null, text: '?', state: 'missing' }; }
    return { value: a.value, text: fmt(a.value), state: a.right ? 'right' : 'wrong' };
  };

  Practice.prototype.expansion = function (k, mine) {
    // the chain rule for node k, term by term: with the learner's upstream numbers (mine), or the
    // real ones (after a right answer)
    var ex = this.ex, nd = ex.nodes[k], root = ex.data.root, name = nd.name, self = this;
    var lines = ['∂' + root + '/∂' + name + ' = Σ over every node that uses ' + name + ': ∂' + root +
      '/∂(that node) × ∂(that node)/∂' + name];
    var sum = 0, missing = [], wrong = [], products = [];
    this.uses[k].forEach(function (u) {
      var c = u[0], i = u[1], cn = ex.nodes[c].name, up = self.upstream(c);
      var local = self.local(c, i), rule = self.ruleText(c, i);
      var upText = up.text;
      if (up.state === 'seed') { upText = '1 (the seed)'; }
      else if (up.state === 'right') { upText = up.text + ' (found)'; }
      else if (up.state === 'wrong') { upText = up.text + ' (your answer, not right yet)'; wrong.push(cn); }
      else { upText = '? (not found yet)'; missing.push(cn); }
      var line = '  via ' + cn + ': ∂' + root + '/∂' + cn + ' × ∂' + cn + '/∂' + name + ' = ' + upText + ' × ' + rule;
      if (!mine || up.value !== null) {
        var upValue = mine ? up.value : (c === ex.data.output ? 1 : self.truth(c));
        line += ' = ' + fmt(upValue) + ' × ' + fmt(local) + ' = ' + fmt(upValue * local);
        sum += upValue * local;
        products.push(fmt(upValue) + ' × ' + fmt(local));
      }
      lines.push(line);
    });
    if (!mine) { return lines; }
    if (missing.length) {
      lines.push('The sum needs ∂' + root + '/∂' + missing.join(', ∂' + root + '/∂') + ' first: find ' +
        (missing.length > 1 ? 'those' : 'that') + ' (any order is allowed, but the chain rule needs them).');
    } else {
      lines.push('With your numbers: ' + products.join(' + ') + ' = ' + fmt(sum) + '.');
      var a = this.answers[k];
      if (wrong.length && a && agrees(a.value, a.shown, sum)) {
        lines.push('Your answer follows from your ∂' + root + '/∂' + wrong.join(', ∂' + root + '/∂') +
          ', which ' + (wrong.length > 1 ? 'are' : 'is') + ' not right: fix that first.');
      } else if (wrong.length) {
        lines.push('(∂' + root + '/∂' + wrong.join(', ∂' + root + '/∂') + ' above ' + (wrong.length > 1 ? 'are' : 'is') +
          ' not right yet either.)');
      } else if (this.uses[k].length > 1) {
        lines.push('Check each product, and that you added every use of ' + name + '.');
      } else {
        lines.push('Check the local derivative and the product.');
      }
    }
    return lines;
  };

  Practice.prototype.ruleText = function (c, i) {
    // '∂(apple × apple_num)/∂apple = apple_num' without its number, for a Value; the matrix rule
    var ex = this.ex, live = ex.data.live && ex.data.live.nodes[c];
    if (live && live.rules) { var r = live.rules[i]; return r[1] ? r[1] : r[0]; }
    var rule = ex.nodes[c].locals[i].rule;
    return Array.isArray(rule) ? rule.join('; ') : rule;
  };

  Practice.prototype.nextText = function (k) {
    var ex = this.ex, self = this;
    var inputs = ex.nodes[k].parents.filter(function (p) { return self.needs(p); });
    if (!inputs.length) { return 'An input: nothing lies behind it.'; }
    var names = inputs.map(function (p) { return ex.nodes[p].name; });
    var unique = names.filter(function (n, i) { return names.indexOf(n) === i; });
    return 'The red arrows back to ' + unique.join(', ') + ' are drawn now: ' +
      (unique.length > 1 ? 'their gradients come next.' : 'its gradient comes next.');
  };

  Practice.prototype.checkTensor = function (k, value) {
    var ex = this.ex, nd = ex.nodes[k], root = ex.data.root, t = this.truth(k);
    var shape = value && parseShape(value.shape), element = value ? parseNumber(value.element) : null;
    if (!value || typeof value !== 'object' || shape === null || element === null) {
      throw new Error('tracegrad.answer(' + JSON.stringify(nd.name) + ', ...): a Tensor node is answered ' +
        'by its shape and one element: {shape: [3, 5], element: 0.25}');
    }
    var at = '[' + t.pick.join(', ') + ']', what = '∂' + root + '/∂' + nd.name;
    var shapeRight = shapeText(shape) === shapeText(t.shape);
    var text = typeof value.element === 'string' ? value.element : String(element);
    var elementRight = agrees(element, text, t.element);
    var right = shapeRight && elementRight;
    this.answers[k] = { shown: shapeText(shape) + ', ' + fmt(element), value: element, right: right };
    var lines = [];
    if (right) {
      lines.push('Right: ' + what + ' has the shape ' + shapeText(t.shape) + ' and ' + what + at + ' = ' + fmt(t.element) + '.');
      lines.push(this.nextText(k));
      return { right: true, explanation: lines.join('\n') };
    }
    lines.push('Not quite:');
    lines.push(shapeRight ? '  the shape ' + shapeText(shape) + ' is right.'
      : '  the shape: ' + what + ' has the shape of ' + nd.name + ' itself, ' + shapeText(t.shape) +
        ' (every entry of ' + nd.name + ' gets its own derivative), not ' + shapeText(shape) + '.');
    lines.push(elementRight ? '  the element ' + at + ' is right.' : '  the element ' + at + ' is not ' + fmt(element) + '.');
    lines.push(what + ' = Σ over every node that uses ' + nd.name + ' of what it sends back:');
    var self = this;
    this.uses[k].forEach(function (u) {
      var c = u[0], i = u[1], cn = ex.nodes[c].name, up = self.upstream(c);
      var rule = ex.nodes[c].locals[i].rule;
      lines.push('  from ' + cn + ' (' + ex.nodes[c].op + '): ' + (Array.isArray(rule) ? rule.join('; ') : rule));
      lines.push('    with ∂' + root + '/∂' + cn + ': ' + (up.state === 'seed' ? '1 (the seed)'
        : up.state === 'right' ? 'found (its panel shows it in full)'
          : up.state === 'wrong' ? 'your answer, not right yet' : 'not found yet: find it first'));
    });
    lines.push('Work out the whole array with these rules (with NumPy, say) and read entry ' + at + '.');
    return { right: false, explanation: lines.join('\n') };
  };

  // ---- the picture -------------------------------------------------------------------------------------------
  Practice.prototype.render = function () {
    var ex = this.ex;
    if (!this.on) { return; }
    var self = this;
    var show = function (list, visible) { list.forEach(function (t) { t.classList.toggle('tg-hide', !visible); }); };
    for (var k = 0; k < ex.nodes.length; k++) {
      var known = this.known(k), box = ex.box[k], out = ex.out[k];
      if (box) {
        show(box.texts.grad, known && !ex.nodes[k].const);
        box.g.classList.toggle('tg-practice-ready', this.needs(k) && !known && this.ready(k));
        box.g.classList.toggle('tg-practice-found', this.needs(k) && known);
      }
      if (out) {
        show(out.texts.grad, known);
        out.g.classList.toggle('tg-back', known);
      }
      ex.ins[k].forEach(function (e, i) {
        if (!e) { return; }
        var p = ex.nodes[k].parents[i];
        // the next layer: arrows back from a node whose gradient is known; the number on an arrow
        // once its input's gradient is found too
        e.g.classList.toggle('tg-back', known && !ex.nodes[p].const);
        e.g.classList.remove('tg-hot', 'tg-flow');
        show(e.texts.grad, known && self.known(p));
      });
    }
  };

  Practice.prototype.updateBar = function () {
    if (!this.on) { return; }
    var ex = this.ex, s = this.score(), todo = this.todo(), root = ex.data.root;
    var text = 'Practice: find ∂' + root + '/∂x for every node. Score: ' + s.found + ' of ' + s.total +
      ' found, ' + s.wrong + ' wrong answer' + (s.wrong === 1 ? '' : 's') + '. ';
    if (s.done) {
      text += 'All found: that is the whole backward pass. ';
    } else {
      var self = this, ready = todo.filter(function (k) { return self.ready(k); });
      text += 'Ready now (dashed orange): ' + ready.map(function (k) { return ex.nodes[k].name; }).join(', ') +
        '; the backward pass would do ' + ex.nodes[todo[0]].name + ' next. ';
    }
    if (this.notice) { text = this.notice + ' ' + text; }
    this.barText.textContent = text;
  };

  // ---- the panel -----------------------------------------------------------------------------------------------
  Practice.prototype.refreshPanel = function () {
    var ex = this.ex;
    if (ex.selectedUnit) { ex.selectUnit(ex.selectedUnit); }
    else if (this.on) { this.intro(); }
    else { ex.panel.textContent = ''; ex.panel.appendChild(el('p', 'tg-hint', 'Click any node to see its value, its gradient and why.')); }
  };

  Practice.prototype.intro = function () {
    var ex = this.ex, root = ex.data.root, panel = ex.panel;
    panel.textContent = '';
    panel.appendChild(el('h3', 'tg-title', 'Practise the backward pass'));
    panel.appendChild(el('p', null, 'The gradients are hidden. ∂' + root + '/∂' + root + ' = 1 is the seed. ' +
      'Click a node and type ∂' + root + '/∂(that node): start next to ' + root + ' and work back, as the ' +
      'backward pass does, or in any order you like. A right answer draws the red arrows back to the ' +
      'node\'s inputs; a wrong one shows the chain rule with your numbers.'));
    if (this.tensor()) {
      panel.appendChild(el('p', null, 'Tensor nodes: answer the gradient\'s shape and the one element the ' +
        'panel names.'));
    }
  };

  Practice.prototype.panel = function (unit) {
    if (!this.on) { return; }
    var ex = this.ex, panel = ex.panel, root = ex.data.root, self = this;
    panel.textContent = '';
    if (unit.module !== undefined) {
      var m = ex.modules[unit.module];
      panel.appendChild(el('h3', 'tg-title', m.name));
      panel.appendChild(el('p', null, 'A collapsed module: its gradients are hidden in practice mode. ' +
        'Answer its nodes with tracegrad.answer(name, value), or explore with collapse=False.'));
      return;
    }
    var k = unit.node, nd = ex.nodes[k];
    var title = el('h3', 'tg-title', nd.name);
    if (nd.title) { title.appendChild(el('span', 'tg-opname', '  ' + nd.title)); }
    panel.appendChild(title);
    var section = function (head, lines) {
      panel.appendChild(el('h4', null, head));
      panel.appendChild(el('pre', 'tg-lines', lines.join('\n')));
    };
    section('Value', nd.value);
    var how = nd.sections.filter(function (s) { return s[0] === 'How it was computed'; })[0];
    if (how) { section(how[0], how[1]); }
    if (nd.parents.length) {
      var live = ex.data.live && ex.data.live.nodes[k];
      section('Local derivatives (the numbers are yours to work out)', nd.parents.map(function (p, i) {
        if (live && live.rules) {
          var r = live.rules[i], shown = function (j) { return ex.nodes[j].shown || ex.nodes[j].name; };
          return '∂' + shown(k) + '/∂' + shown(p) + ' = ' + r[0] + (r[1] ? ' = ' + r[1] : '');
        }
        var rule = nd.locals[i].rule;
        return '∂' + nd.name + '/∂' + ex.nodes[p].name + ': ' + (Array.isArray(rule) ? rule.join('; ') : rule);
      }));
    }
    var box = el('div', 'tg-practice');
    panel.appendChild(box);
    box.appendChild(el('h4', null, 'Your turn'));
    var what = '∂' + root + '/∂' + nd.name;
    if (k === ex.data.output) {
      box.appendChild(el('p', null, what + ' = 1: the seed the backward pass starts from (given).'));
    } else if (!this.needs(k)) {
      box.appendChild(el('p', null, nd.const ? 'A constant: it needs no gradient.' : 'It needs no gradient (requires_grad=False).'));
    } else if (this.known(k)) {
      box.appendChild(el('p', 'tg-practice-right', '✓ Found: ' + what + ' = ' + (this.tensor()
        ? 'shape ' + shapeText(this.truth(k).shape) : fmt(this.truth(k))) + '.'));
      var grad = nd.sections.filter(function (s) { return /^Gradient|^Chain rule/.test(s[0]); });
      grad.forEach(function (s) { section(s[0], s[1]); });
    } else {
      this.form(box, k, what);
      box.appendChild(el('p', 'tg-hint', this.ready(k)
        ? 'Ready: every node that uses ' + nd.name + ' has its gradient known.'
        : 'Not ready yet: first find the gradient of ' + this.uses[k].filter(function (u) { return !self.known(u[0]); })
          .map(function (u) { return ex.nodes[u[0]].name; }).filter(function (n, i, a) { return a.indexOf(n) === i; }).join(', ') +
          ' (any order is allowed, but the chain rule needs those numbers).'));
    }
    var fb = this.feedback[k];
    if (fb) { box.appendChild(el('pre', 'tg-lines ' + (fb.right ? 'tg-practice-right' : 'tg-practice-wrong'), fb.explanation)); }
  };

  Practice.prototype.form = function (box, k, what) {
    var self = this, ex = this.ex, nd = ex.nodes[k];
    var form = el('form', 'tg-practice-form');
    var shapeInput = null, input = el('input', 'tg-practice-input');
    input.type = 'text';
    input.setAttribute('aria-label', what);
    if (this.tensor()) {
      var t = this.truth(k);
      shapeInput = el('input', 'tg-practice-shape');
      shapeInput.type = 'text';
      shapeInput.placeholder = '(3, 5)';
      shapeInput.setAttribute('aria-label', 'shape of ' + what);
      var l1 = el('label', null, 'shape of ' + what + ' = ');
      l1.appendChild(shapeInput);
      form.appendChild(l1);
      form.appendChild(el('br'));
      var l2 = el('label', null, what + '[' + t.pick.join(', ') + '] = ');
      l2.appendChild(input);
      form.appendChild(l2);
    } else {
      var label = el('label', null, what + ' = ');
      label.appendChild(input);
      form.appendChild(label);
    }
    var button = el('button', null, 'check');
    button.type = 'submit';
    form.appendChild(button);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      try {
        self.answer(nd.name, shapeInput ? { shape: shapeInput.value, element: input.value } : input.value);
      } catch (err) {
        box.appendChild(el('p', 'tg-practice-wrong', err.message));
      }
    });
    box.appendChild(form);
  };

  Practice.prototype.state = function (st) {
    st.practice = this.on;
    st.score = this.score();
  };

  var CSS = [
    '.tg-explorer .tg-practice-switch { font-size: .95em; margin-left: .4em; }',
    '.tg-explorer .tg-practice-bar { background: #ddf4ff; border: 1px solid #54aeff; border-radius: 4px;',
    '  padding: .3em .6em; margin: .4em 0 0; font-size: .88em; }',
    '.tg-explorer .tg-practice-bar button { margin-left: .6em; }',
    '.tg-explorer .tg-practice { border-left: 3px solid #54aeff; padding-left: .5em; margin: .5em 0; }',
    '.tg-explorer .tg-practice input { width: 9em; font-family: ui-monospace, monospace; }',
    '.tg-explorer .tg-practice-right { color: #1a7f37; }',
    '.tg-explorer .tg-practice-wrong { color: #a40e26; }',
    '.tg-explorer g.node.tg-practice-ready path, .tg-explorer g.node.tg-practice-ready polygon {',
    '  stroke: #d4700b; stroke-width: 2.5px; stroke-dasharray: 4 2; }',
    '.tg-explorer g.node.tg-practice-found path, .tg-explorer g.node.tg-practice-found polygon {',
    '  stroke: #1a7f37; stroke-width: 2px; }'
  ].join('\n');

  TG.practiceMode = true;
  if (TG.whatif) { TG.whatif.addStyle('tg-practice-style', CSS); }

  TG.plugin({
    mount: function (ex) {
      ex.practiceMode = new Practice(ex);
      if (ex.data.practice && ex.practiceMode.available) { ex.practiceMode.set(true); }  // viz.practice
    },
    render: function (ex) { if (ex.practiceMode) { ex.practiceMode.render(); } },
    panel: function (ex, unit) { if (ex.practiceMode) { ex.practiceMode.panel(unit); } },
    state: function (ex, st) { if (ex.practiceMode) { ex.practiceMode.state(st); } },
    handle: function (ex, h) {
      h.practice = function (on) { if (on !== undefined) { ex.practiceMode.set(on); } return ex.state(); };
      h.answer = function (name, value) { return ex.practiceMode.answer(name, value); };
      h.resetPractice = function () { ex.practiceMode.reset(); return ex.state(); };
    }
  });
  TG.practice = function (on) { var ex = TG.first(); if (on !== undefined) { ex.practiceMode.set(on); } return ex.state(); };
  TG.answer = function (name, value) { return TG.first().practiceMode.answer(name, value); };
  TG.resetPractice = function () { var ex = TG.first(); ex.practiceMode.reset(); return ex.state(); };
})();
