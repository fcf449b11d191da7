"""Every interactive example in README.md runs and prints what the README says."""
import doctest
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_examples(tmp_path, monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("the README draws a graph: install graphviz (apt-get install graphviz)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    text = (ROOT / "README.md").read_text()
    text = "\n".join("" if line.startswith("```") else line for line in text.splitlines())
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(ROOT / "README.md"), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert result.attempted >= 10
    assert result.failed == 0
    assert (tmp_path / "out" / "apple.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_readme_cli_command(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("the CLI draws a graph: install graphviz (apt-get install graphviz)")
    (tmp_path / "out").mkdir()
    out = subprocess.run([sys.executable, "-m", "viz", "(x + y) ** 2", "x=1", "y=2", "-o",
                          "out/chain.svg", "--mode", "both"], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert "dz/dx = 6" in out.stdout and "dz/dy = 6" in out.stdout
    assert (tmp_path / "out" / "chain.svg").exists()
