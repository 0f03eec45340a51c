"""SVG text in the PDF drawn one run at a time instead of one letter at a time.

WeasyPrint 70 draws an SVG ``<text>`` letter by letter: one Pango layout and one PDF text
object per character, so that ``x``/``y``/``dx``/``dy``/``rotate`` lists, ``letter-spacing``
and ``textLength`` can place each letter. The plots of :mod:`nucsec.plots` use none of
these (one ``x`` and one ``y`` per text), and their ~1,500 letters of tick labels, axis
titles and legends were about a quarter of a 20-page report's rendering time
(``docs/reports.md``, Speed). :func:`install` replaces WeasyPrint's SVG text function by
one that lays out such a text as a single run (one layout, one text object, same place,
same font, same fill, same bounding box for ``text-anchor``) and hands every other text to
WeasyPrint's own function unchanged.

This patches a WeasyPrint internal (``weasyprint.svg.TAGS``), as the page mapping of
:mod:`nucsec.reports.pdf` uses its box tree: the version is pinned in ``constraints.txt``,
:func:`install` refuses (leaving WeasyPrint as it is) when the function it replaces is not
the one it was written for, and ``tests/reports/test_svgtext.py`` checks that the words of
a figure land where WeasyPrint's own function puts them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from math import inf
from typing import Any

__all__ = ["install", "run_text", "weasyprint_own_text"]

#: attributes that place letters one by one: such texts go to WeasyPrint's own function
_PER_LETTER = ("dx", "dy", "rotate", "textLength", "lengthAdjust")


def _single(node: Any, name: str) -> bool:
    from weasyprint.svg.utils import normalize

    value = node.attrib.get(name)
    return value is None or len(normalize(value).split()) <= 1


def _is_one_run(svg: Any, node: Any, font_size: float) -> bool:
    """A text WeasyPrint would lay out as one run: text, at most one ``x`` and one ``y``,
    nothing that places letters one by one."""
    if not node.text or any(a in node.attrib for a in _PER_LETTER):
        return False
    if not (_single(node, "x") and _single(node, "y")):
        return False
    return not svg.length(node.get("letter-spacing"), font_size)


def _style(svg: Any, node: Any, font_size: float) -> Any:
    """The text style WeasyPrint's SVG text function builds (same fields, same defaults)."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.svg.text import Style

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    families = node.get("font-family", "sans-serif").split(",")
    style["font_family"] = [f.strip("\"'") for f in families]
    style["font_style"] = node.get("font-style", "normal")
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    weight = node.get("font-weight", 400)
    named = {"normal": 400, "bold": 700}
    try:
        style["font_weight"] = named[weight] if weight in named else int(weight)
    except ValueError:
        style["font_weight"] = 400
    style["font_size"] = font_size
    return style


def _y_align(node: Any, font_size: float, height: float) -> float:
    """WeasyPrint's vertical alignment of a text box (its ``display-anchor`` and baseline
    rules, same approximations)."""
    ascent, descent = font_size * 0.8, font_size * 0.2
    anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if anchor == "middle":
        return -height / 2
    if anchor == "top":
        return 0.0
    if anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        return ascent
    if baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        return -descent
    return 0.0


def run_text(svg: Any, node: Any, font_size: float) -> None:
    """Draw ``node`` (an SVG ``text``, ``tspan``, ``textPath`` or ``a``) as one run when it
    places no letter on its own, else with WeasyPrint's own function."""
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    if not _is_one_run(svg, node, font_size):
        _original()(svg, node, font_size)
        return
    style = _style(svg, node, font_size)
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    x, y = svg.cursor_position
    if "x" in node.attrib:
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
        svg.cursor_d_position[0] = 0
    if "y" in node.attrib:
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
        svg.cursor_d_position[1] = 0
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + _y_align(node, font_size, height)
    svg.cursor_position = x + width, y
    top = y_position - baseline
    box = ((x_position, top), (x_position + width, top + height))
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, box)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    matrix = Matrix(a=1, d=-1, e=x_position, f=y_position)  # no ``rotate`` on this path
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none", matrix)
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


@cache
def _original() -> Any:
    """WeasyPrint's own SVG text function (from its module: ``weasyprint.svg.text`` the
    package attribute is the function, and :func:`install` rebinds it)."""
    import weasyprint.svg  # noqa: F401 (loads weasyprint.svg.text)

    return sys.modules["weasyprint.svg.text"].text


@cache
def install() -> bool:
    """Make WeasyPrint draw one-run SVG texts with :func:`run_text` (once per process).
    Returns whether it did: not when WeasyPrint's SVG text function is not the one this
    module was written for (then WeasyPrint draws as it always does, only slower)."""
    import weasyprint
    import weasyprint.svg as svg_module

    original = _original()
    if weasyprint.__version__ != "70.0" or original.__module__ != "weasyprint.svg.text":
        return False
    for tag, function in list(svg_module.TAGS.items()):
        if function is original:
            svg_module.TAGS[tag] = run_text
    # ``draw_node`` recognises a text node (text-anchor, bounding box) by this name
    svg_module.text = run_text
    return True


@contextmanager
def weasyprint_own_text() -> Iterator[None]:
    """Within the block, WeasyPrint draws SVG texts with its own function (letter by
    letter), as without :func:`install`: for measuring bare WeasyPrint in the same process."""
    import weasyprint.svg as svg_module

    original, saved, saved_name = _original(), dict(svg_module.TAGS), svg_module.text
    for tag, function in saved.items():
        if function is run_text:
            svg_module.TAGS[tag] = original
    svg_module.text = original
    try:
        yield
    finally:
        svg_module.TAGS.update(saved)
        svg_module.text = saved_name
