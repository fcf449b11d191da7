/* tracegrad's explorer, what-if: change an input of a scalar graph and the page recomputes every
 * value and gradient at once (the picture's numbers, the panel, the step texts).
 *
 * RULES below are autograd/value.py's rules written again: each operation's forward on numbers
 * and its local derivatives, with the same policy where a value or a derivative does not exist.
 * Forward: a result that is not a finite real number is an error, named as Python names it
 * ("log: log(-1.0) is undefined ..."), shown on the node and in the panel; the nodes after it are
 * not computed and there is no backward pass. Backward: an infinite or undefined derivative is
 * PyTorch's value, inf or nan, shown as such. The backward pass visits the nodes in the engine's
 * order (live.order: autograd.backward_order, the last made first), so the sums come out as
 * Python's do.
 *
 * Script API, on each explorer's handle and on `tracegrad` (the first explorer):
 *   setValue(name, x) -> state()   change an input (a leaf that is not a constant)
 *   resetValues() -> state()       back to the values the page was made with
 *   state().values / .grads        every node's value and gradient, full precision, by name
 *                                  (inf and nan as the strings 'inf', '-inf', 'nan')
 *   state().error                  {node, message} when the forward pass stops at an error
 */
(function () {
  'use strict';
  var TG = window.tracegrad;
  if (!TG || !TG.plugin || TG.whatif) { return; }  // loaded once per page
  var fmt = TG.formatNumber;
  var MAX_PATHS = 20;  // describe.MAX_PATHS: paths listed per node

  // ---- numbers as Python writes them ----------------------------------------------------------
  function pyRepr(x) {
    // Python's repr of a float: 100.0, 2.2, 1e-05, 1e+16, -0.0, inf, nan
    if (isNaN(x)) { return 'nan'; }
    if (!isFinite(x)) { return x > 0 ? 'inf' : '-inf'; }
    if (x === 0) { return 1 / x < 0 ? '-0.0' : '0.0'; }
    var m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
    var sign = m[1], digits = m[2] + (m[3] || ''), exp = +m[4];
    if (exp < -4 || exp >= 16) {
      var mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
      return sign + mant + 'e' + (exp < 0 ? '-' : '+') + (Math.abs(exp) < 10 ? '0' : '') + Math.abs(exp);
    }
    if (exp < 0) { return sign + '0.' + new Array(-exp).join('0') + digits; }
    while (digits.length < exp + 1) { digits += '0'; }
    var whole = digits.slice(0, exp + 1), frac = digits.slice(exp + 1);
    return sign + whole + '.' + (frac || '0');
  }

  function num(x) {  // a number from the JSON: inf and nan travel as strings
    if (typeof x === 'number') { return x; }
    if (x === 'inf') { return Infinity; }
    if (x === '-inf') { return -Infinity; }
    return NaN;
  }

  function report(x) {  // a number for state(): JSON (and WebDriver) have no inf or nan
    if (x === null || x === undefined) { return null; }
    return isFinite(x) ? x : pyRepr(x);
  }

  // ---- autograd/value.py's rules ----------------------------------------------------------------
  function fail(type, message) {
    var e = new Error(message);
    e.pyType = type;  // the exception Python raises
    throw e;
  }

  function quotient(a, b) {  // value.py's _quotient: a / b as IEEE arithmetic (1 / 0 = inf)
    if (b === 0) { return a === 0 ? NaN : (a > 0 ? Infinity : -Infinity); }
    return a / b;
  }

  function power(a, e) {  // value.py's _power: a ** e as IEEE arithmetic (0 ** -1 = inf)
    if (a === 0 && e < 0) { return Infinity; }
    if (a < 0 && e !== Math.trunc(e)) { return NaN; }
    var r = Math.pow(a, e);
    return isFinite(r) || isNaN(r) ? r : Infinity;  // (Python: OverflowError -> inf)
  }

  function ln(a) {  // value.py's _log of a float
    return a > 0 ? Math.log(a) : a === 0 ? -Infinity : NaN;
  }

  function pow(a, b) {  // value.py's _pow
    if (a === 0 && b < 0) { fail('ZeroDivisionError', 'power: 0 ** ' + pyRepr(b) + ' divides by zero'); }
    if (a < 0 && b !== Math.trunc(b)) {
      fail('ValueError', 'power: ' + pyRepr(a) + ' ** ' + pyRepr(b) + ' is not a real number (a ' +
        'negative base needs an integer exponent)');
    }
    var r = Math.pow(a, b);
    if (!isFinite(r)) { fail('OverflowError', 'power: ' + pyRepr(a) + ' ** ' + pyRepr(b) + ' overflows a float'); }
    return r;
  }

  var HARD_ZERO = { hardZero: true };  // relu' where x <= 0: zero times anything (inf too) is 0

  // name -> {f: forward(inputs...), d: local derivatives(inputs..., out) -> [d/d(input i)]}
  var RULES = {
    add: { f: function (a, b) { return a + b; }, d: function () { return [1, 1]; } },
    sub: { f: function (a, b) { return a - b; }, d: function () { return [1, -1]; } },
    mul: { f: function (a, b) { return a * b; }, d: function (a, b) { return [b, a]; } },
    div: {
      f: function (a, b) {
        if (b === 0) { fail('ZeroDivisionError', 'division: ' + pyRepr(a) + ' / ' + pyRepr(b) + ' divides by zero'); }
        return a / b;
      },
      d: function (a, b, y) { return [quotient(1, b), quotient(-y, b)]; }
    },
    pow: {  // PyTorch's: d/da is 0 where b = 0, d/db is 0 where a = 0 and b >= 0
      f: pow,
      d: function (a, b, y) {
        var da = b * power(a, b - 1), db = y * ln(a);
        return [b === 0 ? 0 : da, a === 0 && b >= 0 ? 0 : db];
      }
    },
    neg: { f: function (a) { return -a; }, d: function () { return [-1]; } },
    exp: {
      f: function (a) {
        var r = Math.exp(a);
        if (!isFinite(r)) { fail('OverflowError', 'exp: exp(' + pyRepr(a) + ') overflows a float (largest argument is ~709.78)'); }
        return r;
      },
      d: function (a, y) { return [y]; }
    },
    log: {
      f: function (a) {
        if (a <= 0) { fail('ValueError', 'log: log(' + pyRepr(a) + ') is undefined (log needs a positive number)'); }
        return Math.log(a);
      },
      d: function (a) { return [quotient(1, a)]; }
    },
    tanh: { f: Math.tanh, d: function (a, y) { return [1 - y * y]; } },
    sigmoid: {  // the two branches keep exp from overflowing
      f: function (a) {
        if (a >= 0) { return 1 / (1 + Math.exp(-a)); }
        var e = Math.exp(a);
        return e / (1 + e);
      },
      d: function (a, y) { return [y * (1 - y)]; }
    },
    relu: { f: function (a) { return a > 0 ? a : 0; }, d: function (a) { return [a > 0 ? 1 : HARD_ZERO]; } },
    sqrt: {
      f: function (a) {
        if (a < 0) { fail('ValueError', 'sqrt: sqrt(' + pyRepr(a) + ') is undefined (sqrt needs a number >= 0)'); }
        return Math.sqrt(a);
      },
      d: function (a, y) { return [quotient(0.5, y)]; }
    },
    abs: { f: Math.abs, d: function (a) { return [a > 0 ? 1 : a < 0 ? -1 : 0]; } }
  };

  function powerRule(n) {  // value.py's power_rule(n): x ** n for a constant n
    return {
      f: function (a) { return pow(a, n); },
      d: function (a) { return n === 0 || n === 1 ? [n] : [n * power(a, n - 1)]; }
    };
  }

  function ruleOf(node, live) {
    if (node.opName === 'pow' && node.parents.length === 1) { return powerRule(live.n); }
    return RULES[node.opName];
  }

  // ---- the whole graph: forward, then backward --------------------------------------------------
  function compute(nodes, live, leafValues, output) {
    // {v: values, d: local derivatives per node, g: gradients (null after a forward error),
    //  error: {node, type, message} or null, stopped: which nodes could not be computed}
    var n = nodes.length, v = new Array(n), d = new Array(n), stopped = new Array(n), error = null;
    var k, i;
    for (k = 0; k < n; k++) {
      var ps = nodes[k].parents;
      if (!ps.length) { v[k] = leafValues[k]; continue; }
      var args = [];
      for (i = 0; i < ps.length; i++) {
        if (stopped[ps[i]]) { stopped[k] = true; }
        args.push(v[ps[i]]);
      }
      if (stopped[k]) { continue; }
      var rule = ruleOf(nodes[k], live.nodes[k]);
      try {
        var y = rule.f.apply(null, args);
        if (!isFinite(y)) {  // value.py's _overflow
          fail('OverflowError', nodes[k].opName + '(' + args.map(pyRepr).join(', ') + ') = ' +
            pyRepr(y) + ': the result is not a finite number');
        }
        v[k] = y;
        d[k] = rule.d.apply(null, args.concat([y]));
      } catch (e) {
        if (!e.pyType) { throw e; }
        stopped[k] = true;
        if (!error) { error = { node: k, type: e.pyType, message: e.message }; }
      }
    }
    if (error) { return { v: v, d: d, g: null, error: error, stopped: stopped }; }
    var g = new Array(n);
    for (k = 0; k < n; k++) { g[k] = 0; }
    g[output] = 1;  // the seed
    for (var j = 0; j < live.order.length; j++) {  // engine.backward's order
      k = live.order[j];
      for (i = 0; i < nodes[k].parents.length; i++) {
        g[nodes[k].parents[i]] += d[k][i] === HARD_ZERO ? 0 : d[k][i] * g[k];
      }
    }
    return { v: v, d: d, g: g, error: null, stopped: stopped };
  }

  function localNumber(x) { return x === HARD_ZERO ? 0 : x; }

  function sentAlong(local, g) { return local === HARD_ZERO ? 0 : local * g; }

  // ---- one explorer's what-if ---------------------------------------------------------------------
  function WhatIf(ex) {
    this.ex = ex;
    var data = ex.data, n = data.nodes.length;
    this.live = data.live || { editable: 'This page was made without what-if data.', nodes: [] };
    this.editable = this.live.editable === true;
    this.original = new Array(n);
    this.values = new Array(n);
    this.saved = new Array(n);  // what describe() wrote, for the parts that never change
    for (var k = 0; k < n; k++) {
      var nd = data.nodes[k], lv = this.live.nodes[k] || {};
      this.original[k] = this.values[k] = lv.v;
      this.saved[k] = { sections: nd.sections, paths: nd.paths };
    }
    this.result = null;  // null: the numbers Python wrote; else compute()'s result
    this.buildBar();
    if (this.editable) { this.bindDrag(); }
  }

  WhatIf.prototype.leafName = function (k) { return this.ex.nodes[k].name; };

  WhatIf.prototype.editableLeaves = function () {
    var out = [];
    for (var k = 0; k < this.ex.nodes.length; k++) {
      if (this.ex.nodes[k].leaf && !this.ex.nodes[k].const) { out.push(k); }
    }
    return out;
  };

  WhatIf.prototype.buildBar = function () {
    var ex = this.ex, self = this;
    var bar = document.createElement('div');
    bar.className = 'tg-whatif-bar';
    bar.style.display = 'none';
    this.barText = document.createElement('span');
    this.resetButton = document.createElement('button');
    this.resetButton.type = 'button';
    this.resetButton.textContent = 'reset values';
    this.resetButton.addEventListener('click', function () { self.reset(); });
    bar.appendChild(this.barText);
    bar.appendChild(this.resetButton);
    this.bar = bar;
    var toolbar = ex.root.querySelector('.tg-toolbar');
    toolbar.parentNode.insertBefore(bar, toolbar.nextSibling);
  };

  WhatIf.prototype.check = function (name, x) {
    // the node index a setValue(name, x) changes, or an error saying what is wrong
    var ex = this.ex;
    if (!this.editable) { throw new Error('tracegrad.setValue: ' + this.live.editable); }
    var unit = ex.find(name);
    if (!unit || unit.node === undefined) { throw new Error('tracegrad.setValue: no node named ' + JSON.stringify(name)); }
    var k = unit.node, nd = ex.nodes[k];
    var inputs = this.editableLeaves().map(function (i) { return ex.nodes[i].name; }).join(', ');
    if (nd.const) {
      throw new Error('tracegrad.setValue: ' + nd.name + ' is a constant written in the program; ' +
        'change an input: ' + inputs);
    }
    if (!nd.leaf) {
      throw new Error('tracegrad.setValue: ' + nd.name + ' is computed (' + nd.expr + '); change ' +
        'an input instead: ' + inputs);
    }
    if (typeof x === 'string' && x.trim() !== '') { x = Number(x); }
    if (typeof x !== 'number' || !isFinite(x)) {
      throw new Error('tracegrad.setValue(' + JSON.stringify(name) + ', ' + String(x) + '): a value ' +
        'must be a finite number, as for Value(...)');
    }
    return { k: k, x: x };
  };

  WhatIf.prototype.set = function (name, x) {
    var c = this.check(name, x);
    this.values[c.k] = c.x;
    this.update();
  };

  WhatIf.prototype.reset = function () {
    this.values = this.original.slice();
    this.result = null;
    this.update();
  };

  WhatIf.prototype.changed = function () {
    var out = [];
    for (var k = 0; k < this.values.length; k++) {
      if (this.values[k] !== this.original[k]) { out.push(k); }
    }
    return out;
  };

  WhatIf.prototype.update = function () {
    var ex = this.ex;
    this.result = compute(ex.nodes, this.live, this.values, ex.data.output);
    this.rewriteData();
    this.rewriteSvg();
    this.updateBar();
    ex.render();
    if (ex.selectedUnit) { this.rerenderPanel(); }
    if (this.onChange) { this.onChange(); }
  };

  WhatIf.prototype.rerenderPanel = function () {
    // rebuild the panel, keeping the what-if field being typed in (and its caret) as it was
    var ex = this.ex, active = document.activeElement, typing = null;
    if (active && active.classList && active.classList.contains('tg-whatif-input') && ex.panel.contains(active)) {
      typing = { text: active.value, start: active.selectionStart, end: active.selectionEnd };
    }
    var top = ex.panel.scrollTop;
    ex.selectUnit(ex.selectedUnit);
    ex.panel.scrollTop = top;
    var input = ex.panel.querySelector('.tg-whatif-input');
    if (typing && input) {
      input.value = typing.text;
      input.focus();
      try { input.setSelectionRange(typing.start, typing.end); } catch (e) { /* (not a text field) */ }
    }
  };

  WhatIf.prototype.updateBar = function () {
    var ex = this.ex, r = this.result, self = this;
    var changed = this.changed();
    this.bar.classList.toggle('tg-whatif-error', !!(r && r.error));
    if (r && r.error) {
      this.barText.textContent = '✗ The forward pass stops at ' + ex.nodes[r.error.node].name + ': ' +
        r.error.type + ': ' + r.error.message + '. Nothing after it is computed, and there is no ' +
        'backward pass; change the value back. ';
    } else if (changed.length) {
      this.barText.textContent = 'What if: ' + changed.map(function (k) {
        return ex.nodes[k].name + ' = ' + fmt(self.values[k]) + ' (was ' + fmt(self.original[k]) + ')';
      }).join(', ') + '. Every value' + (ex.data.hasGrad ? ' and gradient' : '') +
        ' is recomputed in the page (one backward pass). ';
    }
    this.bar.style.display = changed.length || (r && r.error) ? '' : 'none';
  };

  // ---- the description, rewritten with the new numbers (describe.py's text, for Values) --------
  WhatIf.prototype.shown = function (k) { var nd = this.ex.nodes[k]; return nd.shown || nd.name; };

  WhatIf.prototype.rewriteData = function () {
    var ex = this.ex, data = ex.data, nodes = ex.nodes, r = this.result, self = this;
    var k, i;
    for (k = 0; k < nodes.length; k++) {
      var nd = nodes[k];
      if (nd.const) { continue; }
      if (r.stopped[k]) { this.rewriteStopped(k); continue; }
      nd.value = [pyRepr(r.v[k])];
      if (nd.parents.length) {
        for (i = 0; i < nd.parents.length; i++) { nd.locals[i].number = localNumber(r.d[k][i]); }
      }
      if (r.g && data.hasGrad) {
        nd.passes = 1;
        if (nd.grad.length) { nd.grad = [pyRepr(r.g[k])]; nd.gradNum = r.g[k]; }
        if (nd.parents.length) {
          nd.sent = nd.parents.map(function (p, j) { return sentAlong(r.d[k][j], r.g[k]); });
        }
        if (nd.terms) {
          nd.terms = nd.terms.map(function (t) {
            var up = r.g[t.child], loc = localNumber(r.d[t.child][t.input]);
            return { child: t.child, input: t.input, upstream: up, local: loc, product: up * loc };
          });
        }
      }
      nd.paths = r.error ? undefined : this.saved[k].paths;
      nd.sections = this.sections(k);
    }
    if (r.g && data.hasGrad) { this.rewritePaths(); }
    var texts = function (steps, backward) {
      for (var s = 0; s < steps.length; s++) {
        if (steps[s].node !== undefined && !nodes[steps[s].node].const) {
          steps[s].text = backward ? self.backwardText(steps[s].node) : self.forwardText(steps[s].node);
        }
      }
    };
    texts(data.forward, false);
    texts(data.backward, true);
    if (!this.savedSeed) { this.savedSeed = data.seed; }
    data.seed = r.error ? 'Seed: none: ' + this.stopText() : this.savedSeed;
  };

  WhatIf.prototype.stopText = function () {
    var e = this.result.error;
    return 'the forward pass stopped at ' + this.ex.nodes[e.node].name + ' (' + e.type + ': ' + e.message +
      '), so there is no backward pass';
  };

  WhatIf.prototype.rewriteStopped = function (k) {
    var ex = this.ex, nd = ex.nodes[k], e = this.result.error;
    var lines = [];
    if (k === e.node) {
      lines.push(['Forward error', [e.type + ': ' + e.message,
        'The forward pass stops here: the result is not a finite real number, and autograd raises ' +
        'this error in Python too.']]);
    } else {
      lines.push(['Value', ['not computed: ' + this.stopText().replace(', so there is no backward pass', '')]]);
    }
    lines.push(['How it was computed', [nd.expr].concat(this.given(k))]);
    nd.sections = lines;
    nd.paths = undefined;
  };

  WhatIf.prototype.given = function (k) {
    // 'with a = 2, b = 3': the inputs' values (not for inputs that read as their value)
    var ex = this.ex, r = this.result, self = this, parts = [];
    ex.nodes[k].parents.forEach(function (p) {
      if (r.stopped[p]) { parts.push(ex.nodes[p].name + ' = (not computed)'); return; }
      if (self.shown(p) !== fmt(r.v[p])) { parts.push(ex.nodes[p].name + ' = ' + fmt(r.v[p])); }
    });
    return parts.length ? ['with ' + parts.join(', ')] : [];
  };

  function nonfiniteNote(x, what) {  // describe.nonfinite_note
    if (isNaN(x)) {
      return 'undefined (nan): ' + what + ' has no value at this point (a derivative that does not ' +
        'exist there, or 0 × inf on the way; PyTorch gives nan too)';
    }
    if (!isFinite(x)) {
      return 'infinite: ' + what + ' grows without bound at this point (PyTorch gives ' +
        (x > 0 ? 'inf' : '-inf') + ' too)';
    }
    return '';
  }

  WhatIf.prototype.sections = function (k) {
    // describe._Describer.sections for a Value that is not a constant
    var ex = this.ex, data = ex.data, nd = ex.nodes[k], r = this.result, root = data.root;
    var out = [['Value', nd.value]];
    var saved = this.saved[k].sections;
    for (var s = 0; s < saved.length; s++) { if (saved[s][0] === 'Drawn inside') { out.unshift(saved[s]); } }
    if (r.error) {
      out.push(['Gradient', ['none: ' + this.stopText()]]);
    } else if (!data.hasGrad) {
      out.push(['Gradient', ['none yet: call backward() on the output']]);
    } else if (!nd.grad.length) {
      out.push(['Gradient', ['none: it needs no gradient (requires_grad=False), so the backward pass ' +
        'computes none and no path leads to it']]);
    } else {
      var what = '∂' + root + '/∂' + nd.name, note = nonfiniteNote(r.g[k], what);
      out.push(['Gradient ' + what, nd.grad.concat(note ? [note] : [])]);
    }
    if (!nd.parents.length) {
      out.push(['How it was computed', ['an input (a leaf): nothing computed it']]);
    } else {
      out.push(['How it was computed', [nd.expr + ' = ' + fmt(r.v[k])].concat(this.given(k))]);
      out.push(['Local derivatives', this.localLines(k)]);
    }
    if (nd.grad.length && data.hasGrad && !r.error) { out.push(['Chain rule', this.chainLines(k)]); }
    return out;
  };

  WhatIf.prototype.localLines = function (k) {
    var ex = this.ex, nd = ex.nodes[k], r = this.result, live = this.live.nodes[k], self = this;
    return nd.parents.map(function (p, i) {
      var d = localNumber(r.d[k][i]), rule = live.rules[i];
      var text = '∂' + self.shown(k) + '/∂' + self.shown(p) + ' = ' + rule[0], numberText = fmt(d);
      if (rule[1] && rule[1] !== numberText) { text += ' = ' + rule[1]; }
      text += ' = ' + numberText;
      if (!isFinite(d)) {
        text += ': ' + (isNaN(d) ? 'undefined (nan)' : 'infinite') + ' at ' + ex.nodes[p].name + ' = ' + fmt(r.v[p]);
      }
      return text;
    });
  };

  WhatIf.prototype.chainLines = function (k) {
    var ex = this.ex, data = ex.data, nd = ex.nodes[k], root = data.root, name = nd.name;
    if (k === data.output) { return ['∂' + root + '/∂' + root + ' = ' + fmt(this.result.g[k]) + ': the seed the backward pass starts from']; }
    var lines = ['∂' + root + '/∂' + name + ' = Σ over every node that uses ' + name + ': ∂' + root +
      '/∂(that node) × ∂(that node)/∂' + name];
    var products = [];
    nd.terms.forEach(function (t) {
      var c = ex.nodes[t.child].name;
      lines.push('  via ' + c + ': ∂' + root + '/∂' + c + ' × ∂' + c + '/∂' + name + ' = ' + fmt(t.upstream) +
        ' × ' + fmt(t.local) + ' = ' + fmt(t.upstream * t.local));
      products.push(fmt(t.upstream) + ' × ' + fmt(t.local));
    });
    lines.push('∂' + root + '/∂' + name + ' = ' + fmt(this.result.g[k]) + ' = ' + products.join(' + '));
    return lines;
  };

  WhatIf.prototype.forwardText = function (k) {
    var nd = this.ex.nodes[k], r = this.result;
    if (r.error && k === r.error.node) { return nd.expr + ': ' + r.error.type + ': ' + r.error.message; }
    if (r.stopped[k]) { return nd.expr + ': not computed (the forward pass stopped at ' + this.ex.nodes[r.error.node].name + ')'; }
    if (!nd.parents.length) { return this.shown(k) + ' = ' + fmt(r.v[k]) + '   (an input)'; }
    return nd.expr + ' = ' + fmt(r.v[k]);
  };

  WhatIf.prototype.backwardText = function (k) {
    var ex = this.ex, nd = ex.nodes[k], r = this.result, self = this, root = ex.data.root;
    if (r.error) { return nd.expr + ': no backward pass: ' + this.stopText().replace(', so there is no backward pass', ''); }
    var g = r.g[k];
    var lines = [nd.expr + ' = ' + fmt(r.v[k]), 'upstream gradient ∂' + root + '/∂' + this.shown(k) + ' = ' + fmt(g)];
    nd.parents.forEach(function (p, i) {
      if (ex.nodes[p].const) { lines.push('→ ' + self.shown(p) + ': nothing (a constant: it needs no gradient)'); return; }
      var loc = localNumber(r.d[k][i]);
      lines.push('→ ' + ex.nodes[p].name + ': ' + fmt(g) + ' × ' + fmt(loc) + ' = ' + fmt(g * loc) + '   (' +
        nd.locals[i].rule + ')');
    });
    return lines.join('\n');
  };

  WhatIf.prototype.rewritePaths = function () {
    // describe._paths for Values: each node's largest path products, and their sum
    var nodes = this.ex.nodes, out = this.ex.data.output, d = this.result.d, n = nodes.length;
    var top = new Array(n), total = new Array(n), uses = new Array(n), k, i;
    for (k = 0; k < n; k++) { uses[k] = []; }
    for (k = 0; k < n; k++) { for (i = 0; i < nodes[k].parents.length; i++) { uses[nodes[k].parents[i]].push([k, i]); } }
    top[out] = [[1, -1, -1, -1]]; total[out] = 1;
    for (k = n - 1; k >= 0; k--) {
      if (k === out) { continue; }
      var candidates = [], s = 0;
      for (var u = 0; u < uses[k].length; u++) {
        var child = uses[k][u][0], slot = uses[k][u][1], local = localNumber(d[child][slot]);
        s += total[child] * local;
        for (var j = 0; j < top[child].length; j++) { candidates.push([top[child][j][0] * local, child, slot, j]); }
      }
      total[k] = s;
      // heapq.nlargest by |product|: a stable sort, largest first
      top[k] = candidates.sort(function (a, b) { return Math.abs(b[0]) - Math.abs(a[0]) || 0; }).slice(0, MAX_PATHS);
      if (nodes[k].paths) { nodes[k].paths = { count: this.saved[k].paths.count, top: top[k], sum: s }; }
    }
    if (nodes[out].paths) { nodes[out].paths = this.saved[out].paths; }
  };

  // ---- the picture's numbers ------------------------------------------------------------------------
  function middle(t) {
    // anchor a text at its middle, once, so that a longer or shorter number stays centred
    if (t.getAttribute('data-tg-mid')) { return; }
    var bb = t.getBBox();
    t.setAttribute('x', String(bb.x + bb.width / 2));
    t.setAttribute('text-anchor', 'middle');
    t.setAttribute('data-tg-mid', '1');
  }

  function setText(list, text) {
    if (!list || !list.length) { return; }
    var t = list[0], tip = t.querySelector('title');  // (a draggable value keeps its tooltip)
    middle(t);
    t.textContent = text;
    if (tip) { t.appendChild(tip); }
  }

  WhatIf.prototype.rewriteSvg = function () {
    var ex = this.ex, r = this.result, nodes = ex.nodes, grads = r.g && ex.data.hasGrad;
    for (var k = 0; k < nodes.length; k++) {
      var nd = nodes[k];
      var value = r.stopped[k] ? (r.error.node === k ? '✗ ' + shortError(r.error.message) : '—') : fmt(r.v[k]);
      var box = ex.box[k], out = ex.out[k];
      if (box && !nd.const) {
        setText(box.texts.value, value);
        box.texts.value.forEach(function (t) { t.classList.toggle('tg-whatif-failed', r.error !== null && r.error.node === k); });
        if (grads) { setText(box.texts.grad, 'grad ' + fmt(r.g[k])); }
      }
      if (out) {
        setText(out.texts.value, r.stopped[k] ? (r.error.node === k ? '✗' : '—') : value);
        if (grads) { setText(out.texts.grad, fmt(r.g[k])); }
      }
      for (var i = 0; i < ex.ins[k].length; i++) {
        var e = ex.ins[k][i], p = nd.parents[i];
        if (!e || nodes[p].const) { continue; }
        setText(e.texts.value, r.stopped[p] ? '—' : fmt(r.v[p]));
        if (grads && !r.stopped[k]) { setText(e.texts.grad, fmt(sentAlong(r.d[k][i], r.g[k]))); }
      }
    }
  };

  function shortError(message) {
    // 'log(-1.0) is undefined' from 'log: log(-1.0) is undefined (log needs a positive number)'
    return message.replace(/^\w+: /, '').replace(/ \(.*\)$/, '').replace(/: the result is not a finite number$/, '');
  }

  WhatIf.prototype.render = function () {
    // after the playback: with a forward error no gradient is shown anywhere
    var ex = this.ex, r = this.result;
    if (!r || !r.error) { return; }
    var hide = function (part) {
      if (!part) { return; }
      part.texts.grad.forEach(function (t) { t.classList.add('tg-hide'); });
      part.g.classList.remove('tg-back', 'tg-hot');
    };
    for (var k = 0; k < ex.nodes.length; k++) {
      hide(ex.box[k]); hide(ex.out[k]);
      ex.ins[k].forEach(hide);
    }
  };

  // ---- dragging a number in the picture, and the panel's field --------------------------------------
  function dragStep(v) {
    // how much one pixel changes a value: about a hundredth of its size, a round number
    var a = Math.abs(v) || 1;
    return Math.pow(10, Math.floor(Math.log10(a)) - 2);
  }

  WhatIf.prototype.bindDrag = function () {
    var ex = this.ex, self = this;
    this.editableLeaves().forEach(function (k) {
      var box = ex.box[k];
      if (!box || !box.texts.value.length) { return; }
      var t = box.texts.value[0];
      t.classList.add('tg-whatif-drag');
      var tip = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      tip.textContent = 'drag sideways to change ' + ex.nodes[k].name + ' (shift: 10 times faster)';
      t.appendChild(tip);
      var drag = null;
      t.addEventListener('pointerdown', function (e) {
        e.stopPropagation();  // (not a pan)
        e.preventDefault();
        drag = { x: e.clientX, v: self.values[k], step: dragStep(self.values[k]) };
        if (t.setPointerCapture) { t.setPointerCapture(e.pointerId); }
      });
      t.addEventListener('pointermove', function (e) {
        if (!drag) { return; }
        var step = drag.step * (e.shiftKey ? 10 : 1);
        var x = Math.round((drag.v + (e.clientX - drag.x) * step) / step) * step;
        x = parseFloat(x.toPrecision(12));
        if (x !== self.values[k]) { self.set(ex.nodes[k].name, x); }
      });
      var end = function () { drag = null; };
      t.addEventListener('pointerup', end);
      t.addEventListener('pointercancel', end);
    });
  };

  WhatIf.prototype.panel = function (unit) {
    var ex = this.ex, self = this;
    if (unit.node === undefined) { return; }
    var k = unit.node, nd = ex.nodes[k];
    var section = document.createElement('div');
    section.className = 'tg-whatif';
    var title = document.createElement('h4');
    title.textContent = 'What if';
    section.appendChild(title);
    var note = document.createElement('p');
    note.className = 'tg-hint';
    if (!this.editable) {
      note.textContent = this.live.editable;
    } else if (nd.leaf && !nd.const) {
      var label = document.createElement('label');
      label.textContent = nd.name + ' = ';
      var input = document.createElement('input');
      input.type = 'text';
      input.inputMode = 'decimal';
      input.className = 'tg-whatif-input';
      input.value = String(this.values[k]);
      input.setAttribute('aria-label', 'value of ' + nd.name);
      input.addEventListener('input', function () {
        var text = input.value.trim(), x = Number(text);
        var ok = text !== '' && isFinite(x);
        input.classList.toggle('tg-whatif-bad', !ok);
        if (ok && x !== self.values[k]) { self.set(nd.name, x); }
      });
      label.appendChild(input);
      section.appendChild(label);
      note.textContent = 'Type a number, or drag ' + nd.name + '\'s number in the picture sideways: ' +
        'every value' + (ex.data.hasGrad ? ' and gradient' : '') + ' of the graph is recomputed at once.';
    } else if (nd.const) {
      note.textContent = 'A constant written in the program: change an input (a grey box) instead.';
    } else {
      note.textContent = 'Change an input (a grey box: select it, or drag its number sideways) to see ' +
        'how ' + nd.name + ' and every gradient change.';
    }
    section.appendChild(note);
    var first = ex.panel.querySelector('pre');  // (under the Value section)
    if (first && first.nextSibling) { ex.panel.insertBefore(section, first.nextSibling); } else { ex.panel.appendChild(section); }
  };

  WhatIf.prototype.state = function (st) {
    // every node's value and gradient, full precision, by name
    var ex = this.ex, r = this.result, values = {}, grads = {};
    if (ex.data.tensor) { return; }
    for (var k = 0; k < ex.nodes.length; k++) {
      var nd = ex.nodes[k];
      if (r) {
        values[nd.name] = r.stopped[k] ? null : report(r.v[k]);
        grads[nd.name] = r.g && ex.data.hasGrad && nd.grad.length ? report(r.g[k]) : null;
      } else {
        values[nd.name] = report(this.original[k]);
        grads[nd.name] = nd.grad.length ? report(num(nd.gradNum)) : null;
      }
    }
    st.values = values;
    st.grads = grads;
    st.error = r && r.error ? { node: ex.nodes[r.error.node].name, type: r.error.type, message: r.error.message } : null;
  };

  // ---- styles (scoped like explorer.css) ----------------------------------------------------------------
  var CSS = [
    '.tg-explorer .tg-whatif-bar { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px;',
    '  padding: .3em .6em; margin: .4em 0 0; font-size: .88em; }',
    '.tg-explorer .tg-whatif-bar button { margin-left: .6em; }',
    '.tg-explorer .tg-whatif-bar.tg-whatif-error { background: #ffebe9; border-color: #cf222e; color: #82071e; }',
    '.tg-explorer .tg-whatif { border-left: 3px solid #d4a72c; padding-left: .5em; margin: .5em 0; }',
    '.tg-explorer .tg-whatif h4 { margin-top: .2em; }',
    '.tg-explorer .tg-whatif-input { width: 10em; font-family: ui-monospace, monospace; }',
    '.tg-explorer .tg-whatif-bad { outline: 2px solid #cf222e; }',
    '.tg-explorer text.tg-whatif-drag { cursor: ew-resize; text-decoration: underline dotted; }',
    '.tg-explorer text.tg-whatif-failed { fill: #cf222e; font-weight: bold; }'
  ].join('\n');

  // ---- wiring -------------------------------------------------------------------------------------------
  TG.whatif = { pyRepr: pyRepr, compute: compute, RULES: RULES, addStyle: TG.addStyle };
  TG.addStyle('tg-whatif-style', CSS);

  TG.plugin({
    mount: function (ex) { ex.whatif = new WhatIf(ex); },
    render: function (ex) { if (ex.whatif) { ex.whatif.render(); } },
    panel: function (ex, unit) { if (ex.whatif) { ex.whatif.panel(unit); } },
    state: function (ex, st) { if (ex.whatif) { ex.whatif.state(st); } },
    handle: function (ex, h) {
      h.setValue = function (name, x) { ex.whatif.set(name, x); return ex.state(); };
      h.resetValues = function () { ex.whatif.reset(); return ex.state(); };
    }
  });
  TG.setValue = function (name, x) { var ex = TG.first(); ex.whatif.set(name, x); return ex.state(); };
  TG.resetValues = function () { var ex = TG.first(); ex.whatif.reset(); return ex.state(); };
})();
