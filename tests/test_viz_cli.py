"""`python -m viz` / `tracegrad-graph`: a safe calculator that draws and differentiates."""
from __future__ import annotations

import ast
import builtins
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from viz.cli import main

ROOT = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@contextmanager
def no_eval_or_exec():
    """While the CLI runs, eval/exec fail loudly and compile may only build syntax trees."""
    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("viz passed something to eval/exec")

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() used for something other than an AST"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    with mock.patch.object(builtins, "eval", forbidden), \
            mock.patch.object(builtins, "exec", forbidden), \
            mock.patch.object(builtins, "compile", ast_only):
        yield


def run(capsys, *argv):
    with no_eval_or_exec():
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@needs_dot
def test_chain_rule_prints_gradients_and_writes_the_picture(capsys, tmp_path):
    target = tmp_path / "chain.svg"
    code, out, err = run(capsys, "(x + y) ** 2", "x=1", "y=2", "-o", str(target), "--mode", "both")
    assert code == 0, err
    lines = out.splitlines()
    assert "dz/dx = 6" in lines and "dz/dy = 6" in lines  # 2(x + y) at x=1, y=2
    assert "z = 9" in lines
    texts = {"".join(t.itertext()) for t in ET.parse(target).getroot().iter()
             if t.tag.endswith("text")}
    assert {"x", "y", "9", "grad 6"} <= texts


def test_dot_output_and_default_name(capsys, tmp_path, monkeypatch):
    code, out, _ = run(capsys, "exp(x) * y", "x=0", "y=3", "-o", str(tmp_path / "g.dot"))
    assert code == 0
    assert "dz/dx = 3" in out and "dz/dy = 1" in out  # d/dx e^x y = e^0 * 3; d/dy = e^0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-dot-here"))  # graph.svg needs dot: explain
    code, out, err = run(capsys, "x * 2", "x=1")
    assert code == 1 and "dz/dx = 2" in out and "apt-get install graphviz" in err


def test_formula_may_start_with_a_minus(capsys, tmp_path):
    code, out, _ = run(capsys, "-x * y", "x=2", "y=5", "-o", str(tmp_path / "m.gv"))
    assert code == 0 and "dz/dx = -5" in out and "dz/dy = -2" in out


@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('x')", "not allowed: attribute access (.system)"),
    ("__import__('os')", "not allowed: call of __import__()"),
    ("x.__class__", "not allowed: attribute access (.__class__)"),
    ("(lambda: 1)()", "not allowed: lambdas"),
    ("x[0]", "not allowed: subscripts (x[0])"),
    ("open('f')", "not allowed: call of open()"),
    ("x < 1", "not allowed: comparisons"),
    ("exp(x=1)", "not allowed: keyword arguments"),
    ("exp(x, x)", "exactly one argument"),
    ("exp()", "exactly one argument"),
    ("'x' * 2", "not allowed: strings"),
    ("x // 2", "not allowed: the operator"),
    ("x if x else 1", "not allowed: if-else"),
    ("[x][0]", "not allowed: subscripts"),
    ("(y := 2)", "not allowed: assignment expressions"),
    ("f'{x}'", "not allowed: f-strings"),
    ("not x", "not allowed: the operator"),
    ("x +", "syntax error"),
])
def test_refused_constructs(capsys, tmp_path, expression, message):
    code, out, err = run(capsys, expression, "x=1", "-o", str(tmp_path / "r.dot"))
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "r.dot").exists()


@pytest.mark.parametrize("argv, message", [
    (["x + q", "x=1"], "q has no value: pass q=NUMBER"),
    (["x", "x=one"], "'one' is not a number"),
    (["x", "x=inf"], "not a finite number"),
    (["x", "1x=2"], "NAME=NUMBER"),
    (["x", "x=1", "x=2"], "given twice"),
    (["exp + 1"], "exp is a function"),
    (["log(x)", "x=-1"], "log(-1.0) is undefined"),  # the engine's own message
    (["1 / (x - 1)", "x=1"], "divides by zero"),
    (["x", "x=1", "-o", "picture.bmp"], "cannot tell the format"),
])
def test_input_errors_exit_2_with_one_clear_line(capsys, tmp_path, argv, message):
    argv = argv if "-o" in argv else argv + ["-o", str(tmp_path / "e.dot")]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_unused_variable_is_only_a_warning(capsys, tmp_path):
    code, out, err = run(capsys, "x * 3", "x=1", "y=2", "-o", str(tmp_path / "w.dot"))
    assert code == 0 and "dz/dx = 3" in out
    assert "warning: y is given a value but is not used" in err
    assert "dz/dy" not in out


@needs_dot
def test_steps_page(capsys, tmp_path):
    code, _, err = run(capsys, "sigmoid(x) * y", "x=0", "y=2", "-o", str(tmp_path / "g.dot"),
                       "--steps", str(tmp_path / "s.html"))
    assert code == 0, err
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and 'class="tg-explorer"' in page  # two operations: σ and ×


def test_python_dash_m_viz_runs_without_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "viz", "(x + y) ** 2", "x=1", "y=2", "-o",
                         str(tmp_path / "c.dot")], capture_output=True, text=True, env=env,
                        cwd=tmp_path, timeout=60)
    assert ok.returncode == 0 and "dz/dx = 6" in ok.stdout and "dz/dy = 6" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "viz", "x.__class__", "x=1"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert bad.returncode == 2 and "attribute access (.__class__)" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_console_script_points_at_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["tracegrad-graph"] == "viz.cli:main"
    assert main(["--help"]) == 0
