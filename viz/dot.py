"""The `Graph` that viz returns: a graphviz.Digraph whose rendering explains a missing `dot`."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import graphviz

INSTALL_HINT = ("Graphviz's `dot` program is needed to render svg/png/pdf and was not found on "
                "PATH. Install it with one of: apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), conda install -c conda-forge graphviz (conda). "
                "The DOT text works without it: graph.source, or save(output, 'graph.dot').")


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's `dot` executable, and it is not installed."""


@contextmanager
def dot_required() -> Iterator[None]:
    """Turn graphviz's ExecutableNotFound into a GraphvizNotFoundError saying how to install."""
    try:
        yield
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(INSTALL_HINT) from error


class Graph(graphviz.Digraph):
    """A graphviz.Digraph (shown inline by Jupyter) whose render/pipe explain a missing `dot`."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with dot_required():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:
        with dot_required():
            return super().render(*args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> str:
        with dot_required():
            return super().view(*args, **kwargs)
