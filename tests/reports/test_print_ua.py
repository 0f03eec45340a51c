"""The PDF renderer's lean user-agent stylesheet (``static/print_ua.css``): it covers every
element a report's HTML holds, and a report laid out with it is laid out exactly as with
WeasyPrint's own user-agent stylesheet (same pages, same boxes at the same places)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nucsec.reports.html import page_markup
from nucsec.reports.pdf import PAGE_CSS, PRINT_UA_CSS, layout, parse
from nucsec.reports.screening import visible_to
from tests.reports._build import CTX, US_READER, multipage_report

pytestmark = pytest.mark.slow

SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)


def _markup() -> str:
    report, _, _ = multipage_report(table_rows=60)
    return page_markup(visible_to(report, US_READER, CTX).check(CTX), CTX, US_READER, paged=True)[0]


def _boxes(document: Any) -> list[list[tuple[object, ...]]]:
    """Per page: every box's element tag, portion id, class, position and size (rounded to
    a hundredth of a CSS pixel)."""
    pages = []
    for page in document.pages:
        rows = []
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            tag = element.tag if element is not None else None
            portion = element.get("data-portion") if element is not None else None
            geometry = (box.position_x, box.position_y, box.width, box.height)
            rows.append(
                (tag, portion, type(box).__name__, *(round(float(v or 0), 2) for v in geometry))
            )
        pages.append(rows)
    return pages


def test_every_element_of_a_report_has_its_user_agent_rules() -> None:
    html_part = SVG_BLOCK.sub("", _markup())
    used = set(re.findall(r"<([a-z][a-z0-9]*)\b", html_part)) - {"svg"}
    rules = re.sub(r"/\*.*?\*/", "", PRINT_UA_CSS, flags=re.S)
    covered = set(re.findall(r"(?<![-\w@.:#])([a-z][a-z0-9]*)(?=[\s,{])", rules))
    assert used, "no element found in the report's HTML"
    assert used <= covered, f"elements without user-agent rules: {sorted(used - covered)}"


def test_report_lays_out_as_with_weasyprints_own_user_agent_stylesheet() -> None:
    from weasyprint import CSS, HTML

    markup = _markup()
    ours = layout(parse(markup))
    theirs = HTML(string=markup).render(stylesheets=[CSS(string=PAGE_CSS)])
    assert len(ours.pages) == len(theirs.pages) > 2
    ours_boxes, their_boxes = _boxes(ours), _boxes(theirs)
    assert sum(len(p) for p in ours_boxes) > 200  # the comparison is about a real layout
    for n, (a, b) in enumerate(zip(ours_boxes, their_boxes, strict=True), 1):
        assert a == b, f"page {n} differs"
