"""The HTML report: a portion mark on every block, the banner of what is shown at top and
bottom in the reader's scheme first, escaped text, no script or inline style."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from nucsec.markings import render_portion
from nucsec.reports import Paragraph, Report, ReportWithheld, render_html, visible_to
from nucsec.reports.html import STYLESHEET, STYLESHEET_CSP_SOURCE
from tests.reports._build import (
    C_NF,
    CTX,
    JP_READER,
    JPN_PEER,
    NOFORN_TEXT,
    SCRIPT_TEXT,
    US_READER,
    U,
    expected_banner,
    multipage_report,
)


class _Collect(HTMLParser):
    """Elements with their attributes, the portion-mark text inside each data-portion
    element, and the banners' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[tuple[str, str]] = []  # (tag, what it collects)
        self.marks: dict[str, str] = {}
        self.banners: list[str] = []
        self._portion: str | None = None
        self._in_mark = False
        self._banner: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("data-portion"):
            self._portion = a["data-portion"]
            self.marks[self._portion] = ""
        if "portion" in (a.get("class") or "").split() and self._portion:
            self._in_mark = True
        if "banner" in (a.get("class") or "").split():
            self._banner = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_mark = False
        if tag == "div" and self._banner is not None:
            self.banners.append(" ".join("".join(self._banner).split()))
            self._banner = None

    def handle_data(self, data: str) -> None:
        if self._in_mark and self._portion:
            self.marks[self._portion] += data
        if self._banner is not None:
            self._banner.append(data)


def _parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    return c


@pytest.mark.parametrize(("reader", "nation"), [(US_READER, "USA"), (JP_READER, "JPN")])
def test_every_block_is_marked_and_the_banner_rolls_up_what_is_shown(
    reader: object, nation: str
) -> None:
    report, _, _ = multipage_report(table_rows=3)
    shown = visible_to(report, reader, CTX)  # type: ignore[arg-type]
    page = _parse(render_html(report, CTX, reader))  # type: ignore[arg-type]
    portions = {p.id: p.label for p in shown.portions()}
    assert set(page.marks) == set(portions)
    for pid, lb in portions.items():
        assert page.marks[pid] == render_portion(lb, CTX), pid
    want = expected_banner(list(portions.values()), nation)
    assert page.banners == [want, want]  # top and bottom


def test_japanese_reader_does_not_see_noforn_and_banner_recomputes() -> None:
    report, _, _ = multipage_report(table_rows=3)
    html = render_html(report, CTX, JP_READER)
    assert NOFORN_TEXT not in html and "NF)" not in html and "NOFORN" not in html
    page = _parse(html)
    assert len(page.marks) == len(report.portions()) - 2  # the NOFORN block and its section
    assert page.banners[0].startswith("極秘//FORENSICS//REL TO USA, JPN / SECRET")


def test_script_in_text_is_escaped_not_markup() -> None:
    report = Report(
        "<script>alert('title')</script>",
        U,
        front=(Paragraph(SCRIPT_TEXT, U),),
    )
    html = render_html(report, CTX, US_READER)
    tags = [t for t, _ in _parse(html).tags]
    assert "script" not in tags and "b" not in tags
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(&#39;title&#39;)" in html


def test_no_script_no_inline_style_and_a_linkable_stylesheet() -> None:
    report, _, _ = multipage_report(table_rows=3)
    html = render_html(report, CTX, US_READER)
    tags = _parse(html).tags
    assert not [t for t, _ in tags if t == "script"]
    assert not [a for _, a in tags if "style" in a or any(k.startswith("on") for k in a)]
    assert html.count("<svg") == 3 and STYLESHEET in html
    assert STYLESHEET_CSP_SOURCE.startswith("'sha256-")
    linked = render_html(report, CTX, US_READER, stylesheet_href="/static/report.css")
    assert "<style>" not in linked
    assert ("link", {"rel": "stylesheet", "href": "/static/report.css"}) in _parse(linked).tags


def test_a_reader_who_may_not_read_the_title_gets_not_found() -> None:
    with pytest.raises(ReportWithheld):
        render_html(Report("t", C_NF), CTX, JPN_PEER)
