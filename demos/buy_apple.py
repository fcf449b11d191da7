"""Buying apples (Fig. 5-16): 2 apples at 100 with 10% tax cost 220, and backward gives
d(price)/d(apple, apple_num, tax) = 2.2 110 200, with the hand-written MulLayer and with Value.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from autograd import Value
from nn.layers import MulLayer

from .common import DemoResult, agree, fmt, parse_args, report_files, save_graph

apple, apple_num, tax = 100, 2, 1.1


def with_layers() -> tuple[float, tuple[float, float, float]]:
    """The lecture's buy_apple.py: price, and (dapple, dapple_num, dtax)."""
    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()
    # forward
    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)
    # backward
    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)
    return price, (dapple, dapple_num, dtax)


def with_value() -> tuple[Value, tuple[Value, Value, Value]]:
    """The same graph with Value: the price node (backward done) and the leaves."""
    a, n, t = Value(apple, label="apple"), Value(apple_num, label="apple_num"), Value(tax, label="tax")
    apple_price = a * n
    apple_price.label = "apple_price"
    price = apple_price * t
    price.label = "price"
    price.backward()
    return price, (a, n, t)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print the price and gradients both ways; draw the graph forward and with gradients.

    numbers: the inputs apple, apple_num, tax; price; dapple, dapple_num, dtax (Value's).
    """
    args = parse_args(__doc__, argv, out_dir)
    price, grads = with_layers()
    print("MulLayer:  price", fmt(price), "| dapple dapple_num dtax", fmt(*grads))
    node, leaves = with_value()
    v_grads = [leaf.grad for leaf in leaves]
    print("Value:     price", fmt(node.data), "| dapple dapple_num dtax", fmt(*v_grads))
    print(agree([price, *grads], [node.data, *v_grads], "MulLayer and Value"))
    files = [save_graph(node, args.out / "buy_apple_forward.svg", mode="forward"),
             save_graph(node, args.out / "buy_apple.svg", mode="both")]
    report_files(files)
    numbers = {"apple": apple, "apple_num": apple_num, "tax": tax, "price": node.data,
               **{f"d{leaf.label}": leaf.grad for leaf in leaves}}
    return DemoResult(files, numbers, {"buy_apple": node})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
