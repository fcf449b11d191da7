"""`tracegrad-graph` / `python -m viz`: draw the graph of a formula and print its gradients.

    python -m viz "(x + y) ** 2" x=1 y=2 -o chain.svg --mode both [--steps steps.html]
    python -m viz "x / y" x=1 y=2 -o slide.png --dpi 200 --rankdir TB

Prints the value and d(out)/d(variable) for each variable, and writes the picture (format from
the -o extension). Errors in the input (a construct that is not allowed, a missing value, a math
error such as log(-1)) print one line and exit with status 2. A variable given a value but not
used in the formula is only a warning: the rest still runs.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from autograd import Value

from .build import MODES, RANKDIRS
from .dot import GraphvizNotFoundError
from .expr import FUNCTIONS, ExpressionError, check_number, evaluate, names_used, parse
from .format import format_number
from .graph import check_dpi, output_format, save
from .steps import save_steps

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracegrad-graph",
        description="Draw the computational graph of a formula and print its gradients.",
        epilog="Allowed: numbers, variables, + - * / **, unary -, and "
               f"{', '.join(FUNCTIONS)} of one argument. Example: "
               "tracegrad-graph \"(x + y) ** 2\" x=1 y=2 -o chain.svg")
    parser.add_argument("expression", help="the formula, e.g. \"(x + y) ** 2\"")
    parser.add_argument("values", nargs="*", metavar="NAME=NUMBER",
                        help="a value for each variable, e.g. x=1 y=2")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="picture to write: .svg, .png, .pdf, or .dot/.gv for the DOT text; "
                             "missing folders are created (default: graph.svg)")
    parser.add_argument("--mode", choices=MODES, default="both",
                        help="what the edges carry (default: both)")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR", type=str.upper,
                        help="the direction the graph flows in: LR (left to right, the "
                             "default), TB (top to bottom), RL, BT")
    parser.add_argument("--dpi", type=float, metavar="N",
                        help="pixels per inch of a .png output (e.g. 200 for slides)")
    parser.add_argument("--steps", metavar="FILE.html",
                        help="also write the backward pass, step by step, as one HTML page")
    return parser


def _assignments(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        match = _ASSIGNMENT.match(item)
        if not match:
            raise ExpressionError(f"bad variable {item!r}: write NAME=NUMBER, e.g. x=1.5")
        name, text = match.groups()
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function name and cannot be a variable")
        values[name] = check_number(text)
    return values


def run(args: argparse.Namespace) -> int:
    """Parse, evaluate, differentiate, print, draw; ExpressionError/ArithmeticError escape."""
    fmt = output_format(args.output)  # a bad extension or --dpi is refused before any work
    if args.dpi is not None:
        check_dpi(args.dpi, fmt)
    if args.steps and not args.steps.lower().endswith((".html", ".htm")):
        raise ExpressionError(f"--steps writes an HTML page: name it *.html, got {args.steps!r}")
    tree = parse(args.expression)
    values = _assignments(args.values)
    used = names_used(tree)
    for name in used:
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function: call it, e.g. {name}(x)")
        if name not in values:
            raise ExpressionError(f"{name} has no value: pass {name}=NUMBER")
    for name in values:
        if name not in used:
            print(f"warning: {name} is given a value but is not used in the formula",
                  file=sys.stderr)
    variables = {name: Value(values[name], label=name) for name in used}
    out = evaluate(tree, variables)
    out.label = out.label or ("z" if "z" not in variables else "out")
    out.backward()
    print(f"{out.label} = {format_number(out.data)}")
    for name, var in variables.items():
        print(f"d{out.label}/d{name} = {format_number(var.grad)}")
    print(f"wrote {save(out, args.output, args.mode, rankdir=args.rankdir, dpi=args.dpi)}")
    if args.steps:
        print(f"wrote {save_steps(out, args.steps, args.mode)}")
    return 0


def _protect_leading_minus(argv: Sequence[str]) -> list[str]:
    """Let a formula start with a minus ("-x * y"): argparse would take "-x" for an option."""
    return [" " + a if len(a) > 1 and a[0] == "-" and a[1] not in "-oh" else a for a in argv]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `tracegrad-graph`; returns the exit status (2 for bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(_protect_leading_minus(argv))
    except SystemExit as exit_:  # --help, or a usage error argparse has already printed
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    try:
        return run(args)
    except (ExpressionError, ArithmeticError, ValueError) as error:  # bad input, math errors
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except RecursionError:
        print("error: the expression is too deeply nested", file=sys.stderr)
        return USAGE_ERROR
    except GraphvizNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: cannot write the output: {error}", file=sys.stderr)
        return 1
