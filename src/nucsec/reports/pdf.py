"""The PDF renderer (WeasyPrint): the banner at the top and bottom of every page is the
roll-up of the portions that landed on that page, not of the whole report.

How (see ``docs/reports.md``):

1. the report is screened for the reader (the monitor's ``read`` decision per portion) and
   rendered to HTML in which every portion's element carries ``data-portion``;
2. WeasyPrint lays the body out once; walking each page's boxes gives the portions on that
   page (a block split over two pages counts on both); every portion must be found;
3. each page's banner is the roll-up of those portions' labels, written as one
   ``@page :nth(N)`` rule per page whose margin boxes hold the banner and the page number;
4. a document of as many empty pages, same page size and margins, is laid out with those
   rules (cheap: no body), and its margin boxes are placed on the body's pages before the
   PDF is written. WeasyPrint itself builds margin boxes after the body is paginated, from
   the page alone: the body's layout is the one whose portions were counted, so no page can
   carry a banner computed from another pagination.

If the two documents disagree (page count, page size, a banner box missing) the renderer
refuses with :class:`ReportError` rather than emit a page whose banner does not match what
is on it. Steps 2 and 4 use WeasyPrint's box tree (``Page._page_box``), not a public API:
the version is pinned in ``constraints.txt`` and the tests check every page's text.

WeasyPrint fetches nothing: the figures are inline SVG and every URL is refused. Japanese
text uses the Noto CJK fonts (Debian ``fonts-noto-cjk``).

Speed (``docs/reports.md``, Speed): the user-agent stylesheet is ``static/print_ua.css``
(WeasyPrint's rules for the report's elements only), the banner boxes have a width (no
min-/max-content measuring per page), and SVG texts are drawn one run at a time
(:mod:`.svgtext`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from nucsec.markings import Label, MarkingContext
from nucsec.policy import Principal
from nucsec.reports import svgtext
from nucsec.reports.banners import Banner, page_banner
from nucsec.reports.errors import ReportError
from nucsec.reports.html import page_markup
from nucsec.reports.model import Report
from nucsec.reports.screening import visible_to

__all__ = [
    "css_string",
    "layout",
    "page_rules",
    "parse",
    "portions_by_page",
    "render_pdf",
    "stamp_banners",
]

_STATIC = resources.files("nucsec.reports") / "static"
PAGE_CSS = (_STATIC / "pdf.css").read_text(encoding="utf-8")
#: the user-agent stylesheet: WeasyPrint's rules for the elements a report holds, only
PRINT_UA_CSS = (_STATIC / "print_ua.css").read_text(encoding="utf-8")
RANK_COLOURS = ("#007a33", "#502b85", "#0033a0", "#c8102e", "#b35c00")
#: the margin boxes every page of a report must receive
BANNER_BOXES = frozenset({"@top-center", "@bottom-center"})
_EMPTY_PAGE_CSS = (
    ".page { height: 1px; break-after: page; } .page:last-child { break-after: auto; }"
)
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


@cache
def _sheet(text: str) -> Any:
    """A parsed stylesheet (``CSS``), parsed once per process: WeasyPrint does not change
    a stylesheet object while rendering (its own UA stylesheet is one such object)."""
    from weasyprint import CSS

    return CSS(string=text, url_fetcher=_no_fetch())


@cache
def _report_html_class() -> Any:
    """``weasyprint.HTML`` whose user-agent stylesheet is :data:`PRINT_UA_CSS`."""
    from weasyprint import HTML

    class ReportHTML(HTML):
        """A report's HTML: only the UA rules for the elements the template uses."""

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [_sheet(PRINT_UA_CSS)]

    return ReportHTML


def parse(markup: str) -> Any:
    """HTML parsed by WeasyPrint (``HTML`` with the report's user-agent stylesheet,
    :data:`PRINT_UA_CSS`) with a fetcher that refuses every URL. SVG texts are drawn one
    run at a time (:func:`.svgtext.install`)."""
    svgtext.install()
    return _report_html_class()(string=markup, url_fetcher=_no_fetch())


def layout(html: Any, extra_css: str = "", fonts: Any = None) -> Any:
    """Lay out parsed HTML with the page set-up and ``extra_css``: a WeasyPrint Document.
    ``fonts`` (a ``FontConfiguration``) is shared by documents whose boxes are combined."""
    from weasyprint import CSS
    from weasyprint.urls import FatalURLFetchingError

    sheets = [_sheet(PAGE_CSS)]
    if extra_css:
        sheets.append(CSS(string=extra_css, url_fetcher=_no_fetch()))
    try:
        return html.render(stylesheets=sheets, font_config=fonts)
    except FatalURLFetchingError as exc:
        raise ReportError(f"the report refers to an outside resource ({exc})") from exc


def portions_by_page(document: Any) -> list[frozenset[str]]:
    """The ``data-portion`` ids whose boxes are on each page of a laid-out document
    (public anchors would only give an element's first page)."""
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


def stamp_banners(document: Any, banners: list[Banner], fonts: Any) -> None:
    """Put one banner per page into the margins of ``document``'s pages: the margin boxes
    of an empty document laid out with :func:`page_rules` (same page set-up)."""
    from weasyprint.formatting_structure.boxes import MarginBox

    markup = "<html><body>" + '<div class="page"></div>' * len(banners) + "</body></html>"
    margins = layout(parse(markup), _EMPTY_PAGE_CSS + "\n" + page_rules(banners), fonts)
    if len(margins.pages) != len(document.pages):
        raise ReportError(
            f"{len(margins.pages)} banner pages for {len(document.pages)} pages", field="layout"
        )
    for n, (page, source) in enumerate(zip(document.pages, margins.pages, strict=True), 1):
        if (page.width, page.height) != (source.width, source.height):
            raise ReportError(f"page {n}: banner page of another size", field="layout")
        boxes = [c for c in source._page_box.children if isinstance(c, MarginBox)]
        if not {b.at_keyword for b in boxes} >= BANNER_BOXES:
            raise ReportError(f"page {n}: no banner box", field="layout")
        body = [c for c in page._page_box.children if not isinstance(c, MarginBox)]
        page._page_box.children = (*body, *boxes)


def _banners(
    pages: list[frozenset[str]], labels: dict[str, Label], ctx: MarkingContext, nation: str
) -> list[Banner]:
    """Each page's banner: the roll-up of its portions (a page without any, which layout
    does not make, would carry the whole report's banner: never less)."""
    missing = set(labels) - set().union(*pages)
    if missing:
        raise ReportError(f"portions on no page: {sorted(missing)[:5]}", field="layout")
    whole = page_banner(labels.values(), ctx, nation)
    return [
        page_banner([labels[i] for i in sorted(ids)], ctx, nation) if ids else whole
        for ids in pages
    ]


def render_pdf(report: Report, ctx: MarkingContext, reader: Principal) -> bytes:
    """The report as a PDF for ``reader``, each page's banner the roll-up of its portions.

    Parameters
    ----------
    report
        The report; portions ``reader`` may not read are left out (the reference monitor
        decides each, :func:`.screening.visible_to`).
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
        A page whose portions or banner could not be established (never written).
    LabelError
        A portion label the context does not know, or portions that do not roll up.
    """
    from weasyprint.text.fonts import FontConfiguration

    visible = visible_to(report, reader, ctx).check(ctx)
    markup, labels = page_markup(visible, ctx, reader, paged=True)
    fonts = FontConfiguration()
    document = layout(parse(markup), fonts=fonts)
    banners = _banners(portions_by_page(document), labels, ctx, reader.nation)
    stamp_banners(document, banners, fonts)
    return bytes(document.write_pdf())
