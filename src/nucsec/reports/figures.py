"""The safe subset of SVG a report figure may hold, checked and re-serialised.

A figure's SVG is inlined into the report's HTML and into the PDF, so it must not carry
scripts, event handlers, links, external references or inline styles (a strict CSP forbids
them, and WeasyPrint would fetch a referenced resource). :func:`safe_svg` parses the text
as XML, refuses anything outside the drawing elements and presentation attributes the
plots of :mod:`nucsec.plots` use, and returns the tree serialised again: what is inlined is
exactly what was checked (no parser differential between XML and HTML), and every text
node is escaped.

>>> safe_svg('<svg xmlns="http://www.w3.org/2000/svg"><text x="1">a &lt; b</text></svg>')
'<svg xmlns="http://www.w3.org/2000/svg"><text x="1">a &lt; b</text></svg>'
>>> safe_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
Traceback (most recent call last):
...
nucsec.reports.errors.ReportError: figure SVG: element <script> is not allowed
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

from nucsec.reports.errors import ReportError

__all__ = ["safe_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
_ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "title",
        "desc",
        "text",
        "tspan",
        "line",
        "polyline",
        "polygon",
        "path",
        "rect",
        "circle",
        "ellipse",
    ]
)
_ATTRIBUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*$")
_FORBIDDEN_ATTRIBUTES = frozenset({"style", "href", "src"})
_MAX_CHARS = 5_000_000


def _fail(why: str) -> ReportError:
    return ReportError(f"figure SVG: {why}", field="svg")


def _check(element: ET.Element) -> None:
    ns, _, name = element.tag.rpartition("}")
    if ns != "{" + SVG_NS or name not in _ELEMENTS:
        raise _fail(f"element <{name}> is not allowed")
    for key, value in element.attrib.items():
        name = key.lower()
        if not _ATTRIBUTE.match(key) or name in _FORBIDDEN_ATTRIBUTES or name.startswith("on"):
            raise _fail(f"attribute {key!r} is not allowed")
        if "url(" in value.lower() or "javascript:" in value.lower():
            raise _fail(f"attribute {key!r} refers to a resource")
    for child in element:
        _check(child)


def safe_svg(text: str) -> str:
    """The SVG ``text`` re-serialised, or :class:`ReportError` if it holds anything outside
    the safe subset (DTDs, entities, scripts, event handlers, links, styles, foreign
    content)."""
    if not isinstance(text, str) or not text.strip():
        raise _fail("a figure needs SVG text")
    if len(text) > _MAX_CHARS:
        raise _fail(f"more than {_MAX_CHARS} characters")
    if "<!" in text:  # DOCTYPE, ENTITY, CDATA: no entity expansion, one way to write text
        raise _fail("declarations (<!...>) are not allowed")
    try:
        root = ET.fromstring(text)  # noqa: S314 (no DTD: checked above)
    except ET.ParseError as exc:
        raise _fail(f"not well-formed XML ({exc})") from exc
    if root.tag != "{" + SVG_NS + "}svg":
        raise _fail("the root element must be <svg> in the SVG namespace")
    _check(root)
    out: list[str] = []
    _write(root, out, top=True)
    return "".join(out)


def _write(element: ET.Element, out: list[str], *, top: bool = False) -> None:
    """Serialise a checked element: local names, escaped attribute values and text."""
    name = element.tag.rpartition("}")[2]
    attrs = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in element.attrib.items())
    out.append(f"<{name}" + (f' xmlns="{SVG_NS}"' if top else "") + attrs + ">")
    out.append(escape(element.text or "", quote=False))
    for child in element:
        _write(child, out)
        out.append(escape(child.tail or "", quote=False))
    out.append(f"</{name}>")
