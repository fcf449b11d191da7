"""The chapter-6 demos (optimizer_compare, weight_init, overfit) with tiny settings on a tiny
synthetic IDX data set: the numbers they hand back, the figures they write, the tour's captions."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from demos import optimizer_compare, overfit, tour, weight_init
from idx_data import write_tiny_idx_set

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?!\w|\.\d)")


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 training and 50 test 28x28 images: a bright 4x4 square whose place gives the label."""
    return write_tiny_idx_set(tmp_path_factory.mktemp("idx6"), train=200, test=50)


def check_files(paths: list[Path], out: Path, names: set[str]) -> None:
    assert {p.name for p in paths} == names
    for path in paths:
        assert path.parent == out and path.is_file()
        if path.suffix == ".svg":
            assert ET.parse(path).getroot().tag.endswith("svg")
        else:
            assert path.read_bytes()[:8] == PNG_SIGNATURE


def flatten(value) -> list[float]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in flatten(v)]
    if isinstance(value, str):
        return [float(m) for m in NUMBER.findall(value)]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [x for v in value for x in flatten(v)]
    return [] if value is None else [float(value)]


def rounds_to(printed: str, value: float) -> bool:
    """Whether `value`, rounded as `printed` is (its decimals, or its significant digits),
    reads `printed`."""
    number = float(printed)
    mantissa = printed.lstrip("-").split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    digits = len(mantissa.replace(".", "").lstrip("0")) or 1
    return (number == pytest.approx(value, rel=1e-12, abs=1e-12)
            or float(f"{value:.{decimals}f}") == number
            or float(f"{value:.{digits}g}") == number)


def check_captions(captions: dict[str, str], numbers: dict, files: list[Path]) -> None:
    """One caption per SVG, and every number in it is one the demo handed back, as rounded."""
    assert set(captions) == {p.name for p in files if p.suffix == ".svg"}
    computed = flatten(numbers)
    for name, text in captions.items():
        for printed in NUMBER.findall(text):
            assert any(rounds_to(printed, c) for c in computed), (name, printed, text)


def test_optimizer_paths_and_loss_curves(tmp_path: Path, idx_dir: Path, capsys) -> None:
    result = optimizer_compare.run(["--data-dir", str(idx_dir), "--iters", "40", "--hidden", "20",
                                    "--layers", "2", "--batch-size", "50", "--progress", "off"],
                                   out_dir=tmp_path)
    check_files(result.files, tmp_path, {f"optimizer_{a}.{b}" for a in ("paths", "mnist")
                                         for b in ("png", "svg")})
    paths = result.numbers["paths"]
    # SGD by hand: x ← x − 0.95·x/10, y ← y − 0.95·2y, 30 times from (-7, 2)
    assert paths["SGD"]["x"] == pytest.approx(-7 * 0.905 ** 30, rel=1e-12)
    assert paths["SGD"]["y"] == pytest.approx(2 * (-0.9) ** 30, rel=1e-12)
    assert [paths[k]["lr"] for k in ("SGD", "Momentum", "AdaGrad", "Adam")] == [0.95, 0.1, 1.5, 0.3]
    assert abs(paths["AdaGrad"]["y"]) < 1e-3 and all(p["f"] < 0.2 for p in paths.values())
    losses = result.numbers["final_loss"]
    assert set(losses) == {"SGD", "Momentum", "AdaGrad", "Adam"}
    assert all(loss < 2.3 for loss in losses.values())  # below ln 10: every one learned
    assert "Adam" in capsys.readouterr().out
    check_captions(tour._optimizer_compare(result.numbers), result.numbers, result.files)


def test_optimizer_paths_without_a_data_set(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = optimizer_compare.run(["--data-dir", str(empty)], out_dir=tmp_path)
    assert {p.name for p in result.files} == {"optimizer_paths.png", "optimizer_paths.svg"}
    assert result.numbers["dataset"] is None
    check_captions(tour._optimizer_compare(result.numbers), result.numbers, result.files)


def test_weight_init_histograms(tmp_path: Path) -> None:
    result = weight_init.run(["--samples", "200"], out_dir=tmp_path)
    check_files(result.files, tmp_path, {f"weight_init_{a}.{b}"
                                         for a in ("sigmoid", "relu", "gradients")
                                         for b in ("png", "svg")})
    n = result.numbers
    assert n["relu"]["He"]["weight_std"] == pytest.approx(np.sqrt(2 / 100))
    assert min(n["sigmoid"]["std 1"]["extreme"]) > 0.3  # saturated at 0 and 1 (fig. 6-10)
    assert max(n["sigmoid"]["std 0.01"]["std"]) < 0.05  # all near 0.5 (fig. 6-11)
    relu_small, he = n["relu"]["std 0.01"]["std"], n["relu"]["He"]["std"]
    assert relu_small[-1] < 1e-4 * relu_small[0]  # vanishing with depth (fig. 6-14 top)
    assert 0.5 < he[-1] / he[0] < 2  # He keeps the spread
    assert n["relu"]["He"]["grad_W1"] > 1e4 * n["relu"]["std 0.01"]["grad_W1"]
    check_captions(tour._weight_init(n), n, result.files)


def test_overfit_runs_and_monitors(tmp_path: Path, idx_dir: Path) -> None:
    result = overfit.run(["--data-dir", str(idx_dir), "--epochs", "6", "--samples", "100",
                          "--hidden", "20", "--layers", "2", "--monitor-every", "2",
                          "--progress", "off"], out_dir=tmp_path)
    check_files(result.files, tmp_path, {f"overfit{a}.{b}" for a in ("", "_monitor")
                                         for b in ("png", "svg")})
    n = result.numbers
    assert n["samples"] == 100 and set(n["runs"]) == {"plain", "weight decay", "dropout"}
    for run in n["runs"].values():
        assert 0 <= run["test"] <= 1 and run["gap"] == pytest.approx(run["train"] - run["test"])
    assert n["runs"]["plain"]["train"] > 0  # (SGD lr 0.01 needs many more epochs to learn)
    assert n["monitor"]["records"] == 3 and n["monitor"]["last_step"] == 4  # 6 iterations
    check_captions(tour._overfit(n), n, result.files)


def test_bad_option_is_an_error(tmp_path: Path, idx_dir: Path) -> None:
    with pytest.raises(SystemExit):
        overfit.run(["--data-dir", str(idx_dir), "--dropout", "1.5"], out_dir=tmp_path)
