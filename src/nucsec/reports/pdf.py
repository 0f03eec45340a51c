"""The PDF renderer (WeasyPrint): the banner at the top and bottom of every page is the
roll-up of the portions that landed on that page, not of the whole report.

How (see ``docs/reports.md``):

1. the report is screened for the reader (the monitor's ``read`` decision per portion) and
   rendered to HTML in which every portion's element carries ``data-portion``;
2. WeasyPrint lays it out once without banners; walking each page's boxes gives the
   portions on that page (a block split over two pages counts on both);
3. each page's banner is the roll-up of those portions' labels (a page with none, which
   layout does not produce, would carry the whole report's banner: never less), written
   as one ``@page :nth(N)`` rule per page whose margin boxes hold the banner; the page
   margins do not change, so the body paginates the same;
4. the report is laid out again with those rules; if any portion moved to another page the
   rules are recomputed (at most :data:`MAX_PASSES` passes, then :class:`ReportError`:
   never a page whose banner does not match what is on it).

WeasyPrint fetches nothing: the figures are inline SVG and every URL is refused. Japanese
text uses the Noto CJK fonts (Debian ``fonts-noto-cjk``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from nucsec.markings import Label, MarkingContext
from nucsec.policy import Principal
from nucsec.reports.banners import Banner, page_banner
from nucsec.reports.errors import ReportError
from nucsec.reports.html import page_markup
from nucsec.reports.model import Report

__all__ = [
    "MAX_PASSES",
    "css_string",
    "layout",
    "page_rules",
    "parse",
    "portions_by_page",
    "render_pdf",
]

#: layouts with banners before giving up on a pagination that keeps moving
MAX_PASSES = 3
PAGE_CSS = (resources.files("nucsec.reports") / "static" / "pdf.css").read_text(encoding="utf-8")
RANK_COLOURS = ("#007a33", "#502b85", "#0033a0", "#c8102e", "#b35c00")
_SAFE = frozenset(" /,.()-:")


def css_string(text: str) -> str:
    """``text`` as a CSS string literal; every character that is not a letter, digit or
    one of `` /,.()-:`` is written as a 6-digit escape, so nothing can end the string.

    >>> css_string('SECRET//NOFORN "x"')
    '"SECRET//NOFORN \\\\000022x\\\\000022"'
    """
    return '"' + "".join(c if c.isalnum() or c in _SAFE else f"\\{ord(c):06x}" for c in text) + '"'


def _no_fetch() -> Any:
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        """A report is self-contained: every URL (image, stylesheet, font) is refused."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"a report fetches nothing: {url[:80]}")

    return NoFetch(fail_on_errors=True)


def portions_by_page(document: Any) -> list[frozenset[str]]:
    """The ``data-portion`` ids whose boxes are on each page of a laid-out document.

    Uses the page's box tree (``Page._page_box``, WeasyPrint's layout; the version is
    pinned in ``constraints.txt``): public anchors only give an element's first page.
    """
    out = []
    for page in document.pages:
        ids = set()
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            pid = element.get("data-portion") if element is not None else None
            if pid:
                ids.add(pid)
        out.append(frozenset(ids))
    return out


def _banner_for(
    ids: frozenset[str], labels: dict[str, Label], ctx: MarkingContext, nation: str, whole: Banner
) -> Banner:
    return page_banner([labels[i] for i in sorted(ids)], ctx, nation) if ids else whole


def page_rules(banners: list[Banner]) -> str:
    """One ``@page :nth(N)`` rule per page: banner at top and bottom, page number."""
    total = len(banners)
    rules = []
    for n, b in enumerate(banners, 1):
        text, colour = css_string(b.text), RANK_COLOURS[min(b.rank, 4)]
        rules.append(
            f"@page :nth({n}) {{ @top-center {{ content: {text}; color: {colour}; }} "
            f"@bottom-center {{ content: {text}; color: {colour}; }} "
            f"@bottom-right {{ content: {css_string(f'{n} / {total}')}; }} }}"
        )
    return "\n".join(rules)


def parse(markup: str) -> Any:
    """The report's HTML parsed once (WeasyPrint ``HTML``, fetching nothing); every
    layout pass reuses it."""
    from weasyprint import HTML

    return HTML(string=markup, url_fetcher=_no_fetch())


def layout(html: Any, extra_css: str = "") -> Any:
    """Lay out a parsed report with the page set-up and ``extra_css`` (a Document)."""
    from weasyprint import CSS
    from weasyprint.urls import FatalURLFetchingError

    sheet = CSS(string=PAGE_CSS + "\n" + extra_css, url_fetcher=_no_fetch())
    try:
        return html.render(stylesheets=[sheet])
    except FatalURLFetchingError as exc:
        raise ReportError(f"the report refers to an outside resource ({exc})") from exc


def render_pdf(report: Report, ctx: MarkingContext, reader: Principal) -> bytes:
    """The report as a PDF for ``reader``, each page's banner the roll-up of its portions.

    Parameters
    ----------
    report
        The report; portions ``reader`` may not read are left out (the reference monitor
        decides each, :meth:`Report.visible_to`).
    ctx
        The node's marking context (unknown markings are refused).
    reader
        Who reads it: the portions shown and the banners' scheme (the reader's first,
        then the partner's equivalent).

    Returns
    -------
    bytes
        The PDF document.

    Raises
    ------
    ReportWithheld
        ``reader`` may not read the report's title portion.
    ReportError
        The pagination kept changing between passes, or a portion found no page.
    LabelError
        A portion label the context does not know, or portions that do not roll up.
    """
    visible = report.visible_to(reader, ctx).check(ctx)
    markup, labels = page_markup(visible, ctx, reader, paged=True)
    whole = page_banner(labels.values(), ctx, reader.nation)
    html = parse(markup)
    pages = portions_by_page(layout(html))
    for _ in range(MAX_PASSES):
        missing = set(labels) - set().union(*pages)
        if missing:
            raise ReportError(f"portions on no page: {sorted(missing)[:5]}", field="layout")
        banners = [_banner_for(ids, labels, ctx, reader.nation, whole) for ids in pages]
        document = layout(html, page_rules(banners))
        placed = portions_by_page(document)
        if placed == pages:
            return bytes(document.write_pdf())
        pages = placed
    raise ReportError(f"the pagination did not settle in {MAX_PASSES} passes", field="layout")
