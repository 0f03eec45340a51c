"""The HTML renderer: one page with the portion mark on every block and the banner of
everything shown at top and bottom, in the reader's scheme with the partner's equivalent.

Jinja2 with autoescape; the template (``templates/report.html``) inserts no text unescaped.
The only markup inserted as such is a figure's SVG, checked and re-serialised when the
:class:`~nucsec.reports.model.Figure` was built, and the package's own stylesheet. No
script, no inline ``style`` attribute: give ``stylesheet_href`` to link the stylesheet
(:data:`STYLESHEET_PATH`, to serve it under ``style-src 'self'``) instead of embedding it in
a ``<style>`` element (a standalone file; its CSP hash is :data:`STYLESHEET_CSP_SOURCE`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from nucsec.markings import Label, MarkingContext
from nucsec.policy import Principal
from nucsec.reports.banners import banner, page_banner, portion_mark
from nucsec.reports.model import Block, Figure, Report, Section
from nucsec.reports.screening import visible_to

__all__ = ["STYLESHEET", "STYLESHEET_CSP_SOURCE", "STYLESHEET_PATH", "page_markup", "render_html"]

STYLESHEET_PATH = resources.files("nucsec.reports") / "static" / "report.css"
STYLESHEET = STYLESHEET_PATH.read_text(encoding="utf-8")
#: CSP source allowing exactly the embedded stylesheet (``style-src 'sha256-…'``)
STYLESHEET_CSP_SOURCE = (
    "'sha256-" + base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode() + "'"
)

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("nucsec.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
)


@dataclass(frozen=True)
class _View:
    """A portion as the template sees it: id, kind, the object, its marks, checked SVG."""

    id: str
    kind: str
    block: Block | str
    mark: str
    mark_title: str
    svg: Markup | None = None


@dataclass(frozen=True)
class _SectionView:
    heading: _View
    blocks: tuple[_View, ...]
    level: int
    new_page: bool


class _Viewer:
    def __init__(self, ctx: MarkingContext, reader_nation: str) -> None:
        self.ctx, self.nation = ctx, reader_nation
        self.labels: dict[str, Label] = {}

    def view(self, pid: str, label: Label, kind: str, block: Block | str) -> _View:
        self.labels[pid] = label
        # a Figure's SVG was checked and re-serialised by figures.safe_svg when it was built
        svg = Markup(block.svg) if isinstance(block, Figure) else None  # noqa: S704
        return _View(
            pid,
            kind,
            block,
            portion_mark(label, self.ctx),
            banner(label, self.ctx, self.nation).text,
            svg,
        )

    def section(self, i: int, s: Section) -> _SectionView:
        blocks = tuple(self.view(f"s{i}.b{j}", b.label, b.kind, b) for j, b in enumerate(s.blocks))
        return _SectionView(
            self.view(f"s{i}", s.label, "heading", s.heading), blocks, s.level, s.new_page
        )


def page_markup(
    report: Report,
    ctx: MarkingContext,
    reader: Principal,
    *,
    paged: bool = False,
    stylesheet_href: str | None = None,
) -> tuple[str, dict[str, Label]]:
    """The HTML of an already screened and checked ``report`` and the label of every
    portion id placed in it (``data-portion``). ``paged`` leaves out the in-page banners
    (the PDF renderer puts one per page in the page margins)."""
    viewer = _Viewer(ctx, reader.nation)
    title = viewer.view("title", report.label, "title", report.title)
    front = [viewer.view(f"front.{i}", b.label, b.kind, b) for i, b in enumerate(report.front)]
    sections = [viewer.section(i, s) for i, s in enumerate(report.sections)]
    context: dict[str, Any] = {
        "lang": report.lang,
        "title": title,
        "front": front,
        "sections": sections,
        "banner": page_banner(viewer.labels.values(), ctx, reader.nation),  # all shown
        "paged": paged,
        "stylesheet_href": stylesheet_href,
        "stylesheet": Markup(STYLESHEET),  # noqa: S704 (the package's own file)
    }
    return _ENV.get_template("report.html").render(context), dict(viewer.labels)


def render_html(
    report: Report,
    ctx: MarkingContext,
    reader: Principal,
    *,
    stylesheet_href: str | None = None,
) -> str:
    """The report as one HTML page for ``reader``.

    Parameters
    ----------
    report
        The report; portions ``reader`` may not read are left out (the reference monitor
        decides each, :func:`.screening.visible_to`).
    ctx
        The node's marking context (unknown markings are refused).
    reader
        Who reads it: the portions shown and the banner's scheme (the reader's first, then
        the partner's equivalent) follow from it.
    stylesheet_href
        Link this stylesheet URL instead of embedding the stylesheet.

    Returns
    -------
    str
        A complete HTML document: portion mark on every block, the banner (roll-up of the
        portions shown) at top and bottom.

    Raises
    ------
    ReportWithheld
        ``reader`` may not read the report's title portion (nothing may be shown).
    LabelError
        A portion label the context does not know, or portions that do not roll up.
    """
    visible = visible_to(report, reader, ctx).check(ctx)
    return page_markup(visible, ctx, reader, stylesheet_href=stylesheet_href)[0]
