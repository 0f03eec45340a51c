"""Banners and portion marks as a report shows them: in the reader's scheme first, then
the partner's equivalent (``極秘//REL TO USA, JPN / SECRET//REL TO USA, JPN``).

A page's banner is the roll-up (:func:`nucsec.markings.rollup`) of the portions on it; the
HTML report is one page (its banner rolls up every portion shown), the PDF renderer rolls
up each page's own portions (:mod:`nucsec.reports.pdf`). Renderings come from
:func:`nucsec.markings.render_in` (Japanese levels in Japanese, others in English) and
:func:`nucsec.markings.render_portion`, as on the web pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nucsec.markings import Label, MarkingContext, render_in, render_portion, rollup

__all__ = ["SCHEME_LANG", "Banner", "banner", "page_banner", "portion_mark"]

#: language a nation's scheme is shown in (others: the scheme's English names)
SCHEME_LANG = {"JPN": "ja"}
#: separator between the reader's rendering and the partners'
SEPARATOR = " / "


@dataclass(frozen=True)
class Banner:
    """A label rendered in every scheme of its agreement, the reader's first."""

    label: Label
    renderings: tuple[tuple[str, str, str], ...]  # (nation, lang, text)
    rank: int

    @property
    def text(self) -> str:
        """One line: the reader's rendering, then the partners' equivalents."""
        return SEPARATOR.join(text for _, _, text in self.renderings)

    @property
    def css(self) -> str:
        """Colour class by common rank (``rank-0`` unclassified ... ``rank-4``)."""
        return f"rank-{min(self.rank, 4)}"


def banner(label: Label, ctx: MarkingContext, reader_nation: str) -> Banner:
    """``label`` in the reader's scheme, then in each other nation's of its agreement.

    >>> from nucsec.markings import default_context, parse_banner
    >>> ctx = default_context()
    >>> banner(parse_banner("SECRET//REL TO USA, JPN", ctx), ctx, "JPN").text
    '極秘//REL TO USA, JPN / SECRET//REL TO USA, JPN'
    """
    agreement = list(ctx.agreement(label.legal_basis).nations)
    nations = sorted(agreement, key=lambda n: (n != reader_nation, agreement.index(n)))
    renderings = tuple(
        (n, SCHEME_LANG.get(n, "en"), render_in(label, ctx, n, SCHEME_LANG.get(n, "en")))
        for n in nations
    )
    return Banner(label, renderings, label.rank(ctx))


def page_banner(labels: Iterable[Label], ctx: MarkingContext, reader_nation: str) -> Banner:
    """The banner of a page showing the portions labelled ``labels`` (their roll-up)."""
    return banner(rollup(labels, ctx), ctx, reader_nation)


def portion_mark(label: Label, ctx: MarkingContext) -> str:
    """The portion mark, e.g. ``(S//REL TO USA, JPN)``."""
    return render_portion(label, ctx)
