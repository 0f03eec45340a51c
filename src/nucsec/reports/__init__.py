"""Labelled reports: a document model whose every block carries its own portion label,
rendered to HTML and to PDF with portion marks and computed banners.

- :mod:`.model` — :class:`Report`, :class:`Section`, blocks (:class:`Paragraph`,
  :class:`Table`, :class:`Figure`, :class:`KeyValues`, :class:`Citation`);
- :mod:`.screening` — what a reader may see or a partner may receive, per portion, by the
  reference monitor (:func:`.screening.visible_to`, :func:`.screening.released_to`);
- :mod:`.banners` — banners in the reader's scheme with the partner's equivalent;
- :func:`render_html` — one page, banner of everything shown at top and bottom;
- :func:`render_pdf` — WeasyPrint, each page's banner the roll-up of that page's portions.

Pure: no database, no audit. A service that serves a report decides access to the report
record, audits it (the per-portion decisions are in :func:`screen`'s result) and calls these.
See ``docs/reports.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nucsec.reports.banners import Banner, banner, page_banner, portion_mark
from nucsec.reports.errors import ReportError, ReportWithheld
from nucsec.reports.figures import safe_svg
from nucsec.reports.html import render_html
from nucsec.reports.model import (
    Block,
    Citation,
    Figure,
    KeyValues,
    Paragraph,
    Portion,
    Report,
    Section,
    Table,
)
from nucsec.reports.screening import PortionDecision, Screened, released_to, screen, visible_to

if TYPE_CHECKING:
    from nucsec.markings import MarkingContext
    from nucsec.policy import Principal

__all__ = [
    "Banner",
    "Block",
    "Citation",
    "Figure",
    "KeyValues",
    "Paragraph",
    "Portion",
    "PortionDecision",
    "Report",
    "ReportError",
    "ReportWithheld",
    "Screened",
    "Section",
    "Table",
    "banner",
    "page_banner",
    "portion_mark",
    "released_to",
    "render_html",
    "render_pdf",
    "safe_svg",
    "screen",
    "visible_to",
]


def render_pdf(report: Report, ctx: MarkingContext, reader: Principal) -> bytes:
    """The report as a PDF for ``reader`` (see :func:`nucsec.reports.pdf.render_pdf`;
    imported on first use: WeasyPrint takes a while to load)."""
    from nucsec.reports.pdf import render_pdf as _render_pdf

    return _render_pdf(report, ctx, reader)
