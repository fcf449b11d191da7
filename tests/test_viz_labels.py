"""Any text a user can give (a node's label, a scope or module name) renders through real `dot`
into SVG that parses as XML, and into the step page, with the text shown as written.

The expected text follows the rule in viz.format.visible's docstring, written out here on its own:
characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; lone surrogates;
U+FFFE, U+FFFF) read as their Python escape, \\x01 or \\ud800; everything else is kept.
"""
from __future__ import annotations

import html.parser
import re
import shutil
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
import viz
from autograd import Tensor, Value

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
# The characters that break DOT or XML most often, drawn often; then anything at all, surrogates too.
TRICKY = st.sampled_from(list('\\"<>&/\n\r\t \x00\x01\x08\x0b\x1f\x7f\x85\xa0\u2028\ud800\udfff'
                              '\ufffe\uffff\U0001F600NGETHLl{}[];=-#'))
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.text(st.one_of(TRICKY, ANY_CHAR), max_size=30)
SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
MODES_AND_COLLAPSE = [(m, c) for m in ("forward", "backward", "both") for c in (False, True)]


def shown(text: str) -> str:
    """`text` as the docstring of viz.format.visible says it reads."""
    out = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def squash(text: str) -> str:
    """Text without its whitespace: dot spaces and breaks lines its own way."""
    return "".join(text.split())


def svg_of(output, mode: str = "both", collapse: bool = False) -> ET.Element:
    """The drawing rendered by dot, parsed as XML (fails on anything XML cannot hold)."""
    svg = viz.draw(output, mode, collapse=collapse).pipe(format="svg")
    return ET.fromstring(svg)


def drawn_text(root: ET.Element) -> str:
    return squash("".join(root.itertext()))


def tooltips(root: ET.Element) -> list[str]:
    return [squash(e.get(XLINK_TITLE)) for e in root.iter() if e.get(XLINK_TITLE) is not None]


def graph_with_label(label: str):
    a, k = Value(2.0, label=label), Value(3.0, label="k")
    out = a * k
    out.backward()
    return out


def graph_in_scopes(*names: str):
    """x * x computed inside the nested scopes `names` (outermost first)."""
    x = Value(2.0, label="x")
    with _scopes(names):
        y = x * x
        y.label = "y"
    z = y + 1.0
    z.backward()
    return z


class _scopes:
    def __init__(self, names):
        self.contexts = [autograd.scope(n) for n in names]

    def __enter__(self):
        for c in self.contexts:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self.contexts):
            c.__exit__(*exc)


@pytest.mark.parametrize("mode, collapse", MODES_AND_COLLAPSE)
@SETTINGS
@given(label=TEXT)
def test_any_label_renders_as_written(mode, collapse, label):
    root = svg_of(graph_with_label(label), mode, collapse)
    if label:  # an empty label is drawn as a generated name
        assert squash(shown(label)) in drawn_text(root)


@pytest.mark.parametrize("mode, collapse", MODES_AND_COLLAPSE)
@SETTINGS
@given(outer=TEXT.filter(bool), inner=TEXT.filter(bool))
def test_any_nested_scope_names_render(mode, collapse, outer, inner):
    """Each scope's own name (after its last '/') is drawn; the full path is the tooltip."""
    root = svg_of(graph_in_scopes(outer, inner), mode, collapse)
    full = f"{outer}/{inner}"
    assert squash(shown(full)) in tooltips(root)
    assert squash(shown(full.rsplit("/", 1)[-1])) in drawn_text(root)
    if not collapse and squash(outer):  # the enclosing cluster is drawn too (dot drops a blank tooltip)
        assert squash(shown(outer)) in tooltips(root)


@SETTINGS
@given(label=TEXT, scope=TEXT.filter(bool))
def test_step_page_shows_any_label_and_scope(tmp_path, label, scope):
    with autograd.scope(scope):
        a = Value(2.0, label=label)
        out = a * a
    out.label = label
    out.backward()
    path = viz.save_steps(out, tmp_path / "steps.html")
    page = path_text(path)
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) == 1
    root = ET.fromstring(svgs[0])
    assert squash(shown(scope)) in tooltips(root)
    pre = PreText.of(page)
    assert len(pre) == 1
    if label:
        as_html_reads = re.sub("\r\n?", "\n", shown(label))  # HTML reads CR, CRLF as LF
        assert f"{as_html_reads} = " in pre[0]  # "label = label × label = 4"


def path_text(path) -> str:
    """The page as text: it must be valid UTF-8 (a lone surrogate could not be written)."""
    with open(path, encoding="utf-8", errors="strict") as f:
        return f.read()


class PreText(html.parser.HTMLParser):
    """The decoded text of each <pre> of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.inside = False

    @classmethod
    def of(cls, page: str) -> list[str]:
        parser = cls()
        parser.feed(page)
        return parser.found

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.inside = True
            self.found.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.found[-1] += data


# ---- the cases hypothesis may not hit: each was a dot syntax error, unreadable SVG or wrong text --
@pytest.mark.parametrize("scope, collapse", [
    ("a\\", False), ("a/b\\", False),  # the cluster's DOT name ended in a backslash
    ("x\x01y", False), ("x\x01y", True), ("\ud800", False), ("\ud800", True),  # not XML / UTF-8
    ("a/", True), ("/", True),  # an empty module name made an empty <B></B>
    ("\\N", True),  # the tooltip showed the node's id instead of \N
])
def test_scope_names_that_broke_dot(scope, collapse):
    root = svg_of(graph_in_scopes(scope), "both", collapse)
    assert squash(shown(scope)) in tooltips(root)


@pytest.mark.parametrize("label", ["x\x01y", "\x00", "\ud800\udc00", "\ufffe", "]", "]]"])
def test_labels_that_broke_dot(label):
    assert squash(shown(label)) in drawn_text(svg_of(graph_with_label(label)))


def test_a_line_break_in_a_label_is_a_line_break_and_a_tab_a_space():
    texts = [t.text for t in svg_of(graph_with_label("first\nsecond\tthird")).iter(
        "{http://www.w3.org/2000/svg}text")]
    assert "first" in texts and "second third" in texts


def test_scopes_that_read_the_same_stay_two_clusters():
    """'a\\x01' (a control character) and 'a\\\\x01' (backslash, x, 0, 1) are both shown as
    a\\x01: they must still be two clusters, not one merged by name."""
    x = Value(1.0, label="x")
    with autograd.scope("a\x01"):
        y = x * 2.0
    with autograd.scope("a\\x01"):
        z = y * 3.0
    z.backward()
    root = svg_of(z, "both")
    clusters = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                if "cluster" in (g.get("class") or "").split()]
    assert len(clusters) == 2


def test_a_very_long_label_is_cut_in_its_box_and_whole_in_its_tooltip():
    """dot refuses strings over 16384 characters: a name over 80 characters shows its first 79
    and '…'; the tooltip holds up to 1000 (999 and '…')."""
    label = "<&\\" + "x" * 20_000 + "\x01"
    root = svg_of(graph_with_label(label))
    assert squash(shown(label[:79]) + "…") in drawn_text(root)
    assert squash(shown(label[:80])) not in drawn_text(root)
    assert squash(shown(label[:999]) + "…") in tooltips(root)


def test_a_very_long_scope_renders():
    scope = "\\" * 5000 + "/" + "m" * 200
    for collapse in (False, True):
        root = svg_of(graph_in_scopes(scope), "both", collapse)
        assert squash(shown(scope[:999]) + "…") in tooltips(root)
        assert squash("m" * 79 + "…") in drawn_text(root)


def test_tensor_labels_and_scopes_render():
    with autograd.scope("net\\\x02"):
        w = Tensor(np.ones((2, 2)), requires_grad=True, label="W\x00<\\>")
        out = (w * 2.0).sum()
    out.backward()
    for collapse in (False, True):
        root = svg_of(out, "both", collapse)
        assert squash(shown("net\\\x02")) in tooltips(root)
    assert squash(shown("W\x00<\\>")) in drawn_text(svg_of(out, "both"))


def test_save_writes_any_label_to_svg_and_dot(tmp_path):
    out = graph_with_label("q\ud800\x03\\")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # graphviz warns when it expects a DOT syntax error
        viz.save(out, tmp_path / "g.svg")
        viz.save(out, tmp_path / "g.dot")
    assert squash(shown("q\ud800\x03\\")) in drawn_text(ET.parse(tmp_path / "g.svg").getroot())
    (tmp_path / "g.dot").read_text(encoding="utf-8")  # valid UTF-8


def test_a_label_that_is_not_a_str_is_shown_as_text():
    assert "12345" in drawn_text(svg_of(graph_with_label(12345)))


@pytest.mark.parametrize("name", ["&;", "&amp;", "a&b;c", "&#1;"])
def test_an_ampersand_in_a_scope_keeps_the_svg_well_formed(name):
    """dot copies a cluster's name into the SVG's <title> and keeps '&...;' as if an entity."""
    root = svg_of(graph_in_scopes("0", name), "both", False)
    assert root is not None


@pytest.mark.parametrize("name", ["0²", "layer½", "x³y"])
def test_a_scope_with_digit_like_characters_renders(name):
    """'²' is a digit to str.isdigit but not a decimal number: natural sorting must not try int()."""
    assert svg_of(graph_in_scopes("0", name), "forward", False) is not None
