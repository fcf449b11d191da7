"""The six speed figures of issue 13, each against its reference measured in the same run.

Run: `python benchmarks/speed.py [--rounds 3]` (about two minutes on 2 cores; needs micrograd:
`pip install -e '.[bench]'`). Each figure is the median of `rounds` alternating rounds, every
system in its own process (bench_tensor.py, bench_value.py, bench_numerical.py measure; this
script only gathers their numbers). Prints one row per figure: tracegrad, the reference, the
ratio, the target and whether this run met it. The machine is noisy: run it more than once.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_numerical  # noqa: E402
import bench_tensor  # noqa: E402
import bench_value  # noqa: E402


def row(work: str, ours: list, reference: list, name: str, target: float | None,
        unit: str) -> None:
    """Print one figure: the medians (every round in brackets), their ratio, the target."""
    def shown(times: list) -> str:
        scale, fmt = (1e3, "{:.1f}") if unit == "ms" else (1, "{:.3f}")
        rounds = ", ".join(fmt.format(t * scale) for t in times)
        return f"{fmt.format(statistics.median(times) * scale)} {unit} ({rounds})"

    ratio = statistics.median(ours) / statistics.median(reference)
    goal = "—" if target is None else f"<= {target:.2f}x"
    verdict = "—" if target is None else ("met" if ratio <= target else "NOT met")
    print(f"| {work} | {shown(ours)} | {name}: {shown(reference)} | {ratio:.4f}x | {goal} | "
          f"{verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tensor = bench_tensor.measure(args.rounds, ["numpy", "tracegrad"])
    value = bench_value.measure_steps(args.rounds)
    numerical = bench_numerical.measure(args.rounds)

    print(f"median of {args.rounds} alternating rounds per figure (the rounds in brackets), each "
          "system in its own process")
    print("| work | tracegrad | reference | ratio | target | this run |")
    print("|---|---|---|---|---|---|")
    epoch = "epoch of the 784-50-10 net, real Fashion-MNIST, shuffled batches of 100"
    for title, target in (("float64, BLAS default threads", 1.05),
                          ("float32, BLAS default threads", 1.05),
                          ("float64, one BLAS thread", None)):
        times = tensor[title]["times"]
        row(f"{epoch}, {title}", times["tracegrad"], times["numpy"], "NumPy by hand",
            target, "s")
    for key, label, target in (("step_nogc", "collector off in both", 0.45),
                               ("step_gc", "collector on (as users run it)", 0.05)):
        row(f"scalar MLP [2, 16, 16, 1] step, 100 points, {label}", value[("ours", key)],
            value[("micrograd", key)], "micrograd", target, "ms")
    row("numerical gradient of TwoLayerNet(784, 50, 10) on 3 samples", numerical["tracegrad"],
        numerical["numpy"], "the book's loop by hand", 1.10, "s")


if __name__ == "__main__":
    main()
