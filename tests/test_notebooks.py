"""notebooks/chapter5_tour.ipynb: committed without outputs, executed once by nbclient in this
venv's Python (a kernel spec in a temporary folder, nothing registered), prints the lecture's
numbers, shows one explorer per `viz.explore(...)` cell, and its nbconvert HTML export (no
kernel behind it) runs every explorer independently in headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from headless import MISSING, available, chromium

nbformat = pytest.importorskip("nbformat", reason="needs the test extra (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra (nbclient)")
pytest.importorskip("ipykernel", reason="needs the test extra (ipykernel)")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "chapter5_tour.ipynb"
KERNEL = "tracegrad-test-venv"  # a spec in a temporary folder only
EXPLORER_DIV = re.compile(r'<div class="tg-explorer" id="([^"]+)"')

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="viz.explore needs Graphviz's dot")


def explore_cells(nb) -> list:
    """The code cells that end with `viz.explore(...)`: Jupyter shows their result."""
    return [c for c in nb.cells if c.cell_type == "code"
            and c.source.strip().splitlines()[-1].startswith("viz.explore(")]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory):
    """(the notebook executed once, seconds it took). The kernel is this venv's Python, from a
    kernel spec written to a temporary folder; the connection file lives there too."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    tmp = tmp_path_factory.mktemp("kernel")
    spec = tmp / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tracegrad test (venv)", "language": "python"}))
    km = KernelManager(kernel_name=KERNEL, connection_file=str(tmp / "connection.json"),
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, km=km, kernel_name=KERNEL, timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb, time.perf_counter() - start


@pytest.fixture(scope="module")
def exported(executed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The executed notebook as nbconvert's HTML (what `jupyter nbconvert --execute --to html`
    writes), in a file."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(executed[0])
    path = tmp_path_factory.mktemp("export") / "chapter5_tour.html"
    path.write_text(body, encoding="utf-8")
    return path


def printed(nb) -> str:
    """Everything the notebook's cells printed to stdout, in order."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream" and o.name == "stdout")


def values(text: str, line_start: str) -> dict[str, float]:
    """'name = number' pairs of the one printed line starting with `line_start`."""
    lines = [line for line in text.splitlines() if line.startswith(line_start)]
    assert len(lines) == 1, (line_start, lines)
    return {k: float(v) for k, v in re.findall(r"(\S+) = (\S+)", lines[0])}


# ---------------------------------------------------------------- the committed file


def test_notebook_is_committed_without_outputs_and_up_to_date() -> None:
    """The .ipynb holds no outputs (the tests execute it) and is what make_notebooks.py writes."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code)  # every step explained
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import make_notebooks
    finally:
        sys.path.remove(str(NOTEBOOKS))
    assert NOTEBOOK.read_text(encoding="utf-8") == nbformat.writes(make_notebooks.build()) + "\n"


# ---------------------------------------------------------------- executed by a kernel


def test_notebook_runs_quickly_without_errors(executed) -> None:
    nb, seconds = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.source
    assert seconds < 60


def test_notebook_prints_the_lectures_numbers(executed) -> None:
    """Each printed number is the closed form: 220, 2.2 110 200, 715, 2(x + y), 0.196612, ..."""
    out = printed(executed[0])
    assert values(out, "price = 220")["price"] == 220
    assert values(out, "dapple = ") == pytest.approx({"dapple": 2 * 1.1, "dapple_num": 100 * 1.1,
                                                      "dtax": 100 * 2})
    prices = [float(v) for v in re.findall(r"^price = (\S+)$", out, re.M)]
    assert prices == pytest.approx([100 * 2 * 1.1, (100 * 2 + 150 * 3) * 1.1])
    assert values(out, "dapple_num = ") == pytest.approx({
        "dapple_num": 100 * 1.1, "dapple": 2 * 1.1, "dorange": 3 * 1.1, "dorange_num": 150 * 1.1,
        "dtax": 100 * 2 + 150 * 3})
    chain = values(out, "z = ")
    assert chain == pytest.approx({"z": (1 + 2) ** 2, "dz/dt": 2 * 3, "dz/dx": 2 * (1 + 2),
                                   "dz/dy": 2 * (1 + 2), "2(x+y)": 6})
    assert values(out, "add: ") == pytest.approx({"z": 15, "dx": 1.3, "dy": 1.3})
    assert values(out, "mul: ") == pytest.approx({"z": 50, "dx": 1.3 * 5, "dy": 1.3 * 10})
    assert values(out, "relu: x = 1 ") == {"x": 1, "y": 1, "dy/dx": 1}
    assert values(out, "relu: x = -2 ") == {"x": -2, "y": 0, "dy/dx": 0}
    s = 1 / (1 + np.exp(-1.0))
    sig = values(out, "sigmoid: ")
    assert sig == pytest.approx({"x": 1, "y": s, "dy/dx": s * (1 - s), "y(1-y)": s * (1 - s)},
                                rel=1e-5)
    assert sig["dy/dx"] == pytest.approx(0.196612, abs=5e-7)
    assert "shapes: X (2, 2) W (2, 3) B (3,) Y (2, 3)" in out
    assert "shapes: dX (2, 2) dW (2, 3) dB (3,)" in out
    assert "dX = dY·Wᵀ: True dW = Xᵀ·dY: True dB = sum of dY: True" in out

    a = np.array([[0.3, 2.9, 4.0], [1.0, 2.0, 0.5]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    y = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    assert values(out, "L = ")["L"] == pytest.approx(-np.sum(t * np.log(y)) / 2, rel=1e-5)
    expected = (y - t) / 2
    for prefix in ("dL/da = ", "(y - t)/N = "):
        line = next(line for line in out.splitlines() if line.startswith(prefix))
        rows = [[float(v) for v in row.split()] for row in line[len(prefix):].split(" | ")]
        np.testing.assert_allclose(rows, expected, atol=1e-6)


def test_notebook_two_layer_net_on_three_samples(executed) -> None:
    """The gradient check agrees, and the loss is the one the same seeds give here."""
    from nn import TwoLayerNet

    out = printed(executed[0])
    diffs = dict(re.findall(r"^(W1|b1|W2|b2):(\S+)$", out, re.M))
    assert sorted(diffs) == ["W1", "W2", "b1", "b2"] and max(map(float, diffs.values())) < 1e-7
    rng = np.random.default_rng(0)
    x, t = rng.random((3, 784)), np.eye(10)[rng.integers(0, 10, 3)]
    loss = TwoLayerNet(784, 50, 10, seed=0).loss(x, t)
    assert values(out, "loss = ")["loss"] == pytest.approx(loss, rel=1e-5)


def test_each_explore_cell_shows_its_own_explorer(executed) -> None:
    """`viz.explore(y)` as a cell's last expression is displayed as HTML (its _repr_html_), each
    under its own root id."""
    cells = explore_cells(executed[0])
    assert len(cells) >= 8
    ids = []
    for cell in cells:
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, cell.source
        html = results[0].data["text/html"]
        found = EXPLORER_DIV.findall(html)
        assert len(found) == 1 and "window.tracegrad.mount(" in html, cell.source
        ids += found
    assert len(set(ids)) == len(ids)


# ---------------------------------------------------------------- nbconvert's HTML, no kernel


def test_exported_html_holds_every_explorer(executed, exported: Path) -> None:
    html = exported.read_text(encoding="utf-8")
    ids = EXPLORER_DIV.findall(html)
    assert len(ids) == len(explore_cells(executed[0])) and len(set(ids)) == len(ids)
    assert html.count('class="tg-data"') == len(ids)


@pytest.fixture
def browser(tmp_path):
    """Headless Debian Chromium through chromedriver (skips when either is missing)."""
    pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not available():
        pytest.skip(MISSING)
    with chromium(tmp_path / "profile", window_size="1400,1000") as driver:
        yield driver


def own_errors(log: list[dict]) -> list[dict]:
    """SEVERE console entries, less nbconvert's template failing to fetch its CDN scripts
    (MathJax, require.js) on a machine without network: those are not the explorers'."""
    return [e for e in log if e["level"] == "SEVERE"
            and not re.match(r"https?://\S+ - Failed to load resource", e["message"])]


@pytest.mark.browser
def test_exported_explorers_work_independently_in_chromium(executed, exported: Path, browser) -> None:
    """No console errors; every explorer has its handle; selecting and stepping one leaves the
    others as they were; the page's ids are unique."""
    browser.get(f"file://{exported}")
    ids = EXPLORER_DIV.findall(exported.read_text(encoding="utf-8"))
    mounted = browser.execute_script("return window.tracegrad.explorers.map(h => h.id)")
    assert mounted == ids
    assert browser.execute_script(
        "var ids = Array.from(document.querySelectorAll('[id]'), e => e.id);"
        "return ids.length - new Set(ids).size") == 0
    before = browser.execute_script(f"return {json.dumps(ids)}.map(id => tracegrad.get(id).state())")
    assert all(s["step"] == s["total"] and s["selected"] is None for s in before)

    apples = browser.execute_script(f"return tracegrad.get({json.dumps(ids[0])}).select('apple')")
    assert apples["selected"] == "apple" and "2.2" in apples["panel"] and "1.1 × 2" in apples["panel"]
    chain = browser.execute_script(f"return tracegrad.get({json.dumps(ids[2])}).select('x')")
    assert chain["selected"] == "x" and "6" in chain["panel"]
    stepped = browser.execute_script(f"return tracegrad.get({json.dumps(ids[1])}).step(1)")
    assert stepped["step"] == 1

    after = browser.execute_script(f"return {json.dumps(ids)}.map(id => tracegrad.get(id).state())")
    assert after[0]["selected"] == "apple" and after[0]["step"] == before[0]["step"]
    assert after[1]["step"] == 1 and after[1]["selected"] is None
    assert after[2]["selected"] == "x" and after[2]["panel"] == chain["panel"]
    for i in range(3, len(ids)):
        assert after[i] == before[i], i  # untouched explorers stay as they were
    assert browser.execute_script("return tracegrad.state().id") == ids[0]  # the first's shortcut
    assert own_errors(browser.get_log("browser")) == []


def test_coming_from_micrograd_prints_the_demo_notebooks_numbers(executed) -> None:
    """micrograd's demo, imports changed: the numbers its own notebook printed."""
    out = "\n".join(o.get("text", "") for c in executed[0].cells if c.cell_type == "code"
                    for o in c.outputs if o.output_type == "stream")
    assert "number of parameters 337" in out
    assert "step 0 loss 0.8958441028683222, accuracy 50.0%" in out
    step_99 = re.search(r"step 99 loss ([0-9.e-]+), accuracy ([0-9.]+)%", out)
    assert float(step_99.group(1)) == pytest.approx(0.010978370135492717, rel=1e-14)
    assert float(step_99.group(2)) == 100.0
